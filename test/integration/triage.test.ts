/**
 * The inbox decides before any Workflow exists (src/dispatch/triage.ts), here
 * with the real inbox Durable Object, D1 index and WaitRegistry: an event
 * that can start nothing costs no ingest instance and is recorded with why;
 * one a wait may take, one a workflow is triggered by, and the first event
 * after a push that changes .workflows/ all go on.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { acceptIntoInbox, drainInbox, ingestInstanceId, type IngestParams } from "../../src/dispatch";
import { RunWaits } from "../../src/dispatch/waits";
import { normalizeWait } from "../../src/dispatch/wait-spec";
import { finishIngestDelivery, getDelivery, getRun, loadRepoHeads, markRepoHeadPendingStatement, recordDeliveries, recordRepoHead, saveBundle } from "../../src/store";
import { runInstanceId } from "../../src/dispatch/triggers";
import { reconsideredInstanceId } from "../../src/dispatch/inbox-kept";
import { COMPILER_VERSION } from "../../src/compiler";
import { RUNTIME_VERSION } from "../../src/runtime";
import type { WorkflowManifestEntry } from "../../src/runtime";
import { example, retarget } from "../support/payloads";

const INSTALLATION = 77;

/** Records what the drain hands to ingest instead of running it: the decision is under test, not ingest. */
function recordingIngest() {
  const created: { id: string; params: IngestParams }[] = [];
  const binding = {
    async createBatch(items: { id: string; params: IngestParams }[]) {
      created.push(...items);
      return [];
    },
    async create(item: { id: string; params: IngestParams }) {
      created.push(item);
      return {};
    },
    async get() {
      throw new Error("instance.not_found");
    },
  } as unknown as Workflow<IngestParams>;
  return { binding, created };
}

async function seedIndex(repository: string, workflows: Partial<WorkflowManifestEntry>[], commitSha = "a".repeat(40), fromGitHub = true) {
  // A build of the current compiler and runtime: the only kind the inbox starts runs from.
  const sourceKey = `tree-${crypto.randomUUID()}:${COMPILER_VERSION}:${RUNTIME_VERSION}`;
  const manifest = workflows.map((w, i) => ({ file: `.workflows/w${i}.ts`, name: `w${i}`, on: {}, hasIf: false, ...w }));
  await saveBundle(env.DB, { sourceKey, hash: "h".repeat(64), ok: true, manifest, diagnostics: [], commitSha, repository });
  await recordRepoHead(env.DB, { repository, installationId: INSTALLATION, commitSha, sourceKey, observedAt: Date.now() - 60_000, fromGitHub });
}

function delivery(repository: string, event: string, payload: Record<string, any>): IngestParams {
  return {
    delivery: { id: crypto.randomUUID(), event, action: payload.action ?? null, installationId: INSTALLATION, repository, receivedAt: new Date().toISOString() },
    payload,
  };
}

/** Accepts into a shard with no alarm armed, then drains once: the drain below is the only one. */
async function acceptAndDrain(shard: string, items: IngestParams[], ingest = recordingIngest()) {
  const stub = env.INBOX.get(env.INBOX.idFromName(shard));
  await runInDurableObject(stub, async (_instance, state) => {
    const unarmed = { sql: state.storage.sql, getAlarm: async () => null, setAlarm: async () => {} };
    for (const item of items) await acceptIntoInbox(unarmed, item);
    await drainInbox({ ...env, INGEST: ingest.binding }, unarmed);
  });
  return ingest;
}

