/**
 * The webhook's durable inbox: sharded SQLite Durable Objects.
 *
 * Creating the ingest Workflow instance inside the request made the
 * acknowledgement cost a Workflow create (≈21 ms alone, ≈71 ms with ten in
 * flight locally; Cloudflare caps creates at 100/s per Workflow), so bursts
 * queued behind it (bench/README.md). The edge makes one durable write: the
 * delivery into its shard's inbox, which also answers "seen before?" in the
 * same transaction. A delivery is durable once accept() returns, so a process
 * death after the 202 loses nothing (invariant 2): the row stays pending until
 * an alarm or recovery's poke drains it.
 *
 * The alarm then decides, before any Workflow exists, whether each delivery
 * can matter (triage.ts): the ones that can become ingest instances
 * (createBatch, ids derived from X-GitHub-Delivery) and ledger rows recovery
 * walks; the others become processed ledger rows that say why nothing ran.
 * A repository's deliveries share a shard, so they are decided in the order
 * they arrived, and a push that changes .workflows/ is seen before the next event.
 */
import { readAppFact, advanceRepoHeadStatements, decidedDeliveriesStatement, loadRepoHeads, markRepoHeadPendingStatement, recordDeliveries, type DeliveryOutcome, type OutcomeDiagnostic, type RepoHead } from "../store";
import { eventFacts, type EventFacts } from "./event-facts";
import { applyHeadEffect, defaultBranchPush, offerable, triage, type HeadEffect } from "./triage";
import { matchWorkflow } from "./triggers";
import type { WorkflowManifestEntry } from "../runtime";
import { directStartOf, startDirectly, type DirectStart } from "./direct-start";
import { evaluateIf, type StartEnv } from "./start-runs";
import type { RunDecision } from "../runtime";
import { storablePayload } from "./wait-registry";
import { waitRegistry } from "./waits";
import { createKeptSchema, doubtOf, forgetKept, ingestInstanceOf, keepDecided, reconsider, type Doubt, type Keep } from "./inbox-kept";
import type { AcceptOutcome, Arrival, Delivery, IngestHint, IngestParams, KeptAs } from "./types";

export { INBOX_SHARDS, inboxName } from "./inbox-shards";

/** Deliveries GitHub may redeliver are remembered this long; Workflow instance ids dedupe beyond it. */
const SEEN_RETENTION_MS = 30 * 86_400_000;

/** createBatch takes at most 100 instances and 1 MiB per call. */
const BATCH_COUNT = 100;
const BATCH_BYTES = 900 * 1024;
/**
 * Deliveries one alarm decides: a D1 statement or so each, under the 1,000 queries of one
 * invocation, and short enough that the edge's accepts interleave with the drain.
 */
const DRAIN_COUNT = 200;
/** One ledger statement carries at most this much of outcomes. */
const DECIDED_BYTES = 256 * 1024;
/** A WaitRegistry RPC carries at most this much of payloads (RPC messages are capped at 32 MiB). */
const OFFER_BYTES = 8 * 1024 * 1024;
/** app_facts' name for the App's bot login (ingest writes it): per App, so a Worker moved to another App learns its bot anew. */
export function botLoginFact(appId: number): string {
  return `bot_login:${appId}`;
}


export interface InboxStorage {
  sql: SqlStorage;
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): Promise<void>;
}

export function createInboxSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
  // Each drain forgets what is past retention: without this index that reads every row of the shard.
  sql.exec(`CREATE INDEX IF NOT EXISTS seen_by_at ON seen (at)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS pending (id TEXT PRIMARY KEY, params TEXT NOT NULL, bytes INTEGER NOT NULL, received_at INTEGER NOT NULL)`);
  // What a workflow's `if` said for a pending delivery whose run the inbox starts itself (decideIfs).
  sql.exec(`CREATE TABLE IF NOT EXISTS if_decisions (delivery_id TEXT NOT NULL, workflow TEXT NOT NULL, decision TEXT NOT NULL, PRIMARY KEY (delivery_id, workflow))`);
  createKeptSchema(sql);
  // A pending row no drain can read: set aside with its text, so it cannot hold up the shard and is not lost.
  sql.exec(`CREATE TABLE IF NOT EXISTS unreadable (id TEXT PRIMARY KEY, params TEXT NOT NULL, received_at INTEGER NOT NULL, error TEXT NOT NULL)`);
}

