/**
 * The check run of one run: created in_progress when the run starts, its
 * summary re-rendered as steps finish, completed with the outcome. Opening and
 * progress are best effort (an outage is logged and the next update catches
 * up); closing throws, so the caller's step retries it.
 */
import { readConfig, type ConfigEnv } from "../config";
import { createGitHubClient, renderCheckRunOutput, updateCheckRun, upsertCheckRun, type GitHubClient } from "../github";
import type { RunStepReport } from "../github";
import type { StepRecord } from "../store";
import type { ProgressSink } from "./run-observer";

export interface CheckRunTarget {
  runId: string;
  installationId: number;
  repository: string;
  headSha: string;
  workflowName: string;
  deliveryId: string;
}

export interface FailureDetail {
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** The identifier of the "Cancel" button on an in-progress check run (check_run.requested_action). */
export const CANCEL_ACTION = "cancel";
const CANCEL_BUTTON = { label: "Cancel", description: "Stop this run", identifier: CANCEL_ACTION };

export function checkRunName(workflowName: string): string {
  return `repoflow: ${workflowName}`;
}

function client(env: ConfigEnv, target: CheckRunTarget): GitHubClient {
  return createGitHubClient(readConfig(env), {
    as: { type: "installation", installationId: target.installationId, repository: target.repository },
    deliveryId: target.deliveryId,
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

/** Creates (or finds, on a replayed step) the run's check run; null when GitHub could not be reached. */
export async function openCheckRun(env: ConfigEnv, target: CheckRunTarget): Promise<number | null> {
  try {
    const { id } = await upsertCheckRun(client(env, target), {
      ...repoRef(target),
      headSha: target.headSha,
      name: checkRunName(target.workflowName),
      externalId: target.runId,
      status: "in_progress",
      startedAt: new Date().toISOString(),
      output: renderCheckRunOutput({ title: "Running", steps: [] }),
      actions: [CANCEL_BUTTON],
    });
    return id;
  } catch (error) {
    console.warn(`repoflow: could not create the check run for ${target.runId}:`, error);
    return null;
  }
}

export class CheckRunProgress implements ProgressSink {
  constructor(
    private readonly env: ConfigEnv,
    private readonly target: CheckRunTarget,
    private readonly checkRunId: number | null,
  ) {}

  async progress(steps: StepRecord[]): Promise<void> {
    if (this.checkRunId === null) return;
    await updateCheckRun(client(this.env, this.target), {
      ...repoRef(this.target),
      checkRunId: this.checkRunId,
      output: renderCheckRunOutput({ title: "Running", steps: stepReports(steps) }),
    });
  }
}

export async function closeCheckRun(
  env: ConfigEnv,
  target: CheckRunTarget,
  checkRunId: number | null,
  outcome: { conclusion: "success" | "cancelled" } | { conclusion: "failure"; error: FailureDetail },
  steps: readonly StepRecord[],
): Promise<void> {
  const octokit = client(env, target);
  const id = checkRunId ?? (await openCheckRun(env, target));
  if (id === null) throw new Error(`repoflow: GitHub did not accept the check run for ${target.runId}.`);
  const title = { success: "Succeeded", failure: "Failed", cancelled: "Cancelled" }[outcome.conclusion];
  const output = renderCheckRunOutput({
    title,
    steps: stepReports(steps),
    ...(outcome.conclusion === "failure" ? { error: outcome.error } : {}),
  });
  await updateCheckRun(octokit, { ...repoRef(target), checkRunId: id, state: { status: "completed", conclusion: outcome.conclusion }, output });
  await octokit.rest.checks.update({ ...repoRef(target), check_run_id: id, actions: [] });
}
