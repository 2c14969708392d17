/** Installations of the GitHub App and the repositories each one grants. */
import { ensureSchema } from "./schema";
import type { Installation, Repository } from "./types";

export async function upsertInstallation(db: D1Database, installation: Installation): Promise<void> {
  await ensureSchema(db);
  await db
    .prepare(
      `INSERT INTO installations (id, account_login, account_type, repository_selection, suspended_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET account_login = excluded.account_login, account_type = excluded.account_type,
         repository_selection = excluded.repository_selection, suspended_at = excluded.suspended_at, updated_at = excluded.updated_at`,
    )
    .bind(
      installation.id,
      installation.accountLogin,
      installation.accountType,
      installation.repositorySelection,
      installation.suspendedAt,
      new Date().toISOString(),
    )
    .run();
}

export async function deleteInstallation(db: D1Database, installationId: number): Promise<void> {
  await ensureSchema(db);
  await db.batch([
    db.prepare("DELETE FROM repositories WHERE installation_id = ?").bind(installationId),
    db.prepare("DELETE FROM installations WHERE id = ?").bind(installationId),
  ]);
}

/** Adds and removes in one transaction; a repository moving between installations follows the latest event. */
export async function updateRepositories(
  db: D1Database,
  installationId: number,
  changes: { added: readonly Omit<Repository, "installationId">[]; removed: readonly number[] },
): Promise<void> {
  await ensureSchema(db);
  const now = new Date().toISOString();
  const statements = [
    ...changes.removed.map((id) => db.prepare("DELETE FROM repositories WHERE id = ? AND installation_id = ?").bind(id, installationId)),
    ...changes.added.map((repo) =>
      db
        .prepare(
          `INSERT INTO repositories (id, installation_id, full_name, private, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET installation_id = excluded.installation_id, full_name = excluded.full_name,
             private = excluded.private, updated_at = excluded.updated_at`,
        )
        .bind(repo.id, installationId, repo.fullName, repo.private ? 1 : 0, now),
    ),
  ];
  if (statements.length > 0) await db.batch(statements);
}

export async function listInstallations(db: D1Database): Promise<Installation[]> {
  await ensureSchema(db);
  const { results } = await db
    .prepare("SELECT id, account_login, account_type, repository_selection, suspended_at FROM installations ORDER BY account_login")
    .all<{ id: number; account_login: string; account_type: string; repository_selection: string | null; suspended_at: string | null }>();
  return results.map((row) => ({
    id: row.id,
    accountLogin: row.account_login,
    accountType: row.account_type,
    repositorySelection: row.repository_selection,
    suspendedAt: row.suspended_at,
  }));
}

export async function listRepositories(db: D1Database, installationId?: number): Promise<Repository[]> {
  await ensureSchema(db);
  const query =
    installationId === undefined
      ? db.prepare("SELECT id, installation_id, full_name, private FROM repositories ORDER BY full_name")
      : db.prepare("SELECT id, installation_id, full_name, private FROM repositories WHERE installation_id = ? ORDER BY full_name").bind(installationId);
  const { results } = await query.all<{ id: number; installation_id: number; full_name: string; private: number }>();
  return results.map((row) => ({ id: row.id, installationId: row.installation_id, fullName: row.full_name, private: row.private === 1 }));
}

/**
 * The installation a repository belongs to: from the synced list, or, for one
 * never synced (an App installed before repoflow kept the list), from the
 * latest delivery about it.
 */
export async function installationOfRepository(db: D1Database, fullName: string): Promise<number | null> {
  await ensureSchema(db);
  const row = await db
    .prepare(
      `SELECT installation_id FROM repositories WHERE full_name = ?1 COLLATE NOCASE
       UNION ALL SELECT installation_id FROM (
         SELECT installation_id FROM deliveries WHERE repository = ?1 COLLATE NOCASE AND installation_id IS NOT NULL ORDER BY received_at DESC LIMIT 1)
       LIMIT 1`,
    )
    .bind(fullName)
    .first<{ installation_id: number }>();
  return row?.installation_id ?? null;
}
