/**
 * What starts when, per workflow and key (a pull request, a branch): a
 * SQLite Durable Object per repository (src/index.ts `Lanes`), so two
 * deliveries deciding about the same key at once are serialised.
 *
 * - `concurrency: { key, cancelInProgress: true }`: a run supersedes the
 *   older runs of its lane, which are cancelled ("Superseded by …"); an older
 *   event processed late is the one cancelled, so order follows GitHub's.
 * - `concurrency: { key }`: runs of a lane run one at a time, the oldest
 *   waiting next; the next is woken when one ends.
 * - `debounce: { key, period, maxWait }`: events of a lane within `period`
 *   of each other start one run, on the last event, at most `maxWait` after
 *   the first. The object's alarm starts it.
 */
import type { WorkflowManifestEntry } from "../runtime";

/** Lane names are the workflow file and the author's key; keys are capped so a lane row stays small. */
export function laneOf(workflow: string, key: string): string {
  return `${workflow}\n${key.slice(0, 200)}`;
}

export function createLaneSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS lane_runs (lane TEXT NOT NULL, run_id TEXT NOT NULL, received_at INTEGER NOT NULL, running INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (lane, run_id))`);
  sql.exec(`CREATE TABLE IF NOT EXISTS debounces (
    lane TEXT PRIMARY KEY, workflow TEXT NOT NULL, source TEXT NOT NULL, latest_at INTEGER NOT NULL,
    first_at INTEGER NOT NULL, due_at INTEGER NOT NULL, absorbed TEXT NOT NULL)`);
}

/** cancelInProgress: files the run and names the runs it supersedes (or itself, when a newer run is there already). */
export function supersede(sql: SqlStorage, lane: string, runId: string, receivedAt: number): { cancel: string[] } {
  sql.exec("INSERT OR IGNORE INTO lane_runs (lane, run_id, received_at) VALUES (?, ?, ?)", lane, runId, receivedAt);
  const others = sql.exec<{ run_id: string; received_at: number }>("SELECT run_id, received_at FROM lane_runs WHERE lane = ? AND run_id != ?", lane, runId).toArray();
  if (others.some((other) => other.received_at > receivedAt)) {
    sql.exec("DELETE FROM lane_runs WHERE lane = ? AND run_id = ?", lane, runId);
    return { cancel: [runId] };
  }
  for (const other of others) sql.exec("DELETE FROM lane_runs WHERE lane = ? AND run_id = ?", lane, other.run_id);
  return { cancel: others.map((other) => other.run_id) };
}

/**
 * Queueing: files the run; it goes when no run of the lane is running and it
 * is the oldest waiting. A running run is never overtaken: an older event
 * whose run reaches the lane later waits behind it (runs queue in the order
 * they reach the lane, which follows GitHub's order unless ingest reordered).
 */
export function enterLane(sql: SqlStorage, lane: string, runId: string, receivedAt: number): { go: true } | { go: false; behind: string } {
  sql.exec("INSERT OR IGNORE INTO lane_runs (lane, run_id, received_at) VALUES (?, ?, ?)", lane, runId, receivedAt);
  const me = sql.exec<{ running: number }>("SELECT running FROM lane_runs WHERE lane = ? AND run_id = ?", lane, runId).one();
  if (me.running === 1) return { go: true };
  const holder = sql.exec<{ run_id: string }>("SELECT run_id FROM lane_runs WHERE lane = ? AND running = 1 LIMIT 1", lane).toArray()[0];
  if (holder) return { go: false, behind: holder.run_id };
  const first = sql.exec<{ run_id: string }>("SELECT run_id FROM lane_runs WHERE lane = ? ORDER BY received_at, run_id LIMIT 1", lane).one();
  if (first.run_id !== runId) return { go: false, behind: first.run_id };
  sql.exec("UPDATE lane_runs SET running = 1 WHERE lane = ? AND run_id = ?", lane, runId);
  return { go: true };
}

/** A run ended: it leaves whatever lanes it was in; the runs now first in those lanes, to wake. */
export function leaveAll(sql: SqlStorage, runId: string): string[] {
  const lanes = sql.exec<{ lane: string }>("SELECT lane FROM lane_runs WHERE run_id = ?", runId).toArray();
  return lanes.map(({ lane }) => leaveLane(sql, lane, runId)).filter((next): next is string => next !== null);
}

/** A run of the lane ended (or was found gone): the next in line, to wake, if any. */
export function leaveLane(sql: SqlStorage, lane: string, runId: string): string | null {
  sql.exec("DELETE FROM lane_runs WHERE lane = ? AND run_id = ?", lane, runId);
  return sql.exec<{ run_id: string }>("SELECT run_id FROM lane_runs WHERE lane = ? ORDER BY received_at, run_id LIMIT 1", lane).toArray()[0]?.run_id ?? null;
}

/** What a debounced run starts from: everything but the payload, which ingest keeps in R2 under the delivery. */
export interface DebouncedStart<Source> {
  workflow: WorkflowManifestEntry;
  source: Source;
  deliveryId: string;
  receivedAt: number;
}

/**
 * Ingest may reach the lane a little after the edge accepted the event, and
 * unevenly: a burst keeps this long after the newest arrival to hear the rest.
 */
const INGEST_SKEW_MS = 2_000;

/**
 * Absorbs an event into its lane's pending run; returns when that run is due.
 * The window is measured on arrival at the edge (what "ten pushes in a minute"
 * means), not on when ingest got here. Idempotent per delivery.
 */
export function absorb<Source>(sql: SqlStorage, lane: string, start: DebouncedStart<Source>, periodMs: number, maxWaitMs: number, now = Date.now()): number {
  const row = sql.exec<{ latest_at: number; first_at: number; absorbed: string; source: string }>("SELECT latest_at, first_at, absorbed, source FROM debounces WHERE lane = ?", lane).toArray()[0];
  const dueOf = (firstAt: number, latestAt: number) => Math.max(Math.min(latestAt + periodMs, firstAt + maxWaitMs), now + INGEST_SKEW_MS);
  if (!row) {
    const due = dueOf(start.receivedAt, start.receivedAt);
    sql.exec(
      "INSERT INTO debounces (lane, workflow, source, latest_at, first_at, due_at, absorbed) VALUES (?, ?, ?, ?, ?, ?, ?)",
      lane,
      JSON.stringify(start.workflow),
      JSON.stringify(start),
      start.receivedAt,
      start.receivedAt,
      due,
      JSON.stringify([start.deliveryId]),
    );
    return due;
  }
  const absorbed = JSON.parse(row.absorbed) as string[];
  if (!absorbed.includes(start.deliveryId)) absorbed.push(start.deliveryId);
  // The run starts on the newest event; an older one processed late only joins the count.
  const newest = start.receivedAt >= row.latest_at;
  const firstAt = Math.min(row.first_at, start.receivedAt);
  const latestAt = Math.max(row.latest_at, start.receivedAt);
  const due = dueOf(firstAt, latestAt);
  sql.exec(
    "UPDATE debounces SET source = ?, latest_at = ?, first_at = ?, due_at = ?, absorbed = ? WHERE lane = ?",
    newest ? JSON.stringify(start) : row.source,
    latestAt,
    firstAt,
    due,
    JSON.stringify(absorbed.slice(-1000)),
    lane,
  );
  return due;
}

export interface DueDebounce<Source> {
  lane: string;
  start: DebouncedStart<Source>;
  /** Deliveries the run absorbed, its own last. */
  absorbed: string[];
}

export function dueDebounces<Source>(sql: SqlStorage, now = Date.now()): DueDebounce<Source>[] {
  return sql
    .exec<{ lane: string; source: string; absorbed: string }>("SELECT lane, source, absorbed FROM debounces WHERE due_at <= ?", now)
    .toArray()
    .map((row) => {
      const start = JSON.parse(row.source) as DebouncedStart<Source>;
      const absorbed = (JSON.parse(row.absorbed) as string[]).filter((id) => id !== start.deliveryId);
      return { lane: row.lane, start, absorbed: [...absorbed, start.deliveryId] };
    });
}

/** Called once the lane's run exists: a later event opens a new burst. */
export function startedDebounce(sql: SqlStorage, lane: string, deliveryId: string): void {
  sql.exec("DELETE FROM debounces WHERE lane = ? AND json_extract(source, '$.deliveryId') = ?", lane, deliveryId);
}

export function nextDebounceAt(sql: SqlStorage): number | null {
  return sql.exec<{ next: number | null }>("SELECT MIN(due_at) AS next FROM debounces").one().next ?? null;
}

/** The Lanes Durable Object's RPC surface (src/index.ts). */
export interface LanesStub {
  supersede(lane: string, runId: string, receivedAt: number): Promise<{ cancel: string[] }>;
  enter(lane: string, runId: string, receivedAt: number): Promise<{ go: true } | { go: false; behind: string }>;
  leave(lane: string, runId: string): Promise<string | null>;
  leaveAll(runId: string): Promise<string[]>;
  absorb(lane: string, start: DebouncedStart<unknown>, periodMs: number, maxWaitMs: number): Promise<number>;
}

export function lanesOf(env: { LANES: DurableObjectNamespace }, repository: string): LanesStub {
  // Typed without the class: src/index.ts imports this room, not the other way round.
  return env.LANES.get(env.LANES.idFromName(repository.toLowerCase())) as unknown as LanesStub;
}

/** The Workflow event a queued run waits on for its turn. */
export function turnEventType(runId: string): string {
  return `rfl-${runId.slice(0, 90)}`;
}

/** What a run's metadata says of its lane. */
export interface RunLane {
  lane: string;
  mode: "queue" | "cancel";
  receivedAt: number;
}

/** Tells the next run of each lane the ended run was in that its turn came (a queued run waits on turnEventType). */
export async function leaveRunLanes(env: { LANES: DurableObjectNamespace; WORKFLOWS: Workflow }, repository: string, runId: string): Promise<string[]> {
  const next = await lanesOf(env, repository).leaveAll(runId);
  for (const id of next) {
    const instance = await env.WORKFLOWS.get(id).catch(() => null);
    // A next run that is gone is found by the one after it, which checks who it waits behind.
    await instance?.sendEvent({ type: turnEventType(id), payload: { after: runId } }).catch(() => undefined);
  }
  return next;
}

export interface LanesEnv {
  DB: D1Database;
  BLOBS: R2Bucket;
  WORKFLOWS: Workflow;
  LOADER: WorkerLoader;
}

/** The Lanes object's alarm: starts each debounced run that is due, on the newest event of its burst. */
export async function startDueDebounces(
  env: LanesEnv,
  storage: { sql: SqlStorage; setAlarm(at: number): Promise<void> },
  start: (source: unknown, workflow: WorkflowManifestEntry, absorbed: string[]) => Promise<void>,
  now = Date.now(),
): Promise<number> {
  const due = dueDebounces<Record<string, unknown>>(storage.sql, now);
  for (const { lane, start: pending, absorbed } of due) {
    await start(pending.source, pending.workflow, absorbed);
    startedDebounce(storage.sql, lane, pending.deliveryId);
  }
  const next = nextDebounceAt(storage.sql);
  if (next !== null) await storage.setAlarm(next);
  return due.length;
}
