/**
 * Bundles the Workers under test the way a deploy would, then lists the
 * modules for Miniflare. Anything importing src/ goes through
 * `wrangler deploy --dry-run` (no account needed), so the bench runs exactly
 * the code a deploy ships, with wrangler's module rules (a `.wasm` import
 * becomes its own module file next to the bundle). The bare baseline imports
 * nothing and is bundled with esbuild directly: wrangler refuses an entry that
 * does not export the Workflow classes wrangler.toml names.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { build } from "esbuild";
import { onCleanup } from "./cleanup.ts";
import { BuildError } from "./errors.ts";

export interface WorkerBundle {
  dir: string;
  /** The main module's file name inside `dir`. */
  main: string;
}

export type ModuleType = "ESModule" | "CommonJS" | "CompiledWasm" | "Text" | "Data";

export interface ModuleFile {
  type: ModuleType;
  path: string;
}

const require = createRequire(import.meta.url);

// wrangler's default module rules (Text: txt/html/sql, Data: bin, CompiledWasm: wasm);
// source maps and the README that --dry-run writes are not modules.
const MODULE_TYPES: Record<string, ModuleType> = {
  ".js": "ESModule",
  ".mjs": "ESModule",
  ".cjs": "CommonJS",
  ".wasm": "CompiledWasm",
  ".txt": "Text",
  ".html": "Text",
  ".sql": "Text",
  ".bin": "Data",
};

const BUILD_TIMEOUT_MS = 120_000;

/** The bundle's modules, main module first (workerd treats the first as the entry). */
export function listModules(bundle: WorkerBundle): ModuleFile[] {
  const others = readdirSync(bundle.dir)
    .filter((file) => file !== bundle.main)
    .sort()
    .flatMap((file) => {
      const type = MODULE_TYPES[file.slice(file.lastIndexOf("."))];
      return type ? [{ type, path: join(bundle.dir, file) }] : [];
    });
  return [{ type: "ESModule", path: join(bundle.dir, bundle.main) }, ...others];
}

/** `wrangler deploy <entry> --dry-run --outdir <dir>` with the repo's wrangler.toml. */
export async function bundleWithWrangler(repoRoot: string, entry: string, outdir: string): Promise<WorkerBundle> {
  const wranglerBin = join(require.resolve("wrangler/package.json"), "..", "bin", "wrangler.js");
  // process.execPath is the Node 22 running the bench; wrangler refuses Node 20.
  const child = spawn(process.execPath, [wranglerBin, "deploy", entry, "--dry-run", "--outdir", outdir], {
    cwd: repoRoot,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const kill = () => {
    child.kill("SIGKILL");
  };
  const stopChild = onCleanup(`wrangler build of ${entry}`, kill, kill);
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  await stopChild();
  const main = basename(entry).replace(/\.[cm]?[jt]s$/, ".js");
  // wrangler exits 0 on some validation errors, so the bundle's presence is the real check.
  const produced = safeList(outdir).includes(main);
  if (code !== 0 || !produced || /✘|\[ERROR\]/.test(output)) {
    throw new BuildError(entry, `wrangler exited with ${code ?? "a timeout"}:\n${output.trim().split("\n").slice(-25).join("\n")}`);
  }
  return { dir: outdir, main };
}

/** The bare baseline: one self-contained module, no bindings. */
export async function bundleWithEsbuild(entry: string, outdir: string): Promise<WorkerBundle> {
  try {
    await build({ entryPoints: [entry], outdir, bundle: true, format: "esm", platform: "neutral", target: "es2022", logLevel: "silent" });
  } catch (error) {
    throw new BuildError(entry, error instanceof Error ? error.message : String(error));
  }
  return { dir: outdir, main: basename(entry).replace(/\.ts$/, ".js") };
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
