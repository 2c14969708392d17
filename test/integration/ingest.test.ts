/**
 * runIngest driven through its structural step, with real D1 and R2: which
 * steps a delivery takes, and what it must not do.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { INGEST_RETRY_LIMIT, ingestRetryDelayMs, OWN_ECHO, runIngest, type EngineIngestStep, type IngestParams } from "../../src/dispatch";
import { getDelivery, recordDelivery } from "../../src/store";
import { RunWaits } from "../../src/dispatch/waits";
import { normalizeWait } from "../../src/dispatch/wait-spec";
import { example, retarget } from "../support/payloads";
import { fakeEngine } from "./fake-engine";

/** Runs each step body once, in order (no retries), and remembers the names and configs. */
class RecordingStep implements EngineIngestStep {
  readonly names: string[] = [];
  readonly configs: object[] = [];
  async do<T>(name: string, config: object, callback: (ctx?: unknown) => Promise<T>): Promise<T> {
    this.names.push(name);
    this.configs.push(config);
    return callback({ attempt: 1 });
  }
}

const REPO = "ingest-org/repo";
const INSTALLATION = 5501;

function params(event: string, payload: Record<string, unknown>): IngestParams {
  return {
    delivery: {
      id: crypto.randomUUID(),
      event,
      action: (payload.action as string | undefined) ?? null,
      installationId: INSTALLATION,
      repository: REPO,
      receivedAt: new Date().toISOString(),
    },
    payload,
  };
}

describe("runIngest: repoflow never triggers itself (invariant 9)", () => {
  it("starts nothing, wakes no waiting run and calls no GitHub API for repoflow's own check run completing", async () => {
    // A run waiting for check_run events in the same repository: an echo must not reach it.
    const waiting = `run-ingest-waiting-${crypto.randomUUID()}`;
    const payload = retarget(example("check_run", "completed"), { fullName: REPO, installationId: INSTALLATION });
    (payload.check_run as { app: { id: number } }).app.id = Number(env.APP_ID);
    const engine = fakeEngine({ [waiting]: { status: "waiting" } });
    const waits = new RunWaits({ WAITS: env.WAITS, WORKFLOWS: engine.binding }, REPO, waiting, { at: Date.now() - 60_000, exclude: null }, async () => null);
    await waits.register("green", 1, normalizeWait("w", { events: ["check_run"] }), 86_400_000);
    const step = new RecordingStep();
    // GITHUB_API_URL points at a closed port here: any GitHub call would fail the ingest.
    const outcome = await runIngest({ ...env, WORKFLOWS: engine.binding }, params("check_run", payload), step);

    expect(outcome).toMatchObject({ started: [], ignored: OWN_ECHO });
    expect(step.names).toEqual(["mark processed"]);
    expect(engine.calls.filter((call) => call.method === "sendEvent")).toEqual([]);
  });

  it("still wakes the run waiting for another App's check run on its commit", async () => {
    const waiting = `run-ingest-other-${crypto.randomUUID()}`;
    const payload = retarget(example("check_run", "completed"), { fullName: "ingest-org/other", installationId: INSTALLATION });
    const sha = (payload as { check_run: { head_sha: string } }).check_run.head_sha;
    const engine = fakeEngine({ [waiting]: { status: "waiting" } });
    const waitsEnv = { WAITS: env.WAITS, WORKFLOWS: engine.binding };
    const origin = { at: Date.now() - 60_000, exclude: null };
    await new RunWaits(waitsEnv, "ingest-org/other", waiting, origin, async () => null).register("green", 1, normalizeWait("w", { events: ["check_run.completed"], for: { sha } }), 86_400_000);
    const step = new RecordingStep();
    const ingest = { ...params("check_run", payload), delivery: { ...params("check_run", payload).delivery, repository: "ingest-org/other" } };
    // It goes on to resolve the default branch, which fails against the closed port: the wake came first.
    await expect(runIngest({ ...env, WORKFLOWS: engine.binding }, ingest, step)).rejects.toThrow();
    expect(step.names[0]).toBe("wake waiting runs");
    // Not a control on a repoflow check run (no run- external id): no step is spent on controls.
    expect(step.names).not.toContain("handle check run controls");
    expect(engine.calls).toContainEqual(expect.objectContaining({ id: waiting, method: "sendEvent" }));
  });
});

describe("runIngest: an accepted delivery is retried through GitHub's 3-day redelivery window (invariant 2)", () => {
  it("gives every step retries spanning more than 3 days, and notes each failed attempt on the delivery", async () => {
    let total = 0;
    for (let attempt = 1; attempt <= INGEST_RETRY_LIMIT; attempt++) total += ingestRetryDelayMs(attempt);
    expect(total).toBeGreaterThan(3 * 86_400_000);
    expect(ingestRetryDelayMs(1)).toBe(10_000);

    const payload = retarget(example("issues", "opened"), { fullName: REPO, installationId: INSTALLATION });
    const ingest = params("issues", payload);
    await recordDelivery(env.DB, { ...ingest.delivery, instanceId: `ingest-${ingest.delivery.id}` });
    const step = new RecordingStep();
    // GitHub is unreachable here, so resolving the default branch fails.
    await expect(runIngest(env, ingest, step)).rejects.toThrow();
    expect(step.configs.every((config) => (config as { retries: { limit: number } }).retries.limit === INGEST_RETRY_LIMIT)).toBe(true);
    expect(await getDelivery(env.DB, ingest.delivery.id)).toMatchObject({
      status: "accepted",
      attempts: 1,
      lastError: expect.stringMatching(/^resolve default branch: /),
    });
  });
});
