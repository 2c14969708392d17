/**
 * Retention deletes what only finished runs needed and never what a live or
 * sleeping run needs, with real D1 and R2 (issue 10, item 7).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyRetention, payloadKey } from "../../src/dispatch";
import { artifactKey } from "../../src/dispatch/artifacts";
import { appendRunLogs, finishDelivery, finishRun, getDelivery, getRun, insertRun, listSteps, markRunStarted, recordDelivery, saveBundle, startStep } from "../../src/store";

const REPO = "retention-org/repo";
const DAY = 86_400_000;

async function seed(id: string, bundleHash: string, state: "finished" | "sleeping") {
  await recordDelivery(env.DB, { id: `delivery-${id}`, instanceId: `ingest-${id}`, event: "issues", action: "opened", installationId: 4401, repository: REPO });
  await finishDelivery(env.DB, `delivery-${id}`, "processed");
  await env.BLOBS.put(payloadKey(`delivery-${id}`), JSON.stringify({ id }));
  await insertRun(env.DB, {
    id, installationId: 4401, repository: REPO, workflowFile: ".workflows/a.ts", workflowName: "A", event: "issues", action: "opened",
    deliveryId: `delivery-${id}`, bundleHash, commitSha: "1".repeat(40), headSha: "2".repeat(40),
  });
  await markRunStarted(env.DB, id, null);
  if (state === "sleeping") {
    await startStep(env.DB, id, { name: "nap", kind: "sleep", status: "sleeping", wakeAt: new Date(Date.now() + 200 * DAY) });
  } else {
    await startStep(env.DB, id, { name: "work", kind: "do", status: "running" });
    await appendRunLogs(env.DB, id, [{ level: "log", message: "hello", step: "work", at: new Date().toISOString() }]);
    await finishRun(env.DB, id, "succeeded");
  }
}

async function bundle(sourceKey: string, hash: string) {
  await saveBundle(env.DB, { sourceKey, hash, ok: true, manifest: [], diagnostics: [], commitSha: "1".repeat(40), repository: REPO });
  await env.BLOBS.put(artifactKey(hash), JSON.stringify({ hash }));
}

describe("retention", () => {
  it("deletes an old finished run with its logs, payload and bundle, and keeps a sleeping run's, however old", async () => {
    const old = "a".repeat(64);
    const pinned = "b".repeat(64);
    const newest = "c".repeat(64);
    await bundle("tree-old", old);
    await bundle("tree-pinned", pinned);
    await seed("run-retention-done", old, "finished");
    await seed("run-retention-asleep", pinned, "sleeping");
    await new Promise((resolve) => setTimeout(resolve, 5));
    await bundle("tree-newest", newest);

    const report = await applyRetention(env, Date.now() + 60 * DAY);
    expect(report.runs).toBeGreaterThanOrEqual(1);

    expect(await getRun(env.DB, "run-retention-done")).toBeNull();
    expect(await listSteps(env.DB, "run-retention-done")).toEqual([]);
    expect(await getDelivery(env.DB, "delivery-run-retention-done")).toBeNull();
    expect(await env.BLOBS.head(payloadKey("delivery-run-retention-done"))).toBeNull();
    expect(await env.BLOBS.head(artifactKey(old))).toBeNull();

    // What the sleeping run needs stays: its row, steps, delivery, payload and pinned bundle.
    expect(await getRun(env.DB, "run-retention-asleep")).toMatchObject({ status: "running" });
    expect((await listSteps(env.DB, "run-retention-asleep")).map((s) => s.name)).toEqual(["nap"]);
    expect(await getDelivery(env.DB, "delivery-run-retention-asleep")).not.toBeNull();
    expect(await env.BLOBS.head(payloadKey("delivery-run-retention-asleep"))).not.toBeNull();
    expect(await env.BLOBS.head(artifactKey(pinned))).not.toBeNull();
    // And the repository's newest bundle, which the next event uses, stays too.
    expect(await env.BLOBS.head(artifactKey(newest))).not.toBeNull();
  });

  it("keeps everything younger than RETENTION_DAYS", async () => {
    await bundle("tree-young", "d".repeat(64));
    await seed("run-retention-young", "d".repeat(64), "finished");
    await applyRetention({ ...env, RETENTION_DAYS: "30" }, Date.now() + 29 * DAY);
    expect(await getRun(env.DB, "run-retention-young")).not.toBeNull();
  });
});
