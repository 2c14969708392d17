/** The index of repository schedulers and their next ticks (the schedulers themselves are Durable Objects). */
import { ensureSchema } from "./schema";

export async function indexSchedule(db: D1Database, repository: string, installationId: number, nextAt: number | null): Promise<void> {
  await ensureSchema(db);
  if (nextAt === null) {
    await db.prepare("DELETE FROM schedule_index WHERE repository = ?").bind(repository.toLowerCase()).run();
    return;
  }
  await db
    .prepare("INSERT INTO schedule_index (repository, installation_id, next_at) VALUES (?, ?, ?) ON CONFLICT (repository) DO UPDATE SET installation_id = excluded.installation_id, next_at = excluded.next_at")
    .bind(repository.toLowerCase(), installationId, nextAt)
    .run();
}

/** Schedulers whose next tick is before `before`: their alarm should have fired. */
export async function overdueSchedules(db: D1Database, before: number, limit = 100): Promise<{ repository: string; nextAt: number }[]> {
  await ensureSchema(db);
  const { results } = await db
    .prepare("SELECT repository, next_at FROM schedule_index WHERE next_at < ? ORDER BY next_at LIMIT ?")
    .bind(before, limit)
    .all<{ repository: string; next_at: number }>();
  return results.map((row) => ({ repository: row.repository, nextAt: row.next_at }));
}
