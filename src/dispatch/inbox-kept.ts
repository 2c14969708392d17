/**
 * Deliveries the inbox ignored, kept for a day so that a push GitHub delivers
 * late has them decided again.
 *
 * Triage judges an event by the index as its shard knows it. A push made
 * before the event but delivered after it (its webhook failed and was
 * redelivered, or lagged behind) means the event was judged by older code than
 * the default branch held when it happened: a comment the new code answers
 * would be lost. Before triage, ingest read HEAD from GitHub for every event,
 * so this could not happen; keeping what was ignored is what keeps it so
 * (the index is never wrong in the direction of dropping an event).
 *
 * The window is the WaitRegistry's buffer: an ignored event stays takeable for
 * a day by a wait filed later, and by a push that arrives late.
 */
import { PENDING_SETTLES_MS } from "../store";
import type { HeadEffect } from "./triage";
import type { Delivery } from "./types";

export const KEPT_FOR_MS = 86_400_000;

export function createKeptSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS kept (id TEXT PRIMARY KEY, repository TEXT NOT NULL, params TEXT NOT NULL, bytes INTEGER NOT NULL, received_at INTEGER NOT NULL)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS kept_by_received ON kept (received_at)`);
}

/** Moves ignored deliveries from pending to kept; call in the same synchronous block as the rest of the drain's writes. */
export function keepIgnored(sql: SqlStorage, ignored: readonly { id: string; repository: string }[]): void {
  for (const { id, repository } of ignored) {
    sql.exec("INSERT OR REPLACE INTO kept (id, repository, params, bytes, received_at) SELECT id, ?, params, bytes, received_at FROM pending WHERE id = ?", repository.toLowerCase(), id);
  }
}

/**
 * From when a push's arrival puts ignored deliveries in doubt: a minute before
 * GitHub says it was made (our clock against GitHub's, and the second pushed_at
 * rounds to). A push whose time is not known (its payload stored apart) or a
 * repository event (renamed, default branch changed) doubts all that is kept.
 */
export function doubtedSince(delivery: Pick<Delivery, "event">, payloadRead: boolean, effect: HeadEffect): number | null {
  if (!("pending" in effect)) return null;
  if (!payloadRead || delivery.event !== "push") return 0;
  return effect.pending.at - 1_000 - PENDING_SETTLES_MS;
}

/**
 * Puts the kept deliveries of a repository received between `since` and the
 * doubting push's own arrival back in pending, with their arrival time, so the
 * next drain decides them again (now against a pending index: ingest asks
 * GitHub). Returns how many.
 */
export function reconsider(sql: SqlStorage, repository: string, since: number, until: number): number {
  const doubted = "FROM kept WHERE repository = ? AND received_at >= ? AND received_at <= ?";
  const key = repository.toLowerCase();
  const count = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n ${doubted}`, key, since, until).one().n;
  if (count === 0) return 0;
  sql.exec(`INSERT OR IGNORE INTO pending (id, params, bytes, received_at) SELECT id, params, bytes, received_at ${doubted}`, key, since, until);
  sql.exec(`DELETE ${doubted}`, key, since, until);
  return count;
}

export function forgetKept(sql: SqlStorage, now = Date.now()): void {
  sql.exec("DELETE FROM kept WHERE received_at < ?", now - KEPT_FOR_MS);
}