/** Stores an arrival as the IngestParams the drain reads (a parsed one too, as tests and tools hand it). */
export async function acceptIntoInbox(storage: InboxStorage, arrival: Arrival | IngestParams): Promise<AcceptOutcome> {
  const now = Date.now();
  const id = arrival.delivery.id;
  if (storage.sql.exec("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", id, now).rowsWritten === 0) return "duplicate";
  // The verified text goes in as it came: JSON.parse at the edge proved it one JSON object.
  const json = "payloadText" in arrival ? `{"delivery":${JSON.stringify(arrival.delivery)},"payload":${arrival.payloadText}}` : JSON.stringify(arrival);
  storage.sql.exec("INSERT INTO pending (id, params, bytes, received_at) VALUES (?, ?, ?, ?)", id, json, json.length, now);
  if ((await storage.getAlarm()) === null) await storage.setAlarm(now);
  return "accepted";
}

export interface DrainEnv extends StartEnv {
  DB: D1Database;
  INGEST: Workflow<IngestParams>;
  WAITS: DurableObjectNamespace;
  BLOBS: R2Bucket;
  APP_ID?: string | undefined;
}

interface Row {
  id: string;
  params: IngestParams;
  bytes: number;
  receivedAt: number;
}

/** On to ingest; recorded as ignored; or started by the inbox itself (direct-start.ts), with the outcome's bundle. */
type Decision = { ingest: IngestHint } | { ignored: DeliveryOutcome } | { direct: DirectStart; recorded: DeliveryOutcome; hint: IngestHint };

/** What a delivery does to its repository's index, and when deliveries decided before it are in doubt (inbox-kept.ts). */
interface Effect {
  repository: string;
  installationId: number;
  effect: HeadEffect;
  doubts: Doubt | null;
}

