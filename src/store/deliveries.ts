/** The ledger of accepted webhook deliveries: what recovery walks to find ingest runs a restart stranded. */
import { ensureSchema } from "./schema";
import type { DeliveryOutcome, DeliveryRecord, DeliveryStatus } from "./types";

export async function recordDelivery(
  db: D1Database,
  delivery: Pick<DeliveryRecord, "id" | "instanceId" | "event" | "action" | "installationId" | "repository">,
): Promise<void> {
  await ensureSchema(db);
  await db
    .prepare(
      `INSERT INTO deliveries (id, instance_id, event, action, installation_id, repository, received_at, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'accepted') ON CONFLICT (id) DO NOTHING`,
    )
    .bind(delivery.id, delivery.instanceId, delivery.event, delivery.action, delivery.installationId, delivery.repository, new Date().toISOString())
    .run();
}

/**
 * Ledger rows for a drained inbox batch, in one transaction. `reopen`: the
 * inbox decides the delivery again (a push that arrived late,
 * src/dispatch/inbox-kept.ts) and hands it to an ingest of its own, which the
 * row then names, accepted again for that ingest to finish.
 */
export async function recordDeliveries(
  db: D1Database,
  deliveries: readonly (Pick<DeliveryRecord, "id" | "instanceId" | "event" | "action" | "installationId" | "repository" | "receivedAt"> & { reopen?: boolean })[],
): Promise<void> {
  if (deliveries.length === 0) return;
  await ensureSchema(db);
  const insert = `INSERT INTO deliveries (id, instance_id, event, action, installation_id, repository, received_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'accepted')`;
  const reopen = "ON CONFLICT (id) DO UPDATE SET instance_id = excluded.instance_id, status = 'accepted', processed_at = NULL, outcome = NULL, error = NULL";
  await db.batch(
    deliveries.map((d) =>
      db
        .prepare(`${insert} ${d.reopen ? reopen : "ON CONFLICT (id) DO NOTHING"}`)
        .bind(d.id, d.instanceId, d.event, d.action, d.installationId, d.repository, d.receivedAt),
    ),
  );
}

/**
 * Deliveries the inbox decided about without any Workflow (src/dispatch/triage.ts):
 * processed already, with why nothing ran, or with the runs it started. One
 * statement for the whole batch. A first decision keeps a row ingest finished
 * (a redelivery past the inbox's memory), and takes over one still accepted for
 * the same ingest (a drain that died before creating it, retried and decided
 * otherwise); `replaces`: the inbox decided these deliveries again
 * (src/dispatch/inbox-kept.ts), and the new decision is the row's.
 */
export function decidedDeliveriesStatement(
  db: D1Database,
  deliveries: readonly (Pick<DeliveryRecord, "id" | "instanceId" | "event" | "action" | "installationId" | "repository" | "receivedAt"> & { outcome: DeliveryOutcome })[],
  { replaces = false }: { replaces?: boolean } = {},
): D1PreparedStatement {
  const rows = deliveries.map((d) => ({ id: d.id, instance: d.instanceId, event: d.event, action: d.action, installation: d.installationId, repository: d.repository, received: d.receivedAt, outcome: JSON.stringify(d.outcome) }));
  return db
    .prepare(
      `INSERT INTO deliveries (id, instance_id, event, action, installation_id, repository, received_at, status, processed_at, outcome)
       SELECT value ->> '$.id', value ->> '$.instance', value ->> '$.event', value ->> '$.action', value ->> '$.installation', value ->> '$.repository',
              value ->> '$.received', 'processed', ?2, value ->> '$.outcome'
       FROM json_each(?1) WHERE true
       ON CONFLICT (id) DO UPDATE SET instance_id = excluded.instance_id, status = 'processed', processed_at = excluded.processed_at, outcome = excluded.outcome, error = NULL
       WHERE ${replaces ? "true" : "deliveries.status = 'accepted' AND deliveries.instance_id = excluded.instance_id"}`,
    )
    .bind(JSON.stringify(rows), new Date().toISOString());
}

/** `byInstance`: only while the row still names that ingest (a delivery decided again names its newer one). */
export async function finishDelivery(db: D1Database, id: string, status: Exclude<DeliveryStatus, "accepted">, error?: string, outcome?: DeliveryOutcome, byInstance?: string): Promise<void> {
  await ensureSchema(db);
  await db
    .prepare("UPDATE deliveries SET status = ?, processed_at = ?, error = ?, outcome = COALESCE(?, outcome) WHERE id = ? AND (?6 IS NULL OR instance_id = ?6)")
    .bind(status, new Date().toISOString(), error ?? null, outcome ? JSON.stringify(outcome) : null, id, byInstance ?? null)
    .run();
}

/**
 * What two decisions of one delivery did, together (a delivery decided again after a push arrived late,
 * src/dispatch/inbox-kept.ts): the runs each started and woke, each one's notes; ignored only if neither did anything.
 */
export function mergeOutcomes(earlier: DeliveryOutcome | null, later: DeliveryOutcome): DeliveryOutcome {
  if (!earlier) return later;
  const started = [...new Set([...earlier.started, ...later.started])];
  const woke = [...earlier.woke, ...later.woke.filter((w) => !earlier.woke.some((e) => e.runId === w.runId && e.wait === w.wait))];
  const notes = [...earlier.notes, ...later.notes.filter((n) => !earlier.notes.some((e) => e.workflow === n.workflow && e.note === n.note))];
  const bundle = later.bundle ?? earlier.bundle;
  const merged: DeliveryOutcome = { started, woke, notes, ...(bundle ? { bundle } : {}) };
  if (started.length === 0 && woke.length === 0) {
    const ignored = later.ignored ?? earlier.ignored;
    if (ignored) merged.ignored = ignored;
  }
  return merged;
}

