/**
 * Dynamic Worker load time: `env.LOADER.get(id, cb)` plus one RPC
 * (`TenantControl.describe()`) inside bench/runs/workers/loader.ts, for the
 * real tenant (RUNTIME_MODULES + a compiled 10-workflow bundle) and for a
 * trivial one-module Worker, the baseline. Cold = a new id each time; warm =
 * the same id again, which LOADER.get serves from its per-process cache.
 *
 * Each sample reports the Worker's own Date.now() delta (whole milliseconds;
 * the RPC is I/O, so the clock moves across it) and the Node-side round trip,
 * from which the median round trip of a no-op request is subtracted.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { compile, type EsbuildLike } from "../../src/compiler/index.ts";
import { BuildError, PathSkippedError } from "../errors.ts";
import { timed } from "./http.ts";
import { ms, ratio, spread, table, type Spread } from "./stats.ts";
import { bundleBenchWorker, startBenchWorker } from "./worker.ts";
import { workflowTree } from "./workflows.ts";

const COLD_SAMPLES = 10;
const WARM_SAMPLES = 20;
const TENANT_FILES = 10;

interface LoadAnswer {
  ms: number;
  loaded: boolean;
  workflows: number;
  problems: unknown[];
}

export interface LoadRow {
  kind: "trivial" | "tenant";
  temperature: "cold" | "warm";
  inside: Spread;
  roundTrip: Spread;
}

export interface LoadResult {
  rows: LoadRow[];
  noop: Spread;
  tenantBytes: number;
}

/** src/runtime/generated/ is not committed: scripts/build-runtime.mjs writes it (a no-op when its inputs are unchanged). */
async function runtimeModules(root: string): Promise<Record<string, string>> {
  try {
    execFileSync(process.execPath, [join(root, "scripts", "build-runtime.mjs")], { cwd: root, stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 });
  } catch (error) {
    throw new BuildError("the tenant runtime (scripts/build-runtime.mjs)", error instanceof Error ? error.message : String(error));
  }
  const generated = (await import(pathToFileURL(join(root, "src", "runtime", "generated", "modules.ts")).href)) as { RUNTIME_MODULES: Record<string, string> };
  return generated.RUNTIME_MODULES;
}

export async function measureLoad(root: string, work: string): Promise<LoadResult> {
  const RUNTIME_MODULES = await runtimeModules(root);
  const compiled = await compile(workflowTree(TENANT_FILES, "load"), (await import("esbuild")) as EsbuildLike);
  if (!compiled.ok) throw new PathSkippedError("loader bench", `the bench's own workflows did not compile: ${JSON.stringify(compiled.diagnostics[0])}`);
  const tenantBytes = compiled.bundle.bytes + Object.values(RUNTIME_MODULES).reduce((sum, code) => sum + Buffer.byteLength(code), 0);
  const bundle = await bundleBenchWorker(join(root, "bench", "runs", "workers", "loader.ts"), join(work, "loader-worker"));
  const label = "loader Worker";
  const worker = await startBenchWorker({ label, bundle, wranglerConfig: join(root, "wrangler.toml"), workerLoaders: ["LOADER"] });
  try {
    await timed(label, new URL("/bundle", worker.url), { method: "POST", body: compiled.bundle.code });
    const noopSamples: number[] = [];
    for (let i = 0; i < WARM_SAMPLES; i++) noopSamples.push((await timed(label, new URL("/noop", worker.url))).ms);
    const noop = spread(noopSamples);

    const load = async (kind: LoadRow["kind"], id: string, expectLoaded: boolean) => {
      const url = new URL("/load", worker.url);
      url.searchParams.set("id", id);
      url.searchParams.set("kind", kind);
      const { ms: roundTrip, body } = await timed<LoadAnswer>(label, url);
      if (body.loaded !== expectLoaded) throw new PathSkippedError(label, `${kind} load of ${id} ${body.loaded ? "ran" : "skipped"} the loader callback, expected it ${expectLoaded ? "run (a new id)" : "skipped (a cached id)"}`);
      if (kind === "tenant" && (body.workflows !== TENANT_FILES || body.problems.length > 0)) {
        throw new PathSkippedError(label, `describe() found ${body.workflows} workflows and problems ${JSON.stringify(body.problems)}, expected ${TENANT_FILES} and none`);
      }
      return { inside: body.ms, roundTrip: roundTrip - noop.p50 };
    };

    const rows: LoadRow[] = [];
    for (const kind of ["trivial", "tenant"] as const) {
      console.error(`· Dynamic Worker load, ${kind}: ${COLD_SAMPLES} cold, ${WARM_SAMPLES} warm`);
      const cold = [];
      // A hash-like id per load, as the service's `installation/repo@bundleHash`.
      for (let i = 0; i < COLD_SAMPLES; i++) cold.push(await load(kind, `1/bench/${kind}@cold-${i}`, true));
      const warmId = `1/bench/${kind}@warm`;
      await load(kind, warmId, true);
      const warm = [];
      for (let i = 0; i < WARM_SAMPLES; i++) warm.push(await load(kind, warmId, false));
      for (const [temperature, samples] of [["cold", cold], ["warm", warm]] as const) {
        rows.push({ kind, temperature, inside: spread(samples.map((s) => s.inside)), roundTrip: spread(samples.map((s) => s.roundTrip)) });
      }
    }
    return { rows, noop, tenantBytes };
  } finally {
    await worker.stop();
  }
}

export function renderLoad(result: LoadResult, harness: string): string {
  const baseline = (temperature: LoadRow["temperature"]) => result.rows.find((row) => row.kind === "trivial" && row.temperature === temperature)!;
  const body = result.rows.map((row) => [
    row.kind === "trivial" ? "baseline: trivial one-module Worker" : `repoflow tenant (runtime + ${TENANT_FILES}-workflow bundle, ${(result.tenantBytes / 1024).toFixed(0)} KiB)`,
    row.temperature === "cold" ? "cold (new id)" : "warm (same id)",
    String(row.inside.n),
    ms(row.inside.p50),
    ms(row.inside.p90),
    ms(row.inside.max),
    // A cached load can answer faster than the no-op's median: that is noise, not a negative cost.
    row.roundTrip.p50 > 0 ? ms(row.roundTrip.p50) : "≈ 0",
    ratio(row.inside.p50, baseline(row.temperature).inside.p50),
  ]);
  return [
    `## Dynamic Worker load + describe() (${harness})`,
    "",
    "`env.LOADER.get(id, cb)` then `getEntrypoint(\"TenantControl\").describe()`, timed inside bench/runs/workers/loader.ts with Date.now() (whole milliseconds). " +
      `Round trip = Node-side, minus a no-op request's median (${ms(result.noop.p50)} ms). The tenant gets the modules src/dispatch/loader.ts gives it (host.js, repoflow.js, bundle.js), no gateway (describe() makes no request).`,
    "",
    table(["Worker", "load", "n", "p50 ms", "p90 ms", "max ms", "round trip p50 ms", "× trivial p50"], ["l", "l", "r", "r", "r", "r", "r", "r"], body),
  ].join("\n");
}
