/**
 * What the burst bench Worker (bench/workers/burst.ts) serves and the runner
 * (bench/burst.ts) asks for. Shared by the Worker (bundled by wrangler) and
 * the runner (run by Node directly), so it is a plain module with no imports
 * that both can load.
 */

export const BURST_ROUTES = {
  /** The delivery ledger and the runs table, counted by status (GET, `?exclude=<delivery id>` leaves that one out of the span). */
  ledger: "/bench/burst/ledger",
  /** How many of the ledger's ingest instance ids have a Workflow instance, by status (POST, after the drain). */
  instances: "/bench/burst/instances",
} as const;

/**
 * Read over fetch rather than Miniflare's Node-side D1 proxy: that proxy
 * blocks the runner's event loop while workerd is busy, and the runner's
 * probes must keep their fixed interval while the backlog drains.
 */
export interface LedgerAnswer {
  /** Ledger rows by `deliveries.status` ("accepted", "processed", "failed"). */
  deliveries: Record<string, number>;
  /** Processed rows whose outcome says why they did nothing (`outcome.ignored`). */
  ignored: number;
  /** Rows other than `exclude`: the first `received_at` and the last `processed_at`, epoch ms, null when none. */
  firstReceivedAt: number | null;
  lastProcessedAt: number | null;
  /** Rows counted for the span, i.e. with a final status, `exclude` left out. */
  finalInSpan: number;
  /** Runs by `runs.status`. */
  runs: Record<string, number>;
  /**
   * Rows other than `exclude` sharing one `processed_at` (epoch ms), two or
   * more, oldest first, at most 50: a workerd clock stands still between I/O, so rows with
   * one timestamp were written in one go (the inbox's batch of ignored
   * deliveries); one-by-one writes (one ingest run each) show as many instants.
   */
  writes: { at: number; n: number }[];
  /** How many distinct `processed_at` instants those rows have. */
  instants: number;
}

export interface InstancesAnswer {
  /** Distinct non-empty `deliveries.instance_id` values the ledger holds. */
  ids: number;
  /** Of those, how many the INGEST binding knows, by instance status ("complete", "running", …). */
  found: Record<string, number>;
  /** How many it answered "not found" for. */
  missing: number;
}
