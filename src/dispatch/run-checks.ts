/**
 * The check run of one run: created in_progress when the run starts, its
 * summary re-rendered as steps finish, completed with the outcome.
 *
 * A check run is the run's face on GitHub, so it is never silently missing:
 * - an open that failed (an outage) is retried by every later update, and by
 *   the close, until GitHub takes it (opening is idempotent by external_id);
 * - one GitHub refuses outright (422: it does not know the commit; 403: the
 *   installation may not write checks) is not retried, and the refusal is
 *   recorded on the run, where the dashboard and the API show it;
 * - closing throws on an outage, so the caller's step retries it.
 */
import { readConfig, type ConfigEnv } from "../config";
import { createGitHubClient, renderCheckRunOutput, updateCheckRun, upsertCheckRun, type GitHubClient } from "../github";
import type { CheckRunAnnotation, RunStepReport } from "../github";
import { listAnnotations, markCheckClosed, parkCheckRun, recordCheckRunId, setRunProblem, type RunRecord, type StepRecord } from "../store";
import { MAX_ANNOTATIONS_PER_RUN } from "./annotations";
import type { ProgressSink } from "./run-observer";

export interface CheckRunTarget {
  runId: string;
  installationId: number;
  repository: string;
  headSha: string;
  workflowName: string;
  deliveryId: string;
  /** The comment whose slash command started the run: it gets 🚀 or 😕 when the run ends. */
  commandComment?: number;
  /** What the run's token may do ("contents: read, issues: write, …"), shown on the check run. */
  permissions?: string;
}