/** Decides pending deliveries and hands on the ones that matter. Throwing leaves them pending; the alarm is retried. */
export async function drainInbox(env: DrainEnv, storage: InboxStorage): Promise<number> {
  const rows = storage.sql
    .exec<{ id: string; params: string; bytes: number; received_at: number }>("SELECT id, params, bytes, received_at FROM pending ORDER BY received_at, rowid LIMIT ?", DRAIN_COUNT)
    .toArray()
    .flatMap((row): Row[] => {
      try {
        const params = JSON.parse(row.params) as IngestParams;
        if (typeof params?.delivery?.id !== "string") throw new Error("the row holds no delivery");
        return [{ id: row.id, bytes: row.bytes, receivedAt: row.received_at, params }];
      } catch (error) {
        console.error(`repoflow: the inbox cannot read delivery ${row.id}; it is set aside in the shard's unreadable table:`, error);
        storage.sql.exec("INSERT OR REPLACE INTO unreadable (id, params, received_at, error) VALUES (?, ?, ?, ?)", row.id, row.params, row.received_at, String(error));
        storage.sql.exec("DELETE FROM pending WHERE id = ?", row.id);
        return [];
      }
    });
  if (rows.length > 0) {
    const decisions = await decide(env, rows);
    // The runs the inbox starts itself need their workflows' `if`s first; one that throws is ingest's to report.
    const direct: { row: Row; plan: DirectStart; recorded: DeliveryOutcome; hint: IngestHint }[] = [];
    await Promise.all(
      rows.map(async (row, i) => {
        const decision = decisions.decided[i]!;
        if (!("direct" in decision)) return;
        const decided = await decideIfs(env, storage, decision.direct);
        if (decided === null) decisions.decided[i] = { ingest: decision.hint };
        else direct.push({ row, plan: decided.plan, recorded: { ...decision.recorded, notes: decided.notes }, hint: decision.hint });
      }),
    );
    const ignored = rows.flatMap((row, i) => {
      const decision = decisions.decided[i]!;
      return "ignored" in decision ? [{ row, outcome: decision.ignored }] : [];
    });
    // The index moves before any ingest of this batch runs, and the ignored are recorded before they leave the inbox.
    const statements = [
      ...decisions.effects.flatMap(({ repository, installationId, effect }) =>
        "pending" in effect ? [markRepoHeadPendingStatement(env.DB, { repository, installationId, ...effect.pending })] : advanceRepoHeadStatements(env.DB, { repository, ...effect.advance }),
      ),
      ...(await decidedDeliveries(env.DB, ignored)),
    ];
    if (statements.length > 0) await env.DB.batch(statements);
    // Started here, recorded once started: a drain that dies in between starts the same runs again (their ids are
    // the delivery's). A delivery whose start fails goes to ingest, which retries for days; the others go on.
    const started: { row: Row; outcome: DeliveryOutcome }[] = [];
    await Promise.all(
      direct.map(async ({ row, plan, recorded, hint }) => {
        try {
          started.push({ row, outcome: { ...recorded, started: await startDirectly(env, plan) } });
        } catch (error) {
          console.warn(`repoflow: the inbox could not start the runs of ${row.id}; ingest does:`, error);
          decisions.decided[rows.indexOf(row)] = { ingest: hint };
        }
      }),
    );
    const finished = await decidedDeliveries(env.DB, started);
    if (finished.length > 0) await env.DB.batch(finished);
    const toIngest: Row[] = [];
    rows.forEach((row, i) => {
      const decision = decisions.decided[i]!;
      if ("ingest" in decision) toIngest.push({ ...row, params: { ...row.params, hint: decision.ingest } });
    });
    for (const batch of chunk(toIngest)) {
      const items = await Promise.all(batch.map(async (row) => ({ id: await ingestInstanceOf(row.params), params: row.params })));
      // The ledger row first: an ingest this fast may mark its delivery processed before a later write would land.
      // Recovery gives an instance that does not show up yet ORPHAN_AFTER_MS, and asks this shard first.
      await recordDeliveries(
        env.DB,
        // Decided again after being ignored, the row is the new ingest's; after runs started, it stays the first
        // decision's, and the second ingest adds what it starts (finishIngestDelivery).
        items.map(({ id, params }) => ({ ...params.delivery, instanceId: id, ...(params.reconsidered?.decided === "ignored" ? { reopen: true } : {}) })),
      );
      await createAll(env.INGEST, items);
    }
    // One synchronous block, so one transaction: kept, out of pending, and the doubted back in.
    keepDecided(
      storage.sql,
      rows.flatMap((row, i) => {
        const basis = decisions.keeps[i];
        const repository = row.params.delivery.repository;
        if (!basis || !repository) return [];
        const decision = decisions.decided[i]!;
        const as: KeptAs = "ignored" in decision ? "ignored" : started.some((s) => s.row === row) ? "started" : "ingest";
        return [{ id: row.id, repository, keep: { ...basis, as } }];
      }),
    );
    for (const row of rows) {
      storage.sql.exec("DELETE FROM pending WHERE id = ?", row.id);
      storage.sql.exec("DELETE FROM if_decisions WHERE delivery_id = ?", row.id);
    }
    for (const { repository, doubts } of decisions.effects) {
      if (!doubts) continue;
      const again = reconsider(storage.sql, repository, doubts);
      if (again > 0) console.log(`repoflow: ${again} deliver${again === 1 ? "y" : "ies"} of ${repository} came after a push that arrived late; decided again`);
    }
  }
  storage.sql.exec("DELETE FROM seen WHERE at < ?", Date.now() - SEEN_RETENTION_MS);
  forgetKept(storage.sql);
  const left = storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pending").one().n;
  if (left > 0) await storage.setAlarm(Date.now());
  return rows.length;
}

/**
 * What a decision that used the indexed manifest keeps, for a late push to put in doubt (inbox-kept.ts): the
 * HEAD it used and the workflows it matched. A push to the default branch is not kept: one made on top of the
 * indexed commit cannot follow a push the index has not seen, and any other marks the index pending itself.
 */