describe("the inbox decides before creating a Workflow", () => {
  it("an event no workflow is triggered by and no run waits for costs no ingest instance, and says why", async () => {
    const repository = `triage-org/quiet-${crypto.randomUUID().slice(0, 8)}`;
    await seedIndex(repository, [{ on: { pull_request: ["opened"] } }]);
    const payload = retarget(example("issue_comment", "created"), { fullName: repository, installationId: INSTALLATION });
    const comment = delivery(repository, "issue_comment", payload);
    const ingest = await acceptAndDrain(`triage-${repository}`, [comment]);
    expect(ingest.created).toEqual([]);
    const record = await getDelivery(env.DB, comment.delivery.id);
    expect(record).toMatchObject({ status: "processed", outcome: { started: [], ignored: "no workflow is triggered by issue_comment.created (1 workflow looked at)" } });

    // The registry kept it, so a wait filed a moment later still takes it (invariant 10).
    const number = (payload as { issue: { number: number } }).issue.number;
    const waits = new RunWaits(env, repository, `run-triage-${crypto.randomUUID()}`, { at: Date.now() - 60_000, exclude: null }, async () => "admin");
    const filed = await waits.register("reply", 1, normalizeWait("w", { events: ["issue_comment.created"], for: { number } }), 86_400_000);
    expect(filed.event?.deliveryId).toBe(comment.delivery.id);
  });

  it("an event a run waits for goes on to ingest, told how many waits may take it", async () => {
    const repository = `triage-org/waited-${crypto.randomUUID().slice(0, 8)}`;
    await seedIndex(repository, [{ on: { pull_request: ["opened"] } }]);
    const payload = retarget(example("issue_comment", "created"), { fullName: repository, installationId: INSTALLATION });
    const waits = new RunWaits(env, repository, `run-triage-${crypto.randomUUID()}`, { at: Date.now() - 60_000, exclude: null }, async () => "admin");
    await waits.register("reply", 1, normalizeWait("w", { events: ["issue_comment.created"], for: { number: payload.issue.number } }), 86_400_000);
    const comment = delivery(repository, "issue_comment", payload);
    const ingest = await acceptAndDrain(`triage-${repository}`, [comment]);
    expect(ingest.created).toHaveLength(1);
    expect(ingest.created[0]!.params.hint).toMatchObject({ waitCandidates: 1, head: { commitSha: "a".repeat(40) } });
    expect(await getDelivery(env.DB, comment.delivery.id)).toMatchObject({ status: "accepted" });
  });

  it("an event a workflow with an `if` is triggered by goes on, with the indexed HEAD so ingest asks GitHub nothing", async () => {
    const repository = `triage-org/busy-${crypto.randomUUID().slice(0, 8)}`;
    await seedIndex(repository, [{ on: { pull_request: ["opened"] }, hasIf: true }]);
    const opened = delivery(repository, "pull_request", retarget(example("pull_request", "opened"), { fullName: repository, installationId: INSTALLATION }));
    const ingest = await acceptAndDrain(`triage-${repository}`, [opened]);
    expect(ingest.created.map((c) => c.params.hint)).toEqual([expect.objectContaining({ why: "it triggers .workflows/w0.ts", waitCandidates: 0, head: expect.objectContaining({ commitSha: "a".repeat(40) }) })]);
  });

  it("an event the manifest alone decides starts its run from the inbox: no ingest instance, the run recorded on the delivery", async () => {
    const repository = `triage-org/direct-${crypto.randomUUID().slice(0, 8)}`;
    await seedIndex(repository, [{ on: { pull_request: ["opened"] } }, { on: { issues: ["opened"] } }]);
    const opened = delivery(repository, "pull_request", retarget(example("pull_request", "opened"), { fullName: repository, installationId: INSTALLATION }));
    const ingest = await acceptAndDrain(`triage-${repository}`, [opened]);
    expect(ingest.created).toEqual([]);
    const runId = await runInstanceId(opened.delivery.id, ".workflows/w0.ts");
    expect(await getDelivery(env.DB, opened.delivery.id)).toMatchObject({ status: "processed", outcome: { started: [runId], bundle: { hash: "h".repeat(64), commitSha: "a".repeat(40) } } });
    expect(await getRun(env.DB, runId)).toMatchObject({ workflowFile: ".workflows/w0.ts", commitSha: "a".repeat(40), deliveryId: opened.delivery.id });
    // The seeded bundle has no artifact: stop the run rather than let it fail in the background.
    await (await env.WORKFLOWS.get(runId)).terminate().catch(() => undefined);
    // Kept for re-runs, as ingest keeps it.
    expect(await env.BLOBS.head(`deliveries/${encodeURIComponent(opened.delivery.id)}.json`)).not.toBeNull();

    // The drain retried (or the delivery redelivered past the inbox's memory) starts nothing twice.
    await acceptAndDrain(`triage-${repository}-again`, [opened]);
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM runs WHERE delivery_id = ?").bind(opened.delivery.id).all<{ n: number }>();
    expect(results[0]?.n).toBe(1);
  });

  it("a push changing a trigger takes effect for the very next event, in the same drain and in the next", async () => {
    const repository = `triage-org/push-${crypto.randomUUID().slice(0, 8)}`;
    await seedIndex(repository, [{ on: { pull_request: ["opened"] } }]);
    const target = { fullName: repository, installationId: INSTALLATION };
    const push = retarget(example("push"), target);
    push.ref = `refs/heads/${push.repository.default_branch}`;
    // Pushed now, as GitHub says of a push it sends now.
    push.repository.pushed_at = Math.floor(Date.now() / 1000);
    // The push makes .workflows/w0.ts trigger on comments; the old index says comments start nothing.
    push.commits = [{ ...push.commits[0], added: [], removed: [], modified: [".workflows/w0.ts"] }];
    const first = delivery(repository, "issue_comment", retarget(example("issue_comment", "created"), target));
    const pushed = delivery(repository, "push", push);
    const ingest = await acceptAndDrain(`triage-${repository}`, [pushed, first]);
    expect(ingest.created.map((c) => c.params.delivery.id)).toEqual([pushed.delivery.id, first.delivery.id]);
    expect(ingest.created[1]!.params.hint).toMatchObject({ why: "a push to the default branch is not built yet" });
    expect(ingest.created[1]!.params.hint?.head).toBeUndefined();
    expect((await loadRepoHeads(env.DB, [repository])).get(repository)).toMatchObject({ pendingSha: push.after });

    // A later drain reads the pending mark from D1: still on to ingest, until ingest records the push's bundle.
    const next = delivery(repository, "issue_comment", retarget(example("issue_comment", "created"), target));
    const later = await acceptAndDrain(`triage-${repository}`, [next]);
    expect(later.created.map((c) => c.params.delivery.id)).toEqual([next.delivery.id]);

    // Ingest built the push's commit: the index is settled on it, and an older sighting cannot undo that.
    await recordRepoHead(env.DB, { repository, installationId: INSTALLATION, commitSha: push.after, sourceKey: null, observedAt: push.repository.pushed_at * 1000, fromGitHub: false });
    await recordRepoHead(env.DB, { repository, installationId: INSTALLATION, commitSha: "0".repeat(40), sourceKey: "old", observedAt: push.repository.pushed_at * 1000 - 5_000, fromGitHub: true });
    expect((await loadRepoHeads(env.DB, [repository])).get(repository)).toMatchObject({ commitSha: push.after, pendingSha: null, sourceKey: null });
  });
});

