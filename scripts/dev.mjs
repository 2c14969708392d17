// `npm run dev`: the service on http://127.0.0.1:8787 with wrangler's embedded local state.
// Creates .dev.vars from .dev.vars.example on first run, with a freshly generated
// PRIVATE_KEY: the local app key only ever signs JWTs for the local GitHub emulator.
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const devVars = `${root}.dev.vars`;

if (!existsSync(devVars)) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const example = readFileSync(`${root}.dev.vars.example`, "utf8");
  writeFileSync(devVars, `${example}PRIVATE_KEY="${pem.trim().replace(/\n/g, "\\n")}"\n`);
  console.log("repoflow: created .dev.vars from .dev.vars.example (local mode, generated app key)");
}

const wrangler = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", process.env.PORT ?? "8787", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code) => process.exit(code ?? 0));