function keepOf(delivery: Delivery, payload: unknown, facts: EventFacts | null, settled: RepoHead): Omit<Keep, "as"> | null {
  if (facts === null || defaultBranchPush(delivery, payload) !== null) return null;
  const manifest = (settled.bundle?.manifest ?? []) as WorkflowManifestEntry[];
  return { headAt: settled.observedAt, judged: manifest.filter((workflow) => matchWorkflow(workflow, facts) !== null).map((workflow) => workflow.file) };
}

/** The App's bot login once read, per App id: it does not change while the App exists. */
const knownBotLogins = new Map<number, string>();

/**
 * Triage for a batch, in arrival order: one D1 read for every repository's
 * index and, beside it, one WaitRegistry call per repository for the events
 * its waits are offered (offerable() needs no index). An offer that fails
 * sends its events to ingest, which offers them itself.
 */
async function decide(env: DrainEnv, rows: Row[]): Promise<{ decided: Decision[]; effects: Effect[]; keeps: (Omit<Keep, "as"> | null)[] }> {
  const appId = Number.isSafeInteger(Number(env.APP_ID)) ? Number(env.APP_ID) : -1;
  let botLogin = knownBotLogins.get(appId) ?? null;
  if (botLogin === null) {
    botLogin = await readAppFact(env.DB, botLoginFact(appId));
    if (botLogin !== null) knownBotLogins.set(appId, botLogin);
  }
  const self = { appId, botLogin };
  const read = rows.map((row) => {
    const { delivery } = row.params;
    const payload = "payload" in row.params ? row.params.payload : undefined;
    return { delivery, payload, facts: "payload" in row.params ? eventFacts(delivery, payload) : null };
  });
  const repositories = read.flatMap(({ delivery }) => (delivery.repository ? [delivery.repository] : []));
  const [heads, waiting] = await Promise.all([loadRepoHeads(env.DB, repositories), offerToWaits(env, read.map((r) => (offerable(r.delivery, r.payload, r.facts, self) ? r : null)))]);

  const decided: Decision[] = [];
  const effects: Effect[] = [];
  // By the row's index: what a decision that used the indexed manifest keeps (null when it did not).
  const keeps: (Omit<Keep, "as"> | null)[] = rows.map(() => null);
  read.forEach(({ delivery, payload, facts }, index) => {
    const repository = delivery.repository;
    const indexKey = repository?.toLowerCase();
    const head = indexKey ? heads.get(indexKey) : undefined;
    const reconsidered = rows[index]!.params.reconsidered;
    // Its runs started from the old code: a second ingest asks GitHub for HEAD, and starts what the old code lacked.
    // The first decision offered it to the waits and judged the workflows it matched: this one starts only the others.
    if (reconsidered && reconsidered.decided !== "ignored") {
      const why = `decided again: a push made before it arrived late (${reconsidered.push.slice(0, 7) || "its time unread"})`;
      decided.push({ ingest: { why } });
      return;
    }
    let verdict: ReturnType<typeof triage>;
    try {
      verdict = triage(delivery, payload, facts, { ...self, head });
    } catch (error) {
      // A manifest the tenant's describe() shaped oddly must not hold up the shard: ingest judges this one.
      console.warn(`repoflow: the inbox could not decide ${delivery.id}; ingest does:`, error);
      decided.push({ ingest: { why: "the inbox could not decide it" } });
      return;
    }
    // A delivery decided again moved the index the first time.
    if ("effect" in verdict && verdict.effect && !reconsidered && repository && indexKey && delivery.installationId !== null) {
      const moved = applyHeadEffect(head, verdict.effect, repository, delivery.installationId);
      if (moved) heads.set(indexKey, moved);
      effects.push({ repository, installationId: delivery.installationId, effect: verdict.effect, doubts: doubtOf(verdict.effect, delivery.id, rows[index]!.receivedAt) });
    }
    if (verdict.kind === "ignored") {
      // Ignored whatever the index says (repoflow's own echo, no repository): nothing to decide again.
      decided.push({ ignored: { started: [], woke: [], notes: [], ignored: verdict.reason } });
      return;
    }
    const current = indexKey ? heads.get(indexKey) : undefined;
    // Not when the index's bundle cannot judge the event: ingest would judge it by the indexed commit's code, kept
    // nowhere a late push could doubt it.
    const settled = "rebuild" in verdict && verdict.rebuild ? undefined : settledHead(current);
    // null: not offered, or the offer failed; then ingest offers it itself.
    const candidates = waiting[index] ?? null;
    const hint: IngestHint = { why: verdict.kind === "ingest" ? verdict.why : "a run may wait for it", ...(settled ? { head: settled } : {}), ...(candidates !== null ? { waitCandidates: candidates } : {}) };
    if ("settled" in verdict && verdict.settled) keeps[index] = keepOf(delivery, payload, facts, verdict.settled);
    if (candidates === 0 && verdict.kind === "waits") {
      decided.push({ ignored: { started: [], woke: [], notes: [], ignored: verdict.reason, ...bundleOf(verdict.settled) } });
      return;
    }
    let plan: DirectStart | null = null;
    try {
      plan = candidates === 0 && verdict.kind === "ingest" && verdict.settled && current && facts ? directStartOf(delivery, payload, facts, current) : null;
    } catch (error) {
      console.warn(`repoflow: the inbox could not plan the runs of ${delivery.id}; ingest does:`, error);
    }
    decided.push(plan && current ? { direct: plan, recorded: { started: [], woke: [], notes: [], ...bundleOf(current) }, hint } : { ingest: hint });
  });
  return { decided, effects, keeps };
}

