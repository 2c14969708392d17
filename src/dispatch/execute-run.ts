/**
 * One run, from the dispatcher's side of the boundary. The Workflow class
 * registered with createDynamicWorkflowEntrypoint hands every entry into run()
 * here (first start, each wake after a sleep, each replay after a restart),
 * with the metadata stored in the instance's params. This opens the check run,
 * gives the tenant a ReportingStep instead of the raw step, and records the
 * outcome.
 *
 * Bookkeeping steps are named "repoflow: …" (tenants may not use that prefix)
 * so they are memoized like any step: a replay neither reopens nor re-closes
 * the check run.
 */
import type { WorkflowStep } from "cloudflare:workers";
import { readConfig, type ConfigEnv } from "../config";
import { createGitHubClient } from "../github";
import { mapStackLocation } from "../compiler";
import { describePermissions, STACK_MARKER, type RunParams } from "../runtime";
import { readArtifact } from "./artifacts";
import { withoutEnginePrefix } from "./failure-text";
import { finishRun, getRun, listSteps, markRunStarted } from "../store";
import { loadTenant, type LoaderEnv } from "./loader";
import { DEFAULT_STEP_LIMITS, ReportingStep, errorMessage, isEngineAbort, isWaitTimeout, type EngineStep } from "./reporting-step";
import {
  CheckRunProgress,
  CLOSE_CONFIG,
  closeCheckRun,
  closeOrRecord,
  openCheckRun,
  recordOpening,
  type CheckRunOpening,
  type CheckRunTarget,
  type FailureDetail,
} from "./run-checks";
import { RunObserver } from "./run-observer";
import { roleLookup, RunWaits, waitRegistry, type LookAtChecks, type WaitsEnv } from "./waits";
import { lookAtChecks } from "./commit-checks";
import { reactToComment } from "./command-runs";
import { leaveRunLanes, lanesOf, turnEventType, type RunLane } from "./lanes";
import { lookUpInstance, LIVE_STATUSES } from "./engine";
import type { RunMetadata } from "./types";

export type RunEnv = LoaderEnv & ConfigEnv & WaitsEnv & { DB: D1Database; LANES: DurableObjectNamespace };

export interface RunEvent {
  payload: RunParams;
  timestamp: Date;
  instanceId: string;
}

interface TenantRunner {
  run(event: RunEvent, step: ReportingStep): Promise<unknown>;
}

type Outcome = { conclusion: "success" } | { conclusion: "failure"; error: FailureDetail };

export async function executeRun(env: RunEnv, metadata: RunMetadata, event: RunEvent, step: WorkflowStep): Promise<unknown> {
  const params = event.payload;
  // The check run opens beside the run, not before it: no GitHub round trip stands before the first author step.
  // Every update of the check run, and the run's close, waits for it.
  const starting = step.do("repoflow: start", async () => {
    const record = await getRun(env.DB, params.runId);
    const target: CheckRunTarget = {
      runId: params.runId,
      installationId: metadata.installationId,
      repository: metadata.repository,
      headSha: params.headSha,
      workflowName: record?.workflowName ?? params.workflow,
      deliveryId: params.event.deliveryId,
      ...commandCommentOf(params),
      ...(metadata.permissions ? { permissions: describePermissions(metadata.permissions) } : {}),
    };
    const opening = await openCheckRun(env, target);
    await markRunStarted(env.DB, params.runId, opening.id);
    await recordOpening(env.DB, params.runId, opening);
    return { ...target, opening };
  });

  const progress = starting.then(async (target) => {
    // Every entry into run() (each wake, each replay) reads the row: a check run opened after the start step is known there.
    const row = await getRun(env.DB, params.runId);
    const known = row?.checkRunId ?? null;
    const opening: CheckRunOpening = known !== null ? { id: known } : row?.checkParked ? { id: null, parked: true } : target.opening;
    return new CheckRunProgress(env, target, opening, metadata.check === "gate" ? "gate" : "report");
  });
  // Awaited where it is used; a failure surfaces there, not as an unhandled rejection.
  progress.catch(() => undefined);
  const observer = new RunObserver(env.DB, params.runId, { progress: async (steps) => (await progress).progress(steps) });
  const skipSleeps = metadata.skipSleeps === true && readConfig(env).mode === "local";
  const github = () =>
    createGitHubClient(readConfig(env), { as: { type: "installation", installationId: metadata.installationId, repository: metadata.repository } });
  // A wait sees the events accepted after the one that started the run (the run's creation time for older runs).
  const origin = { at: Date.parse(params.event.receivedAt ?? "") || new Date(event.timestamp).getTime(), exclude: params.event.deliveryId };
  const appId = Number(readConfig(env).appId);
  const look: LookAtChecks = (sha, options) => lookAtChecks(github(), metadata.repository, sha, { ...options, appId });
  const waits = new RunWaits(env, metadata.repository, params.runId, origin, roleLookup(github, metadata.repository), look);
  const reporting = new ReportingStep(step as unknown as EngineStep, observer, { ...DEFAULT_STEP_LIMITS, skipSleeps }, waits);
  const tenant = loadTenant(env, metadata).getEntrypoint("TenantWorkflow") as unknown as TenantRunner;

  if (metadata.lane?.mode === "queue") await waitForTurn(env, step, metadata.repository, params.runId, metadata.lane);

  let result: unknown;
  try {
    result = await tenant.run(event, reporting);
  } catch (error) {
    if (isEngineAbort(error)) throw error;
    const target = await starting;
    await step.do("repoflow: failed", CLOSE_CONFIG, async (ctx) => {
      const artifact = await readArtifact(env.BLOBS, metadata.bundleHash).catch(() => null);
      const detail = failureDetail(error, artifact?.modules["bundle.js"] ?? null);
      await settle(env, target, ctx, "failed", { conclusion: "failure", error: detail });
    });
    throw error;
  }
  const target = await starting;
  await step.do("repoflow: succeeded", CLOSE_CONFIG, (ctx) => settle(env, target, ctx, "succeeded", { conclusion: "success" }, resultJson(result)));
  return result ?? null;
}