export interface FailureDetail {
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/**
 * Closing the check run gets more patience than a tenant step: it is the run's
 * visible outcome. 10 retries from 10 s, doubling, ride out a GitHub outage of
 * about 2¾ hours before the close gives up, and giving up is recorded on the
 * run (closeOrRecord), never silent.
 */
export const CLOSE_CONFIG = { retries: { limit: 10, delay: "10 seconds", backoff: "exponential" }, timeout: "1 minute" } as const;

/**
 * GitHub may be down for longer than the close step's retries. On the last
 * attempt the failure is recorded on the run (dashboard and API show it)
 * instead of thrown: the run's own outcome is already recorded, and failing
 * the run over its report would be wrong.
 */
export async function closeOrRecord(db: D1Database, ctx: unknown, runId: string, close: () => Promise<void>): Promise<void> {
  const attempt = (ctx as { attempt?: number } | undefined)?.attempt ?? 1;
  try {
    await close();
  } catch (error) {
    if (attempt <= CLOSE_CONFIG.retries.limit) throw error;
    const message = error instanceof Error ? error.message : String(error);
    await setRunProblem(db, runId, `repoflow: the check run could not be completed after ${attempt} attempts: ${message}`);
  }
  await markCheckClosed(db, runId);
}

/** The identifier of the "Cancel" button on an in-progress check run (check_run.requested_action). */
export const CANCEL_ACTION = "cancel";
const CANCEL_BUTTON = { label: "Cancel", description: "Stop this run", identifier: CANCEL_ACTION };
/** On a run that failed in a step: re-run it from that step, keeping what the steps before it did. GitHub's own "Re-run" starts from scratch. */
export const RERUN_FAILED_ACTION = "rerun-failed";
const RERUN_FAILED_BUTTON = { label: "Re-run failed step", description: "Resume from the step that failed", identifier: RERUN_FAILED_ACTION };

/** Where a run's check run lives, from its row. */
export function checkTargetOf(run: RunRecord): CheckRunTarget {
  return {
    runId: run.id,
    installationId: run.installationId,
    repository: run.repository,
    headSha: run.headSha,
    workflowName: run.workflowName,
    deliveryId: run.deliveryId,
  };
}

export function checkRunName(workflowName: string): string {
  return `repoflow: ${workflowName}`;
}

/** How patient one call is: a step retries on its own, recovery tries again next pass and wants short calls. */
export interface CallPatience {
  /** The unit of Octokit's retry waits (1 s by default: 1, 4 and 9 s). */
  retryUnitMs?: number;
}

function client(env: ConfigEnv, target: CheckRunTarget, patience: CallPatience = {}): GitHubClient {
  return createGitHubClient(readConfig(env), {
    as: { type: "installation", installationId: target.installationId, repository: target.repository },
    deliveryId: target.deliveryId,
    ...(patience.retryUnitMs === undefined ? {} : { retryUnitMs: patience.retryUnitMs }),
  });
}

function repoRef(target: CheckRunTarget) {
  const [owner = "", repo = ""] = target.repository.split("/");
  return { owner, repo };
}

export function stepReports(steps: readonly StepRecord[], now = Date.now()): RunStepReport[] {
  return steps.map((step) => {
    const end = step.finishedAt ? Date.parse(step.finishedAt) : now;
    const report: RunStepReport = { name: step.name, status: step.status, durationMs: Math.max(0, end - Date.parse(step.startedAt)) };
    if (step.kind === "do") report.attempts = step.attempts;
    if (step.error) report.error = step.error;
    return report;
  });
}

/**
 * What opening a check run came to: its id, GitHub's refusal (final), a failure worth retrying, or
 * parked (completed as neutral while the run sleeps or waits; a new one opens when it resumes).
 */
export type CheckRunOpening = { id: number } | { id: null; refused: string } | { id: null; failed: string } | { id: null; parked: true };

/** GitHub's answers that will not change on a retry: 422 (unknown commit, invalid request), 403 without a rate limit, 404. */
function refusal(error: unknown): string | null {
  const { status, name, message } = error as { status?: unknown; name?: unknown; message?: unknown };
  if (name === "GitHubRateLimitError") return null;
  if (status === 422 || status === 403 || status === 404) return `GitHub refused the check run (${status}): ${String(message)}`;
  return null;
}

/** "Details" on GitHub opens the run's dashboard page, when the operator said where the dashboard is (PUBLIC_URL). */
function detailsUrlOf(env: ConfigEnv, target: CheckRunTarget): { detailsUrl?: string } {
  const base = readConfig(env).publicUrl;
  return base ? { detailsUrl: `${base}/runs/${encodeURIComponent(target.runId)}` } : {};
}

function permissionsOf(target: CheckRunTarget): { permissions?: string } {
  return target.permissions ? { permissions: target.permissions } : {};
}

/** Creates (or finds, on a replayed step) the run's check run. Never throws: the run goes on without it. */
export async function openCheckRun(env: ConfigEnv, target: CheckRunTarget, patience: CallPatience = {}): Promise<CheckRunOpening> {
  try {
    const { id } = await upsertCheckRun(client(env, target, patience), {
      ...repoRef(target),
      headSha: target.headSha,
      name: checkRunName(target.workflowName),
      externalId: target.runId,
      status: "in_progress",
      startedAt: new Date().toISOString(),
      output: renderCheckRunOutput({ title: "Running", steps: [], ...permissionsOf(target) }),
      actions: [CANCEL_BUTTON],
      reuse: "open",
      ...detailsUrlOf(env, target),
    });
    return { id };
  } catch (error) {
    const refused = refusal(error);
    if (refused !== null) return { id: null, refused };
    console.warn(`repoflow: could not create the check run for ${target.runId} yet; the next update tries again:`, error);
    return { id: null, failed: error instanceof Error ? error.message : String(error) };
  }
}

/** Records what an opening came to on the run: the id, or the refusal for people to see. */
export async function recordOpening(db: D1Database, runId: string, opening: CheckRunOpening): Promise<void> {
  if (opening.id !== null) await recordCheckRunId(db, runId, opening.id);
  else if ("refused" in opening) await setRunProblem(db, runId, opening.refused);
}

/** The buttons of the waits a run is in (step.waitFor's `button`); GitHub allows three actions per check run. */
function waitButtons(steps: readonly StepRecord[]): { label: string; description: string; identifier: string }[] {
  return steps
    .filter((step) => step.status === "waiting" && step.button !== null)
    .slice(0, 2)
    .map((step) => ({ label: step.button!.label, description: `Satisfies the wait "${step.name}"`.slice(0, 40), identifier: step.button!.identifier }));
}

/** What a run's check run means to the pull request (WorkflowDefinition.check). */
export type CheckMode = "report" | "gate";

/** Shorter sleeps and waits keep the check run open: parking one costs two requests and a new check run. */
export const PARK_AFTER_MS = 60_000;

/** The sleep or wait a run is parked on, when it is parked long enough to release the pull request. */
export function parkingStep(steps: readonly StepRecord[], now = Date.now()): StepRecord | null {
  if (steps.some((step) => step.status === "running")) return null;
  const parked = steps.filter((step) => step.status === "sleeping" || step.status === "waiting");
  const step = parked.at(-1);
  if (!step) return null;
  return step.wakeAt === null || Date.parse(step.wakeAt) - now > PARK_AFTER_MS ? step : null;
}

/**
 * The check run's live summary. Starts from what the run's start step got; an
 * id still missing is asked for again on each update, so a brief outage at the
 * start does not hide the check run for the whole run.
 *
 * In "report" mode a run that sleeps or waits for longer than a minute
 * completes its check run as neutral: branch protection counts neutral as
 * passing, so the wait never holds the pull request. GitHub never lets a
 * completed check run change again, so the run opens a new one (same name
 * and external id) when it resumes, and that one carries the outcome.
 */
export class CheckRunProgress implements ProgressSink {
  #opening: CheckRunOpening;

  constructor(
    private readonly env: ConfigEnv & { DB: D1Database },
    private readonly target: CheckRunTarget,
    opening: CheckRunOpening,
    private readonly mode: CheckMode = "report",
  ) {
    this.#opening = opening;
  }