/** How many waits may take each event offered (null: not offered, or the registry could not be asked), by the event's index. */
async function offerToWaits(env: DrainEnv, events: ({ delivery: Delivery; payload: unknown; facts: EventFacts | null } | null)[]): Promise<(number | null)[]> {
  const counts: (number | null)[] = events.map(() => null);
  const byRepository = new Map<string, { index: number; facts: EventFacts; payloadJson: string | null }[]>();
  events.forEach((event, index) => {
    if (!event?.facts || !event.delivery.repository) return;
    const list = byRepository.get(event.delivery.repository) ?? [];
    list.push({ index, facts: event.facts, payloadJson: storablePayload(event.payload) });
    byRepository.set(event.delivery.repository, list);
  });
  await Promise.all(
    [...byRepository].map(async ([repository, offered]) => {
      const registry = waitRegistry(env, repository);
      for (const part of byBytes(offered)) {
        try {
          const answers = await registry.offerMany(part.map(({ facts, payloadJson }) => ({ facts, payloadJson })));
          part.forEach((event, i) => (counts[event.index] = answers[i] ?? null));
        } catch (error) {
          console.warn(`repoflow: the waits of ${repository} could not be asked; ingest asks again:`, error);
        }
      }
    }),
  );
  return counts;
}

/**
 * The `if` of each workflow the inbox would start: asked of the tenant once per
 * delivery and workflow, the answer kept in the shard until the delivery leaves
 * it, so a retried drain decides as the first try did (an `if` may look at the
 * clock). Null when one threw: ingest evaluates it again and reports it.
 */
async function decideIfs(env: DrainEnv, storage: InboxStorage, plan: DirectStart): Promise<{ plan: DirectStart; notes: DeliveryOutcome["notes"] } | null> {
  const go: DirectStart["workflows"] = [];
  const notes: DeliveryOutcome["notes"] = [];
  for (const workflow of plan.workflows) {
    if (!workflow.hasIf) {
      go.push(workflow);
      continue;
    }
    const id = plan.source.delivery.id;
    const kept = storage.sql.exec<{ decision: string }>("SELECT decision FROM if_decisions WHERE delivery_id = ? AND workflow = ?", id, workflow.file).toArray()[0];
    const decision = kept ? (JSON.parse(kept.decision) as RunDecision) : await withIfTimeout(evaluateIf(env, plan.source, workflow));
    if ("error" in decision) return null;
    if (!kept) storage.sql.exec("INSERT OR IGNORE INTO if_decisions (delivery_id, workflow, decision) VALUES (?, ?, ?)", id, workflow.file, JSON.stringify(decision));
    if (decision.run) go.push(workflow);
    else notes.push({ workflow: workflow.file, note: "its `if` said no" });
  }
  return { plan: { ...plan, workflows: go }, notes };
}

