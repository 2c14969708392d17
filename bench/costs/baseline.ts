/**
 * The baseline design, rebuilt from its commit into a temp tree so it is
 * measured in the same run, by the same Worker, as the working tree.
 *
 * Read-only on the repository: `git archive <commit> <paths> | tar -x`
 * writes the commit's files elsewhere and changes nothing in /work/main
 * (no checkout, no stash). The paths are what `wrangler deploy --dry-run`
 * needs to bundle src/ as that commit did: wrangler.toml and its [build]
 * command's inputs (scripts/build-runtime.mjs reads src/runtime and
 * package-lock.json; scripts/build-app-manifest.mjs reads app.yml), whose
 * outputs are gitignored and so must be generated. node_modules is a
 * symlink to the working tree's: the commit's package-lock.json was the
 * working tree's when this was written (`git diff d38cca8 -- package-lock.json`
 * was empty), and a second install is minutes on this machine. The cost Worker and its
 * modules are copied in beside the commit's src/, so their `../../src/`
 * imports resolve to it.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { onCleanup } from "../cleanup.ts";
import { BuildError } from "../errors.ts";

/**
 * main's HEAD when the inbox was about to learn to decide whether a delivery
 * can matter: at this commit its alarm creates an ingest Workflow for every
 * delivery, which is the design the working tree replaces. Fixed, so the
 * baseline does not move as main does.
 */
export const BASELINE_COMMIT = "d38cca8";

const ARCHIVED = ["src", "wrangler.toml", "app.yml", "package.json", "package-lock.json", "tsconfig.json", "scripts/build-runtime.mjs", "scripts/build-app-manifest.mjs"];

/** What the commit's tree needs from the bench: the Worker and the modules it imports. */
const BENCH_FILES = ["bench/workers/costs.ts", "bench/workers/costs", "bench/costs/api.ts"];

const EXTRACT_TIMEOUT_MS = 60_000;

export async function extractBaseline(repoRoot: string, into: string, commit = BASELINE_COMMIT): Promise<string> {
  mkdirSync(into, { recursive: true });
  const controller = new AbortController();
  const abort = () => controller.abort();
  const stop = onCleanup(`git archive ${commit} | tar -x`, abort, abort);
  const timer = setTimeout(abort, EXTRACT_TIMEOUT_MS);
  try {
    const git = spawn("git", ["-C", repoRoot, "archive", "--format=tar", commit, "--", ...ARCHIVED], { stdio: ["ignore", "pipe", "pipe"], signal: controller.signal });
    const tar = spawn("tar", ["-x", "-C", into], { stdio: ["pipe", "ignore", "pipe"], signal: controller.signal });
    let errors = "";
    git.stderr.on("data", (chunk: Buffer) => (errors += chunk));
    tar.stderr.on("data", (chunk: Buffer) => (errors += chunk));
    git.stdout.pipe(tar.stdin);
    const exited = (child: ReturnType<typeof spawn>) =>
      new Promise<number | null>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", resolve);
      });
    // Both must have exited: tar can finish reading before git's own exit is reported.
    const [gitCode, tarCode] = await Promise.all([exited(git), exited(tar)]);
    if (gitCode !== 0 || tarCode !== 0) throw new Error(errors.trim() || `git exited ${gitCode}, tar exited ${tarCode}`);
  } catch (error) {
    throw new BuildError(`the baseline (git archive ${commit})`, error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
    await stop();
  }
  symlinkSync(join(repoRoot, "node_modules"), join(into, "node_modules"), "dir");
  for (const path of BENCH_FILES) cpSync(join(repoRoot, path), join(into, path), { recursive: true });
  return into;
}
