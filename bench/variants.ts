/**
 * What the variants Worker serves and the runner asks for: the rungs of the
 * edge's cost ladder and the handoff profile. Shared by the Worker (bundled
 * by wrangler) and the runner (run by Node directly), so it is a plain
 * module with no imports that both can load.
 */
export const EDGE_VARIANTS = ["verify-only", "no-handoff", "ledger-only", "empty-workflow-only", "workflow-only"] as const;

export type EdgeVariant = (typeof EDGE_VARIANTS)[number];

/** The request header that selects a rung. */
export const VARIANT_HEADER = "x-bench-variant";

export const VARIANT_LABELS: Record<EdgeVariant, string> = {
  "verify-only": "verify only: HMAC + JSON.parse → 202",
  "no-handoff": "edge route, handoff stubbed (no D1, no Workflow)",
  "ledger-only": "edge route + D1 ledger row (Workflow create stubbed)",
  "empty-workflow-only": "edge route + create of an empty Workflow (D1 ledger stubbed)",
  "workflow-only": "edge route + Workflow create (D1 ledger stubbed)",
};

/**
 * A Workflow whose run does nothing, bound only in the variants Worker: its
 * create costs what the engine charges, without ingest runs competing for the
 * same workerd thread as they do in this harness (and not in production).
 */
export const EMPTY_WORKFLOW = { binding: "BENCH_EMPTY_WORKFLOW", name: "bench-empty", className: "BenchEmptyWorkflow" } as const;

/** POST the payload here to time the handoff's single operations inside the Worker. */
export const PROFILE_PATH = "/bench/profile";

/** How many timings each operation gets one at a time, and again in concurrent waves. */
export const PROFILE_ROUNDS = 20;

/** Operations in flight per wave, as many as autocannon's connections. */
export const PROFILE_BATCH = 10;

export type HandoffProfile = { operation: string; sequential: number[]; concurrent: number[] }[];
