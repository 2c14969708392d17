/**
 * The webhook's durable inbox: sharded SQLite Durable Objects.
 *
 * Creating the ingest Workflow instance inside the request made the
 * acknowledgement cost a Workflow create (≈21 ms alone, ≈71 ms with ten in
 * flight locally; Cloudflare caps creates at 100/s per Workflow), so bursts
 * queued behind it (bench/README.md). The edge now makes one durable write:
 * the delivery into its shard's inbox, which also answers "seen before?" in
 * the same transaction. The inbox's alarm then creates ingest instances with
 * createBatch (ids still derived from X-GitHub-Delivery) and writes the
 * ledger rows recovery walks. A delivery is durable once accept() returns, so
 * a process death after the 202 loses nothing (invariant 2): the row stays
 * pending until an alarm or recovery's poke drains it.
 */
import { recordDeliveries } from "../store";
import { ingestInstanceId } from "./delivery";
import type { AcceptOutcome, IngestParams } from "./types";

export const INBOX_SHARDS = 16;

/** Deliveries GitHub may redeliver are remembered this long; Workflow instance ids dedupe beyond it. */
const SEEN_RETENTION_MS = 30 * 86_400_000;

/** createBatch takes at most 100 instances and 1 MiB per call. */
const BATCH_COUNT = 100;
const BATCH_BYTES = 900 * 1024;

export function inboxName(deliveryId: string): string {
  let hash = 0;
  for (let i = 0; i < deliveryId.length; i++) hash = (hash * 31 + deliveryId.charCodeAt(i)) >>> 0;
  return `inbox-${hash % INBOX_SHARDS}`;
}

export interface InboxStorage {
  sql: SqlStorage;
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): Promise<void>;
}

export function createInboxSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS pending (id TEXT PRIMARY KEY, params TEXT NOT NULL, bytes INTEGER NOT NULL, received_at INTEGER NOT NULL)`);
}

export async function acceptIntoInbox(storage: InboxStorage, params: IngestParams): Promise<AcceptOutcome> {
  const now = Date.now();
  const id = params.delivery.id;
  if (storage.sql.exec("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", id, now).rowsWritten === 0) return "duplicate";
  const json = JSON.stringify(params);
  storage.sql.exec("INSERT INTO pending (id, params, bytes, received_at) VALUES (?, ?, ?, ?)", id, json, json.length, now);
  if ((await storage.getAlarm()) === null) await storage.setAlarm(now);
  return "accepted";
}

export interface DrainEnv {
  DB: D1Database;
  INGEST: Workflow<IngestParams>;
}

/** Moves pending deliveries into ingest runs. Throwing leaves them pending; the alarm is retried. */
export async function drainInbox(env: DrainEnv, storage: InboxStorage): Promise<number> {
  const rows = storage.sql
    .exec<{ id: string; params: string; bytes: number }>("SELECT id, params, bytes FROM pending ORDER BY received_at LIMIT ?", BATCH_COUNT * 5)
    .toArray();
  let drained = 0;
  for (const batch of chunk(rows)) {
    const items = await Promise.all(
      batch.map(async (row) => ({ id: await ingestInstanceId(row.id), params: JSON.parse(row.params) as IngestParams })),
    );
    await createAll(env.INGEST, items);
    await recordDeliveries(
      env.DB,
      items.map(({ id, params }) => ({ ...params.delivery, instanceId: id })),
    );
    for (const row of batch) storage.sql.exec("DELETE FROM pending WHERE id = ?", row.id);
    drained += batch.length;
  }
  storage.sql.exec("DELETE FROM seen WHERE at < ?", Date.now() - SEEN_RETENTION_MS);
  const left = storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pending").one().n;
  if (left > 0) await storage.setAlarm(Date.now());
  return drained;
}

/** Whether deliveries wait here: recovery pokes the shards after a restart and re-arms their alarms. */
export async function rearmInbox(storage: InboxStorage): Promise<number> {
  const left = storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pending").one().n;
  if (left > 0 && (await storage.getAlarm()) === null) await storage.setAlarm(Date.now());
  return left;
}

function chunk<T extends { bytes: number }>(rows: T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (current.length > 0 && (current.length === BATCH_COUNT || bytes + row.bytes > BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += row.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** createBatch fails whole when one id exists (a drain retried after a partial success): then one by one. */
async function createAll(binding: Workflow<IngestParams>, items: { id: string; params: IngestParams }[]): Promise<void> {
  try {
    await binding.createBatch(items);
  } catch {
    for (const item of items) {
      try {
        await binding.create(item);
      } catch (error) {
        if (!(await binding.get(item.id).catch(() => null))) throw error;
      }
    }
  }
}
