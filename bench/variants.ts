/**
 * What the variants Worker serves and the runner asks for: the rungs of the
 * edge's cost ladder and the handoff profile. Shared by the Worker (bundled
 * by wrangler) and the runner (run by Node directly), so it is a plain
 * module with no imports that both can load.
 */
export const EDGE_VARIANTS = ["verify-only", "inbox-stubbed", "inbox-rpc-only", "inbox-held"] as const;

export type EdgeVariant = (typeof EDGE_VARIANTS)[number];

/** The request header that selects a rung. */
export const VARIANT_HEADER = "x-bench-variant";

export const VARIANT_LABELS: Record<EdgeVariant, string> = {
  "verify-only": "verify only: HMAC + JSON.parse → 202",
  "inbox-stubbed": "edge route, inbox stubbed (in memory)",
  "inbox-rpc-only": "edge route + INBOX RPC that stores nothing",
  "inbox-held": "ack only: edge route + INBOX accept, draining held",
};

/**
 * The variants Worker binds `INBOX` to this subclass of DeliveryInbox: the
 * same accept() and SQLite write, an alarm that does nothing. Deliveries stay
 * pending, so no Workflow create or ingest run shares workerd's thread with
 * the acknowledgement being measured.
 */
export const HOLDING_INBOX_CLASS = "BenchHoldingInbox";

/** POST the payload here to time the handoff's single operations inside the Worker. */
export const PROFILE_PATH = "/bench/profile";

/** How many timings each operation gets one at a time, and again in concurrent waves. */
export const PROFILE_ROUNDS = 20;

/** Operations in flight per wave, as many as autocannon's connections. */
export const PROFILE_BATCH = 10;

export type HandoffProfile = { operation: string; sequential: number[]; concurrent: number[] }[];
