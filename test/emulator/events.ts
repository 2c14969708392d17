/**
 * The webhook events the emulated GitHub sends when something happens in
 * it, shaped as GitHub shapes them: the object that changed (issue, pull
 * request, comment, check run, …) as the REST API shows it, then the
 * envelope every App delivery has (`repository`, `sender`, `installation`
 * as `{ id, node_id }`, `organization` when an organization owns the
 * repository). `fillPayload` completes each to GitHub's webhook schema, and
 * every payload is validated against it before it leaves: a problem is
 * recorded in `violations` like a request problem, and the payload is sent
 * anyway so the receiving side still sees it.
 *
 * The sender is whoever acted: the App's bot user `<slug>[bot]` for what an
 * installation token did, a person for what a test made a person do.
 * Payloads are built synchronously, at the moment of the change, so they
 * show the state right after it even when delivery happens later.
 */
import type { GitObject } from "./git.ts";
import { commitsBetween, lookupCommit, pullDiff } from "./history.ts";
import {
  botLogin,
  checkRun,
  checkSuite,
  commitObject,
  commitStatus,
  issue,
  issueComment,
  label,
  nodeId,
  pullRequest,
  pushCommit,
  repository,
  review,
  suiteSummary,
  user,
  userId,
  type Site,
} from "./shapes.ts";
import { timestamp, type Comment, type CommitStatus, type Issue, type Label, type Repo, type Review, type World } from "./state.ts";
import type { CheckRunState } from "./types.ts";
import { fillPayload, validatePayload } from "./webhook-schema.ts";
import { enqueue, subscribed } from "./webhooks.ts";

type Json = Record<string, unknown>;

/** Who did it: the App through an installation token, or a person. */
export interface Actor {
  login: string;
}

export function botActor(world: World): Actor {
  return { login: botLogin(world) };
}

export function emit(site: Site, repo: Repo, actor: Actor, event: string, action: string | null, fields: Json): void {
  const { world } = site;
  // Building and validating a payload costs more than the request that caused it: skip it when nothing would be sent.
  if (!subscribed(world.hooks, event)) return;
  const known: Json = {
    ...(action === null ? {} : { action }),
    ...fields,
    repository: repository(site, repo, "repository"),
    sender: user(site, actor.login),
    installation: { id: repo.installationId, node_id: nodeId("Installation", repo.installationId) },
  };
  if (repo.ownerType === "Organization") known.organization = organization(site, repo.owner);
  const payload = fillPayload(event, action ?? undefined, known, site.url);
  const name = action === null ? event : `${event}.${action}`;
  world.violations.push(...validatePayload(event, action ?? undefined, payload).map((problem) => `webhook ${name}: ${problem}`));
  enqueue(world.hooks, { event, action, installationId: repo.installationId, repositoryId: repo.id, payload });
}

function organization(site: Site, login: string): Json {
  const url = `${site.url}/orgs/${login}`;
  return {
    login,
    id: userId(login),
    node_id: nodeId("Organization", userId(login)),
    url,
    repos_url: `${url}/repos`,
    events_url: `${url}/events`,
    hooks_url: `${url}/hooks`,
    issues_url: `${url}/issues`,
    members_url: `${url}/members{/member}`,
    public_members_url: `${url}/public_members{/member}`,
    avatar_url: `${site.url}/avatars/${login}`,
    description: null,
  };
}

/** The commits a pull request compares: its head, its base, and where its diff starts. */
export function pullRange(repo: Repo, target: Issue): { headSha: string; baseSha: string; diffBase: string } {
  const pull = target.pull;
  const headSha = pull?.headShaAtMerge ?? repo.branches.get(pull?.head ?? "") ?? "";
  const baseSha = repo.branches.get(pull?.base ?? "") ?? "";
  // A merged pull request's base now contains its head; GitHub keeps showing the diff it merged, so count from the merge commit's first parent.
  const mergeParent = pull?.mergeCommitSha ? lookupCommit(repo, pull.mergeCommitSha)?.parents[0] : undefined;
  return { headSha, baseSha, diffBase: mergeParent ?? baseSha };
}

/** A pull request as both the API and payloads show it, with its diff counted. */
export function pullRequestView(site: Site, repo: Repo, target: Issue): Json {
  if (!target.pull) throw new Error(`repoflow: #${target.number} of ${repo.fullName} is an issue, not a pull request; open it with openPullRequest().`);
  const { headSha, baseSha, diffBase } = pullRange(repo, target);
  const diff = pullDiff(site, repo, diffBase, headSha);
  return pullRequest(site, repo, target, headSha, baseSha, { commits: diff.commits, additions: diff.additions, deletions: diff.deletions, changedFiles: diff.files.length });
}

export function issueOrPull(site: Site, repo: Repo, actor: Actor, target: Issue, action: string, extra: Json = {}): void {
  if (target.pull) emit(site, repo, actor, "pull_request", action, { number: target.number, pull_request: pullRequestView(site, repo, target), ...extra });
  else emit(site, repo, actor, "issues", action, { issue: issue(site, repo, target), ...extra });
}

export function commentCreated(site: Site, repo: Repo, actor: Actor, target: Issue, comment: Comment): void {
  emit(site, repo, actor, "issue_comment", "created", { issue: issue(site, repo, target), comment: issueComment(site, repo, comment) });
}

/** `issue_comment.edited`: the comment as it is now, and its body before in `changes.body.from`. */
export function commentEdited(site: Site, repo: Repo, actor: Actor, target: Issue, comment: Comment, previousBody: string): void {
  emit(site, repo, actor, "issue_comment", "edited", { issue: issue(site, repo, target), comment: issueComment(site, repo, comment), changes: { body: { from: previousBody } } });
}

