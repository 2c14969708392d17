// `npm run dev`: the service on http://127.0.0.1:8787 with wrangler's embedded local state,
// plus the local GitHub API emulator (test/emulator; an emulator, not GitHub) on 127.0.0.1:8788
// holding a demo repository made from repo-templates/, and sending its webhooks to the service
// signed with the WEBHOOK_SECRET of .dev.vars (deliveries made before wrangler listens are logged
// as failed; redeliver them through GET /_emulator/deliveries and POST …/attempts).
//
// Creates .dev.vars from .dev.vars.example on first run, with a freshly generated PRIVATE_KEY:
// the local app key only ever signs JWTs for the emulator, which checks them with its public half.
import { spawn } from "node:child_process";
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const devVars = `${root}.dev.vars`;
const DEMO_REPOSITORY = "octo-org/demo";
const DEMO_INSTALLATION = 1;

if (!existsSync(devVars)) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const example = readFileSync(`${root}.dev.vars.example`, "utf8");
  writeFileSync(devVars, `${example}PRIVATE_KEY="${pem.trim().replace(/\n/g, "\\n")}"\n`);
  console.log("repoflow: created .dev.vars from .dev.vars.example (local mode, generated app key)");
}

function readVar(name) {
  const line = readFileSync(devVars, "utf8").split("\n").find((l) => l.startsWith(`${name}=`));
  if (!line) return undefined;
  return line.slice(name.length + 1).replace(/^"|"$/g, "").replace(/\\n/g, "\n");
}

const children = [];
function stopAll(code) {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stopAll(0));

const servicePort = process.env.PORT ?? "8787";
const emulatorUrl = new URL(readVar("GITHUB_API_URL") ?? "http://127.0.0.1:8788");
if (emulatorUrl.hostname === "127.0.0.1") {
  const keyDir = mkdtempSync(join(tmpdir(), "repoflow-dev-"));
  const publicKeyFile = join(keyDir, "app.pub.pem");
  writeFileSync(publicKeyFile, createPublicKey(createPrivateKey(readVar("PRIVATE_KEY"))).export({ type: "spki", format: "pem" }));
  const emulator = spawn(
    process.execPath,
    [
      `${root}test/emulator/cli.ts`,
      "--port", emulatorUrl.port,
      "--app-id", readVar("APP_ID") ?? "1",
      "--app-public-key", publicKeyFile,
      "--repo", `${DEMO_REPOSITORY}=${DEMO_INSTALLATION}:${root}repo-templates`,
      "--webhook-url", `http://127.0.0.1:${servicePort}/webhooks/github`,
    ],
    // The secret goes through the environment, so it stays out of the process list.
    { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, EMULATOR_WEBHOOK_SECRET: readVar("WEBHOOK_SECRET") ?? "" } },
  );
  children.push(emulator);
  emulator.on("exit", (code) => {
    console.error(`repoflow: the GitHub emulator exited (${code}); stopping.`);
    stopAll(code ?? 1);
  });
}

const wrangler = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", servicePort, ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
children.push(wrangler);
wrangler.on("exit", (code) => stopAll(code ?? 0));
