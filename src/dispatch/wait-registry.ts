/**
 * The waits of one repository, and the events they may take: a SQLite
 * Durable Object per repository (src/index.ts `WaitRegistry`, named by the
 * repository's full name). Being one object is what makes waits race-free:
 * an event being offered and a wait being registered are serialised, so
 * whichever comes second sees the other. An event offered before its wait
 * existed stays in the buffer and is found when the wait registers; a wait
 * registered first is found by the event's index keys.
 *
 * Every call here is synchronous SQL with no await in between, so each is one
 * transaction of the object (Durable Objects run one call's synchronous code
 * at a time). Correlation is an index lookup on (event, number, sha): cost is
 * O(matching waits), not O(waiting runs).
 *
 * A run's view of the buffer: the events accepted by the edge after the
 * event that started the run (never that event itself), and after its
 * previous wait ended (matched or expired), and not taken by an earlier
 * wait of the same run.
 */
import type { DeliveredEvent } from "../runtime";
import type { EventFacts } from "./event-facts";
import { eventKeys, matchesStructure, type WaitSpec } from "./wait-spec";

/** How far back a wait looks for an event that came before it registered. */
export const BUFFER_MS = 24 * 3_600_000;
/** Buffered events per repository, newest kept: a storm of events cannot grow the object without bound. */
export const BUFFER_MAX_EVENTS = 10_000;
/** Payloads larger than this reach a wait without `payload` (Workflow events carry at most 1 MiB). */
export const MAX_WAIT_PAYLOAD_BYTES = 800 * 1024;
/** Finished waits are kept this long, so a retried claim or registration answers the same. */
const FINISHED_RETENTION_MS = 86_400_000;
/** A run can wait up to 90 days; its cursor outlives that only when nobody forgot the run. */
const CURSOR_RETENTION_MS = 100 * 86_400_000;
/** The object's alarm prunes this often while it holds anything. */
export const PRUNE_EVERY_MS = 3_600_000;

export interface WaitCandidate {
  waitId: string;
  runId: string;
  /** The wait's step name, e.g. "approval". */
  name: string;
  from: WaitSpec["from"];
  command: string | null;
  /** Already taken by this very event (a retried offer): claim again to get it back. */
  claimed: boolean;
}

export interface BufferedEvent {
  facts: EventFacts;
  payload: unknown;
}

export interface Registration {
  waitId: string;
  runId: string;
  name: string;
  attempt: number;
  spec: WaitSpec;
  keys: string[];
  timeoutMs: number;
  /** Where the run's view of the buffer starts (its first registration only). */
  since: { at: number; exclude: string | null };
  /** The identifier of the wait's check-run button, when it has one. */
  buttonId: string | null;
}

export type Registered =
  | { state: "matched"; deadline: number; event: BufferedEvent }
  | { state: "open"; deadline: number; candidates: BufferedEvent[] };

export interface Claimed {
  waitId: string;
  runId: string;
  /** The wait's step name, e.g. "approval". */
  name: string;
}

