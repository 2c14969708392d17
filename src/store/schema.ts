/**
 * Applies MIGRATIONS to a D1 database once per isolate. Concurrent first
 * requests share one promise; a failed attempt is forgotten so the next request
 * retries instead of caching the failure.
 */
import { MIGRATIONS } from "./migrations";

const applied = new WeakMap<D1Database, Promise<void>>();

export function ensureSchema(db: D1Database): Promise<void> {
  let ready = applied.get(db);
  if (!ready) {
    ready = migrate(db).catch((error: unknown) => {
      applied.delete(db);
      throw error;
    });
    applied.set(db, ready);
  }
  return ready;
}

async function migrate(db: D1Database): Promise<void> {
  await db.prepare("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)").run();
  const row = await db.prepare("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations").first<{ version: number }>();
  const current = row?.version ?? 0;
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    // D1's batch runs as one transaction: a migration lands whole or not at all,
    // and the version row guards against a concurrent isolate applying it twice.
    await db.batch([
      ...migration.statements.map((sql) => db.prepare(sql)),
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").bind(
        migration.version,
        migration.name,
        new Date().toISOString(),
      ),
    ]);
  }
}
