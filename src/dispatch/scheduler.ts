/**
 * Schedules (`on: { schedule }`): one SQLite Durable Object per repository
 * (src/index.ts `Scheduler`) keeps the schedules of the repository's default
 * branch and one alarm at the earliest next tick, instead of a cron per
 * workflow. Each tick becomes an internal event (internal-events.ts) with an
 * id derived from the tick, so an alarm retried after a crash starts one run.
 *
 * Missed ticks (the service was down over several of them) run once, as the
 * latest. Alarms are durable in production; locally, and as a safety net,
 * the recovery pass pokes schedulers whose tick is overdue (the D1 index
 * `schedule_index`), and the Worker's cron trigger runs that pass.
 */
import { SCHEDULE_EVENT, type WorkflowManifestEntry } from "../runtime";
import { indexSchedule } from "../store";
import { nextTick, parseCron, ticksBetween } from "./cron";
import type { AcceptEnv } from "./delivery";
import { internalEventId, submitInternalEvent } from "./internal-events";

export interface ScheduleEntry {
  workflow: string;
  cron: string;
  timezone: string;
}

export interface SchedulerState {
  repository: string;
  installationId: number;
}

export interface DueTick extends ScheduleEntry {
  /** The tick fired (the latest one due), ms since the epoch. */
  tick: number;
  /** Ticks that were due, this one included (more than 1 after an outage). */
  missed: number;
}

