/**
 * What can happen in the emulated GitHub, each as one change of state plus
 * the webhooks GitHub sends for it. The API handlers call these for the App
 * (the actor is its bot user), and the Emulator's helpers call them for a
 * person a test makes act, so a comment, a label or a closed issue sends the
 * same events whoever caused it.
 */
import {
  branchMoved,
  checkRunChanged,
  checkSuiteIfCompleted,
  commentCreated,
  commentEdited,
  issueOrPull,
  labelChanged,
  reviewRequested,
  reviewSubmitted,
  statusCreated,
  type Actor,
} from "./events.ts";
import type { Site } from "./shapes.ts";
import {
  commit,
  DEFAULT_USER,
  ensureLabels,
  nextId,
  openIssue,
  openPullRequest,
  requireIssue,
  requireRepo,
  timestamp,
  UnknownCheckRunActionError,
  type Comment,
  type CommitStatus,
  type Issue,
  type Repo,
  type Review,
} from "./state.ts";
import type { CheckRunState, IssueSeed, PullRequestSeed } from "./types.ts";

/** A seeded issue, opened by its author: `issues.opened` and a `labeled` per label. */
export function seedIssue(site: Site, fullName: string, seed: IssueSeed): void {
  openIssue(site.world, fullName, { ...seed, labels: [] });
  const target = requireIssue(site.world, fullName, seed.number);
  target.labels = [...(seed.labels ?? [])];
  opened(site, requireRepo(site.world, fullName), target, { login: seed.user ?? DEFAULT_USER });
}

/** A seeded pull request, opened by its author: `pull_request.opened`. */
export function seedPullRequest(site: Site, fullName: string, seed: PullRequestSeed): void {
  openPullRequest(site.world, fullName, seed);
  opened(site, requireRepo(site.world, fullName), requireIssue(site.world, fullName, seed.number), { login: seed.user ?? DEFAULT_USER });
}

/** A commit pushed by a person: `push`, and `pull_request.synchronize` for the pull requests it updates. */
export function pushFiles(site: Site, fullName: string, files: Record<string, string | null>, message: string | undefined, branch: string | undefined, actor: Actor): { sha: string } {
  const repo = requireRepo(site.world, fullName);
  const target = branch ?? repo.defaultBranch;
  const before = repo.branches.get(target) ?? null;
  const since = before ?? repo.branches.get(repo.defaultBranch) ?? null;
  const result = commit(site.world, fullName, files, message, branch);
  branchMoved(site, repo, actor, target, before, result.sha, since);
  return result;
}

export function addComment(site: Site, repo: Repo, target: Issue, text: string, actor: Actor, viaApp: boolean): Comment {
  const now = timestamp(Date.now());
  const comment: Comment = { id: nextId(site.world), issueNumber: target.number, body: text, user: actor.login, viaApp, createdAt: now, updatedAt: now };
  repo.comments.set(comment.id, comment);
  target.updatedAt = now;
  commentCreated(site, repo, actor, target, comment);
  return comment;
}

/** A comment's new body: `issue_comment.edited` with the old body in `changes`; the issue counts it as activity. */
export function editComment(site: Site, repo: Repo, target: Issue, comment: Comment, text: string, actor: Actor): void {
  const previous = comment.body;
  const now = timestamp(Date.now());
  comment.body = text;
  comment.updatedAt = now;
  target.updatedAt = now;
  commentEdited(site, repo, actor, target, comment, previous);
}

/** Adds the labels the issue does not have yet (creating unknown ones, as GitHub does); one `labeled` event per added label. */
export function addLabels(site: Site, repo: Repo, target: Issue, names: string[], actor: Actor): void {
  for (const name of ensureLabels(site.world, repo, names)) {
    if (target.labels.some((existing) => existing.toLowerCase() === name.toLowerCase())) continue;
    target.labels.push(name);
    target.updatedAt = timestamp(Date.now());
    const found = repo.labels.get(name.toLowerCase());
    if (found) labelChanged(site, repo, actor, target, found, "labeled");
  }
}

/** False when the issue does not carry the label. */
export function removeLabel(site: Site, repo: Repo, target: Issue, name: string, actor: Actor): boolean {
  const index = target.labels.findIndex((existing) => existing.toLowerCase() === name.toLowerCase());
  if (index === -1) return false;
  target.labels.splice(index, 1);
  target.updatedAt = timestamp(Date.now());
  const found = repo.labels.get(name.toLowerCase());
  if (found) labelChanged(site, repo, actor, target, found, "unlabeled");
  return true;
}

/** Makes the labels exactly `names` (PATCH …/issues/{n} with `labels`). */
export function setLabels(site: Site, repo: Repo, target: Issue, names: string[], actor: Actor): void {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  for (const existing of [...target.labels]) if (!wanted.has(existing.toLowerCase())) removeLabel(site, repo, target, existing, actor);
  addLabels(site, repo, target, names, actor);
}

/** Opens (issues.opened / pull_request.opened), then one `labeled` per label, as GitHub sends them for labels given at creation. */
export function opened(site: Site, repo: Repo, target: Issue, actor: Actor): void {
  const labels = [...target.labels];
  target.labels = [];
  issueOrPull(site, repo, actor, target, "opened");
  addLabels(site, repo, target, labels, actor);
}

