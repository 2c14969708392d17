/**
 * Runs a bundled Worker in Miniflare, reached through a direct socket.
 *
 * Shaped by a fact measured on this machine: the harness costs more than the
 * code behind it. The same 202-only Worker does ≈550 req/s behind
 * `wrangler dev`'s proxy, ≈3.4k through Miniflare's entry worker and ≈12k on
 * raw `workerd serve`. Miniflare's `unsafeDirectSockets` gives workerd a
 * socket straight into the user Worker, so we keep Miniflare's local D1, R2,
 * Workflows and Worker Loader and skip both layers in front of them.
 *
 * Miniflare comes from wrangler's own dependency (the top-level copy belongs
 * to @cloudflare/vitest-plugin and is older), and the bindings come from
 * wrangler.toml through wrangler's own converter, so a binding added there
 * reaches the bench without touching it.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { listModules, type WorkerBundle } from "./build.ts";
import { onCleanup } from "./cleanup.ts";
import { TargetStartError } from "./errors.ts";

const require = createRequire(import.meta.url);
const fromWrangler = createRequire(require.resolve("wrangler/package.json"));

// Both packages are untyped here (no @types for Node-side bench files); these
// shapes name only what the bench calls.
interface MiniflareLike {
  ready: Promise<URL>;
  unsafeGetDirectURL(workerName?: string): Promise<URL>;
  getD1Database(binding: string, workerName?: string): Promise<D1Like>;
  getDurableObjectNamespace(binding: string, workerName?: string): Promise<InboxNamespaceLike>;
  listDurableObjectIds(binding: string, workerName?: string): Promise<string[]>;
  dispose(): Promise<void>;
}
export interface D1Like {
  prepare(sql: string): { first<T>(): Promise<T | null> };
}
/** The inbox's RPC as Miniflare's proxy hands it to Node: only rearm(), which answers how many deliveries are pending. */
interface InboxNamespaceLike {
  idFromString(id: string): unknown;
  get(id: unknown): { rearm(): Promise<number> };
}
interface MiniflareModule {
  Miniflare: new (options: unknown) => MiniflareLike;
  Log: new (level: number) => unknown;
  LogLevel: { WARN: number };
  convertV4MiniflareOptions(options: Record<string, unknown>): unknown;
}
interface WranglerModule {
  unstable_getMiniflareWorkerOptions(configPath: string): {
    workerOptions: Record<string, unknown> & { bindings?: Record<string, unknown>; compatibilityDate?: string; compatibilityFlags?: string[] };
    externalWorkers?: Record<string, unknown>[];
  };
}

const miniflare = fromWrangler("miniflare") as MiniflareModule;

const READY_TIMEOUT_MS = 30_000;

/** "Miniflare 5.x (workerd 1.x)": the name the tables print. */
export function harnessName(): string {
  const miniflarePackage = fromWrangler.resolve("miniflare/package.json");
  const version = (path: string) => (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  const workerdPackage = createRequire(miniflarePackage).resolve("workerd/package.json");
  return `Miniflare ${version(miniflarePackage)} (workerd ${version(workerdPackage)}) through a direct socket: no entry worker, no dev proxy`;
}

export interface WorkerTarget {
  url: URL;
  /** The D1 binding as seen from Node, for checking what the run left behind. */
  database(binding: string): Promise<D1Like>;
  /**
   * Deliveries still pending across every instance of an inbox namespace,
   * through the inbox's own rearm() (what recovery calls after a restart: it
   * re-arms a shard's alarm if deliveries wait there, which a drain would do anyway).
   */
  pendingInInbox(binding: string): Promise<number>;
  stop(): Promise<void>;
}

export interface WorkerTargetOptions {
  label: string;
  bundle: WorkerBundle;
  /** The wrangler.toml whose compatibility settings, and bindings if asked, the Worker gets. */
  wranglerConfig: string;
  /** false for the bare baseline, which must pay for nothing but the harness. */
  withBindings: boolean;
  vars: Record<string, string>;
  /** Where D1, R2 and Workflows keep their state. */
  stateDir: string;
  /** Durable Object bindings of wrangler.toml bound to another exported class (a bench-only subclass), by binding name. */
  durableObjectClasses?: Record<string, string>;
}

type DurableObjectOptions = Record<string, { className: string } & Record<string, unknown>>;

/** wrangler.toml's Durable Object bindings with the classes swapped, keeping the rest (SQLite storage) as converted. */
function swapClasses(converted: unknown, classes: Record<string, string>): DurableObjectOptions {
  const bindings = { ...(converted as DurableObjectOptions | undefined) };
  for (const [binding, className] of Object.entries(classes)) {
    const existing = bindings[binding];
    if (!existing) throw new TargetStartError(`binding ${binding}`, `wrangler.toml has no Durable Object binding named ${binding} to bind to ${className}`);
    bindings[binding] = { ...existing, className };
  }
  return bindings;
}

export async function startWorkerTarget(options: WorkerTargetOptions): Promise<WorkerTarget> {
  const name = "bench-target";
  const wrangler = require("wrangler") as WranglerModule;
  const converted = wrangler.unstable_getMiniflareWorkerOptions(options.wranglerConfig);
  // The v5 converter rejects module rules; listModules has applied wrangler's defaults already.
  const { modulesRules: _rules, rootPath: _root, ...fromConfig } = converted.workerOptions;
  const worker = options.withBindings
    ? { ...fromConfig, bindings: { ...fromConfig.bindings, ...options.vars }, durableObjects: swapClasses(fromConfig.durableObjects, options.durableObjectClasses ?? {}) }
    : { compatibilityDate: fromConfig.compatibilityDate, compatibilityFlags: fromConfig.compatibilityFlags, bindings: options.vars };
  const externalWorkers = options.withBindings ? (converted.externalWorkers ?? []) : [];
  mkdirSync(options.stateDir, { recursive: true });
  const mf = new miniflare.Miniflare(
    miniflare.convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      // The cf object is otherwise fetched from the internet at start.
      cf: false,
      log: new miniflare.Log(miniflare.LogLevel.WARN),
      resourcePersistencePath: options.stateDir,
      workers: [
        {
          ...worker,
          name,
          modules: listModules(options.bundle),
          modulesRoot: options.bundle.dir,
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
        ...externalWorkers,
      ],
    }),
  );
  // No atExit: Miniflare's own exit hook kills workerd when the process exits.
  const stop = onCleanup(`Miniflare (${options.label})`, () => mf.dispose());
  try {
    await withTimeout(mf.ready, READY_TIMEOUT_MS, `not ready within ${READY_TIMEOUT_MS / 1000} s`);
    const url = await mf.unsafeGetDirectURL(name);
    const pendingInInbox = async (binding: string) => {
      const namespace = await mf.getDurableObjectNamespace(binding, name);
      const ids = await mf.listDurableObjectIds(binding, name);
      const counts = await Promise.all(ids.map((id) => namespace.get(namespace.idFromString(id)).rearm()));
      return counts.reduce((sum, count) => sum + count, 0);
    };
    return { url, database: (binding) => mf.getD1Database(binding, name), pendingInInbox, stop };
  } catch (error) {
    await stop();
    throw new TargetStartError(options.label, error instanceof Error ? error.message : String(error));
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function repoRoot(): string {
  return dirname(dirname(fileURLToPath(import.meta.url)));
}