export function createSchedulerSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS schedules (
    workflow TEXT NOT NULL, cron TEXT NOT NULL, timezone TEXT NOT NULL, next_at INTEGER NOT NULL,
    PRIMARY KEY (workflow, cron, timezone))`);
  sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
}

export function schedulesOf(workflows: readonly WorkflowManifestEntry[]): ScheduleEntry[] {
  return workflows.flatMap((workflow) => (workflow.schedules ?? []).map(({ cron, timezone }) => ({ workflow: workflow.file, cron, timezone })));
}

/** Replaces the repository's schedules with these; a schedule kept keeps its next tick. Returns the next alarm. */
export function syncSchedules(sql: SqlStorage, state: SchedulerState, entries: readonly ScheduleEntry[], now = Date.now()): number | null {
  sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('state', ?)", JSON.stringify(state));
  const wanted = new Set(entries.map(entryKey));
  for (const row of sql.exec<{ workflow: string; cron: string; timezone: string }>("SELECT workflow, cron, timezone FROM schedules").toArray()) {
    if (!wanted.has(entryKey(row))) sql.exec("DELETE FROM schedules WHERE workflow = ? AND cron = ? AND timezone = ?", row.workflow, row.cron, row.timezone);
  }
  for (const entry of entries) {
    const next = nextTick(parseCron(entry.cron), now, entry.timezone);
    sql.exec("INSERT OR IGNORE INTO schedules (workflow, cron, timezone, next_at) VALUES (?, ?, ?, ?)", entry.workflow, entry.cron, entry.timezone, next);
  }
  return nextAlarm(sql);
}

export function schedulerState(sql: SqlStorage): SchedulerState | null {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'state'").toArray()[0];
  return row ? (JSON.parse(row.value) as SchedulerState) : null;
}

/** The ticks due at `now`, without moving them on: the caller fires them, then calls advance(). */
export function dueTicks(sql: SqlStorage, now = Date.now()): DueTick[] {
  const rows = sql.exec<{ workflow: string; cron: string; timezone: string; next_at: number }>("SELECT * FROM schedules WHERE next_at <= ?", now).toArray();
  return rows.map((row) => {
    // next_at is itself a tick; everything from it up to now collapses into the latest one.
    const since = ticksBetween(parseCron(row.cron), row.next_at - 1, now, row.timezone);
    return { workflow: row.workflow, cron: row.cron, timezone: row.timezone, tick: since.last ?? row.next_at, missed: Math.max(1, since.count) };
  });
}

export function advance(sql: SqlStorage, fired: readonly DueTick[], now = Date.now()): number | null {
  for (const tick of fired) {
    sql.exec(
      "UPDATE schedules SET next_at = ? WHERE workflow = ? AND cron = ? AND timezone = ?",
      nextTick(parseCron(tick.cron), Math.max(now, tick.tick), tick.timezone),
      tick.workflow,
      tick.cron,
      tick.timezone,
    );
  }
  return nextAlarm(sql);
}

export function nextAlarm(sql: SqlStorage): number | null {
  return sql.exec<{ next: number | null }>("SELECT MIN(next_at) AS next FROM schedules").one().next ?? null;
}

/** The internal event of a tick: its id names the repository, workflow, schedule and tick, so it is sent once. */
export function tickEvent(state: SchedulerState, tick: DueTick): { event: string; payload: Record<string, unknown>; idParts: (string | number)[] } {
  return {
    event: SCHEDULE_EVENT,
    payload: { workflow: tick.workflow, schedule: { cron: tick.cron, timezone: tick.timezone }, tick: new Date(tick.tick).toISOString(), missed: tick.missed },
    idParts: [state.repository.toLowerCase(), tick.workflow, tick.cron, tick.timezone, tick.tick],
  };
}

function entryKey(entry: { workflow: string; cron: string; timezone: string }): string {
  return `${entry.workflow}\n${entry.cron}\n${entry.timezone}`;
}

export interface SchedulerEnv extends AcceptEnv {
  DB: D1Database;
}

export interface SchedulerStorage {
  sql: SqlStorage;
  setAlarm(at: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** The Durable Object's jobs, as plain functions over its storage (src/index.ts is wiring only). */
export async function applySchedules(env: SchedulerEnv, storage: SchedulerStorage, state: SchedulerState, entries: readonly ScheduleEntry[]): Promise<number | null> {
  return rearm(env, storage, state, syncSchedules(storage.sql, state, entries));
}

/** Fires every due tick once, then moves the schedules on. A failure leaves them due: the alarm is retried. */
export async function fireDueTicks(env: SchedulerEnv, storage: SchedulerStorage, now = Date.now()): Promise<DueTick[]> {
  const state = schedulerState(storage.sql);
  if (!state) return [];
  const due = dueTicks(storage.sql, now);
  for (const tick of due) {
    const { event, payload, idParts } = tickEvent(state, tick);
    await submitInternalEvent(env, { id: await internalEventId("schedule", ...idParts), event, installationId: state.installationId, repository: state.repository, payload });
  }
  await rearm(env, storage, state, advance(storage.sql, due, now));
  return due;
}

/** `npm run replay -- schedule <workflow>` and the dashboard: one tick now, whatever the schedule says. */
export async function fireNow(env: SchedulerEnv, storage: SchedulerStorage, workflow: string, now = Date.now()): Promise<string | null> {
  const state = schedulerState(storage.sql);
  const entry = storage.sql.exec<{ workflow: string; cron: string; timezone: string }>("SELECT workflow, cron, timezone FROM schedules WHERE workflow = ? LIMIT 1", workflow).toArray()[0];
  if (!state || !entry) return null;
  const { event, payload, idParts } = tickEvent(state, { ...entry, tick: now, missed: 1 });
  const id = await internalEventId("schedule-now", ...idParts);
  await submitInternalEvent(env, { id, event, installationId: state.installationId, repository: state.repository, payload });
  return id;
}

async function rearm(env: SchedulerEnv, storage: SchedulerStorage, state: SchedulerState, next: number | null): Promise<number | null> {
  if (next === null) await storage.deleteAlarm();
  else await storage.setAlarm(next);
  await indexSchedule(env.DB, state.repository, state.installationId, next);
  return next;
}

/** The Scheduler Durable Object's RPC surface (src/index.ts). */
export interface SchedulerStub {
  sync(state: SchedulerState, entries: ScheduleEntry[]): Promise<number | null>;
  tick(): Promise<DueTick[]>;
  fireNow(workflow: string): Promise<string | null>;
}

export function schedulerOf(env: { SCHEDULER: DurableObjectNamespace }, repository: string): SchedulerStub {
  // Typed without the class: src/index.ts imports this room, not the other way round.
  return env.SCHEDULER.get(env.SCHEDULER.idFromName(repository.toLowerCase())) as unknown as SchedulerStub;
}
