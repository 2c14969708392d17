/** Which compiled bundle a .workflows tree maps to; the artifact itself lives in R2 under its hash. */
import { ensureSchema } from "./schema";
import type { BundleRecord } from "./types";

export async function findBundle(db: D1Database, sourceKey: string): Promise<BundleRecord | null> {
  await ensureSchema(db);
  const row = await db.prepare("SELECT * FROM bundles WHERE source_key = ?").bind(sourceKey).first<Record<string, unknown>>();
  return row ? toBundle(row) : null;
}

/** The bundle a commit of a repository was resolved to before, if any. */
export async function findBundleForCommit(db: D1Database, repository: string, commitSha: string): Promise<BundleRecord | null> {
  await ensureSchema(db);
  const row = await db
    .prepare("SELECT b.* FROM bundle_commits c JOIN bundles b ON b.source_key = c.source_key WHERE c.repository = ? AND c.commit_sha = ?")
    .bind(repository, commitSha)
    .first<Record<string, unknown>>();
  return row ? toBundle(row) : null;
}

/** The commit now resolves to this bundle; after an upgrade of the compiler or runtime, to the new build of the same tree. */
export async function linkCommit(db: D1Database, repository: string, commitSha: string, sourceKey: string): Promise<void> {
  await ensureSchema(db);
  await db
    .prepare("INSERT INTO bundle_commits (repository, commit_sha, source_key) VALUES (?, ?, ?) ON CONFLICT (repository, commit_sha) DO UPDATE SET source_key = excluded.source_key")
    .bind(repository, commitSha, sourceKey)
    .run();
}

function toBundle(row: Record<string, unknown>): BundleRecord {
  return {
    sourceKey: String(row.source_key),
    hash: String(row.hash),
    ok: row.ok === 1,
    manifest: JSON.parse(String(row.manifest)),
    diagnostics: JSON.parse(String(row.diagnostics)) as unknown[],
    commitSha: String(row.commit_sha),
    repository: String(row.repository),
    createdAt: String(row.created_at),
  };
}

/** First writer wins: a bundle is immutable once recorded, so a racing compile of the same tree changes nothing. */
export async function saveBundle(db: D1Database, bundle: Omit<BundleRecord, "createdAt">): Promise<void> {
  await ensureSchema(db);
  await db
    .prepare(
      `INSERT INTO bundles (source_key, hash, ok, manifest, diagnostics, commit_sha, repository, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_key) DO NOTHING`,
    )
    .bind(
      bundle.sourceKey,
      bundle.hash,
      bundle.ok ? 1 : 0,
      JSON.stringify(bundle.manifest),
      JSON.stringify(bundle.diagnostics),
      bundle.commitSha,
      bundle.repository,
      new Date().toISOString(),
    )
    .run();
}

/** The bundle of the repository's most recently resolved default-branch commit (what a manual run would start on). */
export async function latestBundleOf(db: D1Database, repository: string): Promise<BundleRecord | null> {
  await ensureSchema(db);
  const row = await db
    .prepare("SELECT b.* FROM bundle_commits c JOIN bundles b ON b.source_key = c.source_key WHERE c.repository = ? ORDER BY c.rowid DESC LIMIT 1")
    .bind(repository)
    .first<Record<string, unknown>>();
  return row ? toBundle(row) : null;
}

/** A commit of the default branch resolved to a bundle: what the repository page lists, newest first. */
export interface BundleHistoryEntry extends BundleRecord {
  /** The default-branch commit that was resolved to this bundle (a bundle serves every commit with the same .workflows/). */
  resolvedCommit: string;
}

export async function listBundleHistory(db: D1Database, repository: string, limit = 20): Promise<BundleHistoryEntry[]> {
  await ensureSchema(db);
  const { results } = await db
    .prepare("SELECT b.*, c.commit_sha AS resolved_commit FROM bundle_commits c JOIN bundles b ON b.source_key = c.source_key WHERE lower(c.repository) = lower(?) ORDER BY c.rowid DESC LIMIT ?")
    .bind(repository, limit)
    .all<Record<string, unknown>>();
  return results.map((row) => ({ ...toBundle(row), resolvedCommit: String(row.resolved_commit) }));
}