export function labelChanged(site: Site, repo: Repo, actor: Actor, target: Issue, value: Label, action: "labeled" | "unlabeled"): void {
  issueOrPull(site, repo, actor, target, action, { label: label(site, repo, value) });
}

export function reviewSubmitted(site: Site, repo: Repo, actor: Actor, target: Issue, value: Review): void {
  const shown = review(site, repo, value);
  // Webhook payloads spell the review state in lower case ("approved"); the REST API in upper case.
  emit(site, repo, actor, "pull_request_review", "submitted", {
    review: { ...shown, state: value.state.toLowerCase() },
    pull_request: pullRequestView(site, repo, target),
  });
}

export function reviewRequested(site: Site, repo: Repo, actor: Actor, target: Issue, reviewer: string, action: "review_requested" | "review_request_removed"): void {
  issueOrPull(site, repo, actor, target, action, { requested_reviewer: user(site, reviewer) });
}

function headBranchOf(repo: Repo, sha: string): string | null {
  for (const [name, head] of repo.branches) if (head === sha) return name;
  return null;
}

/** `extra`: what the action adds, such as `requested_action: { identifier }` for a button a person clicked. */
export function checkRunChanged(site: Site, repo: Repo, actor: Actor, run: CheckRunState, action: "created" | "completed" | "rerequested" | "requested_action", extra: Json = {}): void {
  const runs = [...repo.checkRuns.values()].filter((other) => other.head_sha === run.head_sha);
  const suite = checkSuite(site, repo, run.head_sha, runs, headBranchOf(repo, run.head_sha));
  emit(site, repo, actor, "check_run", action, { check_run: { ...checkRun(site, repo, run), check_suite: suite }, ...extra });
}

/** `check_suite.completed` once every check run of the commit's suite has completed. */
export function checkSuiteIfCompleted(site: Site, repo: Repo, actor: Actor, sha: string): void {
  const runs = [...repo.checkRuns.values()].filter((run) => run.head_sha === sha);
  if (suiteSummary(runs).status !== "completed") return;
  emit(site, repo, actor, "check_suite", "completed", { check_suite: checkSuite(site, repo, sha, runs, headBranchOf(repo, sha)) });
}

export function statusCreated(site: Site, repo: Repo, actor: Actor, value: CommitStatus): void {
  const commit = lookupCommit(repo, value.sha);
  if (!commit) return;
  const shown = commitStatus(site, repo, value);
  const branches = [...repo.branches].filter(([, head]) => head === value.sha);
  emit(site, repo, actor, "status", null, {
    id: value.id,
    sha: value.sha,
    name: repo.fullName,
    target_url: value.targetUrl,
    context: value.context,
    description: value.description,
    state: value.state,
    commit: commitObject(site, repo, commit),
    branches: branches.map(([name, sha]) => ({ name, commit: { sha, url: `${site.url}/repos/${repo.fullName}/commits/${sha}` }, protected: false })),
    created_at: shown.created_at,
    updated_at: shown.updated_at,
  });
}

/**
 * `push` for a branch that moved from `before` (null: created) to `after`; `commits` lists what `since` lacks
 * (a new branch: what its starting point lacks); `forced` when `after` does not contain `before`.
 */
export function pushed(site: Site, repo: Repo, actor: Actor, branch: string, before: string | null, after: string, since: string | null = before, forced = false): void {
  const commits = commitsBetween(repo, since ?? undefined, after);
  const shown = commits.map((commit) => pushCommit(site, repo, commit, filesTouched(repo, commit)));
  const zero = "0".repeat(40);
  const pusher = actor.login.endsWith("[bot]") ? { name: actor.login } : { name: actor.login, email: `${actor.login}@users.noreply.invalid` };
  emit(site, repo, actor, "push", null, {
    ref: `refs/heads/${branch}`,
    before: before ?? zero,
    after,
    created: before === null,
    deleted: false,
    forced,
    base_ref: null,
    compare: `${site.url}/${repo.fullName}/compare/${(before ?? zero).slice(0, 12)}...${after.slice(0, 12)}`,
    commits: shown,
    head_commit: shown[shown.length - 1] ?? null,
    pusher,
  });
}

function filesTouched(repo: Repo, commit: Extract<GitObject, { type: "commit" }>): { added: string[]; removed: string[]; modified: string[] } {
  const parent = commit.parents[0] ? lookupCommit(repo, commit.parents[0]) : undefined;
  const before = parent ? repo.store.readFiles(parent.tree) : new Map();
  const after = repo.store.readFiles(commit.tree);
  const added: string[] = [];
  const removed: string[] = [];
  const modified: string[] = [];
  for (const [path, entry] of after) {
    const old = before.get(path);
    if (!old) added.push(path);
    else if (JSON.stringify(old) !== JSON.stringify(entry)) modified.push(path);
  }
  for (const path of before.keys()) if (!after.has(path)) removed.push(path);
  return { added, removed, modified };
}


/** A branch moved: `push`, then `pull_request.synchronize` for each open pull request whose head it is, as GitHub sends them. */
export function branchMoved(site: Site, repo: Repo, actor: Actor, branch: string, before: string | null, after: string, since: string | null = before, forced = false): void {
  pushed(site, repo, actor, branch, before, after, since, forced);
  for (const target of repo.issues.values()) {
    if (target.pull && target.state === "open" && target.pull.head === branch) {
      target.updatedAt = timestamp(Date.now());
      issueOrPull(site, repo, actor, target, "synchronize", { before: before ?? "0".repeat(40), after });
    }
  }
}
