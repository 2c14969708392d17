/**
 * The check run that reports one run: a pure renderer from the run's state to
 * GitHub's output (held to GitHub's limits), and two thin writers.
 *
 * Step bodies run at least once (a step interrupted by a process death runs
 * again), so both writers are idempotent. upsertCheckRun finds a check run
 * with the same name and external_id on the commit before creating one.
 * updateCheckRun appends annotations, which GitHub never replaces ("each time
 * you update the check run, annotations are appended"), so it first reads how
 * many the check run already has and sends only the rest of the (stable,
 * complete) list; and it sends the completing status last, so a check run
 * never shows "completed" with half its annotations.
 */
import type { GitHubClient } from "./client.ts";
import type { CheckRunAnnotation, CheckRunConclusion, CheckRunLimits, CheckRunOutput, RepoRef, RunReport, RunStepReport, StepStatus } from "./types.ts";

export const CHECK_RUN_LIMITS: CheckRunLimits = {
  maxSummaryChars: 65_535,
  maxTextChars: 65_535,
  annotationsPerRequest: 50,
};

/** GitHub caps an annotation's message at 64 KB; 16,384 UTF-16 units are at most 48 KiB of UTF-8. */
const MAX_ANNOTATION_MESSAGE_CHARS = 16_384;

const STATUS_ICON: Record<StepStatus, string> = {
  running: "⏳",
  succeeded: "✅",
  failed: "❌",
  sleeping: "💤",
  waiting: "⏸️",
};

export function renderCheckRunOutput(run: RunReport, limits: CheckRunLimits = CHECK_RUN_LIMITS): CheckRunOutput {
  const lines: string[] = [headline(run), ""];
  if (run.note) lines.push(run.note, "");
  if (run.error) lines.push(`**Error:** ${oneLine(run.error.message)}${location(run.error) ? ` (${location(run.error)})` : ""}`, "");
  if (run.steps.length > 0) {
    lines.push("| | Step | Status | Duration | Attempts |", "|---|---|---|---|---|");
    for (const step of run.steps) lines.push(stepRow(step));
  }
  if (run.permissions) lines.push("", `Token permissions: ${run.permissions}.`);

  const details: string[] = [];
  if (run.error) details.push(`### Error${location(run.error) ? ` at ${location(run.error)}` : ""}`, "", fence(run.error.message), "");
  for (const step of run.steps) {
    if (step.error !== undefined) details.push(`### Step \`${oneLine(step.name)}\` failed`, "", fence(step.error), "");
  }

  const output: CheckRunOutput = {
    title: run.title,
    summary: truncate(lines.join("\n").trimEnd(), limits.maxSummaryChars),
    annotations: annotationsFor(run),
  };
  if (details.length > 0) output.text = truncate(details.join("\n").trimEnd(), limits.maxTextChars);
  return output;
}

function headline(run: RunReport): string {
  const count = (status: StepStatus) => run.steps.filter((step) => step.status === status).length;
  const parts = [`${count("succeeded")} of ${run.steps.length} steps succeeded`];
  for (const status of ["failed", "running", "sleeping", "waiting"] as const) {
    if (count(status) > 0) parts.push(`${count(status)} ${status}`);
  }
  return `**${run.title}**: ${parts.join(", ")}.`;
}

function stepRow(step: RunStepReport): string {
  const duration = step.durationMs === undefined ? "" : formatDuration(step.durationMs);
  const attempts = step.attempts === undefined ? "" : String(step.attempts);
  return `| ${STATUS_ICON[step.status]} | ${cell(step.name)} | ${step.status} | ${duration} | ${attempts} |`;
}

function annotationsFor(run: RunReport): CheckRunAnnotation[] {
  const own = (run.annotations ?? []).map((a) => ({ ...a, message: truncate(a.message, MAX_ANNOTATION_MESSAGE_CHARS) }));
  const error = run.error;
  if (!error?.file || error.line === undefined) return own;
  const annotation: CheckRunAnnotation = {
    path: error.file,
    start_line: error.line,
    end_line: error.line,
    annotation_level: "failure",
    message: truncate(error.message, MAX_ANNOTATION_MESSAGE_CHARS),
  };
  // GitHub accepts columns only when the annotation starts and ends on the same line, as this one does.
  if (error.column !== undefined) {
    annotation.start_column = error.column;
    annotation.end_column = error.column;
  }
  return [annotation, ...own];
}

function location(error: { file?: string; line?: number; column?: number }): string {
  if (!error.file) return "";
  if (error.line === undefined) return error.file;
  return error.column === undefined ? `${error.file}:${error.line}` : `${error.file}:${error.line}:${error.column}`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

function cell(text: string): string {
  return oneLine(text).replace(/\|/g, "\\|");
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}

function fence(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}\n${text}\n${ticks}`;
}

/** Cuts `text` to at most `max` UTF-16 units (never more characters than GitHub counts), ending in a visible marker. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (dropped: number) => `\n\n**… ${dropped} more characters cut by repoflow to fit GitHub's limit of ${max}.**`;
  // The marker for text.length is at least as long as the marker for the real count, so the result fits.
  let cut = Math.max(0, max - marker(text.length).length);
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return text.slice(0, cut) + marker(text.length - cut);
}

