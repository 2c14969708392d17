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
import type { KeptAs } from "./types";

export const KEPT_FOR_MS = 86_400_000;

export function createKeptSchema(sql: SqlStorage): void {
  sql.exec(
    `CREATE TABLE IF NOT EXISTS kept (id TEXT PRIMARY KEY, repository TEXT NOT NULL, decided TEXT NOT NULL, params TEXT NOT NULL, bytes INTEGER NOT NULL, received_at INTEGER NOT NULL)`,
  );
  sql.exec(`CREATE INDEX IF NOT EXISTS kept_by_received ON kept (received_at)`);
}

/** Moves decided deliveries from pending to kept; call in the same synchronous block as the rest of the drain's writes. */
export function keepDecided(sql: SqlStorage, decided: readonly { id: string; repository: string; as: KeptAs }[]): void {
  for (const { id, repository, as } of decided) {
    sql.exec(
      "INSERT OR REPLACE INTO kept (id, repository, decided, params, bytes, received_at) SELECT id, ?, ?, params, bytes, received_at FROM pending WHERE id = ?",
      repository.toLowerCase(),
      as,
      id,
    );
  }
}

/**
 * From when a push's arrival puts decided deliveries in doubt: a minute before
 * GitHub says it was made (our clock against GitHub's, and the second pushed_at
 * rounds to). A push whose payload is stored apart and a repository event
 * (renamed, default branch changed) have their arrival for a time (triage.ts).
 */
export function doubtedSince(effect: HeadEffect): number | null {
  if (!("pending" in effect)) return null;
  return effect.pending.at - 1_000 - PENDING_SETTLES_MS;
}

/**
 * Puts the kept deliveries of a repository received between `since` and the
 * doubting push's own arrival back in pending, with their arrival time and how
 * they were decided, so the next drain decides them again. Returns how many.
 */
export function reconsider(sql: SqlStorage, repository: string, push: string, since: number, until: number): number {
  const doubted = "FROM kept WHERE repository = ? AND received_at >= ? AND received_at <= ?";
  const key = repository.toLowerCase();
  const count = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n ${doubted}`, key, since, until).one().n;
  if (count === 0) return 0;
  sql.exec(
    `INSERT OR IGNORE INTO pending (id, params, bytes, received_at)
     SELECT id, json_set(params, '$.reconsidered', json_object('push', ?, 'decided', decided)), bytes, received_at ${doubted}`,
    push,
    key,
    since,
    until,
  );
  sql.exec(`DELETE ${doubted}`, key, since, until);
  return count;
}

/** A delivery decided again goes to an ingest of its own: one per late push, whatever ingest ran before. */
export function reconsideredInstanceId(deliveryId: string, push: string): Promise<string> {
  return ingestInstanceId(`${deliveryId}@${push || "unread"}`);
}

export function forgetKept(sql: SqlStorage, now = Date.now()): void {
  sql.exec("DELETE FROM kept WHERE received_at < ?", now - KEPT_FOR_MS);
}