  async progress(steps: StepRecord[]): Promise<void> {
    const parking = this.mode === "report" ? parkingStep(steps) : null;
    if (parking !== null) {
      if (this.#opening.id !== null) await this.#park(this.#opening.id, parking, steps);
      return;
    }
    if (this.#opening.id === null && ("failed" in this.#opening || "parked" in this.#opening)) {
      this.#opening = await openCheckRun(this.env, this.target);
      await recordOpening(this.env.DB, this.target.runId, this.#opening);
    }
    if (this.#opening.id === null) return;
    await updateCheckRun(client(this.env, this.target), {
      ...repoRef(this.target),
      checkRunId: this.#opening.id,
      output: renderCheckRunOutput({ title: "Running", steps: stepReports(steps), ...permissionsOf(this.target) }),
      actions: [CANCEL_BUTTON, ...waitButtons(steps)],
    });
  }

  async #park(checkRunId: number, step: StepRecord, steps: StepRecord[]): Promise<void> {
    const until = step.wakeAt ? ` until ${step.wakeAt.replace("T", " ").slice(0, 16)} UTC` : "";
    const what = step.status === "waiting" ? `Waiting for ${step.waitFor ?? step.name}` : `Sleeping (${step.name})`;
    await updateCheckRun(client(this.env, this.target), {
      ...repoRef(this.target),
      checkRunId,
      state: { status: "completed", conclusion: "neutral" },
      // GitHub shows a completed check run's buttons too: a parked wait can still be satisfied from here.
      actions: [CANCEL_BUTTON, ...waitButtons(steps)],
      output: renderCheckRunOutput({
        title: `${what}${until}`.slice(0, 250),
        note: "This run is still going. It does not hold the pull request while it waits: its outcome appears as a new check run of the same name when it resumes.",
        steps: stepReports(steps),
        ...permissionsOf(this.target),
      }),
    });
    await parkCheckRun(this.env.DB, this.target.runId, checkRunId);
    this.#opening = { id: null, parked: true };
  }
}

/**
 * Completes the check run with the run's outcome, creating it first if it is
 * still missing. Throws on an outage (the caller's step retries); a check run
 * GitHub refuses is recorded on the run and not retried.
 */
export async function closeCheckRun(
  env: ConfigEnv & { DB: D1Database },
  target: CheckRunTarget,
  checkRunId: number | null,
  outcome: { conclusion: "success" } | { conclusion: "cancelled"; reason?: string } | { conclusion: "failure"; error: FailureDetail },
  steps: readonly StepRecord[],
  patience: CallPatience = {},
): Promise<void> {
  const octokit = client(env, target, patience);
  let id = checkRunId;
  if (id === null) {
    const opening = await openCheckRun(env, target, patience);
    await recordOpening(env.DB, target.runId, opening);
    if ("refused" in opening) return;
    if (opening.id === null) throw new Error(`repoflow: GitHub did not take the check run for ${target.runId} yet: ${"failed" in opening ? opening.failed : "parked"}`);
    id = opening.id;
  }
  const title = { success: "Succeeded", failure: "Failed", cancelled: "Cancelled" }[outcome.conclusion];
  const annotations = await listAnnotations<CheckRunAnnotation>(env.DB, target.runId, MAX_ANNOTATIONS_PER_RUN);
  const output = renderCheckRunOutput({
    title,
    steps: stepReports(steps),
    annotations,
    ...permissionsOf(target),
    ...(outcome.conclusion === "failure" ? { error: outcome.error } : {}),
    ...(outcome.conclusion === "cancelled" && outcome.reason ? { note: outcome.reason } : {}),
  });
  // Completed and without its Cancel button in one request: a reader never sees a finished run offering to stop.
  const failedInStep = outcome.conclusion === "failure" && steps.some((step) => step.kind === "do" && step.status === "failed");
  const actions = failedInStep ? [RERUN_FAILED_BUTTON] : [];
  const after = await updateCheckRun(octokit, { ...repoRef(target), checkRunId: id, state: { status: "completed", conclusion: outcome.conclusion }, output, actions });
  if (after.status === "completed" && after.conclusion !== outcome.conclusion && after.conclusion !== null) {
    // It was completed already (parked as neutral by a wait racing this close): GitHub never changes a completed
    // check run, so the outcome goes on a new one.
    const fresh = await openCheckRun(env, target, patience);
    if (fresh.id === null) throw new Error(`repoflow: the check run of ${target.runId} was completed as ${after.conclusion}; a new one could not be opened to say ${outcome.conclusion}.`);
    await recordCheckRunId(env.DB, target.runId, fresh.id);
    await updateCheckRun(octokit, { ...repoRef(target), checkRunId: fresh.id, state: { status: "completed", conclusion: outcome.conclusion }, output, actions });
  }
}
