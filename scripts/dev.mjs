// `npm run dev`: the service on http://127.0.0.1:8787 with wrangler's embedded local state,
// plus the local GitHub API emulator (test/emulator; an emulator, not GitHub) on 127.0.0.1:8788
// holding a demo repository made from repo-templates/, and sending its webhooks to the service
// signed with the WEBHOOK_SECRET of .dev.vars (deliveries made before wrangler listens are logged
// as failed; redeliver them through GET /_emulator/deliveries and POST …/attempts).
//
// Creates .dev.vars from .dev.vars.example on first run, with a freshly generated PRIVATE_KEY:
// the local app key only ever signs JWTs for the emulator, which checks them with its public half.
//
// The console says where everything is once the service listens, and keeps to what an author
// acts on: `npm run dev -- --verbose` adds every emulator request and every API poll (replay
// and the dashboard poll twice a second), which otherwise drown the workflow's own output.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
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

const verbose = process.argv.includes("--verbose") || process.env.REPOFLOW_VERBOSE === "1";
const wranglerArgs = process.argv.slice(2).filter((arg) => arg !== "--verbose");
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
      "--log-requests", verbose ? "yes" : "no",
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

// Check runs link their run's dashboard page ("Details"), which is here.
const publicUrl = ["--var", `PUBLIC_URL:http://127.0.0.1:${servicePort}`];
const wrangler = spawn("npx", ["wrangler", "dev", "--ip", "127.0.0.1", "--port", servicePort, ...publicUrl, ...wranglerArgs], {
  cwd: root,
  stdio: ["inherit", "pipe", "pipe"],
  env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: process.stdout.isTTY ? "1" : "0" },
});
children.push(wrangler);
wrangler.on("exit", (code) => stopAll(code ?? 0));

const plain = (line) => line.replace(/\x1b\[[0-9;]*m/g, "");
// Requests the dashboard and replay make to follow runs: one line each, twice a second.
const POLL = /\b(GET|HEAD) \/(api\/(deliveries|runs)\/|api\/runs\b|runs\/[^ ]*\?|\?)[^ ]* (200|304|404)\b/;
// The local engine logs a wait reaching its deadline as uncaught; repoflow catches it (waitFor returns null).
const HANDLED = /Uncaught (Error: )?WorkflowTimeoutError|Uncaught WaitTimeoutError/;
// A workflow's own failure, which the engine calls uncaught: it is the run's outcome, on its check run.
const RUN_FAILED = /✘ \[ERROR\] Uncaught (?:NonRetryableError: )?(.*)$/;
let skippingStack = false;
let announced = false;

function banner() {
  const service = `http://127.0.0.1:${servicePort}`;
  console.log(
    [
      "",
      "repoflow is running locally (local mode: no sign-in, 127.0.0.1 only)",
      `  dashboard  ${service}/`,
      `  emulator   ${emulatorUrl.origin}  (an emulator of the GitHub API, not GitHub; it holds ${DEMO_REPOSITORY})`,
      `  try        npm run replay -- pull_request.opened --number 1     (GitHub's example, as pull request #1 of ${DEMO_REPOSITORY})`,
      "             npm run replay -- --number 1 --comment \"/merge-when-approved\"  (then its owner comments a command on it)",
      "             npm run check -- --dir ../my-repo                (compile and type-check a repository's .workflows/)",
      verbose ? "  verbose    on: every emulator request and API poll is shown" : "  quiet      emulator requests and API polls are hidden; npm run dev -- --verbose shows them",
      "",
    ].join("\n"),
  );
}

function relay(stream, out) {
  createInterface({ input: stream }).on("line", (line) => {
    const text = plain(line);
    if (!announced && /Ready on http/.test(text)) {
      announced = true;
      out.write(`${line}\n`);
      banner();
      return;
    }
    if (skippingStack) {
      if (/^\s+at |^\s*$|^\s+\.\.\.|^\s+--- repoflow stack ---|^\s+\w*Error: /.test(text)) return;
      skippingStack = false;
    }
    if (!verbose && HANDLED.test(text)) {
      skippingStack = true;
      out.write("repoflow: a wait reached its deadline; the workflow handles it (step.waitFor returns null)\n");
      return;
    }
    const failed = verbose ? null : RUN_FAILED.exec(text);
    if (failed) {
      // Its stack (the author's frames, mapped to .ts lines) is on the run's page; the engine's copy runs through repoflow's host.
      skippingStack = true;
      out.write(`repoflow: a run failed (its run page and check run say where): ${failed[1]}\n`);
      return;
    }
    if (!verbose && POLL.test(text)) return;
    out.write(`${line}\n`);
  });
}
relay(wrangler.stdout, process.stdout);
relay(wrangler.stderr, process.stderr);
