/**
 * The default branch's bundle per repository, as the inbox decides with it
 * (src/dispatch/triage.ts) before any Workflow exists. Ingest writes it after
 * resolving HEAD and preparing the bundle; the inbox marks it pending when a
 * push changes .workflows/, and advances it on a push that does not.
 */
import { ensureSchema } from "./schema";

/** A HEAD read from GitHub this long after a pending push was made is authoritative about it (clock skew, ref propagation). */
export const PENDING_SETTLES_MS = 60_000;

export interface RepoHead {
  repository: string;
  installationId: number;
  commitSha: string;
  /** The bundles row of the .workflows tree at commitSha; null when the commit has no .workflows/. */
  sourceKey: string | null;
  /** When HEAD was seen at commitSha (ms): a push's own time, or when GitHub was asked. */
  observedAt: number;
  /** A push to the default branch that changed (or may have changed) .workflows/, not yet built. */
  pendingSha: string | null;
  pendingAt: number | null;
  /** When GitHub last confirmed HEAD (ms). */
  confirmedAt: number;
  /** The bundle at sourceKey, when it is recorded. */
  bundle: { hash: string; ok: boolean; manifest: unknown[]; diagnostics: unknown[] } | null;
}

/** One query for a drained batch, whatever the number of repositories. */
export async function loadRepoHeads(db: D1Database, repositories: readonly string[]): Promise<Map<string, RepoHead>> {
  const heads = new Map<string, RepoHead>();
  if (repositories.length === 0) return heads;
  await ensureSchema(db);
  const { results } = await db
    .prepare(
      `SELECT h.*, b.hash AS bundle_hash, b.ok AS bundle_ok, b.manifest AS bundle_manifest, b.diagnostics AS bundle_diagnostics
       FROM repo_heads h LEFT JOIN bundles b ON b.source_key = h.source_key
       WHERE h.repository IN (SELECT value FROM json_each(?))`,
    )
    .bind(JSON.stringify([...new Set(repositories)]))
    .all<Record<string, unknown>>();
  for (const row of results) {
    const head: RepoHead = {
      repository: String(row.repository),
      installationId: Number(row.installation_id),
      commitSha: String(row.commit_sha),
      sourceKey: row.source_key === null ? null : String(row.source_key),
      observedAt: Number(row.observed_at),
      pendingSha: row.pending_sha === null ? null : String(row.pending_sha),
      pendingAt: row.pending_at === null ? null : Number(row.pending_at),
      confirmedAt: Number(row.confirmed_at),
      bundle: row.bundle_hash === null || row.bundle_hash === undefined ? null : { hash: String(row.bundle_hash), ok: row.bundle_ok === 1, manifest: JSON.parse(String(row.bundle_manifest)) as unknown[], diagnostics: JSON.parse(String(row.bundle_diagnostics)) as unknown[] },
    };
    heads.set(head.repository, head);
  }
  return heads;
}

export interface HeadSighting {
  repository: string;
  installationId: number;
  commitSha: string;
  sourceKey: string | null;
  observedAt: number;
  /** True when GitHub was asked for HEAD (not taken from a push payload): then it settles a pending push made long enough before. */
  fromGitHub: boolean;
}

/**
 * Ingest saw the default branch at a commit and prepared its bundle. An older
 * sighting (a slow ingest) never replaces a newer one, except the pending
 * push's own: a HEAD read just after the push may still show the commit before
 * it (GitHub's refs settle), and is newer by the clock but not by content. A
 * pending push is settled by a sighting of its own commit, or by GitHub's HEAD
 * read well after it.
 */
