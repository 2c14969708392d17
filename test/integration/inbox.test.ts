import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { acceptIntoInbox, drainInbox, ingestInstanceId, type IngestParams } from "../../src/dispatch";
import { getDelivery } from "../../src/store";

function params(id: string): IngestParams {
  return {
    delivery: { id, event: "ping_like", action: null, installationId: null, repository: null, receivedAt: new Date().toISOString() },
    payload: { zen: "Keep it logically awesome." },
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
  const answers = await runInDurableObject(stub, async (_instance, state) => [
    await acceptIntoInbox(state.storage, params(id)),
    await acceptIntoInbox(state.storage, params(id)),
  ]);
  expect(answers).toEqual(["accepted", "duplicate"]);
  // Stored before any ingest run exists: this is what survives a crash right after the 202.
  await runInDurableObject(stub, async (_instance, state) => {
    expect(state.storage.sql.exec("SELECT id FROM pending").toArray()).toEqual([{ id }]);
  });

  await runDurableObjectAlarm(stub);
  expect(await exists(await ingestInstanceId(id))).toBe(true);
  expect(await getDelivery(env.DB, id)).toMatchObject({ id, status: expect.any(String) });
  await runInDurableObject(stub, async (_instance, state) => {
    expect(state.storage.sql.exec("SELECT id FROM pending").toArray()).toEqual([]);
  });
});

it("finishes a drain that a crash interrupted after some ingest runs were created", async () => {
  const stub = env.INBOX.get(env.INBOX.idFromName("test-inbox-partial"));
  const ids = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  await runInDurableObject(stub, async (_instance, state) => {
    for (const id of ids) await acceptIntoInbox(state.storage, params(id));
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
