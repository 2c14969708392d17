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
import { mapStackLocation } from "../compiler";
import { STACK_MARKER, type RunParams } from "../runtime";
import { readArtifact } from "./artifacts";
import { finishRun, getRun, listSteps, markRunStarted } from "../store";
import { loadTenant, type LoaderEnv } from "./loader";
import { DEFAULT_STEP_LIMITS, ReportingStep, errorMessage, isEngineAbort, type EngineStep } from "./reporting-step";
import { CheckRunProgress, closeCheckRun, openCheckRun, type CheckRunTarget, type FailureDetail } from "./run-checks";
import { RunObserver } from "./run-observer";
import type { RunMetadata } from "./types";

export type RunEnv = LoaderEnv & ConfigEnv & { DB: D1Database };

export interface RunEvent {
  payload: RunParams;
  timestamp: Date;
  instanceId: string;
}

interface TenantRunner {
  run(event: RunEvent, step: ReportingStep): Promise<unknown>;
}

/** Closing the check run gets more patience than a tenant step: it is the run's visible outcome. */
const CLOSE_CONFIG = { retries: { limit: 5, delay: "5 seconds", backoff: "exponential" }, timeout: "1 minute" } as const;

export async function executeRun(env: RunEnv, metadata: RunMetadata, event: RunEvent, step: WorkflowStep): Promise<unknown> {
  const params = event.payload;
  const target = await step.do("repoflow: start", async () => {
    const record = await getRun(env.DB, params.runId);
    const target: CheckRunTarget = {
      runId: params.runId,
      installationId: metadata.installationId,
      repository: metadata.repository,
      headSha: params.headSha,
      workflowName: record?.workflowName ?? params.workflow,
      deliveryId: params.event.deliveryId,
    };
    const checkRunId = await openCheckRun(env, target);
    await markRunStarted(env.DB, params.runId, checkRunId);
    return { ...target, checkRunId };
  });

  const observer = new RunObserver(env.DB, params.runId, new CheckRunProgress(env, target, target.checkRunId));
  const skipSleeps = metadata.skipSleeps === true && readConfig(env).mode === "local";
  const reporting = new ReportingStep(step as unknown as EngineStep, observer, { ...DEFAULT_STEP_LIMITS, skipSleeps });
  const tenant = loadTenant(env, metadata).getEntrypoint("TenantWorkflow") as unknown as TenantRunner;

  let result: unknown;
  try {
    result = await tenant.run(event, reporting);
  } catch (error) {
    if (isEngineAbort(error)) throw error;
    await step.do("repoflow: failed", CLOSE_CONFIG, async (ctx) => {
      const artifact = await readArtifact(env.BLOBS, metadata.bundleHash).catch(() => null);
      const detail = failureDetail(error, artifact?.modules["bundle.js"] ?? null);
      await finishRun(env.DB, params.runId, "failed", detail.message);
      await closeQuietlyOnLastAttempt(ctx, async () =>
        closeCheckRun(env, target, target.checkRunId, { conclusion: "failure", error: detail }, await listSteps(env.DB, params.runId)),
      );
    });
    throw error;
  }
  await step.do("repoflow: succeeded", CLOSE_CONFIG, async (ctx) => {
    await finishRun(env.DB, params.runId, "succeeded");
    await closeQuietlyOnLastAttempt(ctx, async () =>
      closeCheckRun(env, target, target.checkRunId, { conclusion: "success" }, await listSteps(env.DB, params.runId)),
    );
  });
  return result ?? null;
}

/**
 * GitHub may be down for longer than the close step's retries. On the last
 * attempt a failure is logged instead of thrown: the run's own outcome is
 * already recorded, and failing the run over its report would be wrong.
 */
async function closeQuietlyOnLastAttempt(ctx: unknown, close: () => Promise<void>): Promise<void> {
  const attempt = (ctx as { attempt?: number } | undefined)?.attempt ?? 1;
  try {
    await close();
  } catch (error) {
    if (attempt <= CLOSE_CONFIG.retries.limit) throw error;
    console.error("repoflow: giving up on completing the check run:", error);
  }
}

/**
 * The author's message, and where the author's code threw: the host appends
 * the stack after STACK_MARKER (only the message survives RPC), and the first
 * bundle.js frame that maps into .workflows/ through the bundle's source map
 * is the location.
 */
export function failureDetail(error: unknown, bundleCode: string | null): FailureDetail {
  const [message = "", stack = ""] = errorMessage(error).split(STACK_MARKER);
  if (bundleCode === null) return { message };
  for (const frame of stack.matchAll(/bundle\.js:(\d+):(\d+)/g)) {
    const location = mapStackLocation({ code: bundleCode }, Number(frame[1]), Number(frame[2]));
    if (location) return { message, file: location.file, line: location.line, column: location.column };
  }
  return { message };
}
