/**
 * Compile time for 1, 10 and 50 workflow files: esbuild-wasm inside workerd
 * (bench/runs/workers/compile.ts under Miniflare) cold and warm, against native
 * esbuild in Node on the same input.
 *
 * Shaped by workerd's clock (frozen during CPU work): each compile is timed as
 * a round trip from Node, minus the median round trip of POST /parse with the
 * same body, which pays the harness, the transfer and JSON.parse but compiles
 * nothing. Cold is the first request into a fresh Miniflare (a fresh isolate),
 * so it includes esbuild-wasm's initialize().
 */
import { join } from "node:path";
import { compile, type EsbuildLike } from "../../src/compiler/index.ts";
import { PathSkippedError } from "../errors.ts";
import { timed } from "./http.ts";
import { ms, ratio, spread, table, type Spread } from "./stats.ts";
import { bundleBenchWorker, startBenchWorker, type BenchWorker } from "./worker.ts";
import { workflowTree } from "./workflows.ts";

export const FILE_COUNTS = [1, 10, 50] as const;
const COLD_SAMPLES = 3;
const WARM_SAMPLES = 10;
const PARSE_SAMPLES = 7;

export interface CompileRow {
  files: number;
  inputBytes: number;
  bundleBytes: number;
  /** Each cold sample, parse baseline subtracted. */
  wasmCold: number[];
  /** Miniflare start to ready, per cold sample. */
  isolateStart: number[];
  wasmWarm: Spread;
  parse: Spread;
  nativeFirst: number;
  nativeWarm: Spread;
}

const progress = (message: string) => console.error(`· ${message}`);

async function compileOnce(label: string, worker: BenchWorker, body: string): Promise<number> {
  const result = await timed<{ ok: boolean; bytes: number }>(label, new URL("/compile", worker.url), { method: "POST", body });
  if (!result.body.ok) throw new PathSkippedError(label, "the bench's own workflows did not compile");
  return result.ms;
}

async function parseBaseline(label: string, worker: BenchWorker, body: string): Promise<Spread> {
  const samples: number[] = [];
  for (let i = 0; i < PARSE_SAMPLES; i++) samples.push((await timed(label, new URL("/parse", worker.url), { method: "POST", body })).ms);
  return spread(samples);
}

export async function measureCompile(root: string, work: string): Promise<CompileRow[]> {
  const wranglerConfig = join(root, "wrangler.toml");
  const bundle = await bundleBenchWorker(join(root, "bench", "runs", "workers", "compile.ts"), join(work, "compile-worker"));
  const native = (await import("esbuild")) as EsbuildLike;
  const rows: CompileRow[] = [];
  let nativeFirst: number | undefined;
  for (const files of FILE_COUNTS) {
    const input = workflowTree(files, "measured");
    const nativeStarted = performance.now();
    const nativeResult = await compile(input, native);
    // The first native compile in this process also starts esbuild's service child.
    nativeFirst ??= performance.now() - nativeStarted;
    if (!nativeResult.ok) throw new PathSkippedError("native esbuild", `the bench's own ${files} workflows did not compile: ${JSON.stringify(nativeResult.diagnostics[0])}`);
    const nativeWarm: number[] = [];
    for (let i = 0; i < WARM_SAMPLES; i++) {
      const started = performance.now();
      await compile(workflowTree(files, `native ${i}`), native);
      nativeWarm.push(performance.now() - started);
    }

    const wasmCold: number[] = [];
    const isolateStart: number[] = [];
    for (let i = 0; i < COLD_SAMPLES; i++) {
      progress(`compile, ${files} file(s): cold sample ${i + 1}/${COLD_SAMPLES} in a fresh Miniflare`);
      const label = `compile Worker (cold, ${files} files)`;
      const worker = await startBenchWorker({ label, bundle, wranglerConfig });
      try {
        const body = JSON.stringify(workflowTree(files, `cold ${i}`));
        const first = await compileOnce(label, worker, body);
        const parse = await parseBaseline(label, worker, body);
        wasmCold.push(first - parse.p50);
        isolateStart.push(worker.startMs);
      } finally {
        await worker.stop();
      }
    }

    progress(`compile, ${files} file(s): ${WARM_SAMPLES} warm samples`);
    const label = `compile Worker (warm, ${files} files)`;
    const worker = await startBenchWorker({ label, bundle, wranglerConfig });
    try {
      await compileOnce(label, worker, JSON.stringify(workflowTree(files, "warm-up")));
      const warm: number[] = [];
      for (let i = 0; i < WARM_SAMPLES; i++) warm.push(await compileOnce(label, worker, JSON.stringify(workflowTree(files, `warm ${i}`))));
      const parse = await parseBaseline(label, worker, JSON.stringify(input));
      rows.push({
        files,
        inputBytes: input.reduce((sum, file) => sum + Buffer.byteLength(file.content), 0),
        bundleBytes: nativeResult.bundle.bytes,
        wasmCold,
        isolateStart,
        wasmWarm: spread(warm.map((value) => value - parse.p50)),
        parse,
        nativeFirst: files === FILE_COUNTS[0] ? nativeFirst : Number.NaN,
        nativeWarm: spread(nativeWarm),
      });
    } finally {
      await worker.stop();
    }
  }
  return rows;
}

