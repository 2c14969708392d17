/**
 * One design under measurement: its own GitHub emulator and its cost-counting
 * Worker (bench/workers/costs.ts bundled against that design's src/) in the
 * harness the other sections use (bench/harness.ts: Miniflare, wrangler.toml's
 * bindings converted by wrangler, a direct socket). The runner talks to it
 * through this: send a signed delivery, reset and read the counters, read
 * the ledger, see what the emulator received.
 *
 * Shaped by the bindings being counted by kind: which wrangler.toml binding
 * is a D1 database, an R2 bucket, a Durable Object namespace, a Workflow or
 * a Worker Loader is read here with wrangler's own converter and handed to
 * the Worker as a var, and anything the Worker cannot count (a class it does
 * not subclass, a kind of binding it does not wrap) is listed for the report.
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";
import { startEmulator } from "../../test/emulator/index.ts";
import type { Emulator, RecordedRequest } from "../../test/emulator/types.ts";
import { appKeyPair } from "../../test/emulator/testing.ts";
import { signBody } from "../../test/support/deliver.ts";
import type { WorkerBundle } from "../build.ts";
import { onCleanup } from "../cleanup.ts";
import { PathSkippedError, TargetAnswerError } from "../errors.ts";
import { startWorkerTarget, type WorkerTarget } from "../harness.ts";
import { BINDINGS_VAR, COSTS_ROUTES, COUNTED_CLASSES, type BindingKinds, type CountsAnswer, type DeliveryAnswer } from "./api.ts";

const require = createRequire(import.meta.url);

const SECRET = "repoflow-bench-costs-secret";
const APP_ID = "4242";
const REQUEST_TIMEOUT_MS = 30_000;

/** Binding kinds of wrangler's converted options that the Worker does not wrap; any present is named in the report. */
const UNCOUNTED_OPTIONS = ["kvNamespaces", "queueProducers", "serviceBindings", "hyperdrives", "analyticsEngineDatasets", "ai", "browserRendering", "vectorize", "pipelines"] as const;

interface ConvertedOptions {
  workerOptions: Record<string, unknown> & {
    d1Databases?: Record<string, unknown>;
    r2Buckets?: Record<string, unknown>;
    durableObjects?: Record<string, { className: string }>;
    workflows?: Record<string, { className: string }>;
    workerLoaders?: Record<string, unknown>;
  };
}

interface WranglerModule {
  unstable_getMiniflareWorkerOptions(configPath: string): ConvertedOptions;
}

export interface Coverage {
  kinds: BindingKinds;
  /** wrangler.toml class_names the Worker re-exports without counting. */
  uncountedClasses: string[];
  /** wrangler.toml bindings of kinds the Worker passes through unwrapped. */
  uncountedBindings: string[];
}

export function coverageOf(wranglerConfig: string): Coverage {
  const { workerOptions } = (require("wrangler") as WranglerModule).unstable_getMiniflareWorkerOptions(wranglerConfig);
  const names = (record: Record<string, unknown> | undefined) => Object.keys(record ?? {});
  const kinds: BindingKinds = {
    d1: names(workerOptions.d1Databases),
    r2: names(workerOptions.r2Buckets),
    durableObjects: names(workerOptions.durableObjects),
    workflows: names(workerOptions.workflows),
    loaders: names(workerOptions.workerLoaders),
  };
  const classes = [...Object.values(workerOptions.durableObjects ?? {}), ...Object.values(workerOptions.workflows ?? {})].map((binding) => binding.className);
  const counted = new Set<string>(COUNTED_CLASSES);
  const uncountedBindings = UNCOUNTED_OPTIONS.flatMap((option) => {
    const value = workerOptions[option];
    const present = Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null && Object.keys(value).length > 0;
    return present ? [option] : [];
  });
  return { kinds, uncountedClasses: [...new Set(classes.filter((name) => !counted.has(name)))], uncountedBindings };
}

export interface Seen {
  at: number;
  /** A request from tenant code (through the gateway), told apart by the SDK's user agent. */
  tenant: boolean;
}

export interface CostTarget {
  label: string;
  emulator: Emulator;
  /** Every request the emulator received, in order. */
  seen: Seen[];
  coverage: Coverage;
  /** Sends a signed delivery; answers its X-GitHub-Delivery once the edge has accepted it. */
  send(event: string, payload: unknown): Promise<string>;
  reset(): Promise<void>;
  counts(): Promise<CountsAnswer>;
  delivery(id: string): Promise<DeliveryAnswer>;
  stop(): Promise<void>;
}

export interface CostTargetOptions {
  label: string;
  bundle: WorkerBundle;
  wranglerConfig: string;
  stateDir: string;
}

export async function startCostTarget(options: CostTargetOptions): Promise<CostTarget> {
  const seen: Seen[] = [];
  const keys = appKeyPair();
  const emulator = await startEmulator({
    appId: APP_ID,
    appPublicKey: keys.publicKey,
    onRequest: (request: RecordedRequest) => {
      seen.push({ at: performance.now(), tenant: (request.headers["user-agent"] ?? "").includes("repoflow-workflow") });
    },
  });
  const closeEmulator = onCleanup(`GitHub emulator (${options.label})`, () => emulator.close());
  const coverage = coverageOf(options.wranglerConfig);
  let worker: WorkerTarget;
  try {
    worker = await startWorkerTarget({
      label: options.label,
      bundle: options.bundle,
      wranglerConfig: options.wranglerConfig,
      withBindings: true,
      vars: {
        REPOFLOW_ENV: "local",
        WEBHOOK_SECRET: SECRET,
        APP_ID,
        PRIVATE_KEY: keys.privateKey,
        GITHUB_API_URL: emulator.url,
        [BINDINGS_VAR]: JSON.stringify(coverage.kinds),
      },
      stateDir: options.stateDir,
    });
  } catch (error) {
    await closeEmulator();
    throw error;
  }
  const route = (path: string) => new URL(path, worker.url);

  const json = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(route(path), { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await response.text();
    if (!response.ok) throw new TargetAnswerError(options.label, `answered ${path} with ${response.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  };

  return {
    label: options.label,
    emulator,
    seen,
    coverage,
    async send(event, payload) {
      const id = randomUUID();
      const body = JSON.stringify(payload);
      const response = await fetch(route("/webhooks/github"), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "GitHub-Hookshot/repoflow-bench",
          "x-github-event": event,
          "x-github-delivery": id,
          "x-hub-signature-256": signBody(body, SECRET),
        },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await response.text();
      if (response.status !== 202) throw new TargetAnswerError(options.label, `answered the ${event} webhook with ${response.status}: ${text.slice(0, 300)}`);
      const status = (JSON.parse(text) as { status?: unknown }).status;
      if (status !== "accepted") throw new PathSkippedError(options.label, `the ${event} webhook was answered "${String(status)}", not "accepted"`);
      return id;
    },
    reset: async () => {
      await json(COSTS_ROUTES.reset, { method: "POST" });
    },
    counts: () => json<CountsAnswer>(COSTS_ROUTES.counts),
    delivery: (id) => json<DeliveryAnswer>(`${COSTS_ROUTES.delivery}?id=${encodeURIComponent(id)}`),
    async stop() {
      await worker.stop();
      await closeEmulator();
    },
  };
}

export function stateDirOf(work: string, label: string): string {
  return join(work, `state-${label.replace(/[^a-z0-9]+/gi, "-")}`);
}