export function recordRepoHeadStatement(db: D1Database, sighting: HeadSighting): D1PreparedStatement {
  const now = new Date().toISOString();
  return db
    .prepare(
      `INSERT INTO repo_heads (repository, installation_id, commit_sha, source_key, observed_at, pending_sha, pending_at, confirmed_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL, CASE WHEN ?6 = 1 THEN ?5 ELSE 0 END, ?7)
       ON CONFLICT (repository) DO UPDATE SET
         installation_id = excluded.installation_id,
         commit_sha = CASE WHEN excluded.observed_at >= repo_heads.observed_at OR repo_heads.pending_sha = excluded.commit_sha THEN excluded.commit_sha ELSE repo_heads.commit_sha END,
         source_key = CASE WHEN excluded.observed_at >= repo_heads.observed_at OR repo_heads.pending_sha = excluded.commit_sha THEN excluded.source_key ELSE repo_heads.source_key END,
         observed_at = MAX(excluded.observed_at, repo_heads.observed_at),
         pending_sha = CASE WHEN repo_heads.pending_sha = excluded.commit_sha OR (?6 = 1 AND repo_heads.pending_at < excluded.observed_at - ?8) THEN NULL ELSE repo_heads.pending_sha END,
         pending_at = CASE WHEN repo_heads.pending_sha = excluded.commit_sha OR (?6 = 1 AND repo_heads.pending_at < excluded.observed_at - ?8) THEN NULL ELSE repo_heads.pending_at END,
         confirmed_at = CASE WHEN ?6 = 1 THEN MAX(repo_heads.confirmed_at, excluded.observed_at) ELSE repo_heads.confirmed_at END,
         updated_at = excluded.updated_at`,
    )
    .bind(sighting.repository, sighting.installationId, sighting.commitSha, sighting.sourceKey, sighting.observedAt, sighting.fromGitHub ? 1 : 0, now, PENDING_SETTLES_MS);
}

export async function recordRepoHead(db: D1Database, sighting: HeadSighting): Promise<void> {
  await ensureSchema(db);
  await recordRepoHeadStatement(db, sighting).run();
}

/**
 * A push changed .workflows/ on the default branch: until its bundle is built,
 * nothing is decided from the old one. A repository never seen gets a row too,
 * so an ingest that read HEAD before the push cannot record it as settled.
 */
export function markRepoHeadPendingStatement(db: D1Database, pending: { repository: string; installationId: number; sha: string; at: number }): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO repo_heads (repository, installation_id, commit_sha, source_key, observed_at, pending_sha, pending_at, confirmed_at, updated_at)
       VALUES (?1, ?2, '', NULL, 0, ?3, ?4, 0, ?5)
       ON CONFLICT (repository) DO UPDATE SET pending_sha = excluded.pending_sha, pending_at = MAX(COALESCE(repo_heads.pending_at, 0), excluded.pending_at), updated_at = excluded.updated_at`,
    )
    .bind(pending.repository, pending.installationId, pending.sha, pending.at, new Date().toISOString());
}

/**
 * A push to the default branch that left .workflows/ alone: HEAD moves, the
 * bundle stays, and the new commit is linked to it so ingest finds it by commit.
 * Only over a settled, older sighting.
 */
export function advanceRepoHeadStatements(db: D1Database, advance: { repository: string; sha: string; at: number }): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO bundle_commits (repository, commit_sha, source_key)
         SELECT repository, ?2, source_key FROM repo_heads WHERE repository = ?1 AND pending_sha IS NULL AND source_key IS NOT NULL AND observed_at <= ?3
         ON CONFLICT (repository, commit_sha) DO NOTHING`,
      )
      .bind(advance.repository, advance.sha, advance.at),
    db
      .prepare(`UPDATE repo_heads SET commit_sha = ?2, observed_at = ?3, updated_at = ?4 WHERE repository = ?1 AND pending_sha IS NULL AND observed_at <= ?3`)
      .bind(advance.repository, advance.sha, advance.at, new Date().toISOString()),
  ];
}

/** The App's bot login, as ingest learned it from GitHub, for the inbox to recognise the App's own comments. */
export async function readAppFact(db: D1Database, name: string): Promise<string | null> {
  await ensureSchema(db);
  const row = await db.prepare("SELECT value FROM app_facts WHERE name = ?").bind(name).first<{ value: string }>();
  return row?.value ?? null;
}

export async function writeAppFact(db: D1Database, name: string, value: string): Promise<void> {
  await ensureSchema(db);
  await db
    .prepare("INSERT INTO app_facts (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
    .bind(name, value, new Date().toISOString())
    .run();
}