/** An `if` is a predicate over the event; one that takes longer than this is ingest's to wait for, not the shard's. */
const IF_TIMEOUT_MS = 2_000;

function withIfTimeout(decision: Promise<RunDecision>): Promise<RunDecision> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<RunDecision>((resolve) => {
    timer = setTimeout(() => resolve({ error: { message: `repoflow: the workflow's \`if\` took longer than ${IF_TIMEOUT_MS / 1000} s in the inbox` } }), IF_TIMEOUT_MS);
  });
  return Promise.race([decision, late]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/** Ledger rows of deliveries the inbox finished itself: one statement per ≈ 256 KB of outcomes (D1 caps a bound value at 2 MB). */
async function decidedDeliveries(db: D1Database, decided: { row: Row; outcome: DeliveryOutcome }[]): Promise<D1PreparedStatement[]> {
  const rows = await Promise.all(decided.map(async ({ row, outcome }) => ({ ...row.params.delivery, instanceId: await ingestInstanceOf(row.params), outcome, replaces: row.params.reconsidered !== undefined })));
  const statements: D1PreparedStatement[] = [];
  // A delivery decided again replaces what its row says; a first decision keeps a row ingest owns (a redelivery).
  for (const replaces of [false, true]) {
    let part: typeof rows = [];
    let bytes = 0;
    for (const row of rows.filter((r) => r.replaces === replaces)) {
      const size = JSON.stringify(row.outcome).length + 512;
      if (part.length > 0 && bytes + size > DECIDED_BYTES) {
        statements.push(decidedDeliveriesStatement(db, part, { replaces }));
        part = [];
        bytes = 0;
      }
      part.push(row);
      bytes += size;
    }
    if (part.length > 0) statements.push(decidedDeliveriesStatement(db, part, { replaces }));
  }
  return statements;
}

/** The index as ingest may use it: settled (no push pending) and pointing at a commit. */
function settledHead(head: RepoHead | undefined): IngestHint["head"] | undefined {
  if (!head || head.pendingSha !== null || head.commitSha === "") return undefined;
  return { commitSha: head.commitSha, sourceKey: head.sourceKey, observedAt: head.observedAt, confirmedAt: head.confirmedAt };
}

function bundleOf(head: RepoHead): Pick<DeliveryOutcome, "bundle"> {
  if (!head.bundle) return {};
  const diagnostics = (head.bundle.diagnostics as OutcomeDiagnostic[]).map(({ file, line, column, message, severity }) => ({ ...(file ? { file } : {}), ...(line ? { line } : {}), ...(column ? { column } : {}), message, severity }));
  return { bundle: { hash: head.bundle.hash, commitSha: head.commitSha, ok: head.bundle.ok, diagnostics } };
}

function byBytes<T extends { payloadJson: string | null }>(events: T[]): T[][] {
  const parts: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = (event.payloadJson?.length ?? 0) + 1024;
    if (current.length > 0 && bytes + size > OFFER_BYTES) {
      parts.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/** Whether this shard still holds the delivery undecided (recovery asks before calling a run orphaned). */
export function inboxHolds(storage: InboxStorage, deliveryId: string): boolean {
  return storage.sql.exec("SELECT 1 FROM pending WHERE id = ?", deliveryId).toArray().length > 0;
}

/** Whether deliveries wait here: recovery pokes the shards after a restart and re-arms their alarms. */
export async function rearmInbox(storage: InboxStorage): Promise<number> {
  const left = storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pending").one().n;
  if (left > 0 && (await storage.getAlarm()) === null) await storage.setAlarm(Date.now());
  return left;
}

function chunk<T extends { bytes: number }>(rows: T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (current.length > 0 && (current.length === BATCH_COUNT || bytes + row.bytes > BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += row.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** createBatch fails whole when one id exists (a drain retried after a partial success): then one by one. */
async function createAll(binding: Workflow<IngestParams>, items: { id: string; params: IngestParams }[]): Promise<void> {
  try {
    await binding.createBatch(items);
  } catch {
    for (const item of items) {
      try {
        await binding.create(item);
      } catch (error) {
        if (!(await binding.get(item.id).catch(() => null))) throw error;
      }
    }
  }
}