export function setState(site: Site, repo: Repo, target: Issue, state: "open" | "closed", reason: Issue["stateReason"], actor: Actor): void {
  if (target.state === state) return;
  const now = timestamp(Date.now());
  target.state = state;
  target.updatedAt = now;
  target.closedAt = state === "closed" ? now : null;
  target.stateReason = state === "closed" ? (reason ?? "completed") : "reopened";
  issueOrPull(site, repo, actor, target, state === "closed" ? "closed" : "reopened");
}

/** A merged pull request: `pull_request.closed` with `merged: true`, then the base branch's `push`. */
export function merged(site: Site, repo: Repo, target: Issue, mergeSha: string, headSha: string, actor: Actor): void {
  const pull = target.pull;
  if (!pull) return;
  const before = repo.branches.get(pull.base) ?? null;
  repo.branches.set(pull.base, mergeSha);
  const now = timestamp(Date.now());
  Object.assign(pull, { merged: true, mergedAt: now, mergeCommitSha: mergeSha, headShaAtMerge: headSha });
  Object.assign(target, { state: "closed", closedAt: now, updatedAt: now, stateReason: "completed" });
  issueOrPull(site, repo, actor, target, "closed");
  branchMoved(site, repo, actor, pull.base, before, mergeSha);
}

export function submitReview(site: Site, repo: Repo, target: Issue, fields: { body: string; state: Review["state"]; commitId: string }, actor: Actor): Review {
  const value: Review = {
    id: nextId(site.world),
    pullNumber: target.number,
    user: actor.login,
    body: fields.body,
    state: fields.state,
    commitId: fields.commitId,
    submittedAt: fields.state === "PENDING" ? null : timestamp(Date.now()),
  };
  repo.reviews.set(value.id, value);
  // A pending review is a draft only its author sees: GitHub sends nothing until it is submitted.
  if (value.submittedAt === null) return value;
  target.updatedAt = value.submittedAt;
  reviewSubmitted(site, repo, actor, target, value);
  return value;
}

export function requestReviewers(site: Site, repo: Repo, target: Issue, reviewers: string[], teams: string[], actor: Actor): void {
  const pull = target.pull;
  if (!pull) return;
  for (const login of reviewers) {
    if (pull.requestedReviewers.includes(login)) continue;
    pull.requestedReviewers.push(login);
    reviewRequested(site, repo, actor, target, login, "review_requested");
  }
  for (const slug of teams) if (!pull.requestedTeams.includes(slug)) pull.requestedTeams.push(slug);
}

export function removeReviewers(site: Site, repo: Repo, target: Issue, reviewers: string[], teams: string[], actor: Actor): void {
  const pull = target.pull;
  if (!pull) return;
  for (const login of reviewers) {
    if (!pull.requestedReviewers.includes(login)) continue;
    pull.requestedReviewers = pull.requestedReviewers.filter((other) => other !== login);
    reviewRequested(site, repo, actor, target, login, "review_request_removed");
  }
  pull.requestedTeams = pull.requestedTeams.filter((slug) => !teams.includes(slug));
}

/** After a create or an update: `check_run.created`, `check_run.completed` when it just completed, and the suite when it is done. */
export function checkRunUpdated(site: Site, repo: Repo, run: CheckRunState, wasCompleted: boolean | null, actor: Actor): void {
  if (wasCompleted === null) checkRunChanged(site, repo, actor, run, "created");
  if (run.status === "completed" && wasCompleted !== true) {
    checkRunChanged(site, repo, actor, run, "completed");
    checkSuiteIfCompleted(site, repo, actor, run.head_sha);
  }
}

/** A person clicked one of the check run's buttons: `check_run.requested_action` names it; nothing else changes, the App reacts. */
export function requestCheckRunAction(site: Site, repo: Repo, run: CheckRunState, identifier: string, actor: Actor): void {
  if (!run.actions.some((action) => action.identifier === identifier)) throw new UnknownCheckRunActionError(run.id, identifier, run.actions.map((action) => action.identifier));
  checkRunChanged(site, repo, actor, run, "requested_action", { requested_action: { identifier } });
}

/** A person asked to run a check again: `check_run.rerequested`; GitHub leaves the old run as it is and expects the App to create a new one. */
export function rerequestCheckRun(site: Site, repo: Repo, run: CheckRunState, actor: Actor): void {
  checkRunChanged(site, repo, actor, run, "rerequested");
}

/**
 * Points a branch at `sha` (a new branch when it has none): `push` (`forced` when
 * the new head does not contain the old one) and `pull_request.synchronize` for
 * the open pull requests from it, as a commit to it sends them.
 */
export function moveBranch(site: Site, repo: Repo, branch: string, sha: string, forced: boolean, actor: Actor): void {
  const before = repo.branches.get(branch) ?? null;
  const since = before ?? repo.branches.get(repo.defaultBranch) ?? null;
  repo.branches.set(branch, sha);
  branchMoved(site, repo, actor, branch, before, sha, since, forced);
}

export function addStatus(site: Site, repo: Repo, fields: Omit<CommitStatus, "id" | "createdAt" | "creator">, actor: Actor): CommitStatus {
  const value: CommitStatus = { ...fields, id: nextId(site.world), creator: actor.login, createdAt: timestamp(Date.now()) };
  repo.statuses.push(value);
  statusCreated(site, repo, actor, value);
  return value;
}

