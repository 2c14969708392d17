/**
 * Deliveries the index decided, kept for a day so that a push GitHub delivers
 * late has them decided again.
 *
 * Triage judges an event by the index as its shard knows it. A push made
 * before the event but delivered after it (its webhook failed and was
 * redelivered, or lagged behind) means the event was judged by older code than
 * the default branch held when it happened: a comment the new code answers
 * would be lost, or would start only the workflows the old code had. Before
 * triage, ingest read HEAD from GitHub for every event, so this could not
 * happen; keeping what the index decided is what keeps it so (the index is
 * never wrong in the direction of dropping an event).
 *
 * Decided again, an ignored delivery is triaged anew; one whose runs started
 * (in the inbox, or by an ingest handed the indexed HEAD) goes to a second
 * ingest that asks GitHub for HEAD: run ids are the delivery's and workflow's,
 * so only the workflows the old code lacked start.
 *
 * The window is the WaitRegistry's buffer: an ignored event stays takeable for
 * a day by a wait filed later, and by a push that arrives late.
 */
import { PENDING_SETTLES_MS } from "../store";
import type { HeadEffect } from "./triage";
import { ingestInstanceId } from "./delivery";
import type { IngestParams, KeptAs } from "./types";

export const KEPT_FOR_MS = 86_400_000;

/** How the index decided a delivery it kept: as what, from a HEAD seen when (ms), and the workflows it judged then. */
export interface Keep {
  as: KeptAs;
  headAt: number;
  judged: string[];
}

export function createKeptSchema(sql: SqlStorage): void {
  // A day's cache: a table of another shape (an earlier build of this file) is dropped rather than migrated.
  const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('kept')").toArray().map((c) => c.name);
  if (columns.length > 0 && !columns.includes("head_at")) sql.exec("DROP TABLE kept");
  sql.exec(
    `CREATE TABLE IF NOT EXISTS kept (id TEXT PRIMARY KEY, repository TEXT NOT NULL, decided TEXT NOT NULL, judged TEXT NOT NULL, head_at INTEGER NOT NULL,
       params TEXT NOT NULL, bytes INTEGER NOT NULL, received_at INTEGER NOT NULL)`,
  );
  sql.exec(`CREATE INDEX IF NOT EXISTS kept_by_received ON kept (received_at)`);
}

/** Moves decided deliveries from pending to kept; call in the same synchronous block as the rest of the drain's writes. */
export function keepDecided(sql: SqlStorage, decided: readonly { id: string; repository: string; keep: Keep }[]): void {
  for (const { id, repository, keep } of decided) {
    sql.exec(
      `INSERT OR REPLACE INTO kept (id, repository, decided, judged, head_at, params, bytes, received_at)
       SELECT id, ?, ?, ?, ?, params, bytes, received_at FROM pending WHERE id = ?`,
      repository.toLowerCase(),
      keep.as,
      JSON.stringify(keep.judged),
      keep.headAt,
      id,
    );
  }
}

/** A push that marks the index pending, as the deliveries it may put in doubt see it: when it was made, and its delivery. */
export interface Doubt {
  /** The doubting delivery's id: a delivery decided again gets an ingest of its own per doubt. */
  by: string;
  push: string;
  /** When the push was made (GitHub's clock): a push stored apart, or a repository event, has its arrival (triage.ts). */
  madeAt: number;
  /** When it arrived: what came later was decided with it known. */
  until: number;
}

export function doubtOf(effect: HeadEffect, by: string, until: number): Doubt | null {
  if (!("pending" in effect)) return null;
  return { by, push: effect.pending.sha, madeAt: effect.pending.at, until };
}

/**
 * Puts back in pending, with their arrival time and how they were decided, the
 * kept deliveries of a repository the push puts in doubt: received from a
 * minute before it was made (the two clocks, and the second pushed_at rounds
 * to) until it arrived, and decided from a HEAD seen before it was made, or
 * within the minute after, when GitHub's ref may still have shown the commit
 * before it. A redelivered old push doubts nothing the index decided after it
 * had moved on. The next drain decides them again. Returns how many.
 */
export function reconsider(sql: SqlStorage, repository: string, doubt: Doubt): number {
  const doubted = "FROM kept WHERE repository = ? AND received_at >= ? AND received_at <= ? AND head_at < ?";
  const bounds = [repository.toLowerCase(), doubt.madeAt - 1_000 - PENDING_SETTLES_MS, doubt.until, doubt.madeAt + PENDING_SETTLES_MS];
  const count = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n ${doubted}`, ...bounds).one().n;
  if (count === 0) return 0;
  sql.exec(
    `INSERT OR IGNORE INTO pending (id, params, bytes, received_at)
     SELECT id, json_set(params, '$.reconsidered', json_object('by', ?, 'push', ?, 'decided', decided, 'judged', json(judged))), bytes, received_at ${doubted}`,
    doubt.by,
    doubt.push,
    ...bounds,
  );
  sql.exec(`DELETE ${doubted}`, ...bounds);
  return count;
}

/** A delivery decided again goes to an ingest of its own, one per doubting delivery, whatever ingest ran before. */
export function reconsideredInstanceId(deliveryId: string, by: string): Promise<string> {
  return ingestInstanceId(`${deliveryId}@${by}`);
}

/** The ingest instance that handles these params: a first decision's is the delivery's, a later one's its own. */
export function ingestInstanceOf(params: Pick<IngestParams, "delivery" | "reconsidered">): Promise<string> {
  return params.reconsidered ? reconsideredInstanceId(params.delivery.id, params.reconsidered.by) : ingestInstanceId(params.delivery.id);
}

export function forgetKept(sql: SqlStorage, now = Date.now()): void {
  sql.exec("DELETE FROM kept WHERE received_at < ?", now - KEPT_FOR_MS);
}
