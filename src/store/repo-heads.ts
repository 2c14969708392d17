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
  /** When HEAD was seen at commitSha (ms): a push's own time (GitHub's clock), or when GitHub was asked (ours). */
  observedAt: number;
  observedFrom: "push" | "github";
  /** A push to the default branch that changed (or may have changed) .workflows/, not yet built. */
  pendingSha: string | null;
  pendingAt: number | null;
  /** When GitHub last confirmed HEAD (ms). */
  confirmedAt: number;
  /** The bundle at sourceKey, when it is recorded. */
  bundle: { hash: string; ok: boolean; manifest: unknown[]; diagnostics: unknown[] } | null;
}

/** Index rows are keyed by the lower-cased name: GitHub's names are case-insensitive, and so is every other per-repository lookup. */
function key(repository: string): string {
  return repository.toLowerCase();
}

/** One query for a drained batch, whatever the number of repositories; keyed by the lower-cased name. */
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
    .bind(JSON.stringify([...new Set(repositories.map(key))]))
    .all<Record<string, unknown>>();
  for (const row of results) {
    const head: RepoHead = {
      repository: String(row.repository),
      installationId: Number(row.installation_id),
      commitSha: String(row.commit_sha),
      sourceKey: row.source_key === null ? null : String(row.source_key),
      observedAt: Number(row.observed_at),
      observedFrom: row.observed_from === "push" ? "push" : "github",
      pendingSha: row.pending_sha === null ? null : String(row.pending_sha),
      pendingAt: row.pending_at === null ? null : Number(row.pending_at),
      confirmedAt: Number(row.confirmed_at),
      bundle:
        row.bundle_hash === null || row.bundle_hash === undefined
          ? null
          : { hash: String(row.bundle_hash), ok: row.bundle_ok === 1, manifest: JSON.parse(String(row.bundle_manifest)) as unknown[], diagnostics: JSON.parse(String(row.bundle_diagnostics)) as unknown[] },
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
  /** True when GitHub was asked for HEAD; false when it came from a push payload (GitHub's time of the push). */
  fromGitHub: boolean;
}

/**
 * Ingest saw the default branch at a commit and prepared its bundle. It
 * replaces what the index holds only when it is newer by these rules:
 * - the pending push's own commit always does (however it was seen): that is
 *   the content the index waits for;
 * - a push does when it is not older than what the index holds (a slow ingest
 *   or a redelivered old push never puts an older HEAD back);
 * - a read of GitHub does when it is not older and the index's own came from
 *   GitHub too, or names the same commit, or it was made well after the push
 *   the index holds (just after a push, GitHub's ref may still show the commit
 *   before it).
 * A pending push is settled by a sighting of its own commit, or by a read of
 * GitHub made well after it (then GitHub's HEAD is authoritative).
 */
export function recordRepoHeadStatement(db: D1Database, sighting: HeadSighting): D1PreparedStatement {
  const now = new Date().toISOString();
  const settles = "repo_heads.pending_sha = excluded.commit_sha";
  const newer = `(excluded.observed_at >= repo_heads.observed_at AND (excluded.observed_from = 'push' OR repo_heads.observed_from = 'github'
    OR repo_heads.commit_sha = excluded.commit_sha OR excluded.observed_at > repo_heads.observed_at + ?8))`;
  const replaces = `(${settles} OR ${newer})`;
  const clears = `(${settles} OR (excluded.observed_from = 'github' AND repo_heads.pending_at < excluded.observed_at - ?8))`;
  return db
    .prepare(
      `INSERT INTO repo_heads (repository, installation_id, commit_sha, source_key, observed_at, observed_from, pending_sha, pending_at, confirmed_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?6 = 1 THEN 'github' ELSE 'push' END, NULL, NULL, CASE WHEN ?6 = 1 THEN ?5 ELSE 0 END, ?7)
       ON CONFLICT (repository) DO UPDATE SET
         installation_id = excluded.installation_id,
         commit_sha = CASE WHEN ${replaces} THEN excluded.commit_sha ELSE repo_heads.commit_sha END,
         source_key = CASE WHEN ${replaces} THEN excluded.source_key ELSE repo_heads.source_key END,
         observed_from = CASE WHEN ${replaces} THEN excluded.observed_from ELSE repo_heads.observed_from END,
         observed_at = CASE WHEN ${replaces} THEN MAX(excluded.observed_at, repo_heads.observed_at) ELSE repo_heads.observed_at END,
         pending_sha = CASE WHEN ${clears} THEN NULL ELSE repo_heads.pending_sha END,
         pending_at = CASE WHEN ${clears} THEN NULL ELSE repo_heads.pending_at END,
         confirmed_at = CASE WHEN ?6 = 1 AND ${replaces} THEN MAX(repo_heads.confirmed_at, excluded.observed_at) ELSE repo_heads.confirmed_at END,
         updated_at = excluded.updated_at`,
    )
    .bind(key(sighting.repository), sighting.installationId, sighting.commitSha, sighting.sourceKey, sighting.observedAt, sighting.fromGitHub ? 1 : 0, now, PENDING_SETTLES_MS);
}

export async function recordRepoHead(db: D1Database, sighting: HeadSighting): Promise<void> {
  await ensureSchema(db);
  await recordRepoHeadStatement(db, sighting).run();
}

/**
 * A push changed (or may have changed) .workflows/ on the default branch: until
 * its bundle is built, nothing is decided from the old one. Only the newest push
 * counts: one older than what the index holds, or than the push already pending
 * (a redelivery, pushes arriving out of order), changes nothing; "older" than a
 * read of GitHub allows for the two clocks (PENDING_SETTLES_MS). A repository
 * never seen gets a row too, so an ingest that read HEAD before the push cannot
 * record it as settled.
 */
export function markRepoHeadPendingStatement(db: D1Database, pending: { repository: string; installationId: number; sha: string; at: number }): D1PreparedStatement {
  // A push's time is GitHub's clock, a read's is ours: against a read, a minute's allowance for the two to differ.
  const newest = `excluded.pending_at >= repo_heads.observed_at - CASE WHEN repo_heads.observed_from = 'github' THEN ?6 ELSE 0 END
    AND excluded.pending_at >= COALESCE(repo_heads.pending_at, 0)`;
  return db
    .prepare(
      `INSERT INTO repo_heads (repository, installation_id, commit_sha, source_key, observed_at, observed_from, pending_sha, pending_at, confirmed_at, updated_at)
       VALUES (?1, ?2, '', NULL, 0, 'github', ?3, ?4, 0, ?5)
       ON CONFLICT (repository) DO UPDATE SET
         pending_sha = CASE WHEN ${newest} THEN excluded.pending_sha ELSE repo_heads.pending_sha END,
         pending_at = CASE WHEN ${newest} THEN excluded.pending_at ELSE repo_heads.pending_at END,
         updated_at = excluded.updated_at`,
    )
    .bind(key(pending.repository), pending.installationId, pending.sha, pending.at, new Date().toISOString(), PENDING_SETTLES_MS);
}

/**
 * A push to the default branch that left .workflows/ alone, made on top of the
 * indexed commit: HEAD moves, the bundle stays, and the new commit is linked to
 * it so ingest finds it by commit. Only over a settled index at `before`.
 */
export function advanceRepoHeadStatements(db: D1Database, advance: { repository: string; before: string; sha: string; at: number }): D1PreparedStatement[] {
  // Made on top of the indexed commit: newer by ancestry, whatever the clocks say.
  const over = "repository = ?1 AND pending_sha IS NULL AND commit_sha = ?5";
  return [
    db
      .prepare(
        `INSERT INTO bundle_commits (repository, commit_sha, source_key)
         SELECT ?4, ?2, h.source_key FROM repo_heads h JOIN bundles b ON b.source_key = h.source_key WHERE h.${over.replaceAll(" AND ", " AND h.")}
         ON CONFLICT (repository, commit_sha) DO NOTHING`,
      )
      .bind(key(advance.repository), advance.sha, advance.at, advance.repository, advance.before),
    db
      .prepare(`UPDATE repo_heads SET commit_sha = ?2, observed_at = MAX(observed_at, ?3), observed_from = 'push', updated_at = ?4 WHERE ${over}`)
      .bind(key(advance.repository), advance.sha, advance.at, new Date().toISOString(), advance.before),
  ];
}

/** An installation changed (installed again, suspended, repositories added or removed): its index is rebuilt from GitHub. */
export function forgetRepoHeadsStatement(db: D1Database, installationId: number): D1PreparedStatement {
  return db.prepare("DELETE FROM repo_heads WHERE installation_id = ?").bind(installationId);
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