export function renderCompile(rows: readonly CompileRow[], harness: string): string {
  const body = rows.map((row) => [
    String(row.files),
    `${(row.inputBytes / 1024).toFixed(1)} KiB → ${(row.bundleBytes / 1024).toFixed(1)} KiB`,
    row.wasmCold.map(ms).join(", "),
    ms(row.wasmWarm.p50),
    ms(row.wasmWarm.max),
    ms(row.nativeWarm.p50),
    ratio(row.wasmWarm.p50, row.nativeWarm.p50),
    ratio(spread(row.wasmCold).p50, row.nativeWarm.p50),
    ms(row.parse.p50),
  ]);
  const nativeFirst = rows.find((row) => !Number.isNaN(row.nativeFirst))?.nativeFirst ?? Number.NaN;
  const starts = spread(rows.flatMap((row) => row.isolateStart));
  return [
    `## Compile time: esbuild-wasm inside workerd (${harness}) vs native esbuild in Node 22`,
    "",
    `\`compile()\` from src/compiler on generated repositories (N workflow files of 49–79 lines plus one shared helper in \`.workflows/lib/\`, each importing \`repoflow\`). ` +
      `esbuild-wasm runs in bench/runs/workers/compile.ts through src/compiler/esbuild-wasm.ts, as the service runs it; times are Node-side round trips minus the median round trip of a POST that parses the same body and compiles nothing (the last column). ` +
      `Cold = the first request into a fresh Miniflare, so esbuild-wasm's initialize() is included (${COLD_SAMPLES} samples, each listed); warm = ${WARM_SAMPLES} compiles of new content after one warm-up. ` +
      `Native = \`compile(files, await import("esbuild"))\` in this Node process, ${WARM_SAMPLES} compiles of new content; its very first call, which also starts esbuild's service process, took ${ms(nativeFirst)} ms.`,
    "",
    table(
      ["files", "input → bundle", "wasm cold ms (each)", "wasm warm p50 ms", "wasm warm max ms", "native p50 ms (baseline)", "warm ÷ native", "cold p50 ÷ native", "parse-only round trip ms"],
      ["r", "r", "r", "r", "r", "r", "r", "r", "r"],
      body,
    ),
    "",
    `Not in the cold figures: starting the isolate itself (workerd compiling the Worker's modules, esbuild.wasm's 14 MB among them), which Miniflare reported ready after p50 ${ms(starts.p50)} ms, max ${ms(starts.max)} ms, over ${starts.n} starts.`,
  ].join("\n");
}