/**
 * Records the run's outcome, then makes the check run say the same. The row
 * decides: when a cancel got there first, the row says cancelled and the
 * check run is the cancel's to close, never this run's success or failure.
 * On a retried attempt the row already holds this outcome, and the close is
 * tried again.
 */
export async function settle(env: RunEnv, target: CheckRunTarget, ctx: unknown, status: "succeeded" | "failed", outcome: Outcome, result: string | null = null): Promise<void> {
  await finishRun(env.DB, target.runId, status, outcome.conclusion === "failure" ? outcome.error.message : undefined, result);
  // The next run of its concurrency lane may go; a failure here is healed by that run's own liveness check.
  await leaveRunLanes(env, target.repository, target.runId).catch((error: unknown) => console.warn(`repoflow: could not hand on the lane of ${target.runId}:`, error));
  // The registry prunes what this leaves behind; a finished run must not fail over its bookkeeping.
  await waitRegistry(env, target.repository)
    .forget(target.runId)
    .catch((error: unknown) => console.warn(`repoflow: could not drop the waits of ${target.runId}:`, error));
  const row = await getRun(env.DB, target.runId);
  if (row?.status !== status) return;
  await closeOrRecord(env.DB, ctx, target.runId, async () => closeCheckRun(env, target, row.checkRunId, outcome, await listSteps(env.DB, target.runId)));
  if (target.commandComment !== undefined) {
    const github = createGitHubClient(readConfig(env), { as: { type: "installation", installationId: target.installationId, repository: target.repository }, deliveryId: target.deliveryId });
    // The check run says the outcome; the reaction is a courtesy on the comment, and never fails the run's close.
    await reactToComment(github, target.repository, target.commandComment, outcome.conclusion === "success" ? "rocket" : "confused").catch((error: unknown) =>
      console.warn(`repoflow: could not react to the command of ${target.runId}:`, error),
    );
  }
}

const LANE_CONFIG = { retries: { limit: 8, delay: "1 second", backoff: "exponential" }, timeout: "1 minute" } as const;
/** A queued run looks again this often even without a turn event: a run ahead of it may have died without leaving. */
const TURN_RECHECK = "1 hour";

/** concurrency without cancelInProgress: the run waits until it is first in its lane. */
async function waitForTurn(env: RunEnv, step: WorkflowStep, repository: string, runId: string, lane: RunLane): Promise<void> {
  const lanes = lanesOf(env, repository);
  for (let look = 1; ; look++) {
    const slot = await step.do(`repoflow: lane #${look}`, LANE_CONFIG, async () => {
      const entered = await lanes.enter(lane.lane, runId, lane.receivedAt);
      if (entered.go) return entered;
      const ahead = await lookUpInstance(env.WORKFLOWS, entered.behind);
      if (ahead.state === "unknown") return entered;
      if (ahead.state === "missing" || !LIVE_STATUSES.has(ahead.status)) {
        await lanes.leave(lane.lane, entered.behind);
        return lanes.enter(lane.lane, runId, lane.receivedAt);
      }
      return entered;
    });
    if (slot.go) return;
    try {
      await step.waitForEvent(`repoflow: turn #${look}`, { type: turnEventType(runId), timeout: TURN_RECHECK });
    } catch (error) {
      if (!isWaitTimeout(error)) throw error;
    }
  }
}

/** The run's return value as the run page shows it; the engine keeps the value itself. */
function resultJson(result: unknown): string | null {
  if (result === undefined || result === null) return null;
  try {
    return JSON.stringify(result) ?? null;
  } catch {
    return null;
  }
}

function commandCommentOf(params: RunParams): { commandComment?: number } {
  const id = (params.event.payload as { comment?: { id?: unknown } } | null)?.comment?.id;
  return params.command && typeof id === "number" ? { commandComment: id } : {};
}

/**
 * The author's message, and where the author's code threw: the host appends
 * the stack after STACK_MARKER (only the message survives RPC), and the first
 * bundle.js frame that maps into .workflows/ through the bundle's source map
 * is the location.
 */
export function failureDetail(error: unknown, bundleCode: string | null): FailureDetail {
  const [raw = "", stack = ""] = errorMessage(error).split(STACK_MARKER);
  const message = withoutEnginePrefix(raw);
  if (bundleCode === null) return { message };
  for (const frame of stack.matchAll(/bundle\.js:(\d+):(\d+)/g)) {
    const location = mapStackLocation({ code: bundleCode }, Number(frame[1]), Number(frame[2]));
    if (location) return { message, file: location.file, line: location.line, column: location.column };
  }
  return { message };
}
