/**
 * Cancel that tells the truth (invariant 8), driven through runCancel with a
 * retrying step, real D1 and a fake engine: the row says cancelled only once
 * the engine confirms the run stopped; a terminate that keeps failing is
 * shown; a run that finished first keeps its outcome.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runCancel } from "../../src/dispatch";
import { settle } from "../../src/dispatch/execute-run";
import { finishRun, getRun, insertRun, markRunStarted, requestCancel } from "../../src/store";
import { fakeEngine } from "./fake-engine";
import { RetryingStep } from "./retrying-step";

async function seedRunning(id: string) {
  await insertRun(env.DB, {
    id, installationId: 6601, repository: "controls-org/repo", workflowFile: ".workflows/slow.ts", workflowName: "Slow",
    event: "pull_request", action: "opened", deliveryId: `delivery-${id}`, bundleHash: "ef".repeat(32), commitSha: "1".repeat(40), headSha: "2".repeat(40),
  });
  // No check run id: closing would need GitHub, which this test has none of; the close's own failure handling is not under test here.
  await markRunStarted(env.DB, id, null);
  await requestCancel(env.DB, id);
}

describe("runCancel (invariant 8)", () => {
  it("marks the run cancelled once the engine confirms it was terminated", async () => {
    const id = `run-cancel-ok-${crypto.randomUUID()}`;
    await seedRunning(id);
    const engine = fakeEngine({ [id]: { status: "waiting" } });
    const step = new RetryingStep();
    const { outcome } = await runCancel({ ...env, WORKFLOWS: engine.binding }, id, step);
    expect(engine.calls).toContainEqual({ id, method: "terminate" });
    expect(step.names.slice(0, 3)).toEqual(["terminate", "confirm stopped", "record"]);
    expect(await getRun(env.DB, id)).toMatchObject({ status: "cancelled" });
    expect(outcome).toBe("cancelled");
  });

  it("never says cancelled while the engine still runs it: a terminate that keeps failing is shown and the request cleared", async () => {
    const id = `run-cancel-stuck-${crypto.randomUUID()}`;
    await seedRunning(id);
    const engine = fakeEngine({ [id]: { status: "running" } });
    // terminate() appears to work but the engine keeps the run running.
    const binding = {
      get: async (instanceId: string) => ({ ...(await engine.binding.get(instanceId)), terminate: async () => { throw new Error("engine busy"); } }),
    } as unknown as Workflow;
    const step = new RetryingStep();
    const { outcome } = await runCancel({ ...env, WORKFLOWS: binding }, id, step);
    expect(outcome).toBe("not stopped");
    expect(step.attempts.get("terminate")).toBe(6);
    expect(await getRun(env.DB, id)).toMatchObject({
      status: "running",
      cancelRequestedAt: null,
      problem: expect.stringMatching(/^repoflow: the cancel could not stop the run: .*engine busy/),
    });
  });

  it("keeps the outcome of a run that finished before the terminate took effect", async () => {
    const id = `run-cancel-late-${crypto.randomUUID()}`;
    await seedRunning(id);
    await finishRun(env.DB, id, "succeeded");
    const engine = fakeEngine({ [id]: { status: "complete" } });
    const { outcome } = await runCancel({ ...env, WORKFLOWS: engine.binding }, id, new RetryingStep());
    expect(outcome).toBe("finished on its own");
    expect(engine.calls.filter((c) => c.method === "terminate")).toEqual([]);
    expect(await getRun(env.DB, id)).toMatchObject({ status: "succeeded", cancelRequestedAt: null });
  });
});

describe("a run's own close after a cancel (invariant 8)", () => {
  it("never closes as success a check run whose run a cancel already marked cancelled", async () => {
    const id = `run-cancel-then-finish-${crypto.randomUUID()}`;
    await seedRunning(id);
    await finishRun(env.DB, id, "cancelled", "Cancelled by a person.");
    const target = { runId: id, installationId: 6601, repository: "controls-org/repo", headSha: "2".repeat(40), workflowName: "Slow", deliveryId: `delivery-${id}` };
    // GitHub is unreachable here: had settle tried to close the check run, it would throw.
    await settle(env, target, { attempt: 1 }, "succeeded", { conclusion: "success" });
    expect(await getRun(env.DB, id)).toMatchObject({ status: "cancelled", problem: null });
  });
});