describe("a push GitHub delivers late", () => {
  const target = (repository: string) => ({ fullName: repository, installationId: INSTALLATION });
  /** A push changing .workflows/w0.ts on the default branch, made `ago` ms before now by GitHub's clock. */
  function lateWorkflowPush(repository: string, ago: number) {
    const push = retarget(example("push"), target(repository));
    push.ref = `refs/heads/${push.repository.default_branch}`;
    push.repository.pushed_at = Math.floor((Date.now() - ago) / 1000);
    push.commits = [{ ...push.commits[0], added: [], removed: [], modified: [".workflows/w0.ts"] }];
    return Object.assign(delivery(repository, "push", push), { after: push.after as string });
  }
  const pendingIds = (shard: string) =>
    runInDurableObject(env.INBOX.get(env.INBOX.idFromName(shard)), async (_i, state) => state.storage.sql.exec<{ id: string }>("SELECT id FROM pending ORDER BY received_at").toArray().map((r) => r.id));

  it("has the events it was made before, ignored meanwhile, decided again: they go on to ingest, accepted once more", async () => {
    const repository = `triage-org/late-${crypto.randomUUID().slice(0, 8)}`;
    await seedIndex(repository, [{ on: { pull_request: ["opened"] } }]);
    const shard = `triage-${repository}`;
    const comment = delivery(repository, "issue_comment", retarget(example("issue_comment", "created"), target(repository)));
    const nothing = await acceptAndDrain(shard, [comment]);
    expect(nothing.created).toEqual([]);
    expect(await getDelivery(env.DB, comment.delivery.id)).toMatchObject({ status: "processed", outcome: { ignored: expect.stringContaining("no workflow is triggered") } });

    // The push that makes w0 answer comments was made ten seconds before the comment arrived, and arrives now.
    const push = lateWorkflowPush(repository, 10_000);
    const first = await acceptAndDrain(shard, [push]);
    expect(first.created.map((c) => c.params.delivery.id)).toEqual([push.delivery.id]);
    expect(await pendingIds(shard)).toEqual([comment.delivery.id]);

    // The next drain decides the comment against the pending index: an ingest of its own asks GitHub, and the ledger waits for it.
    const again = await acceptAndDrain(shard, []);
    const instanceId = await reconsideredInstanceId(comment.delivery.id, push.delivery.id);
    expect(again.created.map((c) => ({ instance: c.id, id: c.params.delivery.id, why: c.params.hint?.why, head: c.params.hint?.head }))).toEqual([
      { instance: instanceId, id: comment.delivery.id, why: "a push to the default branch is not built yet", head: undefined },
    ]);
    expect(await getDelivery(env.DB, comment.delivery.id)).toMatchObject({ status: "accepted", instanceId, outcome: null, processedAt: null });
    expect(await pendingIds(shard)).toEqual([]);
  });

  it("has the events whose runs the old code started decided again by an ingest that asks GitHub, so the new code's workflows start too", async () => {
    const repository = `triage-org/started-${crypto.randomUUID().slice(0, 8)}`;
    // The old code answers comments with w0 alone; the push adds a workflow (its bundle is not built yet).
    await seedIndex(repository, [{ on: { issue_comment: ["created"] } }]);
    const shard = `triage-${repository}`;
    const comment = delivery(repository, "issue_comment", retarget(example("issue_comment", "created"), target(repository)));
    const first = await acceptAndDrain(shard, [comment]);
    expect(first.created).toEqual([]);
    const runId = await runInstanceId(comment.delivery.id, ".workflows/w0.ts");
    expect(await getDelivery(env.DB, comment.delivery.id)).toMatchObject({ status: "processed", outcome: { started: [runId] } });
    // The seeded bundle has no artifact: stop the run rather than let it fail in the background.
    await (await env.WORKFLOWS.get(runId)).terminate().catch(() => undefined);

    const push = lateWorkflowPush(repository, 10_000);
    await acceptAndDrain(shard, [push]);
    const again = await acceptAndDrain(shard, []);
    const instanceId = await reconsideredInstanceId(comment.delivery.id, push.delivery.id);
    expect(again.created.map((c) => ({ instance: c.id, why: c.params.hint?.why, head: c.params.hint?.head, reconsidered: c.params.reconsidered }))).toEqual([
      {
        instance: instanceId,
        why: `decided again: a push made before it arrived late (${push.after.slice(0, 7)})`,
        head: undefined,
        // w0 started from the old code: the second ingest starts only what the new code adds.
        reconsidered: { by: push.delivery.id, push: push.after, decided: "started", judged: [".workflows/w0.ts"] },
      },
    ]);
    // The row stays the first decision's, with its run; the second ingest adds what it starts (finishIngestDelivery).
    expect(await getDelivery(env.DB, comment.delivery.id)).toMatchObject({ status: "processed", instanceId: await ingestInstanceId(comment.delivery.id), outcome: { started: [runId] } });
    // Its ingest asked GitHub: nothing is kept to decide a third time.
    expect(await pendingIds(shard)).toEqual([]);
    const kept = await runInDurableObject(env.INBOX.get(env.INBOX.idFromName(shard)), async (_i, state) => state.storage.sql.exec("SELECT id FROM kept WHERE id = ?", comment.delivery.id).toArray());
    expect(kept).toEqual([]);
  });

  it("has a repository event doubt only what arrived about a minute before it", async () => {
    const repository = `triage-org/renamed-${crypto.randomUUID().slice(0, 8)}`;
    await seedIndex(repository, [{ on: { pull_request: ["opened"] } }]);
    const shard = `triage-${repository}`;
    const earlier = delivery(repository, "issue_comment", retarget(example("issue_comment", "created"), target(repository)));
    const recent = delivery(repository, "issue_comment", retarget(example("issue_comment", "created"), target(repository)));
    await acceptAndDrain(shard, [earlier, recent]);
    // The earlier comment arrived ten minutes ago.
    await runInDurableObject(env.INBOX.get(env.INBOX.idFromName(shard)), async (_i, state) => {
      state.storage.sql.exec("UPDATE kept SET received_at = received_at - 600000 WHERE id = ?", earlier.delivery.id);
    });
    const edited = delivery(repository, "repository", retarget(example("repository", "edited"), target(repository)));
    await acceptAndDrain(shard, [edited]);
    expect(await pendingIds(shard)).toEqual([recent.delivery.id]);
  });

  it("doubts nothing the index decided after it had moved past the push: a redelivered old push", async () => {
    const repository = `triage-org/redelivered-${crypto.randomUUID().slice(0, 8)}`;
    // The index saw HEAD a minute ago, newer than a push made ten minutes ago.
    await seedIndex(repository, [{ on: { pull_request: ["opened"] } }]);
    const shard = `triage-${repository}`;
    const comment = delivery(repository, "issue_comment", retarget(example("issue_comment", "created"), target(repository)));
    await acceptAndDrain(shard, [comment]);
    // Redelivered now (GitHub keeps a redelivery's pushed_at): it arrives after the comment, but the comment was decided with newer code.
    const old = lateWorkflowPush(repository, 600_000);
    await acceptAndDrain(shard, [old]);
    expect(await pendingIds(shard)).toEqual([]);
  });

  it("leaves alone what it ignored before the push was made, and what repoflow caused", async () => {
    const repository = `triage-org/early-${crypto.randomUUID().slice(0, 8)}`;
    await seedIndex(repository, [{ on: { pull_request: ["opened"] } }]);
    const shard = `triage-${repository}`;
    const comment = delivery(repository, "issue_comment", retarget(example("issue_comment", "created"), target(repository)));
    await acceptAndDrain(shard, [comment]);
    // Made three minutes after the comment arrived (its webhook is then delivered at once, as GitHub does).
    const push = lateWorkflowPush(repository, -180_000);
    await acceptAndDrain(shard, [push]);
    expect(await pendingIds(shard)).toEqual([]);
    expect(await getDelivery(env.DB, comment.delivery.id)).toMatchObject({ status: "processed", outcome: { ignored: expect.stringContaining("no workflow is triggered") } });
  });

  it("a delivery decided again and ignored again keeps one ledger row, with the newer reason", async () => {
    const repository = `triage-org/twice-${crypto.randomUUID().slice(0, 8)}`;
    await seedIndex(repository, [{ on: { pull_request: ["opened"] } }]);
    const shard = `triage-${repository}`;
    const comment = delivery(repository, "issue_comment", retarget(example("issue_comment", "created"), target(repository)));
    await acceptAndDrain(shard, [comment]);
    const push = lateWorkflowPush(repository, 10_000);
    await acceptAndDrain(shard, [push]);
    // Ingest built the push before the comment's turn came, and the new code still answers no comment.
    await seedIndex(repository, [{ on: { pull_request: ["opened"] } }, { on: { issues: ["opened"] } }], push.after, false);
    expect((await loadRepoHeads(env.DB, [repository])).get(repository)).toMatchObject({ pendingSha: null, commitSha: push.after });
    const again = await acceptAndDrain(shard, []);
    expect(again.created).toEqual([]);
    expect(await getDelivery(env.DB, comment.delivery.id)).toMatchObject({ status: "processed", outcome: { ignored: "no workflow is triggered by issue_comment.created (2 workflows looked at)" } });
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE id = ?").bind(comment.delivery.id).all<{ n: number }>();
    expect(results[0]?.n).toBe(1);
  });
});

