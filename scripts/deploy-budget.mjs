// The deploy budget, checked in CI: bundles the Worker as `wrangler deploy` would
// (`--dry-run --outdir`, no account needed), prints each module's raw and gzip size,
// and fails over Cloudflare's paid-plan limit of 10 MB gzip per Worker. The Free
// plan allows 3 MB; esbuild.wasm alone (the in-Worker compiler) is about 3.7 MB
// gzip, so repoflow needs the paid plan (docs/operators.md).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const PAID_LIMIT = 10 * 1024 * 1024;
const FREE_LIMIT = 3 * 1024 * 1024;
const out = mkdtempSync(join(tmpdir(), "repoflow-deploy-"));
try {
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  const modules = readdirSync(out).filter((name) => !name.endsWith(".map") && name !== "README.md");
  let raw = 0;
  let gzip = 0;
  const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
  console.log("| module | raw | gzip |\n| --- | ---: | ---: |");
  for (const name of modules) {
    const bytes = readFileSync(join(out, name));
    const zipped = gzipSync(bytes, { level: 9 }).byteLength;
    raw += statSync(join(out, name)).size;
    gzip += zipped;
    console.log(`| ${name.replace(/^[0-9a-f]{40}-/, "")} | ${mb(bytes.byteLength)} | ${mb(zipped)} |`);
  }
  console.log(`| **total** | ${mb(raw)} | ${mb(gzip)} |`);
  console.log(`Free plan (3 MB gzip): ${gzip <= FREE_LIMIT ? "fits" : "over"}; paid plan (10 MB gzip): ${gzip <= PAID_LIMIT ? "fits" : "OVER"}.`);
  if (gzip > PAID_LIMIT) {
    console.error(`repoflow: the Worker is ${mb(gzip)} gzip, over Cloudflare's 10 MB limit; it would not deploy.`);
    process.exitCode = 1;
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
