/**
 * What a person can do to a run: cancel it, or re-run it. Both go through a
 * durable Workflow, so a crash right after the click loses nothing.
 *
 * Cancel tells the truth (invariant 8). The click only records the request;
 * the control run terminates the instance, waits until the engine confirms it
 * stopped, and only then marks the row and the check run cancelled. A run
 * that finished before the terminate took effect keeps its own outcome. A
 * terminate that keeps failing is shown on the run, and the request is
 * cleared so it can be asked again.
 *
 * Re-run means: from scratch, for the same triggering event, on the bundle of
 * the default branch's HEAD now, not the bundle the original run was pinned
 * to. A re-run is almost always asked for after fixing the workflow, and
 * running the broken code again would defeat it. The original run stays as it
 * was, pinned to its own code. Its id comes from the click (the check_run
 * delivery, or the request's idempotency key), so a retried step or a double
 * click starts one re-run, not two.
 */
import {
  clearCancelRequest,
  finishDelivery,
  finishRun,
  getDelivery,
  getRun,
  listSteps,
  recordDelivery,
  reopenDelivery,
  requestCancel,
  setRunProblem,
  type DeliveryRecord,
  type RunRecord,
} from "../store";
import type { ConfigEnv } from "../config";
import { ingestInstanceId, payloadKey } from "./delivery";
import { LIVE_STATUSES, lookUpInstance, type WorkflowLike } from "./engine";
import { leaveRunLanes } from "./lanes";
import { failedStepOf, reopenFromStep } from "../store";
import { askGitHubToRedeliver } from "./redeliver-missed";
import { checkTargetOf, CLOSE_CONFIG, closeCheckRun, closeOrRecord } from "./run-checks";
import type { ControlParams, Delivery, IngestParams } from "./types";

export interface ControlEnv extends ConfigEnv {
  DB: D1Database;
  LANES: DurableObjectNamespace;
  BLOBS: R2Bucket;
  INGEST: Workflow<IngestParams>;
  WORKFLOWS: Workflow;
  CONTROLS: Workflow<ControlParams>;
}

export class RunNotFoundError extends Error {
  override readonly name = "RunNotFoundError";
  constructor(id: string) {
    super(`repoflow: there is no run ${id}.`);
  }
}

export class EventUnavailableError extends Error {
  override readonly name = "EventUnavailableError";
  constructor(id: string) {
    super(`repoflow: the event that started run ${id} is no longer stored, so it cannot be re-run. Redeliver it from GitHub instead.`);
  }
}

/** The engine has not confirmed the run stopped yet: the confirm step retries. */
export class RunStillLiveError extends Error {
  override readonly name = "RunStillLiveError";
  constructor(id: string, status: string) {
    super(`repoflow: run ${id} is still ${status} after terminate.`);
  }
}

export function cancelInstanceId(runId: string): string {
  return `cancel-${runId}`;
}

/** Records the request and starts the durable cancel; a run that already finished is returned as it is. */
/** `reason` is what the run and its check run say (default: a person cancelled it). */
export async function cancelRun(env: ControlEnv, runId: string, reason?: string): Promise<RunRecord> {
  const run = await getRun(env.DB, runId);
  if (!run) throw new RunNotFoundError(runId);
  if (!(await requestCancel(env.DB, runId))) return run;
  const id = cancelInstanceId(runId);
  try {
    await env.CONTROLS.create({ id, params: { kind: "cancel", runId, ...(reason ? { reason } : {}) } });
  } catch (error) {
    // One control run per run: a second click finds it; one that gave up earlier is started again.
    const existing = await lookUpInstance(env.CONTROLS, id);
    if (existing.state !== "found") throw error;
    if (!LIVE_STATUSES.has(existing.status)) await existing.instance.restart();
  }
  return (await getRun(env.DB, runId)) ?? run;
}

/** The part of Cloudflare's WorkflowStep the control run uses, typed structurally so tests can supply their own. */
export interface ControlStep {
  do<T>(name: string, config: object, callback: (ctx?: unknown) => Promise<T>): Promise<T>;
}

