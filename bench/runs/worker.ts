/**
 * Starts a run-engine bench Worker (bench/runs/workers/*) in Miniflare, reached
 * through a direct socket like the webhook bench's targets (bench/harness.ts),
 * with only the bindings it names: a Worker Loader for the load bench, none for
 * the compile bench. harness.ts binds either everything in wrangler.toml or
 * nothing, and wrangler.toml's Durable Object and Workflow classes are not
 * exported by these Workers, so this is its smaller sibling.
 *
 * Bundled with native esbuild; `esbuild-wasm/esbuild.wasm` is copied beside the
 * bundle as its own module, which listModules types CompiledWasm, as wrangler's
 * default module rule does for the service.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { build, type Plugin } from "esbuild";
import { listModules, type WorkerBundle } from "../build.ts";
import { onCleanup } from "../cleanup.ts";
import { BuildError, TargetStartError } from "../errors.ts";
import { withTimeout } from "../harness.ts";

const require = createRequire(import.meta.url);
const fromWrangler = createRequire(require.resolve("wrangler/package.json"));

interface MiniflareLike {
  ready: Promise<URL>;
  unsafeGetDirectURL(workerName?: string): Promise<URL>;
  dispose(): Promise<void>;
}
interface MiniflareModule {
  Miniflare: new (options: unknown) => MiniflareLike;
  Log: new (level: number) => unknown;
  LogLevel: { WARN: number };
  convertV4MiniflareOptions(options: Record<string, unknown>): unknown;
}
interface WranglerModule {
  unstable_getMiniflareWorkerOptions(configPath: string): { workerOptions: { compatibilityDate?: string; compatibilityFlags?: string[] } };
}

const miniflare = fromWrangler("miniflare") as MiniflareModule;
const READY_TIMEOUT_MS = 30_000;
const WASM_MODULE = "esbuild.wasm";

/** `import wasm from "esbuild-wasm/esbuild.wasm"` becomes `./esbuild.wasm`, a module beside the bundle. */
function wasmBeside(outdir: string): Plugin {
  return {
    name: "wasm-beside",
    setup(b) {
      b.onResolve({ filter: /^esbuild-wasm\/esbuild\.wasm$/ }, (args) => {
        copyFileSync(require.resolve(args.path), join(outdir, WASM_MODULE));
        return { path: `./${WASM_MODULE}`, external: true };
      });
    },
  };
}

export async function bundleBenchWorker(entry: string, outdir: string): Promise<WorkerBundle> {
  mkdirSync(outdir, { recursive: true });
  try {
    await build({
      entryPoints: [entry],
      outdir,
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      // esbuild-wasm's browser build: the one the service's wrangler bundle picks for workerd.
      mainFields: ["browser", "module", "main"],
      conditions: ["workerd", "worker", "browser", "import"],
      external: ["cloudflare:*", "node:*"],
      plugins: [wasmBeside(outdir)],
      logLevel: "silent",
    });
  } catch (error) {
    throw new BuildError(entry, error instanceof Error ? error.message : String(error));
  }
  return { dir: outdir, main: basename(entry).replace(/\.ts$/, ".js") };
}

export interface BenchWorker {
  url: URL;
  /** From `new Miniflare()` to ready: workerd's start, including compiling the Worker's modules (esbuild.wasm's 14 MB among them). */
  startMs: number;
  stop(): Promise<void>;
}

export async function startBenchWorker(options: { label: string; bundle: WorkerBundle; wranglerConfig: string; workerLoaders?: string[] }): Promise<BenchWorker> {
  const name = "bench-runs";
  const wrangler = require("wrangler") as WranglerModule;
  const { compatibilityDate, compatibilityFlags } = wrangler.unstable_getMiniflareWorkerOptions(options.wranglerConfig).workerOptions;
  const started = performance.now();
  const mf = new miniflare.Miniflare(
    miniflare.convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      // The cf object is otherwise fetched from the internet at start.
      cf: false,
      log: new miniflare.Log(miniflare.LogLevel.WARN),
      workers: [
        {
          name,
          compatibilityDate,
          compatibilityFlags,
          modules: listModules(options.bundle),
          modulesRoot: options.bundle.dir,
          workerLoaders: Object.fromEntries((options.workerLoaders ?? []).map((binding) => [binding, {}])),
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
      ],
    }),
  );
  const stop = onCleanup(`Miniflare (${options.label})`, () => mf.dispose());
  try {
    await withTimeout(mf.ready, READY_TIMEOUT_MS, `not ready within ${READY_TIMEOUT_MS / 1000} s`);
    const startMs = performance.now() - started;
    return { url: await mf.unsafeGetDirectURL(name), startMs, stop };
  } catch (error) {
    await stop();
    throw new TargetStartError(options.label, error instanceof Error ? error.message : String(error));
  }
}