export interface CheckRunRef extends RepoRef {
  headSha: string;
  name: string;
  /** repoflow's run id: what makes a check run ours and unique on the commit. */
  externalId: string;
}

export interface NewCheckRun extends CheckRunRef {
  status?: "queued" | "in_progress";
  /** Buttons shown on the check run; GitHub sends check_run.requested_action with the identifier. */
  actions?: { label: string; description: string; identifier: string }[];
  detailsUrl?: string;
  startedAt?: string;
  output?: CheckRunOutput;
  /**
   * "open": only a check run not completed yet counts as existing. GitHub never lets a completed check
   * run change its status or conclusion again, so a run that resumes after a parked (neutral) check run
   * needs a new one with the same external id.
   */
  reuse?: "any" | "open";
}

/** Returns the check run for (commit, name, externalId), creating it only if GitHub has none. An existing one is left as it is. */
export async function upsertCheckRun(octokit: GitHubClient, run: NewCheckRun, limits: CheckRunLimits = CHECK_RUN_LIMITS): Promise<{ id: number; created: boolean }> {
  const { owner, repo } = run;
  const existing = await findCheckRun(octokit, run, run.reuse === "open");
  if (existing !== undefined) return { id: existing, created: false };

  const { data } = await octokit.rest.checks.create({
    owner,
    repo,
    head_sha: run.headSha,
    name: run.name,
    external_id: run.externalId,
    status: run.status ?? "queued",
    ...(run.detailsUrl === undefined ? {} : { details_url: run.detailsUrl }),
    ...(run.startedAt === undefined ? {} : { started_at: run.startedAt }),
    ...(run.actions === undefined ? {} : { actions: run.actions }),
    ...(run.output === undefined ? {} : { output: { ...run.output, annotations: run.output.annotations.slice(0, limits.annotationsPerRequest) } }),
  });
  if (run.output !== undefined && run.output.annotations.length > limits.annotationsPerRequest) {
    await updateCheckRun(octokit, { owner, repo, checkRunId: data.id, output: run.output }, limits);
  }
  return { id: data.id, created: true };
}

async function findCheckRun(octokit: GitHubClient, run: CheckRunRef, openOnly = false): Promise<number | undefined> {
  const runs = await octokit.paginate(octokit.rest.checks.listForRef, {
    owner: run.owner,
    repo: run.repo,
    ref: run.headSha,
    check_name: run.name,
    // "latest" hides all but the newest check run of a name; a rerun on the same commit has the same name.
    filter: "all",
    per_page: 100,
  });
  return runs.find((candidate) => candidate.external_id === run.externalId && !(openOnly && candidate.status === "completed"))?.id;
}

export type CheckRunState = { status: "in_progress" } | { status: "completed"; conclusion: CheckRunConclusion; completedAt?: string };

export interface CheckRunUpdate extends RepoRef {
  checkRunId: number;
  state?: CheckRunState;
  /** The complete output; its annotations are the whole list in a stable order, of which only those GitHub lacks are sent. */
  output?: CheckRunOutput;
  /** The buttons, replaced with the last request (an empty list removes them, as a completed run needs). */
  actions?: NonNullable<NewCheckRun["actions"]>;
}

/** Moves a check run along (in_progress, then completed with a conclusion) and sends annotations in batches GitHub accepts. */
/** Returns what GitHub says the check run is after the update: a completed one never changes again, whatever was asked. */
export async function updateCheckRun(
  octokit: GitHubClient,
  update: CheckRunUpdate,
  limits: CheckRunLimits = CHECK_RUN_LIMITS,
): Promise<{ status: string; conclusion: string | null }> {
  const { owner, repo, checkRunId, output, state, actions } = update;
  let pending: CheckRunAnnotation[] = [];
  if (output !== undefined && output.annotations.length > 0) {
    const { data } = await octokit.rest.checks.get({ owner, repo, check_run_id: checkRunId });
    pending = output.annotations.slice(data.output.annotations_count);
  }
  const batches: CheckRunAnnotation[][] = [];
  for (let i = 0; i < pending.length; i += limits.annotationsPerRequest) batches.push(pending.slice(i, i + limits.annotationsPerRequest));
  if (batches.length === 0) batches.push([]);

  let after: { status: string; conclusion: string | null } = { status: "unknown", conclusion: null };
  for (const [index, annotations] of batches.entries()) {
    const last = index === batches.length - 1;
    const { data } = await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: checkRunId,
      ...(output === undefined ? {} : { output: { title: output.title, summary: output.summary, ...(output.text === undefined ? {} : { text: output.text }), ...(annotations.length > 0 ? { annotations } : {}) } }),
      ...(last && state !== undefined ? stateFields(state) : {}),
      ...(last && actions !== undefined ? { actions } : {}),
    });
    after = { status: data?.status ?? "unknown", conclusion: data?.conclusion ?? null };
  }
  return after;
}

function stateFields(state: CheckRunState) {
  if (state.status === "in_progress") return { status: "in_progress" as const };
  return { status: "completed" as const, conclusion: state.conclusion, completed_at: state.completedAt ?? new Date().toISOString() };
}
