/**
 * Starting runs for one delivery, and forwarding it to runs waiting for it.
 *
 * Runs are created through the wrapped binding of @cloudflare/dynamic-workflows,
 * so the engine stores the metadata needed to rebuild the pinned Dynamic Worker
 * with the instance. The id is derived from the delivery and the workflow, so
 * a redelivery (or a replayed ingest step) finds its run instead of starting a
 * second one; the run index row is written first, so no instance exists that
 * the index does not know.
 */
import { wrapWorkflowBinding } from "@cloudflare/dynamic-workflows";
import type { RunParams, TriggerContext, WorkflowManifestEntry } from "../runtime";
import { getRun, insertRun, listRunsWaitingFor } from "../store";
import { loadTenant, type LoaderEnv } from "./loader";
import { runInstanceId } from "./triggers";
import type { Delivery, RunMetadata } from "./types";

export interface StartEnv extends LoaderEnv {
  DB: D1Database;
  WORKFLOWS: Workflow;
}

export interface RunSource {
  delivery: Delivery;
  payload: unknown;
  installationId: number;
  repository: string;
  bundleHash: string;
  commitSha: string;
  headSha: string;
}

export type IfDecision = { run: true } | { run: false } | { error: { message: string; stack?: string } };

interface TenantControl {
  shouldRun(workflow: string, trigger: TriggerContext): Promise<IfDecision>;
}

function repoParts(repository: string) {
  const [owner = "", repo = ""] = repository.split("/");
  return { owner, repo };
}

/** Evaluates a workflow's `if` in the tenant isolate; a throw there is the author's error, reported, not ours. */
export async function evaluateIf(env: LoaderEnv, source: RunSource, workflow: WorkflowManifestEntry): Promise<IfDecision> {
  const control = loadTenant(env, source).getEntrypoint("TenantControl") as unknown as TenantControl;
  try {
    return await control.shouldRun(workflow.file, {
      event: { name: source.delivery.event, action: source.delivery.action, deliveryId: source.delivery.id, payload: source.payload },
      repo: repoParts(source.repository),
      headSha: source.headSha,
    });
  } catch (error) {
    return { error: { message: error instanceof Error ? error.message : String(error) } };
  }
}

export async function startRun(env: StartEnv, source: RunSource, workflow: WorkflowManifestEntry): Promise<{ runId: string; created: boolean }> {
  const runId = await runInstanceId(source.delivery.id, workflow.file);
  const params: RunParams = {
    runId,
    workflow: workflow.file,
    event: { name: source.delivery.event, action: source.delivery.action, deliveryId: source.delivery.id, payload: source.payload },
    repo: repoParts(source.repository),
    installationId: source.installationId,
    headSha: source.headSha,
    bundleHash: source.bundleHash,
  };
  await insertRun(env.DB, {
    id: runId,
    installationId: source.installationId,
    repository: source.repository,
    workflowFile: workflow.file,
    workflowName: workflow.name,
    event: source.delivery.event,
    action: source.delivery.action,
    deliveryId: source.delivery.id,
    bundleHash: source.bundleHash,
    commitSha: source.commitSha,
    headSha: source.headSha,
  });
  const metadata: RunMetadata = {
    installationId: source.installationId,
    repository: source.repository,
    bundleHash: source.bundleHash,
    workflow: workflow.file,
    ...(source.delivery.skipSleeps ? { skipSleeps: true } : {}),
  };
  // Cancelled before its instance existed (a cancel racing a slow start): it must not start afterwards.
  if ((await getRun(env.DB, runId))?.status === "cancelled") return { runId, created: false };
  try {
    await wrapWorkflowBinding(metadata).create({ id: runId, params });
    return { runId, created: true };
  } catch (error) {
    // An existing instance means this step already ran (a replay) or the delivery came again.
    const existing = await env.WORKFLOWS.get(runId).catch(() => null);
    if (existing) return { runId, created: false };
    throw error;
  }
}

/** Hands the event to every run of the repository waiting for this event type (step.waitForEvent). */
export async function forwardToWaitingRuns(env: StartEnv, repository: string, delivery: Delivery, payload: unknown): Promise<string[]> {
  const waiting = await listRunsWaitingFor(env.DB, repository, delivery.event);
  const forwarded: string[] = [];
  for (const runId of waiting) {
    const instance = await env.WORKFLOWS.get(runId).catch(() => null);
    if (!instance) continue;
    await instance.sendEvent({ type: delivery.event, payload: { action: delivery.action, deliveryId: delivery.id, payload } });
    forwarded.push(runId);
  }
  return forwarded;
}
