/**
 * The rungs of the edge's cost ladder, shared by the variants Worker (which
 * serves them, bundled by wrangler) and the runner (which asks for them, run
 * by Node directly): a plain module with no imports, so both can load it.
 */
export const EDGE_VARIANTS = ["verify-only", "no-handoff", "ledger-only", "workflow-only"] as const;

export type EdgeVariant = (typeof EDGE_VARIANTS)[number];

/** The request header that selects a rung. */
export const VARIANT_HEADER = "x-bench-variant";

export const VARIANT_LABELS: Record<EdgeVariant, string> = {
  "verify-only": "verify only: HMAC + JSON.parse → 202",
  "no-handoff": "edge route, handoff stubbed (no D1, no Workflow)",
  "ledger-only": "edge route + D1 ledger row (Workflow create stubbed)",
  "workflow-only": "edge route + Workflow create (D1 ledger stubbed)",
};
