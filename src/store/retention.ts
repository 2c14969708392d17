/**
 * What retention may delete from D1, and what it must keep. A row is expired
 * only when nothing live needs it: a run only once finished, a delivery only
 * once processed or failed and no run of it is left, a bundle only when no
 * remaining run is pinned to it and it is not its repository's newest (the
 * one the next event will use). Sleeping and waiting runs are not finished,
 * so their rows, their delivery (the payload a re-run replays) and their
 * bundle stay, however old.
 */
import { ensureSchema } from "./schema";

export interface Expired {
  runs: number;
  /** Deliveries whose rows were deleted: their stored payloads may go too. */
  deliveryIds: string[];
  /** Bundle hashes no remaining row names: their artifacts may go too. */
  bundleHashes: string[];
}

export async function expireBefore(db: D1Database, cutoff: Date, limit = 500): Promise<Expired> {
  await ensureSchema(db);
  const before = cutoff.toISOString();
  const runs = await db
    .prepare("SELECT id FROM runs WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < ? LIMIT ?")
    .bind(before, limit)
    .all<{ id: string }>();
  const runIds = runs.results.map((r) => r.id);
  for (const id of runIds) {
    await db.batch([
      db.prepare("DELETE FROM run_logs WHERE run_id = ?").bind(id),
      db.prepare("DELETE FROM run_steps WHERE run_id = ?").bind(id),
      db.prepare("DELETE FROM run_annotations WHERE run_id = ?").bind(id),
      db.prepare("DELETE FROM runs WHERE id = ?").bind(id),
    ]);
  }

  const deliveries = await db
    .prepare(
      `SELECT d.id FROM deliveries d WHERE d.status IN ('processed', 'failed') AND d.received_at < ?
         AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.delivery_id = d.id) LIMIT ?`,
    )
    .bind(before, limit)
    .all<{ id: string }>();
  const deliveryIds = deliveries.results.map((d) => d.id);
  for (const id of deliveryIds) await db.prepare("DELETE FROM deliveries WHERE id = ?").bind(id).run();

  const bundles = await db
    .prepare(
      `SELECT b.source_key, b.hash FROM bundles b WHERE b.created_at < ?
         AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.bundle_hash = b.hash)
         AND b.created_at < (SELECT MAX(n.created_at) FROM bundles n WHERE n.repository = b.repository)
       LIMIT ?`,
    )
    .bind(before, limit)
    .all<{ source_key: string; hash: string }>();
  for (const { source_key } of bundles.results) {
    await db.batch([
      db.prepare("DELETE FROM bundle_commits WHERE source_key = ?").bind(source_key),
      db.prepare("DELETE FROM bundles WHERE source_key = ?").bind(source_key),
    ]);
  }
  const bundleHashes: string[] = [];
  for (const hash of new Set(bundles.results.map((b) => b.hash))) {
    const still = await db.prepare("SELECT 1 AS n FROM bundles WHERE hash = ? LIMIT 1").bind(hash).first();
    if (!still) bundleHashes.push(hash);
  }
  return { runs: runIds.length, deliveryIds, bundleHashes };
}
