/**
 * What a person can do to a run: cancel it, or re-run it.
 *
 * Re-run means: from scratch, for the same triggering event, on the bundle of
 * the default branch's HEAD now, not the bundle the original run was pinned
 * to. A re-run is almost always asked for after fixing the workflow, and
 * running the broken code again would defeat it. The original run stays as it
 * was, pinned to its own code. The re-run goes through a durable ingest run
 * like any delivery, so a crash right after the request loses nothing.
 */
import { countReruns, finishRun, getRun, listSteps, recordDelivery, type RunRecord } from "../store";
import type { ConfigEnv } from "../config";
import { ingestInstanceId, payloadKey } from "./delivery";
import { closeCheckRun, type CheckRunTarget } from "./run-checks";
import type { Delivery, IngestParams } from "./types";

export interface ControlEnv extends ConfigEnv {
  DB: D1Database;
  BLOBS: R2Bucket;
  INGEST: Workflow<IngestParams>;
  WORKFLOWS: Workflow;
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

function checkTarget(run: RunRecord): CheckRunTarget {
  return {
    runId: run.id,
    installationId: run.installationId,
    repository: run.repository,
    headSha: run.headSha,
    workflowName: run.workflowName,
    deliveryId: run.deliveryId,
  };
}

/** Terminates the instance; a run that already finished is left as it is. Returns the run's status afterwards. */
export async function cancelRun(env: ControlEnv, runId: string): Promise<RunRecord> {
  const run = await getRun(env.DB, runId);
  if (!run) throw new RunNotFoundError(runId);
  if (run.status !== "queued" && run.status !== "running") return run;
  const instance = await env.WORKFLOWS.get(runId).catch(() => null);
  await instance?.terminate().catch((error: unknown) => console.warn(`repoflow: terminating ${runId}:`, error));
  if (await finishRun(env.DB, runId, "cancelled", "Cancelled by a person.")) {
    await closeCheckRun(env, checkTarget(run), run.checkRunId, { conclusion: "cancelled" }, await listSteps(env.DB, runId)).catch((error: unknown) =>
      console.warn(`repoflow: could not mark the check run of ${runId} cancelled:`, error),
    );
  }
  return (await getRun(env.DB, runId)) ?? run;
}

/** Starts a durable ingest of the original event restricted to the run's workflow; returns the re-run's delivery id. */
export async function rerunRun(env: ControlEnv, runId: string): Promise<{ deliveryId: string }> {
  const run = await getRun(env.DB, runId);
  if (!run) throw new RunNotFoundError(runId);
  const key = payloadKey(run.deliveryId);
  if (!(await env.BLOBS.head(key))) throw new EventUnavailableError(runId);
  // Two quick clicks compute the same id: the second finds the instance and starts nothing.
  const attempt = (await countReruns(env.DB, run.deliveryId)) + 1;
  const delivery: Delivery = {
    id: `${run.deliveryId}.rerun${attempt}`,
    event: run.event,
    action: run.action,
    installationId: run.installationId,
    repository: run.repository,
    receivedAt: new Date().toISOString(),
    rerunOf: { runId: run.id, workflow: run.workflowFile },
  };
  const instanceId = await ingestInstanceId(delivery.id);
  await env.INGEST.create({ id: instanceId, params: { delivery, payloadKey: key } }).catch(async (error: unknown) => {
    if (!(await env.INGEST.get(instanceId).catch(() => null))) throw error;
  });
  await recordDelivery(env.DB, { ...delivery, instanceId });
  return { deliveryId: delivery.id };
}