describe("the index never goes back to older code", () => {
  const sha = (c: string) => c.repeat(40);
  const head = async (repository: string) => (await loadRepoHeads(env.DB, [repository])).get(repository.toLowerCase());
  const pending = (repository: string, p: string, at: number) => env.DB.batch([markRepoHeadPendingStatement(env.DB, { repository, installationId: INSTALLATION, sha: p, at })]);
  const seen = (repository: string, commitSha: string, sourceKey: string, observedAt: number, fromGitHub: boolean) =>
    recordRepoHead(env.DB, { repository, installationId: INSTALLATION, commitSha, sourceKey, observedAt, fromGitHub });

  it("a redelivered old push that changed .workflows/ neither marks the index pending nor puts its bundle back", async () => {
    const repository = `triage-org/Old-${crypto.randomUUID().slice(0, 8)}`;
    await seen(repository, sha("n"), "src-new", 2_000_000, false);
    await pending(repository, sha("o"), 1_000_000);
    expect(await head(repository)).toMatchObject({ pendingSha: null });
    await seen(repository, sha("o"), "src-old", 1_000_000, false);
    expect(await head(repository)).toMatchObject({ commitSha: sha("n"), sourceKey: "src-new" });
  });

  it("two pushes that change .workflows/, accepted out of order, end on the newer one whichever builds last", async () => {
    const repository = `triage-org/order-${crypto.randomUUID().slice(0, 8)}`;
    await seen(repository, sha("0"), "src-0", 1_000_000, true);
    await pending(repository, sha("2"), 3_000_000);
    await pending(repository, sha("1"), 2_000_000);
    expect(await head(repository)).toMatchObject({ pendingSha: sha("2") });
    await seen(repository, sha("2"), "src-2", 3_000_000, false);
    await seen(repository, sha("1"), "src-1", 2_000_000, false);
    expect(await head(repository)).toMatchObject({ commitSha: sha("2"), sourceKey: "src-2", pendingSha: null });
  });

  it("a read of GitHub made just after the push, still showing the commit before it, does not undo the push", async () => {
    const repository = `triage-org/lag-${crypto.randomUUID().slice(0, 8)}`;
    await seen(repository, sha("0"), "src-0", 1_000_000, true);
    await pending(repository, sha("1"), 2_000_000);
    // Before the push is built: the lagging read neither settles nor clears it.
    await seen(repository, sha("0"), "src-0", 2_000_500, true);
    expect(await head(repository)).toMatchObject({ pendingSha: sha("1") });
    await seen(repository, sha("1"), "src-1", 2_000_000, false);
    // After: a lagging read one second later leaves the push's bundle in place; a read a minute later is GitHub's word.
    await seen(repository, sha("0"), "src-0", 2_001_000, true);
    expect(await head(repository)).toMatchObject({ commitSha: sha("1"), sourceKey: "src-1", pendingSha: null });
    await seen(repository, sha("9"), "src-9", 2_000_000 + 61_000, true);
    expect(await head(repository)).toMatchObject({ commitSha: sha("9"), sourceKey: "src-9" });
  });
});

