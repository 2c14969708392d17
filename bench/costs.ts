/**
 * `node bench/costs.ts`: what one webhook delivery costs in billed Cloudflare
 * units (Workflow instances and steps, D1 rows, R2 operations, Durable Object
 * requests and rows, subrequests), for a non-matching event, a matching one
 * (one run) and a push that changes .workflows/, and what a month of
 * deliveries would cost at list prices; the working tree against the
 * baseline commit (bench/costs/baseline.ts), both measured in the same run.
 *
 * Each design runs as bench/workers/costs.ts bundled against its own src/:
 * the real service, every binding counted, under the harness of the other
 * sections, with its own GitHub emulator.
 *
 * A report, not a test: it exits 0 whatever the figures. It exits 1 when a
 * target did not start, answered non-2xx, or a delivery was never processed
 * (or its run never finished) within the bounds in bench/costs/measure.ts.
 *
 * Runs on Node 22 directly (types stripped), hence erasable TypeScript only
 * and `.ts` import specifiers.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWithWrangler, type WorkerBundle } from "./build.ts";
import { exitCleanlyOnSignals, onCleanup, runBench } from "./cleanup.ts";
import { BuildError } from "./errors.ts";
import { harnessName, repoRoot } from "./harness.ts";
import { BASELINE_COMMIT, extractBaseline } from "./costs/baseline.ts";
import { seedRepository } from "./costs/kinds.ts";
import { countingChecks, measureDesign, type Plan } from "./costs/measure.ts";
import { renderCosts, type DesignReport } from "./costs/render.ts";
import { startCostTarget, stateDirOf } from "./costs/target.ts";

const WORKER = "bench/workers/costs.ts";
/** Two non-matching warm-ups: the first delivery of a repository fills the current design's trigger index, the second is already decided by it. */
const PLAN: Plan = { warmups: { nonMatching: 2, matching: 1, push: 1 }, samples: 5 };
/** The working tree may be mid-edit when the bench starts; a broken build is tried again this many times. */
const BUILD_ATTEMPTS = 3;
const BUILD_RETRY_MS = 20_000;

const progress = (message: string) => console.error(`· ${message}`);

async function bundleCurrent(root: string, outdir: string): Promise<WorkerBundle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await bundleWithWrangler(root, WORKER, outdir);
    } catch (error) {
      if (!(error instanceof BuildError) || attempt === BUILD_ATTEMPTS) throw error;
      progress(`the working tree did not build (attempt ${attempt} of ${BUILD_ATTEMPTS}); trying again in ${BUILD_RETRY_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, BUILD_RETRY_MS));
    }
  }
}

/** Read-only: names HEAD and how many files under src/ differ from it. */
function describeWorkingTree(root: string): string {
  const git = (...args: string[]) => execFileSync("git", ["-C", root, ...args], { encoding: "utf8" }).trim();
  const head = git("rev-parse", "--short", "HEAD");
  const changed = git("status", "--porcelain", "--", "src").split("\n").filter(Boolean).length;
  return `the working tree (HEAD ${head}${changed > 0 ? ` with ${changed} changed or new files under src/` : ", src/ unchanged"})`;
}

async function measure(label: string, origin: string, bundle: WorkerBundle, treeRoot: string, work: string): Promise<DesignReport> {
  const target = await startCostTarget({ label, bundle, wranglerConfig: join(treeRoot, "wrangler.toml"), stateDir: stateDirOf(work, label) });
  try {
    seedRepository(target.emulator);
    const measured = await measureDesign(target, PLAN, progress);
    return { label, origin, samples: measured.samples, checks: countingChecks(measured), coverage: target.coverage, violations: [...target.emulator.violations] };
  } finally {
    await target.stop();
  }
}

async function main(): Promise<void> {
  exitCleanlyOnSignals();
  const loadAtStart = loadavg()[0]!;
  const root = repoRoot();
  const work = mkdtempSync(join(tmpdir(), "repoflow-bench-costs-"));
  const removeWork = () => rmSync(work, { recursive: true, force: true, maxRetries: 3 });
  onCleanup("temp dir", removeWork, removeWork);

  progress(`extracting the baseline (${BASELINE_COMMIT}) with git archive into a temp tree`);
  const baselineRoot = await extractBaseline(root, join(work, "baseline"));
  progress(`bundling ${WORKER} against the baseline's src/ and the working tree's src/ with wrangler`);
  const baselineBundle = await bundleWithWrangler(baselineRoot, WORKER, join(work, "build-baseline"));
  const currentBundle = await bundleCurrent(root, join(work, "build-current"));
  const currentOrigin = describeWorkingTree(root);

  const baseline = await measure("baseline", `${BASELINE_COMMIT}, main's HEAD before the inbox decided whether a delivery can matter, rebuilt from \`git archive\``, baselineBundle, baselineRoot, work);
  const current = await measure("current", currentOrigin, currentBundle, root, work);

  const machine = `${availableParallelism()} cores; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end (counts do not depend on load; only the bounded waits do).`;
  console.log(renderCosts(baseline, current, { harness: harnessName(), machine, samples: PLAN.samples }));
}

await runBench(main);