export function createWaitSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS events (
    delivery_id TEXT PRIMARY KEY, facts TEXT NOT NULL, payload TEXT, received_at INTEGER NOT NULL)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS events_by_time ON events (received_at)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS event_keys (key TEXT NOT NULL, delivery_id TEXT NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (key, delivery_id))`);
  sql.exec(`CREATE TABLE IF NOT EXISTS waits (
    id TEXT PRIMARY KEY, run_id TEXT NOT NULL, name TEXT NOT NULL, attempt INTEGER NOT NULL, spec TEXT NOT NULL,
    deadline INTEGER NOT NULL, state TEXT NOT NULL, matched_delivery TEXT, created_at INTEGER NOT NULL, button_id TEXT)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS waits_by_run ON waits (run_id, name, attempt)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS waits_by_button ON waits (button_id)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS wait_keys (key TEXT NOT NULL, wait_id TEXT NOT NULL, PRIMARY KEY (key, wait_id))`);
  sql.exec(`CREATE TABLE IF NOT EXISTS cursors (run_id TEXT PRIMARY KEY, after INTEGER NOT NULL, touched_at INTEGER NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS consumed (run_id TEXT NOT NULL, delivery_id TEXT NOT NULL, PRIMARY KEY (run_id, delivery_id))`);
}

interface WaitRow {
  id: string;
  run_id: string;
  name: string;
  attempt: number;
  spec: string;
  deadline: number;
  state: "open" | "matched" | "expired";
  matched_delivery: string | null;
}

/** Files the event in the buffer (once per delivery) and returns the waits it may satisfy, role checks aside. */
export function offerEvent(sql: SqlStorage, facts: EventFacts, payloadJson: string | null, now = Date.now()): WaitCandidate[] {
  const { candidates, fresh } = fileAndMatch(sql, facts, payloadJson);
  if (fresh) trimBuffer(sql, now);
  return candidates;
}

/**
 * A drained batch's events, as offerEvent each, with the buffer trimmed once for all: the trim
 * counts the buffer (a walk of up to BUFFER_MAX_EVENTS rows), which per event made a batch's
 * cost grow with the buffer's size.
 */
export function offerEvents(sql: SqlStorage, events: readonly { facts: EventFacts; payloadJson: string | null }[], now = Date.now()): WaitCandidate[][] {
  const offered = events.map(({ facts, payloadJson }) => fileAndMatch(sql, facts, payloadJson));
  if (offered.some(({ fresh }) => fresh)) trimBuffer(sql, now);
  return offered.map(({ candidates }) => candidates);
}

/** `fresh`: the event was not in the buffer yet. */
function fileAndMatch(sql: SqlStorage, facts: EventFacts, payloadJson: string | null): { candidates: WaitCandidate[]; fresh: boolean } {
  const keys = eventKeys(facts);
  const fresh = sql.exec(
    "INSERT OR IGNORE INTO events (delivery_id, facts, payload, received_at) VALUES (?, ?, ?, ?)",
    facts.deliveryId,
    JSON.stringify(facts),
    payloadJson,
    facts.receivedAt,
  ).rowsWritten;
  if (fresh > 0) {
    for (const key of keys) sql.exec("INSERT OR IGNORE INTO event_keys (key, delivery_id, received_at) VALUES (?, ?, ?)", key, facts.deliveryId, facts.receivedAt);
  }
  const placeholders = keys.map(() => "?").join(", ");
  const rows = sql
    .exec<WaitRow & Record<string, SqlStorageValue>>(
      `SELECT DISTINCT w.* FROM wait_keys k JOIN waits w ON w.id = k.wait_id WHERE k.key IN (${placeholders}) AND w.state = 'open'
       UNION SELECT * FROM waits WHERE matched_delivery = ?`,
      ...keys,
      facts.deliveryId,
    )
    .toArray();
  const candidates: WaitCandidate[] = [];
  for (const row of rows) {
    const spec = JSON.parse(row.spec) as WaitSpec;
    if (row.state === "matched") {
      candidates.push({ waitId: row.id, runId: row.run_id, name: row.name, from: spec.from, command: spec.command, claimed: true });
      continue;
    }
    if (facts.receivedAt > row.deadline || !visibleTo(sql, row.run_id, facts) || !matchesStructure(spec, facts)) continue;
    candidates.push({ waitId: row.id, runId: row.run_id, name: row.name, from: spec.from, command: spec.command, claimed: false });
  }
  return { candidates, fresh: fresh > 0 };
}

/** Gives the event to each wait still open; a wait already taken by this same event is returned again. */
export function claimWaits(sql: SqlStorage, deliveryId: string, waitIds: string[]): Claimed[] {
  const event = sql.exec<{ received_at: number }>("SELECT received_at FROM events WHERE delivery_id = ?", deliveryId).toArray()[0];
  if (!event) return [];
  const claimed: Claimed[] = [];
  for (const waitId of waitIds) {
    const row = sql.exec<WaitRow & Record<string, SqlStorageValue>>("SELECT * FROM waits WHERE id = ?", waitId).toArray()[0];
    if (!row) continue;
    if (row.state === "matched") {
      if (row.matched_delivery === deliveryId) claimed.push({ waitId, runId: row.run_id, name: row.name });
      continue;
    }
    if (row.state !== "open" || event.received_at > row.deadline) continue;
    sql.exec("UPDATE waits SET state = 'matched', matched_delivery = ? WHERE id = ?", deliveryId, waitId);
    sql.exec("DELETE FROM wait_keys WHERE wait_id = ?", waitId);
    sql.exec("INSERT OR IGNORE INTO consumed (run_id, delivery_id) VALUES (?, ?)", row.run_id, deliveryId);
    sql.exec("UPDATE cursors SET after = MAX(after, ?), touched_at = ? WHERE run_id = ?", event.received_at, Date.now(), row.run_id);
    claimed.push({ waitId, runId: row.run_id, name: row.name });
  }
  return claimed;
}

/**
 * Files a wait, or finds it filed (a retried registration step). Returns the
 * buffered events it may take, oldest first, for the caller to check roles
 * and claim; or the event that already satisfied it.
 */
export function registerWait(sql: SqlStorage, registration: Registration, now = Date.now()): Registered {
  const { waitId, runId } = registration;
  const existing = sql.exec<WaitRow & Record<string, SqlStorageValue>>("SELECT * FROM waits WHERE id = ?", waitId).toArray()[0];
  if (existing?.state === "matched" && existing.matched_delivery !== null) {
    const event = bufferedEvent(sql, existing.matched_delivery);
    if (event) return { state: "matched", deadline: existing.deadline, event };
  }
  let deadline: number;
  if (existing) {
    deadline = existing.deadline;
  } else {
    endExpiredWaits(sql, runId, now);
    sql.exec(
      "INSERT OR IGNORE INTO cursors (run_id, after, touched_at) VALUES (?, ?, ?)",
      runId,
      Math.max(registration.since.at, now - BUFFER_MS),
      now,
    );
    if (registration.since.exclude !== null) sql.exec("INSERT OR IGNORE INTO consumed (run_id, delivery_id) VALUES (?, ?)", runId, registration.since.exclude);
    // Later attempts of one wait (the tenant's `match` said no) keep the first attempt's deadline: it is absolute.
    const first = sql
      .exec<{ deadline: number }>("SELECT deadline FROM waits WHERE run_id = ? AND name = ? AND attempt = 1", runId, registration.name)
      .toArray()[0];
    deadline = registration.attempt > 1 && first ? first.deadline : now + registration.timeoutMs;
    sql.exec(
      "INSERT INTO waits (id, run_id, name, attempt, spec, deadline, state, created_at, button_id) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
      waitId,
      runId,
      registration.name,
      registration.attempt,
      JSON.stringify(registration.spec),
      deadline,
      now,
      registration.buttonId,
    );
    for (const key of registration.keys) sql.exec("INSERT OR IGNORE INTO wait_keys (key, wait_id) VALUES (?, ?)", key, waitId);
  }
  if (existing && existing.state !== "open") return { state: "open", deadline, candidates: [] };
  return { state: "open", deadline, candidates: bufferedCandidates(sql, registration, deadline) };
}

/** The open wait a check-run button belongs to, for the caller to check who clicked and then claim. */
export function waitOfButton(sql: SqlStorage, buttonId: string): { waitId: string; runId: string; from: WaitSpec["from"] } | null {
  const row = sql.exec<{ id: string; run_id: string; spec: string }>("SELECT id, run_id, spec FROM waits WHERE button_id = ? AND state = 'open' ORDER BY attempt DESC LIMIT 1", buttonId).toArray()[0];
  return row ? { waitId: row.id, runId: row.run_id, from: (JSON.parse(row.spec) as WaitSpec).from } : null;
}

/** A run that ended waits for nothing more. */
export function forgetRun(sql: SqlStorage, runId: string): void {
  sql.exec("DELETE FROM wait_keys WHERE wait_id IN (SELECT id FROM waits WHERE run_id = ?)", runId);
  sql.exec("DELETE FROM waits WHERE run_id = ?", runId);
  sql.exec("DELETE FROM cursors WHERE run_id = ?", runId);
  sql.exec("DELETE FROM consumed WHERE run_id = ?", runId);
}

/** Drops what no wait can need any more; returns true while anything is left to prune later. */
export function pruneWaits(sql: SqlStorage, now = Date.now()): boolean {
  const before = now - BUFFER_MS;
  sql.exec("DELETE FROM event_keys WHERE received_at < ?", before);
  sql.exec("DELETE FROM events WHERE received_at < ?", before);
  const stale = now - FINISHED_RETENTION_MS;
  sql.exec("DELETE FROM wait_keys WHERE wait_id IN (SELECT id FROM waits WHERE deadline < ?)", stale);
  sql.exec("DELETE FROM waits WHERE deadline < ?", stale);
  const old = now - CURSOR_RETENTION_MS;
  sql.exec("DELETE FROM consumed WHERE run_id IN (SELECT run_id FROM cursors WHERE touched_at < ?)", old);
  sql.exec("DELETE FROM cursors WHERE touched_at < ?", old);
  const left = sql.exec<{ n: number }>("SELECT (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM waits) + (SELECT COUNT(*) FROM cursors) AS n").one().n;
  return left > 0;
}

function trimBuffer(sql: SqlStorage, now: number): void {
  const count = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n;
  if (count <= BUFFER_MAX_EVENTS) return;
  const cutoff = sql
    .exec<{ received_at: number }>("SELECT received_at FROM events ORDER BY received_at DESC LIMIT 1 OFFSET ?", BUFFER_MAX_EVENTS)
    .toArray()[0]?.received_at ?? now;
  sql.exec("DELETE FROM event_keys WHERE received_at <= ?", cutoff);
  sql.exec("DELETE FROM events WHERE received_at <= ?", cutoff);
}

/** A wait of the run whose deadline passed ends its view there: the next wait sees only later events. */
function endExpiredWaits(sql: SqlStorage, runId: string, now: number): void {
  const expired = sql.exec<{ id: string; deadline: number }>("SELECT id, deadline FROM waits WHERE run_id = ? AND state = 'open' AND deadline < ?", runId, now).toArray();
  for (const wait of expired) {
    sql.exec("UPDATE waits SET state = 'expired' WHERE id = ?", wait.id);
    sql.exec("DELETE FROM wait_keys WHERE wait_id = ?", wait.id);
    sql.exec("UPDATE cursors SET after = MAX(after, ?), touched_at = ? WHERE run_id = ?", wait.deadline, now, runId);
  }
}

function visibleTo(sql: SqlStorage, runId: string, facts: EventFacts): boolean {
  const cursor = sql.exec<{ after: number }>("SELECT after FROM cursors WHERE run_id = ?", runId).toArray()[0];
  if (cursor && facts.receivedAt < cursor.after) return false;
  return sql.exec("SELECT 1 FROM consumed WHERE run_id = ? AND delivery_id = ?", runId, facts.deliveryId).toArray().length === 0;
}

function bufferedCandidates(sql: SqlStorage, registration: Registration, deadline: number): BufferedEvent[] {
  const after = sql.exec<{ after: number }>("SELECT after FROM cursors WHERE run_id = ?", registration.runId).one().after;
  const placeholders = registration.keys.map(() => "?").join(", ");
  const rows = sql
    .exec<{ delivery_id: string }>(
      `SELECT DISTINCT k.delivery_id, k.received_at FROM event_keys k
       WHERE k.key IN (${placeholders}) AND k.received_at >= ? AND k.received_at <= ?
         AND k.delivery_id NOT IN (SELECT delivery_id FROM consumed WHERE run_id = ?)
       ORDER BY k.received_at, k.delivery_id LIMIT 100`,
      ...registration.keys,
      after,
      deadline,
      registration.runId,
    )
    .toArray();
  const found: BufferedEvent[] = [];
  for (const row of rows) {
    const event = bufferedEvent(sql, row.delivery_id);
    if (event && matchesStructure(registration.spec, event.facts)) found.push(event);
  }
  return found;
}

function bufferedEvent(sql: SqlStorage, deliveryId: string): BufferedEvent | null {
  const row = sql.exec<{ facts: string; payload: string | null }>("SELECT facts, payload FROM events WHERE delivery_id = ?", deliveryId).toArray()[0];
  if (!row) return null;
  return { facts: JSON.parse(row.facts) as EventFacts, payload: row.payload === null ? null : JSON.parse(row.payload) };
}

/** What the run receives for an event: the facts it was matched on and the payload. */
export function deliveredEvent(event: BufferedEvent, command: string | null): DeliveredEvent {
  const { facts } = event;
  const matched = command === null ? null : (facts.commands.find((c) => c.name === command) ?? null);
  return { type: facts.event, action: facts.action, deliveryId: facts.deliveryId, payload: event.payload, actor: facts.actor, command: matched };
}

/** The payload as the buffer keeps it: JSON, or null when a wait could not carry it. */
export function storablePayload(payload: unknown): string | null {
  const json = JSON.stringify(payload ?? null);
  return new TextEncoder().encode(json).byteLength <= MAX_WAIT_PAYLOAD_BYTES ? json : null;
}