describe("the ledger of a delivery decided twice", () => {
  it("merges what both ingests started, whichever finishes first, and marks it processed only for the ingest the row names", async () => {
    const id = `ledger-twice-${crypto.randomUUID()}`;
    const first = await ingestInstanceId(id);
    await recordDeliveries(env.DB, [{ id, instanceId: first, event: "issue_comment", action: "created", installationId: INSTALLATION, repository: "triage-org/ledger", receivedAt: new Date().toISOString() }]);
    // The second ingest (a late push's) finishes first: it adds its run and leaves the row to the first.
    await finishIngestDelivery(env.DB, id, "delivery-second", { started: ["run-b"], woke: [], notes: [] });
    expect(await getDelivery(env.DB, id)).toMatchObject({ status: "accepted", outcome: { started: ["run-b"] } });
    await finishIngestDelivery(env.DB, id, first, { started: ["run-a"], woke: [], notes: [{ workflow: "w", note: "n" }] });
    expect(await getDelivery(env.DB, id)).toMatchObject({ status: "processed", instanceId: first, outcome: { started: ["run-b", "run-a"], notes: [{ workflow: "w", note: "n" }] } });
    // A retried step adds nothing twice; an ingest that started nothing does not make the delivery "ignored".
    await finishIngestDelivery(env.DB, id, first, { started: ["run-a"], woke: [], notes: [], ignored: "no workflow is triggered" });
    const record = await getDelivery(env.DB, id);
    expect(record?.outcome).toEqual({ started: ["run-b", "run-a"], woke: [], notes: [{ workflow: "w", note: "n" }] });
  });
});