/**
 * Ingest's last word on its delivery: the outcome merged into what the row holds, atomically (a compare-and-set
 * on the outcome, retried), and the status set only while the row names this ingest. A delivery decided again
 * after its runs started has two ingests; either may finish first, and neither hides what the other started.
 */
export async function finishIngestDelivery(db: D1Database, id: string, self: string, outcome: DeliveryOutcome): Promise<void> {
  await ensureSchema(db);
  for (let attempt = 0; attempt < 8; attempt++) {
    const row = await db.prepare("SELECT instance_id, outcome FROM deliveries WHERE id = ?").bind(id).first<{ instance_id: string; outcome: string | null }>();
    if (!row) return;
    const merged = JSON.stringify(mergeOutcomes(row.outcome === null ? null : (JSON.parse(row.outcome) as DeliveryOutcome), outcome));
    const owns = row.instance_id === self;
    const { meta } = await db
      .prepare(
        `UPDATE deliveries SET outcome = ?1,
           status = CASE WHEN ?2 = 1 THEN 'processed' ELSE status END,
           processed_at = CASE WHEN ?2 = 1 THEN ?3 ELSE processed_at END,
           error = CASE WHEN ?2 = 1 THEN NULL ELSE error END
         WHERE id = ?4 AND outcome IS ?5 AND instance_id = ?6`,
      )
      .bind(merged, owns ? 1 : 0, new Date().toISOString(), id, row.outcome, row.instance_id)
      .run();
    if (meta.changes > 0) return;
  }
  throw new Error(`repoflow: the ledger row of ${id} kept changing while its outcome was being recorded`);
}

/** An ingest step's failed attempt: the delivery is still retried, and says why. */
export async function noteDeliveryAttempt(db: D1Database, id: string, attempt: number, error: string): Promise<void> {
  await ensureSchema(db);
  await db.prepare("UPDATE deliveries SET attempts = MAX(attempts, ?), last_error = ? WHERE id = ?").bind(attempt, error.slice(0, 2000), id).run();
}

/** A failed delivery processed again: it is accepted once more, its failure kept in last_error. */
export async function reopenDelivery(db: D1Database, id: string): Promise<void> {
  await ensureSchema(db);
  await db
    .prepare("UPDATE deliveries SET status = 'accepted', last_error = COALESCE(error, last_error), error = NULL, processed_at = NULL WHERE id = ?")
    .bind(id)
    .run();
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  /**
   * Only what a signed-in viewer may see: deliveries about these repositories
   * (`owner/name`, any case), and those about no repository (installation
   * events, ping) of these installations.
   */
  visibleTo?: { repositories: readonly string[]; repositorylessOf: readonly number[] };
  limit?: number;
}

/** The newest deliveries first. */
export async function listDeliveries(db: D1Database, filter: DeliveryFilter = {}): Promise<DeliveryRecord[]> {
  await ensureSchema(db);
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.status) (where.push("status = ?"), values.push(filter.status));
  if (filter.visibleTo) {
    const { repositories, repositorylessOf } = filter.visibleTo;
    if (repositories.length === 0 && repositorylessOf.length === 0) return [];
    // JSON parameters however long the lists: D1 binds at most 100 parameters per query.
    where.push("(lower(repository) IN (SELECT value FROM json_each(?)) OR (repository IS NULL AND installation_id IN (SELECT value FROM json_each(?))))");
    values.push(JSON.stringify(repositories.map((name) => name.toLowerCase())), JSON.stringify(repositorylessOf));
  }
  const sql = `SELECT * FROM deliveries ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY received_at DESC LIMIT ?`;
  const { results } = await db.prepare(sql).bind(...values, Math.min(filter.limit ?? 50, 200)).all<Record<string, unknown>>();
  return results.map(toDelivery);
}

export async function getDelivery(db: D1Database, id: string): Promise<DeliveryRecord | null> {
  await ensureSchema(db);
  const row = await db.prepare("SELECT * FROM deliveries WHERE id = ?").bind(id).first<Record<string, unknown>>();
  return row ? toDelivery(row) : null;
}

/** Deliveries still `accepted` that were received before `olderThan`: candidates for a recovery kick. */
export async function listUnfinishedDeliveries(db: D1Database, olderThan: Date, limit = 100): Promise<DeliveryRecord[]> {
  await ensureSchema(db);
  const { results } = await db
    .prepare("SELECT * FROM deliveries WHERE status = 'accepted' AND received_at < ? ORDER BY received_at LIMIT ?")
    .bind(olderThan.toISOString(), limit)
    .all<Record<string, unknown>>();
  return results.map(toDelivery);
}

function toDelivery(row: Record<string, unknown>): DeliveryRecord {
  return {
    id: String(row.id),
    instanceId: String(row.instance_id),
    event: String(row.event),
    action: (row.action as string | null) ?? null,
    installationId: (row.installation_id as number | null) ?? null,
    repository: (row.repository as string | null) ?? null,
    receivedAt: String(row.received_at),
    status: row.status as DeliveryStatus,
    processedAt: (row.processed_at as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    attempts: Number(row.attempts ?? 0),
    lastError: (row.last_error as string | null) ?? null,
    outcome: parseOutcome(row.outcome),
  };
}

function parseOutcome(value: unknown): DeliveryOutcome | null {
  if (typeof value !== "string") return null;
  try {
    return JSON.parse(value) as DeliveryOutcome;
  } catch {
    return null;
  }
}
