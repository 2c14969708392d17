/**
 * Starting runs for one delivery (waits are woken in waits.ts).
 *
 * Runs are created through the wrapped binding of @cloudflare/dynamic-workflows,
 * so the engine stores the metadata needed to rebuild the pinned Dynamic Worker
 * with the instance. The id is derived from the delivery and the workflow, so
 * a redelivery (or a replayed ingest step) finds its run instead of starting a
 * second one; the run index row is written first, so no instance exists that
 * the index does not know.
 */
import { wrapWorkflowBinding } from "@cloudflare/dynamic-workflows";
import { effectivePermissions, type RunDecision, type RunParams, type TriggerContext, type WorkflowManifestEntry } from "../runtime";
import { getRun, insertRun } from "../store";
import { loadTenant, type LoaderEnv } from "./loader";
import { runInstanceId } from "./triggers";
import { payloadKey } from "./delivery";
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
  /** The slash command that triggered the workflow, when on.command did. */
  command?: { name: string; args: string[] } | undefined;
  /** The run's concurrency lane, when it has one. */
  lane?: { lane: string; mode: "queue" | "cancel"; receivedAt: number } | undefined;
  /** Deliveries a debounced run absorbed (its own last): shown on the run. */
  absorbed?: string[] | undefined;
}

interface TenantControl {
  shouldRun(workflow: string, trigger: TriggerContext): Promise<RunDecision>;
}

function repoParts(repository: string) {
  const [owner = "", repo = ""] = repository.split("/");
  return { owner, repo };
}

/** Evaluates a workflow's `if` in the tenant isolate; a throw there is the author's error, reported, not ours. */
export async function evaluateIf(env: LoaderEnv, source: RunSource, workflow: WorkflowManifestEntry): Promise<RunDecision> {
  const control = loadTenant(env, { installationId: source.installationId, repository: source.repository, bundleHash: source.bundleHash, permissions: null }).getEntrypoint(
    "TenantControl",
  ) as unknown as TenantControl;
  try {
    return await control.shouldRun(workflow.file, {
      event: { name: source.delivery.event, action: source.delivery.action, deliveryId: source.delivery.id, payload: source.payload },
      repo: repoParts(source.repository),
      headSha: source.headSha,
      ...(source.command ? { command: source.command } : {}),
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
    event: { name: source.delivery.event, action: source.delivery.action, deliveryId: source.delivery.id, payload: source.payload, receivedAt: source.delivery.receivedAt },
    repo: repoParts(source.repository),
    installationId: source.installationId,
    headSha: source.headSha,
    bundleHash: source.bundleHash,
    ...(source.command ? { command: { name: source.command.name, args: source.command.args } } : {}),
  };
  const fresh = await insertRun(env.DB, {
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
    lineage: source.absorbed && source.absorbed.length > 1 ? `Debounced: started on the last of ${source.absorbed.length} events (${source.absorbed.slice(0, -1).join(", ")} absorbed).` : null,
  });
  const metadata: RunMetadata = {
    installationId: source.installationId,
    repository: source.repository,
    bundleHash: source.bundleHash,
    workflow: workflow.file,
    ...(source.delivery.skipSleeps ? { skipSleeps: true } : {}),
    ...(workflow.check === "gate" ? { check: "gate" as const } : {}),
    ...(source.lane ? { lane: source.lane } : {}),
    // Pinned with the code: a later commit that declares more does not widen a run already going.
    permissions: workflow.permissions ?? effectivePermissions(undefined),
  };
  // Cancelled before its instance existed (a cancel racing a slow start): it must not start afterwards.
  if (!fresh && (await getRun(env.DB, runId))?.status === "cancelled") return { runId, created: false };
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

/** A debounced run, due: its payload is the kept one of its newest event (ingest's "keep the event"). */
export async function startDebouncedRun(env: StartEnv & { BLOBS: R2Bucket }, kept: unknown, workflow: WorkflowManifestEntry, absorbed: string[]): Promise<void> {
  const source = kept as Omit<RunSource, "payload">;
  const object = await env.BLOBS.get(payloadKey(source.delivery.id));
  if (!object) throw new Error(`repoflow: the payload of ${source.delivery.id} is gone; the debounced run of ${workflow.file} cannot start.`);
  await startRun(env, { ...source, payload: await object.json(), absorbed }, workflow);
}
