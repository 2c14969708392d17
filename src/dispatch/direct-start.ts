/**
 * Runs the inbox starts itself, without an ingest Workflow. When the settled
 * index says which workflows an event triggers and nothing about them needs
 * more than the manifest and an `if` (no lane or debounce key, no command to
 * authorize, no wait to wake, not a push ingest reports a compile for), ingest
 * would only read the bundle from D1, ask the tenant the `if` and start the
 * runs: the inbox does that itself (the `if` asked once, inbox.ts decideIfs),
 * with the same deterministic run ids, so a retried drain or a redelivery
 * starts nothing twice. One Workflow instance per run and none for the
 * delivery: the ingest instance, its steps and their persistence were most of
 * the time before a run's first step (bench/runs: 45 → 27 ms without an `if`).
 */
import type { RepoHead } from "../store";
import { isCurrentBuild, trustedManifest } from "./bundle-trust";
import { keepPayload } from "./delivery";
import type { EventFacts } from "./event-facts";
import { startRun, type RunSource, type StartEnv } from "./start-runs";
import { headShaOf, matchWorkflow } from "./triggers";
import type { WorkflowManifestEntry } from "../runtime";
import type { Delivery } from "./types";

export interface DirectStart {
  source: RunSource;
  workflows: WorkflowManifestEntry[];
}

/** The runs an event starts when the manifest alone decides them; null when ingest has more to do. */
export function directStartOf(delivery: Delivery, payload: unknown, facts: EventFacts, head: RepoHead): DirectStart | null {
  if (delivery.installationId === null || delivery.repository === null || delivery.rerunOf) return null;
  if (!head.bundle?.ok || head.sourceKey === null || !isCurrentBuild(head.sourceKey) || head.pendingSha !== null) return null;
  // A push to the default branch may report a compile and move schedules: ingest's.
  if (delivery.event === "push") return null;
  const manifest = trustedManifest(head.bundle.manifest);
  if (manifest === null) return null;
  const matched: WorkflowManifestEntry[] = [];
  for (const workflow of manifest) {
    const match = matchWorkflow(workflow, facts);
    if (!match) continue;
    // An `if` the inbox asks the tenant itself (inbox.ts decideIfs); a lane or a debounce key is ingest's.
    if ((match.via !== "event" && match.via !== "labeled") || workflow.concurrency || workflow.debounce) return null;
    matched.push(workflow);
  }
  if (matched.length === 0 || facts.commands.length > 0) return null;
  return {
    workflows: matched,
    source: {
      delivery,
      payload,
      installationId: delivery.installationId,
      repository: delivery.repository,
      bundleHash: head.bundle.hash,
      commitSha: head.commitSha,
      headSha: headShaOf(delivery.event, payload) ?? head.commitSha,
    },
  };
}

/** Starts them and keeps the event (re-runs replay it); idempotent, so a retried drain repeats it harmlessly. */
export async function startDirectly(env: StartEnv & { BLOBS: R2Bucket }, plan: DirectStart): Promise<string[]> {
  const started: string[] = [];
  if (plan.workflows.length === 0) return started;
  for (const workflow of plan.workflows) started.push((await startRun(env, plan.source, workflow)).runId);
  await keepPayload(env.BLOBS, plan.source.delivery.id, plan.source.payload);
  return started;
}
