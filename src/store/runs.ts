/**
 * The run index: what started, on which pinned bundle, and how it went.
 * Writes are idempotent because the Workflow engine may execute the code
 * around them more than once (replays after sleeps, at-least-once steps).
 */
import { ensureSchema } from "./schema";
import type { RunRecord, RunStatus, StepKind, StepRecord, StepStatus } from "./types";

type NewRun = Omit<RunRecord, "status" | "checkRunId" | "checkParked" | "error" | "problem" | "cancelRequestedAt" | "createdAt" | "startedAt" | "finishedAt" | "updatedAt" | "lineage" | "result"> & {
  lineage?: string | null;
};

/** True when the row is new; false when it was there (a retried start, or a cancel that filed it first). */
export async function insertRun(db: D1Database, run: NewRun): Promise<boolean> {
  await ensureSchema(db);
  const now = new Date().toISOString();
  const result = await db
    .prepare(
      `INSERT INTO runs (id, installation_id, repository, workflow_file, workflow_name, event, action, delivery_id, bundle_hash,
         commit_sha, head_sha, status, check_closed, lineage, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    .bind(run.id, run.installationId, run.repository, run.workflowFile, run.workflowName, run.event, run.action, run.deliveryId,
      run.bundleHash, run.commitSha, run.headSha, run.lineage ?? null, now, now)
    .run();
  return result.meta.changes > 0;
}

export async function markRunStarted(db: D1Database, id: string, checkRunId: number | null): Promise<void> {
  await ensureSchema(db);
  const now = new Date().toISOString();
  await db
    .prepare(
      `UPDATE runs SET status = 'running', check_run_id = COALESCE(?, check_run_id), started_at = COALESCE(started_at, ?), updated_at = ?
       WHERE id = ? AND status IN ('queued', 'running')`,
    )
    .bind(checkRunId, now, now, id)
    .run();
}

/** Returns false when the run had already finished (a replay, or a cancel that got there first). */
/** A step's or run's result as the run page shows it: JSON, cut with a note once it is longer than this. */
export const OUTPUT_PREVIEW_CHARS = 16_384;

function previewOf(json: string): string {
  return json.length <= OUTPUT_PREVIEW_CHARS ? json : `${json.slice(0, OUTPUT_PREVIEW_CHARS)}… (cut at ${OUTPUT_PREVIEW_CHARS} characters)`;
}

/** `result`: the run's return value as JSON, for a run that succeeded. */
export async function finishRun(db: D1Database, id: string, status: Exclude<RunStatus, "queued" | "running">, error?: string, result?: string | null): Promise<boolean> {
  await ensureSchema(db);
  const now = new Date().toISOString();
  const done = await db
    .prepare("UPDATE runs SET status = ?, error = ?, result = ?, finished_at = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'running')")
    .bind(status, error ?? null, result == null ? null : previewOf(result), now, now, id)
    .run();
  return done.meta.changes > 0;
}

/** Runs failed with exactly this error since `since`: recovery's own marks, re-checked against the engine. */
export async function listRunsFailedWith(db: D1Database, error: string, since: Date, limit = 50): Promise<RunRecord[]> {
  await ensureSchema(db);
  const { results } = await db
    .prepare("SELECT * FROM runs WHERE status = 'failed' AND error = ? AND finished_at >= ? ORDER BY finished_at DESC LIMIT ?")
    .bind(error, since.toISOString(), limit)
    .all<Record<string, unknown>>();
  return results.map(toRun);
}

/** Undoes a wrong failure mark (the engine still runs the run); only while the row still carries that mark. */
export async function reviveRun(db: D1Database, id: string, error: string): Promise<boolean> {
  await ensureSchema(db);
  const result = await db
    .prepare("UPDATE runs SET status = 'running', error = NULL, finished_at = NULL, updated_at = ? WHERE id = ? AND status = 'failed' AND error = ?")
    .bind(new Date().toISOString(), id, error)
    .run();
  return result.meta.changes > 0;
}

/** The check run's id once GitHub gave one, whenever that was (an open retried after the run started). */
export async function recordCheckRunId(db: D1Database, id: string, checkRunId: number): Promise<void> {
  await ensureSchema(db);
  await db.prepare("UPDATE runs SET check_run_id = COALESCE(check_run_id, ?), check_parked = 0 WHERE id = ?").bind(checkRunId, id).run();
}

/** How the run relates to others (debounce, concurrency), added to what it says already. */
export async function noteRunLineage(db: D1Database, id: string, note: string): Promise<void> {
  await ensureSchema(db);
  await db.prepare("UPDATE runs SET lineage = CASE WHEN lineage IS NULL THEN ?1 WHEN instr(lineage, ?1) > 0 THEN lineage ELSE lineage || ' ' || ?1 END WHERE id = ?2").bind(note, id).run();
}

/** The open check run was completed as neutral for a sleep or wait: the next one opens on resume. */
export async function parkCheckRun(db: D1Database, id: string, checkRunId: number): Promise<void> {
  await ensureSchema(db);
  await db.prepare("UPDATE runs SET check_run_id = NULL, check_parked = 1, updated_at = ? WHERE id = ? AND check_run_id = ?").bind(new Date().toISOString(), id, checkRunId).run();
}

/** Records (or clears, with null) what went wrong around a run. */
export async function setRunProblem(db: D1Database, id: string, problem: string | null): Promise<void> {
  await ensureSchema(db);
  await db.prepare("UPDATE runs SET problem = ?, updated_at = ? WHERE id = ?").bind(problem, new Date().toISOString(), id).run();
}

/** Marks a cancel as asked for; false when the run already finished. */
export async function requestCancel(db: D1Database, id: string): Promise<boolean> {
  await ensureSchema(db);
  const now = new Date().toISOString();
  const result = await db
    .prepare("UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, ?), updated_at = ? WHERE id = ? AND status IN ('queued', 'running')")
    .bind(now, now, id)
    .run();
  return result.meta.changes > 0;
}

export async function clearCancelRequest(db: D1Database, id: string): Promise<void> {
  await ensureSchema(db);
  await db.prepare("UPDATE runs SET cancel_requested_at = NULL, updated_at = ? WHERE id = ?").bind(new Date().toISOString(), id).run();
}

/** The check run now says the row's outcome (or why it cannot). */
export async function markCheckClosed(db: D1Database, id: string): Promise<void> {
  await ensureSchema(db);
  await db.prepare("UPDATE runs SET check_closed = 1 WHERE id = ?").bind(id).run();
}

/** Finished rows whose check run was not closed yet, quiet since `quietSince`: a close a process death cut short. */
export async function listUnclosedRuns(db: D1Database, quietSince: Date, limit = 100): Promise<RunRecord[]> {
  await ensureSchema(db);
  const { results } = await db
    .prepare("SELECT * FROM runs WHERE check_closed = 0 AND status IN ('succeeded', 'failed', 'cancelled') AND updated_at < ? ORDER BY updated_at LIMIT ?")
    .bind(quietSince.toISOString(), limit)
    .all<Record<string, unknown>>();
  return results.map(toRun);
}

export async function touchRun(db: D1Database, id: string): Promise<void> {
  await ensureSchema(db);
  await db.prepare("UPDATE runs SET updated_at = ? WHERE id = ?").bind(new Date().toISOString(), id).run();
}

export async function getRun(db: D1Database, id: string): Promise<RunRecord | null> {
  await ensureSchema(db);
  const row = await db.prepare("SELECT * FROM runs WHERE id = ?").bind(id).first<Record<string, unknown>>();
  return row ? toRun(row) : null;
}

export interface RunFilter {
  /** Only runs of these repositories (`owner/name`, any case): what a signed-in viewer may read. */
  repositories?: readonly string[];
  deliveryId?: string;
  repository?: string;
  workflow?: string;
  status?: RunStatus;
  limit?: number;
}

export async function listRuns(db: D1Database, filter: RunFilter = {}): Promise<RunRecord[]> {
  await ensureSchema(db);
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.repository) (where.push("repository = ?"), values.push(filter.repository));
  if (filter.workflow) (where.push("(workflow_name = ? OR workflow_file = ?)"), values.push(filter.workflow, filter.workflow));
  if (filter.status) (where.push("status = ?"), values.push(filter.status));
  if (filter.deliveryId) (where.push("delivery_id = ?"), values.push(filter.deliveryId));
  if (filter.repositories) {
    if (filter.repositories.length === 0) return [];
    // One JSON parameter however many repositories: D1 binds at most 100 parameters per query.
    where.push("lower(repository) IN (SELECT value FROM json_each(?))");
    values.push(JSON.stringify(filter.repositories.map((name) => name.toLowerCase())));
  }
  const sql = `SELECT * FROM runs ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY created_at DESC LIMIT ?`;
  const { results } = await db.prepare(sql).bind(...values, Math.min(filter.limit ?? 50, 500)).all<Record<string, unknown>>();
  return results.map(toRun);
}

/**
 * Runs that should be making progress but show no sign of it: not terminal and
 * quiet since `quietSince`. Unless `includeSleeping`, a run with a sleeping or
 * waiting step whose wake time is still ahead is legitimately quiet and left
 * out. Candidates for a recovery kick.
 */
export async function listStalledRuns(
  db: D1Database,
  options: { quietSince: Date; now: Date; includeSleeping: boolean; limit?: number },
): Promise<RunRecord[]> {
  await ensureSchema(db);
  const { results } = await db
    .prepare(
      `SELECT * FROM runs r WHERE r.status IN ('queued', 'running') AND r.updated_at < ?
         AND (? OR NOT EXISTS (SELECT 1 FROM run_steps s WHERE s.run_id = r.id AND s.status IN ('sleeping', 'waiting') AND s.wake_at > ?))
       ORDER BY r.updated_at LIMIT ?`,
    )
    .bind(options.quietSince.toISOString(), options.includeSleeping ? 1 : 0, options.now.toISOString(), options.limit ?? 200)
    .all<Record<string, unknown>>();
  return results.map(toRun);
}

/** Records a step once; a replayed step keeps its first start time, position and wake time. */
export async function startStep(
  db: D1Database,
  runId: string,
  step: { name: string; kind: StepKind; status: StepStatus; waitFor?: string; wakeAt?: Date; button?: { label: string; identifier: string } },
): Promise<void> {
  await ensureSchema(db);
  const now = new Date().toISOString();
  await db.batch([
    db
      .prepare(
        `INSERT INTO run_steps (run_id, name, kind, position, status, wait_for, wake_at, button, started_at)
         VALUES (?, ?, ?, (SELECT COUNT(*) FROM run_steps WHERE run_id = ?), ?, ?, ?, ?, ?) ON CONFLICT (run_id, name) DO NOTHING`,
      )
      .bind(runId, step.name, step.kind, runId, step.status, step.waitFor ?? null, step.wakeAt?.toISOString() ?? null, step.button ? JSON.stringify(step.button) : null, now),
    db.prepare("UPDATE runs SET updated_at = ? WHERE id = ?").bind(now, runId),
  ]);
}

/**
 * An attempt of a step begins: the step's row is made if it is new (as startStep would), the attempt
 * counted, in one round trip. Returns its failed attempts so far, the author's retry budget (attempts a
 * crash cut short do not use it).
 */
export async function countAttempt(db: D1Database, runId: string, step: { name: string; kind: StepKind }): Promise<number> {
  await ensureSchema(db);
  const now = new Date().toISOString();
  const [counted] = await db.batch<{ failures: number }>([
    db
      .prepare(
        `INSERT INTO run_steps (run_id, name, kind, position, status, attempts, started_at)
         VALUES (?1, ?2, ?3, (SELECT COUNT(*) FROM run_steps WHERE run_id = ?1), 'running', 1, ?4)
         ON CONFLICT (run_id, name) DO UPDATE SET attempts = attempts + 1, status = 'running', error = NULL
         RETURNING failures`,
      )
      .bind(runId, step.name, step.kind, now),
    db.prepare("UPDATE runs SET updated_at = ? WHERE id = ?").bind(now, runId),
  ]);
  return counted?.results[0]?.failures ?? 0;
}

export async function countFailedAttempt(db: D1Database, runId: string, name: string): Promise<number> {
  await ensureSchema(db);
  const row = await db
    .prepare("UPDATE run_steps SET failures = failures + 1 WHERE run_id = ? AND name = ? RETURNING failures")
    .bind(runId, name)
    .first<{ failures: number }>();
  return row?.failures ?? 1;
}

/** Returns true only for the call that moved the step to its final state, so side effects (check-run updates) happen once per transition. */
export async function finishStep(
  db: D1Database,
  runId: string,
  name: string,
  outcome: { status: "succeeded"; outputBytes?: number; output?: string | null; note?: string } | { status: "failed"; error: string },
): Promise<boolean> {
  await ensureSchema(db);
  const now = new Date().toISOString();
  const succeeded = outcome.status === "succeeded" ? outcome : null;
  const result = await db
    .prepare(
      `UPDATE run_steps SET status = ?, output_bytes = ?, error = ?, output = ?, note = ?, finished_at = ?
       WHERE run_id = ? AND name = ? AND status NOT IN ('succeeded', 'failed')`,
    )
    .bind(
      outcome.status,
      succeeded ? (succeeded.outputBytes ?? null) : null,
      outcome.status === "failed" ? outcome.error : null,
      succeeded?.output == null ? null : previewOf(succeeded.output),
      succeeded?.note ?? null,
      now,
      runId,
      name,
    )
    .run();
  await touchRun(db, runId);
  return result.meta.changes > 0;
}

export async function listSteps(db: D1Database, runId: string): Promise<StepRecord[]> {
  await ensureSchema(db);
  const { results } = await db.prepare("SELECT * FROM run_steps WHERE run_id = ? ORDER BY position").bind(runId).all<Record<string, unknown>>();
  return results.map((row) => ({
    runId: String(row.run_id),
    name: String(row.name),
    kind: row.kind as StepKind,
    position: Number(row.position),
    status: row.status as StepStatus,
    attempts: Number(row.attempts),
    outputBytes: (row.output_bytes as number | null) ?? null,
    error: (row.error as string | null) ?? null,
    waitFor: (row.wait_for as string | null) ?? null,
    wakeAt: (row.wake_at as string | null) ?? null,
    button: typeof row.button === "string" ? (JSON.parse(row.button) as { label: string; identifier: string }) : null,
    output: (row.output as string | null) ?? null,
    note: (row.note as string | null) ?? null,
    startedAt: String(row.started_at),
    finishedAt: (row.finished_at as string | null) ?? null,
  }));
}

function toRun(row: Record<string, unknown>): RunRecord {
  const text = (key: string) => (row[key] as string | null) ?? null;
  return {
    id: String(row.id),
    installationId: Number(row.installation_id),
    repository: String(row.repository),
    workflowFile: String(row.workflow_file),
    workflowName: String(row.workflow_name),
    event: String(row.event),
    action: text("action"),
    deliveryId: String(row.delivery_id),
    bundleHash: String(row.bundle_hash),
    commitSha: String(row.commit_sha),
    headSha: String(row.head_sha),
    status: row.status as RunStatus,
    checkRunId: (row.check_run_id as number | null) ?? null,
    checkParked: Number(row.check_parked ?? 0) === 1,
    lineage: text("lineage"),
    result: text("result"),
    error: text("error"),
    problem: text("problem"),
    cancelRequestedAt: text("cancel_requested_at"),
    createdAt: String(row.created_at),
    startedAt: text("started_at"),
    finishedAt: text("finished_at"),
    updatedAt: String(row.updated_at),
  };
}

/**
 * A failed run resumes from its failed step: the row says running again, the
 * failed step gets a fresh retry budget, later steps are forgotten (they run
 * again), and the failed check run, which GitHub never reopens, gives way to
 * a new one (parked: the run opens it when it resumes). Only a row still
 * failed changes, so two clicks reopen it once.
 */
export async function reopenFromStep(db: D1Database, id: string, step: string): Promise<boolean> {
  await ensureSchema(db);
  const now = new Date().toISOString();
  const [reopened] = await db.batch([
    db
      .prepare(
        `UPDATE runs SET status = 'running', error = NULL, finished_at = NULL, check_run_id = NULL, check_parked = 1, check_closed = 0, updated_at = ?
         WHERE id = ? AND status = 'failed'`,
      )
      .bind(now, id),
  ]);
  if ((reopened?.meta.changes ?? 0) === 0) return false;
  const position = await db.prepare("SELECT position FROM run_steps WHERE run_id = ? AND name = ?").bind(id, step).first<{ position: number }>();
  await db.batch([
    db.prepare("DELETE FROM run_steps WHERE run_id = ? AND position > ?").bind(id, position?.position ?? Number.MAX_SAFE_INTEGER),
    db.prepare("UPDATE run_steps SET status = 'running', error = NULL, failures = 0, finished_at = NULL WHERE run_id = ? AND name = ?").bind(id, step),
  ]);
  return true;
}

/** The step a failed run failed at: its last failed do-step, if the failure happened in one. */
export async function failedStepOf(db: D1Database, id: string): Promise<string | null> {
  await ensureSchema(db);
  const row = await db
    .prepare("SELECT name FROM run_steps WHERE run_id = ? AND kind = 'do' AND status = 'failed' ORDER BY position DESC LIMIT 1")
    .bind(id)
    .first<{ name: string }>();
  return row?.name ?? null;
}

/** A step's annotations, once: a replayed step writes the same rows. */
export async function saveAnnotations(db: D1Database, runId: string, step: string, annotations: readonly unknown[]): Promise<void> {
  await ensureSchema(db);
  if (annotations.length === 0) return;
  await db.batch(
    annotations.map((annotation, position) =>
      db.prepare("INSERT INTO run_annotations (run_id, step, position, annotation) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING").bind(runId, step, position, JSON.stringify(annotation)),
    ),
  );
}

export async function listAnnotations<T>(db: D1Database, runId: string, limit = 1000): Promise<T[]> {
  await ensureSchema(db);
  const { results } = await db.prepare("SELECT annotation FROM run_annotations WHERE run_id = ? ORDER BY rowid LIMIT ?").bind(runId, limit).all<{ annotation: string }>();
  return results.map((row) => JSON.parse(row.annotation) as T);
}
