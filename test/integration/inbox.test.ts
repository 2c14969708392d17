import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { acceptIntoInbox, drainInbox, ingestInstanceId, type IngestParams } from "../../src/dispatch";
import { getDelivery } from "../../src/store";

/** An event of a repository the inbox knows no bundle of: it goes on to ingest (triage.ts). */
function params(id: string): IngestParams {
  return {
    delivery: { id, event: "issues", action: "opened", installationId: 1, repository: "octo/inbox-unknown", receivedAt: new Date().toISOString() },
    payload: { action: "opened", issue: { number: 1 }, repository: { full_name: "octo/inbox-unknown" }, installation: { id: 1 }, sender: { login: "octocat", type: "User" } },
  };
}

const exists = (id: string) =>
  env.INGEST.get(id).then(
    () => true,
    () => false,
  );

it("stores a delivery once, answers duplicate for the second, and drains it into one ingest run and one ledger row (invariant 2)", async () => {
  const stub = env.INBOX.get(env.INBOX.idFromName("test-inbox-once"));
  const id = crypto.randomUUID();
  // Read in the same callback as the accepts: the inbox arms its own alarm for "now", which may drain
  // the row as soon as this callback returns, so a later look could find it gone already.
  const { answers, pending } = await runInDurableObject(stub, async (_instance, state) => ({
    answers: [await acceptIntoInbox(state.storage, params(id)), await acceptIntoInbox(state.storage, params(id))],
    // Stored before any ingest run exists: this is what survives a crash right after the 202.
    pending: state.storage.sql.exec("SELECT id FROM pending").toArray(),
  }));
  expect(answers).toEqual(["accepted", "duplicate"]);
  expect(pending).toEqual([{ id }]);

  // Either the inbox's own alarm or this test's nudge drains it; wait for the drained state, bounded.
  const instanceId = await ingestInstanceId(id);
  const drained = async () => {
    const left = await runInDurableObject(stub, async (_instance, state) => state.storage.sql.exec("SELECT id FROM pending").toArray());
    return left.length === 0 && (await exists(instanceId)) && (await getDelivery(env.DB, id)) !== null;
  };
  const deadline = Date.now() + 20_000;
  while (!(await drained())) {
    if (Date.now() > deadline) throw new Error(`delivery ${id} was not drained within 20 s`);
    await runDurableObjectAlarm(stub);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(await getDelivery(env.DB, id)).toMatchObject({ id, status: expect.any(String) });
});

it("finishes a drain that a crash interrupted after some ingest runs were created", async () => {
  const stub = env.INBOX.get(env.INBOX.idFromName("test-inbox-partial"));
  const ids = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  await runInDurableObject(stub, async (_instance, state) => {
    // No alarm is armed, so nothing drains behind the test's back: the drain below is the only one.
    const unarmed = { sql: state.storage.sql, getAlarm: async () => null, setAlarm: async () => {} };
    for (const id of ids) await acceptIntoInbox(unarmed, params(id));
  });
  // The first one already became an ingest run, as if the drain died before deleting it.
  await env.INGEST.create({ id: await ingestInstanceId(ids[0]!), params: params(ids[0]!) });

  const drained = await runInDurableObject(stub, (_instance, state) => drainInbox(env, state.storage));
  expect(drained).toBe(3);
  for (const id of ids) {
    expect(await exists(await ingestInstanceId(id))).toBe(true);
    expect(await getDelivery(env.DB, id)).not.toBeNull();
  }
});

it("sets aside a row no drain can read, with its text, and drains the rest of the shard", async () => {
  const stub = env.INBOX.get(env.INBOX.idFromName(`test-inbox-unreadable-${crypto.randomUUID()}`));
  const good = crypto.randomUUID();
  const { drained, unreadable, left } = await runInDurableObject(stub, async (_instance, state) => {
    const unarmed = { sql: state.storage.sql, getAlarm: async () => null, setAlarm: async () => {} };
    // Only a bug could store this (the edge hands on text JSON.parse accepted); it must not wedge the shard.
    state.storage.sql.exec("INSERT INTO pending (id, params, bytes, received_at) VALUES ('broken', '{\"delivery\":', 12, 1)");
    await acceptIntoInbox(unarmed, params(good));
    const drained = await drainInbox(env, unarmed);
    return {
      drained,
      unreadable: state.storage.sql.exec("SELECT id, params FROM unreadable").toArray(),
      left: state.storage.sql.exec("SELECT id FROM pending").toArray(),
    };
  });
  expect(drained).toBe(1);
  expect(unreadable).toEqual([{ id: "broken", params: '{"delivery":' }]);
  expect(left).toEqual([]);
  expect(await exists(await ingestInstanceId(good))).toBe(true);
});

it("accepts a burst past workerd's 10,000 active timeouts: an accept schedules at most one drain", async () => {
  const stub = env.INBOX.get(env.INBOX.idFromName(`test-inbox-burst-${crypto.randomUUID()}`));
  const answers = await runInDurableObject(stub, async (object, state) => {
    const instance = object as unknown as { accept(params: IngestParams): Promise<string> };
    const counts: Record<string, number> = {};
    // One call after another inside one event: no timer fires until it ends, as under a sustained burst.
    for (let i = 0; i < 10_050; i++) {
      const answer = await instance.accept({ delivery: { id: `burst-${i}`, event: "ping", action: null, installationId: null, repository: null, receivedAt: new Date().toISOString() }, payload: {} }).catch((error: unknown) => String(error));
      counts[answer] = (counts[answer] ?? 0) + 1;
    }
    // Nothing for the drain that follows to hand on: the accepts are under test, not 10,050 ledger rows.
    state.storage.sql.exec("DELETE FROM pending");
    return counts;
  });
  expect(answers).toEqual({ accepted: 10_050 });
});
