/**
 * What step.waitForChecks looks at: every check run and commit status on a
 * commit, as GitHub shows them on a pull request, minus repoflow's own check
 * runs (a run waiting for green checks must not wait for itself) and the
 * names the author ignores. Only the newest check run of each name counts,
 * as on GitHub's pull request page.
 */
import type { GitHubClient } from "../github";

export interface CommitCheck {
  kind: "check_run" | "status";
  name: string;
  /** "completed" for a finished check run or a status that is no longer pending. */
  status: "queued" | "in_progress" | "completed";
  /** GitHub's conclusion (check runs) or state (statuses: success, failure, error). */
  conclusion: string | null;
}

export interface ChecksSummary {
  complete: boolean;
  /** "success" when every check passed (neutral and skipped count as passing), "failure" otherwise; null while incomplete. */
  conclusion: "success" | "failure" | null;
  checks: CommitCheck[];
}

const PASSING = new Set(["success", "neutral", "skipped"]);

export function ignored(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern));
}

export async function lookAtChecks(
  octokit: GitHubClient,
  repository: string,
  sha: string,
  options: { appId: number; ignore: readonly string[]; minimum: number },
): Promise<ChecksSummary> {
  const [owner = "", repo = ""] = repository.split("/");
  const runs = await octokit.paginate(octokit.rest.checks.listForRef, { owner, repo, ref: sha, filter: "latest", per_page: 100 });
  const combined = await octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref: sha, per_page: 100 });
  const checks: CommitCheck[] = [];
  for (const run of runs) {
    if (run.app?.id === options.appId || ignored(run.name, options.ignore)) continue;
    checks.push({ kind: "check_run", name: run.name, status: run.status === "completed" ? "completed" : run.status === "queued" ? "queued" : "in_progress", conclusion: run.conclusion ?? null });
  }
  for (const status of combined.data.statuses) {
    if (ignored(status.context, options.ignore)) continue;
    checks.push({ kind: "status", name: status.context, status: status.state === "pending" ? "in_progress" : "completed", conclusion: status.state === "pending" ? null : status.state });
  }
  return summarize(checks, options.minimum);
}

export function summarize(checks: CommitCheck[], minimum: number): ChecksSummary {
  const complete = checks.length >= minimum && checks.every((check) => check.status === "completed");
  if (!complete) return { complete, conclusion: null, checks };
  return { complete, conclusion: checks.every((check) => check.conclusion !== null && PASSING.has(check.conclusion)) ? "success" : "failure", checks };
}