const TERMINATE_CONFIG = { retries: { limit: 5, delay: "2 seconds", backoff: "exponential" }, timeout: "1 minute" } as const;
/** The engine stops a terminated run within moments; a minute of confirming covers a busy engine. */
const CONFIRM_CONFIG = { retries: { limit: 8, delay: "1 second", backoff: "exponential" }, timeout: "30 seconds" } as const;

export interface CancelOutcome {
  outcome: "cancelled" | "finished on its own" | "not stopped";
}

export async function runCancel(env: ControlEnv, runId: string, step: ControlStep, reason = "Cancelled by a person."): Promise<CancelOutcome> {
  let stopped: "terminated" | "finished" | "missing";
  try {
    await step.do("terminate", TERMINATE_CONFIG, () => terminate(env.WORKFLOWS, runId));
    stopped = await step.do("confirm stopped", CONFIRM_CONFIG, () => confirmStopped(env.WORKFLOWS, runId));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await step.do("record the failure", TERMINATE_CONFIG, async () => {
      await setRunProblem(env.DB, runId, `repoflow: the cancel could not stop the run: ${message}`);
      await clearCancelRequest(env.DB, runId);
    });
    return { outcome: "not stopped" };
  }
  const outcome = await step.do("record", TERMINATE_CONFIG, () => recordCancel(env, runId, stopped, reason));
  if (outcome.outcome === "cancelled") {
    await step.do("close the check run", CLOSE_CONFIG, async (ctx?: unknown) => {
      const run = await getRun(env.DB, runId);
      if (run?.status !== "cancelled") return;
      await closeOrRecord(env.DB, ctx, runId, async () =>
        closeCheckRun(env, checkTargetOf(run), run.checkRunId, { conclusion: "cancelled", reason }, await listSteps(env.DB, runId)),
      );
    });
    // A queued lane moves on when one of its runs is cancelled (lanes.ts); recovery's liveness check covers a failure here.
    await step.do("leave its lane", TERMINATE_CONFIG, async () => {
      const run = await getRun(env.DB, runId);
      if (run) await leaveRunLanes(env, run.repository, runId);
    });
  }
  return outcome;
}

async function terminate(binding: WorkflowLike, runId: string): Promise<void> {
  const lookup = await lookUpInstance(binding, runId);
  if (lookup.state === "unknown") throw lookup.error;
  if (lookup.state === "missing") return;
  if (LIVE_STATUSES.has(lookup.status)) await lookup.instance.terminate();
}

/** How the engine left the run: stopped by the terminate, or over before it took effect. */
async function confirmStopped(binding: WorkflowLike, runId: string): Promise<"terminated" | "finished" | "missing"> {
  const lookup = await lookUpInstance(binding, runId);
  if (lookup.state === "unknown") throw lookup.error;
  if (lookup.state === "missing") return "missing";
  if (LIVE_STATUSES.has(lookup.status)) throw new RunStillLiveError(runId, lookup.status);
  return lookup.status === "terminated" ? "terminated" : "finished";
}

async function recordCancel(env: ControlEnv, runId: string, stopped: "terminated" | "finished" | "missing", reason: string): Promise<CancelOutcome> {
  if (stopped === "finished") {
    // Its own closing step records its outcome; the cancel changes nothing.
    await clearCancelRequest(env.DB, runId);
    return { outcome: "finished on its own" };
  }
  await finishRun(env.DB, runId, "cancelled", reason);
  return { outcome: "cancelled" };
}

/**
 * Starts a durable ingest of the original event restricted to the run's workflow; returns the re-run's delivery id.
 * `clickId` names the click: the same id twice starts one re-run.
 */
export async function rerunRun(env: ControlEnv, runId: string, clickId: string = crypto.randomUUID()): Promise<{ deliveryId: string }> {
  const run = await getRun(env.DB, runId);
  if (!run) throw new RunNotFoundError(runId);
  const key = payloadKey(run.deliveryId);
  if (!(await env.BLOBS.head(key))) throw new EventUnavailableError(runId);
  const delivery: Delivery = {
    id: `${run.deliveryId}.rerun-${await shortHash(`${run.id}\0${clickId}`)}`,
    event: run.event,
    action: run.action,
    installationId: run.installationId,
    repository: run.repository,
    receivedAt: new Date().toISOString(),
    rerunOf: { runId: run.id, workflow: run.workflowFile },
  };
  const instanceId = await ingestInstanceId(delivery.id);
  await env.INGEST.create({ id: instanceId, params: { delivery, payloadKey: key } }).catch(async (error: unknown) => {
    if ((await lookUpInstance(env.INGEST, instanceId)).state !== "found") throw error;
  });
  await recordDelivery(env.DB, { ...delivery, instanceId });
  return { deliveryId: delivery.id };
}

