/**
 * Recovery against real D1 and a fake engine whose answers each test sets:
 * what it may mark failed, what it must leave alone, and what it corrects
 * (invariant 7).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { INSTANCE_GONE, ORPHAN_AFTER_MS, recoverStranded, recoverNow, recoveryCoordinator, recoveryDue } from "../../src/dispatch";
import worker from "../../src/index";
import { finishRun, getRun, insertRun, markCheckClosed, markRunStarted, recordDelivery } from "../../src/store";
import { fakeEngine, type FakeEngine } from "./fake-engine";

const later = (ms: number) => new Date(Date.now() + ms);

async function seedRun(id: string, status: "queued" | "running") {
  await insertRun(env.DB, {
    id,
    installationId: 8801,
    repository: "recovery-org/repo",
    workflowFile: ".workflows/triage.ts",
    workflowName: "Triage",
    event: "pull_request",
    action: "opened",
    deliveryId: `delivery-${id}`,
    bundleHash: "cd".repeat(32),
    commitSha: "1".repeat(40),
    headSha: "2".repeat(40),
  });
  await recordDelivery(env.DB, {
    id: `delivery-${id}`,
    instanceId: `ingest-${id}`,
    event: "pull_request",
    action: "opened",
    installationId: 8801,
    repository: "recovery-org/repo",
  });
  if (status === "running") await markRunStarted(env.DB, id, 77);
  // These tests are about the run rows; recovery closing check runs has its own (test/unit/recovery-checks).
  await markCheckClosed(env.DB, id);
}

function recover(runs: FakeEngine, ingest: FakeEngine, now: Date, kick = false) {
  return recoverStranded({ ...env, WORKFLOWS: runs.binding, INGEST: ingest.binding }, { kick, quietMs: 0, includeSleeping: true, now });
}

describe("recovery (invariant 7)", () => {
  it("never marks a run failed when the engine cannot answer for it", async () => {
    const id = `run-rec-transient-${crypto.randomUUID()}`;
    await seedRun(id, "running");
    const runs = fakeEngine({ [id]: { throws: "internal error; reference = 0123456789" } });
    const report = await recover(runs, fakeEngine(), later(ORPHAN_AFTER_MS * 3));
    expect(report.unknown).toContain(id);
    expect(report.reconciled).not.toContain(id);
    expect(await getRun(env.DB, id)).toMatchObject({ status: "running", error: null });
  });

  it("leaves a row whose instance does not exist yet alone while its ingest run is live", async () => {
    const id = `run-rec-starting-${crypto.randomUUID()}`;
    await seedRun(id, "queued");
    const ingest = fakeEngine({ [`ingest-${id}`]: { status: "running" } });
    // Right now, as startRun has written the row and not yet created the instance: untouched.
    expect((await recover(fakeEngine(), ingest, new Date())).reconciled).not.toContain(id);
    // Long after, but the ingest run that creates it is still live (retrying): still untouched.
    expect((await recover(fakeEngine(), ingest, later(ORPHAN_AFTER_MS * 3))).reconciled).not.toContain(id);
    expect(await getRun(env.DB, id)).toMatchObject({ status: "queued" });
  });

  it("marks a row failed only once it is clearly orphaned: quiet past the orphan age and its ingest run over", async () => {
    const id = `run-rec-orphan-${crypto.randomUUID()}`;
    await seedRun(id, "queued");
    const ingest = fakeEngine({ [`ingest-${id}`]: { status: "complete" } });
    expect((await recover(fakeEngine(), ingest, later(ORPHAN_AFTER_MS / 2))).reconciled).not.toContain(id);
    expect(await getRun(env.DB, id)).toMatchObject({ status: "queued" });
    expect((await recover(fakeEngine(), ingest, later(ORPHAN_AFTER_MS * 2))).reconciled).toContain(id);
    expect(await getRun(env.DB, id)).toMatchObject({ status: "failed", error: INSTANCE_GONE });
  });

  it("corrects a row that says failed while the engine still runs it", async () => {
    const id = `run-rec-revive-${crypto.randomUUID()}`;
    await seedRun(id, "running");
    // As the old recovery did to a live run: marked gone.
    await finishRun(env.DB, id, "failed", INSTANCE_GONE);
    const report = await recover(fakeEngine({ [id]: { status: "waiting" } }), fakeEngine(), new Date());
    expect(report.revived).toEqual([id]);
    expect(await getRun(env.DB, id)).toMatchObject({ status: "running", error: null, finishedAt: null });
  });

  it("leaves a failed row alone when the engine agrees it is over", async () => {
    const id = `run-rec-dead-${crypto.randomUUID()}`;
    await seedRun(id, "running");
    await finishRun(env.DB, id, "failed", INSTANCE_GONE);
    const report = await recover(fakeEngine({ [id]: { status: "errored", error: "boom" } }), fakeEngine(), new Date());
    expect(report.revived).not.toContain(id);
    expect(await getRun(env.DB, id)).toMatchObject({ status: "failed", error: INSTANCE_GONE });
  });

  it("records the engine's outcome for a quiet run it finished, and kicks a live one in local mode", async () => {
    const done = `run-rec-done-${crypto.randomUUID()}`;
    const live = `run-rec-live-${crypto.randomUUID()}`;
    await seedRun(done, "running");
    await seedRun(live, "running");
    const runs = fakeEngine({ [done]: { status: "complete" }, [live]: { status: "running" } });
    const report = await recover(runs, fakeEngine(), later(60_000), true);
    expect(await getRun(env.DB, done)).toMatchObject({ status: "succeeded" });
    expect(report.kicked).toContain(live);
    expect(runs.calls).toContainEqual(expect.objectContaining({ id: live, method: "sendEvent" }));
    expect(await getRun(env.DB, live)).toMatchObject({ status: "running" });
  });
});

describe("when recovery runs (invariant 7)", () => {
  it("never starts a pass from request traffic in production", () => {
    expect(recoveryDue({ ...env, REPOFLOW_ENV: "production", WEBHOOK_SECRET: "s", APP_ID: "1", PRIVATE_KEY: "unused" }, Date.now() + 10 * 60_000)).toBe(false);
  });

  it("runs the cron's pass in the one recovery Durable Object", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const report = await recoveryCoordinator(env).pass();
    expect(report).toMatchObject({ kicked: expect.any(Array), reconciled: expect.any(Array), unknown: expect.any(Array), redelivered: [] });
  });

  it("runs one pass at a time: a second call while one is in flight joins it", async () => {
    const first = recoverNow(env);
    const second = recoverNow(env);
    expect(second).toBe(first);
    await first;
  });
});