export class NoFailedStepError extends Error {
  override readonly name = "NoFailedStepError";
  constructor(runId: string, why: string) {
    super(`repoflow: run ${runId} cannot be re-run from its failed step: ${why} Re-run it from scratch instead.`);
  }
}

/**
 * Re-runs a failed run from the step that failed, on its pinned bundle: the
 * steps that succeeded keep their results and are not run again (their side
 * effects are not repeated). The engine restarts the instance from that step
 * (`instance.restart({ from })` on the real binding: the dynamic-workflows
 * 0.1.1 wrapper drops restart's options). For a transient failure; a re-run
 * from scratch (rerunRun) takes the current code.
 */
export async function rerunFromFailedStep(env: ControlEnv, runId: string): Promise<{ runId: string; from: string }> {
  const run = await getRun(env.DB, runId);
  if (!run) throw new RunNotFoundError(runId);
  if (run.status !== "failed") throw new NoFailedStepError(runId, `it is ${run.status}, not failed.`);
  const step = await failedStepOf(env.DB, runId);
  if (step === null) throw new NoFailedStepError(runId, "it failed outside any step.");
  const lookup = await lookUpInstance(env.WORKFLOWS, runId);
  if (lookup.state !== "found") throw new NoFailedStepError(runId, lookup.state === "missing" ? "the engine no longer keeps it." : "the engine could not be asked about it; try again.");
  if (!(await reopenFromStep(env.DB, runId, step))) throw new NoFailedStepError(runId, "it is not failed any more.");
  await (lookup.instance as unknown as RestartableInstance).restart({ from: { name: step, type: "do" } });
  return { runId, from: step };
}

/** The real binding's restart takes where to restart from; Workflow types of this version do not say so yet. */
interface RestartableInstance {
  restart(options: { from: { name: string; type: "do"; count?: number } }): Promise<void>;
}

async function shortHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class DeliveryNotFoundError extends Error {
  override readonly name = "DeliveryNotFoundError";
  constructor(id: string) {
    super(`repoflow: there is no delivery ${id}.`);
  }
}

export class DeliveryUnavailableError extends Error {
  override readonly name = "DeliveryUnavailableError";
  constructor(id: string) {
    super(`repoflow: delivery ${id} can no longer be redelivered: its ingest run is gone, and GitHub keeps deliveries for 3 days only. Cause the event again on GitHub (comment, push, re-open).`);
  }
}

export class DeliveryNotFailedError extends Error {
  override readonly name = "DeliveryNotFailedError";
  constructor(id: string, status: string) {
    super(`repoflow: delivery ${id} is ${status}, not failed; only a failed delivery is redelivered.`);
  }
}

/**
 * Processes a failed delivery again (the dashboard's Redeliver). Its ingest run
 * still holds the payload, so it is restarted from scratch; every step of
 * ingest is idempotent (run ids come from the delivery), so what the first
 * attempt did is not done twice. An ingest run the engine no longer has
 * (past its retention) is asked of GitHub instead, within its 3-day window.
 */
export async function redeliverDelivery(env: ControlEnv, id: string): Promise<DeliveryRecord> {
  const delivery = await getDelivery(env.DB, id);
  if (!delivery) throw new DeliveryNotFoundError(id);
  if (delivery.status !== "failed") throw new DeliveryNotFailedError(id, delivery.status);
  const lookup = await lookUpInstance(env.INGEST, delivery.instanceId);
  if (lookup.state === "unknown") throw lookup.error;
  await reopenDelivery(env.DB, id);
  try {
    if (lookup.state === "found") await lookup.instance.restart();
    else if (!(await askGitHubToRedeliver(env, id))) throw new DeliveryUnavailableError(id);
  } catch (error) {
    await finishDelivery(env.DB, id, "failed", delivery.error ?? undefined);
    throw error;
  }
  return (await getDelivery(env.DB, id)) ?? delivery;
}
