/**
 * Response bodies shaped like GitHub's, and the objects webhook payloads
 * carry. Each builder sets the fields repoflow and Octokit read from the
 * emulator's state, and `fill` (fill.ts) completes every other field the
 * REST description marks required, so a response is schema-valid by
 * construction and stays valid when the description grows a required field.
 * The unit tests validate every response against the description to hold this.
 */
import { createHash } from "node:crypto";
import type { GitObject, TreeEntry } from "./git.ts";
import { createFiller, type Schema } from "./fill.ts";
import { componentSchema, resolveRef } from "./openapi.ts";
import { DEFAULT_USER, roleOf, ROLES, timestamp, type Comment, type CommitStatus, type Issue, type Label, type Reaction, type Repo, type Review, type World } from "./state.ts";
import type { CheckRunState } from "./types.ts";

type Json = Record<string, unknown>;

/** What every builder needs besides the state: where the emulator is reachable. */
export interface Site {
  url: string;
  world: World;
}

const fillSchema = createFiller((ref) => resolveRef(ref) as Schema);

/** The named component schema of the REST description, with `known` fields kept and every other required field made up (see fill.ts). */
function fill(schemaName: string, known: Json, urlBase: string): Json {
  return fillSchema(componentSchema(schemaName), known, urlBase);
}

/** A stable numeric id for a login, so the same user has the same id in every response. */
export function userId(login: string): number {
  return parseInt(createHash("sha1").update(login).digest("hex").slice(0, 7), 16);
}

export function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`0:${kind}${id}`).toString("base64");
}

export function user(site: Site, login: string): Json {
  const url = `${site.url}/users/${encodeURIComponent(login)}`;
  return fill(
    "simple-user",
    {
      login,
      id: userId(login),
      node_id: nodeId("User", userId(login)),
      type: login.endsWith("[bot]") ? "Bot" : "User",
      site_admin: false,
      gravatar_id: "",
      url,
      html_url: `${site.url}/${encodeURIComponent(login)}`,
      avatar_url: `${site.url}/avatars/${encodeURIComponent(login)}`,
    },
    url,
  );
}

export function botLogin(world: World): string {
  return `${world.appSlug}[bot]`;
}

export function repoUrl(site: Site, repo: Repo): string {
  return `${site.url}/repos/${repo.fullName}`;
}

export function repository(site: Site, repo: Repo, schema: "full-repository" | "repository" = "full-repository"): Json {
  const url = repoUrl(site, repo);
  const head = repo.store.get(repo.branches.get(repo.defaultBranch) ?? "");
  const pushedAt = head?.type === "commit" ? timestamp(head.committer.time * 1000) : repo.createdAt;
  const openIssues = [...repo.issues.values()].filter((issue) => issue.state === "open").length;
  return fill(
    schema,
    {
      id: repo.id,
      node_id: nodeId("Repository", repo.id),
      name: repo.name,
      full_name: repo.fullName,
      owner: { ...user(site, repo.owner), type: repo.ownerType },
      private: repo.private,
      visibility: repo.private ? "private" : "public",
      html_url: `${site.url}/${repo.fullName}`,
      clone_url: `${site.url}/${repo.fullName}.git`,
      git_url: `${site.url.replace(/^http/, "git")}/${repo.fullName}.git`,
      ssh_url: `git@127.0.0.1:${repo.fullName}.git`,
      svn_url: `${site.url}/${repo.fullName}`,
      url,
      default_branch: repo.defaultBranch,
      fork: false,
      archived: false,
      disabled: false,
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_downloads: false,
      has_discussions: false,
      open_issues: openIssues,
      open_issues_count: openIssues,
      created_at: repo.createdAt,
      updated_at: pushedAt,
      pushed_at: pushedAt,
    },
    url,
  );
}

export function app(site: Site): Json {
  const { world } = site;
  return fill(
    "integration",
    {
      id: Number(world.appId),
      slug: world.appSlug,
      client_id: `Iv1.${world.appId.padStart(16, "0")}`,
      node_id: nodeId("App", world.appId),
      owner: user(site, installationAccounts(world)[0]?.owner ?? DEFAULT_USER),
      name: world.appSlug,
      description: "The local GitHub emulator's app (not a real GitHub App).",
      external_url: site.url,
      html_url: `${site.url}/apps/${world.appSlug}`,
      created_at: world.createdAt,
      updated_at: world.createdAt,
      permissions: world.installationPermissions,
      // What the App subscribes to: app.yml's default_events, or the `webhooks.events` option.
      events: world.hooks.events,
    },
    `${site.url}/app`,
  );
}

/** One entry per installation: its id and the owner of its repositories. */
export function installationAccounts(world: World): { id: number; owner: string }[] {
  const seen = new Map<number, string>();
  for (const repo of world.repos.values()) if (!seen.has(repo.installationId)) seen.set(repo.installationId, repo.owner);
  return [...seen].map(([id, owner]) => ({ id, owner }));
}

export function installation(site: Site, id: number, owner: string): Json {
  const { world } = site;
  const url = `${site.url}/app/installations/${id}`;
  return fill(
    "installation",
    {
      id,
      // The description's inline schema of GET /app/installations requires the account to be a
      // simple-user AND an enterprise (allOf); the enterprise's extra fields are harmless to clients.
      account: { ...user(site, owner), name: owner, slug: owner, created_at: world.createdAt, updated_at: world.createdAt },
      repository_selection: "all",
      access_tokens_url: `${url}/access_tokens`,
      repositories_url: `${site.url}/installation/repositories`,
      html_url: `${site.url}/settings/installations/${id}`,
      app_id: Number(world.appId),
      app_slug: world.appSlug,
      target_id: userId(owner),
      target_type: "User",
      permissions: world.installationPermissions,
      events: world.hooks.events,
      created_at: world.createdAt,
      updated_at: world.createdAt,
      single_file_name: null,
      suspended_by: null,
      suspended_at: null,
    },
    url,
  );
}

export function checkRun(site: Site, repo: Repo, run: CheckRunState): Json {
  const url = `${repoUrl(site, repo)}/check-runs/${run.id}`;
  return fill(
    "check-run",
    {
      id: run.id,
      node_id: nodeId("CheckRun", run.id),
      head_sha: run.head_sha,
      name: run.name,
      url,
      html_url: `${site.url}/${repo.fullName}/runs/${run.id}`,
      details_url: run.details_url,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.started_at,
      completed_at: run.completed_at,
      external_id: run.external_id,
      check_suite: { id: checkSuiteId(repo, run.head_sha) },
      output: {
        title: run.output.title,
        summary: run.output.summary,
        text: run.output.text,
        annotations_count: run.output.annotations.length,
        annotations_url: `${url}/annotations`,
      },
      app: app(site),
      pull_requests: [],
    },
    url,
  );
}

/** GitHub groups an app's check runs for one commit into one check suite. */
export function checkSuiteId(repo: Repo, headSha: string): number {
  return repo.id * 100_000 + parseInt(headSha.slice(0, 4), 16);
}

export function issueComment(site: Site, repo: Repo, comment: Comment): Json {
  const url = `${repoUrl(site, repo)}/issues/comments/${comment.id}`;
  return fill(
    "issue-comment",
    {
      id: comment.id,
      node_id: nodeId("IssueComment", comment.id),
      url,
      html_url: `${site.url}/${repo.fullName}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
      issue_url: `${repoUrl(site, repo)}/issues/${comment.issueNumber}`,
      body: comment.body,
      user: user(site, comment.user),
      author_association: "NONE",
      // GitHub marks what an App did with an installation token.
      performed_via_github_app: comment.viaApp ? app(site) : null,
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
    },
    url,
  );
}

export function label(site: Site, repo: Repo, value: Label): Json {
  const url = `${repoUrl(site, repo)}/labels/${encodeURIComponent(value.name)}`;
  return fill("label", { id: value.id, node_id: nodeId("Label", value.id), url, name: value.name, description: value.description, color: value.color, default: false }, url);
}

export function reaction(site: Site, value: Reaction): Json {
  return fill(
    "reaction",
    { id: value.id, node_id: nodeId("Reaction", value.id), user: user(site, value.user), content: value.content, created_at: value.createdAt },
    `${site.url}/reactions/${value.id}`,
  );
}

function issueId(repo: Repo, issueNumber: number): number {
  return repo.id * 1_000_000 + issueNumber;
}

export function issue(site: Site, repo: Repo, value: Issue): Json {
  const url = `${repoUrl(site, repo)}/issues/${value.number}`;
  const labels = value.labels.map((name) => repo.labels.get(name.toLowerCase())).filter((found): found is Label => found !== undefined);
  const known: Json = {
    id: issueId(repo, value.number),
    node_id: nodeId("Issue", issueId(repo, value.number)),
    url,
    repository_url: repoUrl(site, repo),
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: `${site.url}/${repo.fullName}/${value.pull ? "pull" : "issues"}/${value.number}`,
    number: value.number,
    state: value.state,
    state_reason: value.stateReason,
    title: value.title,
    body: value.body,
    user: user(site, value.user),
    labels: labels.map((found) => label(site, repo, found)),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    comments: [...repo.comments.values()].filter((comment) => comment.issueNumber === value.number).length,
    closed_at: value.closedAt,
    created_at: value.createdAt,
    updated_at: value.updatedAt,
    author_association: "NONE",
  };
  if (value.pull) {
    known.pull_request = {
      url: `${repoUrl(site, repo)}/pulls/${value.number}`,
      html_url: `${site.url}/${repo.fullName}/pull/${value.number}`,
      diff_url: `${site.url}/${repo.fullName}/pull/${value.number}.diff`,
      patch_url: `${site.url}/${repo.fullName}/pull/${value.number}.patch`,
      merged_at: value.pull.mergedAt,
    };
  }
  return fill("issue", known, url);
}

export interface PullStats {
  commits: number;
  additions: number;
  deletions: number;
  changedFiles: number;
}

export function pullRequest(site: Site, repo: Repo, value: Issue, headSha: string, baseSha: string, stats: PullStats): Json {
  const pull = value.pull;
  if (!pull) throw new Error(`repoflow: #${value.number} of ${repo.fullName} is an issue, not a pull request; open it with openPullRequest().`);
  const url = `${repoUrl(site, repo)}/pulls/${value.number}`;
  const asIssue = issue(site, repo, value);
  const end = (ref: string, sha: string) => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: user(site, repo.owner),
    repo: repository(site, repo, "repository"),
  });
  return fill(
    "pull-request",
    {
      ...asIssue,
      id: asIssue.id,
      node_id: nodeId("PullRequest", issueId(repo, value.number)),
      url,
      html_url: `${site.url}/${repo.fullName}/pull/${value.number}`,
      issue_url: `${repoUrl(site, repo)}/issues/${value.number}`,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${repoUrl(site, repo)}/pulls/comments{/number}`,
      statuses_url: `${repoUrl(site, repo)}/statuses/${headSha}`,
      diff_url: `${site.url}/${repo.fullName}/pull/${value.number}.diff`,
      patch_url: `${site.url}/${repo.fullName}/pull/${value.number}.patch`,
      head: end(pull.head, headSha),
      base: end(pull.base, baseSha),
      _links: {
        self: { href: url },
        html: { href: `${site.url}/${repo.fullName}/pull/${value.number}` },
        issue: { href: `${repoUrl(site, repo)}/issues/${value.number}` },
        comments: { href: `${repoUrl(site, repo)}/issues/${value.number}/comments` },
        review_comments: { href: `${url}/comments` },
        review_comment: { href: `${repoUrl(site, repo)}/pulls/comments{/number}` },
        commits: { href: `${url}/commits` },
        statuses: { href: `${repoUrl(site, repo)}/statuses/${headSha}` },
      },
      draft: pull.draft,
      merged: pull.merged,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      merged_by: pull.merged ? user(site, botLogin(site.world)) : null,
      mergeable: pull.merged ? null : true,
      mergeable_state: pull.merged ? "unknown" : "clean",
      rebaseable: pull.merged ? null : true,
      maintainer_can_modify: false,
      auto_merge: null,
      comments: asIssue.comments,
      review_comments: 0,
      commits: stats.commits,
      additions: stats.additions,
      deletions: stats.deletions,
      changed_files: stats.changedFiles,
      requested_reviewers: pull.requestedReviewers.map((login) => user(site, login)),
      requested_teams: pull.requestedTeams.map((slug) => team(site, repo, slug)),
    },
    url,
  );
}

export function team(site: Site, repo: Repo, slug: string): Json {
  const id = userId(`${repo.owner}/${slug}`);
  const url = `${site.url}/orgs/${repo.owner}/teams/${slug}`;
  return fill(
    "team",
    { id, node_id: nodeId("Team", id), name: slug, slug, url, html_url: `${site.url}/orgs/${repo.owner}/teams/${slug}`, members_url: `${url}/members{/member}`, repositories_url: `${url}/repos`, permission: "pull", parent: null, description: null, privacy: "closed", notification_setting: "notifications_enabled" },
    url,
  );
}

function gitCommitParts(site: Site, repo: Repo, commit: Extract<GitObject, { type: "commit" }>): Json {
  const person = (signature: typeof commit.author) => ({ name: signature.name, email: signature.email, date: timestamp(signature.time * 1000) });
  return {
    url: `${repoUrl(site, repo)}/git/commits/${commit.sha}`,
    author: person(commit.author),
    committer: person(commit.committer),
    message: commit.message.replace(/\n$/, ""),
    tree: { sha: commit.tree, url: `${repoUrl(site, repo)}/git/trees/${commit.tree}` },
    verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
  };
}

export function commitObject(site: Site, repo: Repo, commit: Extract<GitObject, { type: "commit" }>, files?: Json[]): Json {
  const url = `${repoUrl(site, repo)}/commits/${commit.sha}`;
  const known: Json = {
    url,
    sha: commit.sha,
    node_id: nodeId("Commit", commit.sha),
    html_url: `${site.url}/${repo.fullName}/commit/${commit.sha}`,
    comments_url: `${url}/comments`,
    commit: { ...gitCommitParts(site, repo, commit), comment_count: 0 },
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({ sha, url: `${repoUrl(site, repo)}/commits/${sha}`, html_url: `${site.url}/${repo.fullName}/commit/${sha}` })),
  };
  if (files) {
    const additions = files.reduce((sum, file) => sum + (file.additions as number), 0);
    const deletions = files.reduce((sum, file) => sum + (file.deletions as number), 0);
    known.files = files;
    known.stats = { additions, deletions, total: additions + deletions };
  }
  return fill("commit", known, url);
}

/** A commit as the git data API shows it (`GET …/git/commits/{sha}`): the object itself, without the statistics and users of `…/commits/{ref}`. */
export function gitCommit(site: Site, repo: Repo, commit: Extract<GitObject, { type: "commit" }>): Json {
  const url = `${repoUrl(site, repo)}/git/commits/${commit.sha}`;
  return fill(
    "git-commit",
    {
      ...gitCommitParts(site, repo, commit),
      sha: commit.sha,
      node_id: nodeId("Commit", commit.sha),
      html_url: `${site.url}/${repo.fullName}/commit/${commit.sha}`,
      parents: commit.parents.map((sha) => ({ sha, url: `${repoUrl(site, repo)}/git/commits/${sha}`, html_url: `${site.url}/${repo.fullName}/commit/${sha}` })),
    },
    url,
  );
}

/** A branch as a git reference (`refs/heads/<branch>`). */
export function gitRef(site: Site, repo: Repo, branch: string, sha: string): Json {
  const ref = `refs/heads/${branch}`;
  return fill(
    "git-ref",
    {
      ref,
      node_id: Buffer.from(`0:Ref${repo.id}:${ref}`).toString("base64"),
      url: `${repoUrl(site, repo)}/git/${ref}`,
      object: { type: "commit", sha, url: `${repoUrl(site, repo)}/git/commits/${sha}` },
    },
    `${repoUrl(site, repo)}/git/${ref}`,
  );
}

/**
 * `GET …/collaborators/{username}/permission`: `role_name` is the role itself,
 * `permission` the legacy base role GitHub maps it to ("maintain" → "write",
 * "triage" → "read"), and the user carries the booleans of every role up to theirs.
 */
export function collaboratorPermission(site: Site, repo: Repo, login: string): Json {
  const role = roleOf(repo, login);
  const permission = role === "maintain" ? "write" : role === "triage" ? "read" : role;
  const rank = role === "none" ? -1 : ROLES.indexOf(role);
  const permissions = { pull: rank >= 0, triage: rank >= 1, push: rank >= 2, maintain: rank >= 3, admin: rank >= 4 };
  const shown = repo.collaborators.get(login.toLowerCase())?.login ?? login;
  return fill("repository-collaborator-permission", { permission, role_name: role, user: { ...user(site, shown), permissions, role_name: role } }, `${repoUrl(site, repo)}/collaborators/${encodeURIComponent(shown)}`);
}

export function treeEntry(site: Site, repo: Repo, entry: TreeEntry, path: string): Json {
  const out: Json = { path, mode: entry.mode === "40000" ? "040000" : entry.mode, type: entry.type, sha: entry.sha };
  if (entry.type === "blob") {
    const blob = repo.store.get(entry.sha);
    out.size = blob?.type === "blob" ? blob.content.byteLength : 0;
    out.url = `${repoUrl(site, repo)}/git/blobs/${entry.sha}`;
  } else if (entry.type === "tree") {
    out.url = `${repoUrl(site, repo)}/git/trees/${entry.sha}`;
  }
  return out;
}

/** base64 wrapped at 60 characters per line, as GitHub serves blob and file content. */
export function wrappedBase64(content: Uint8Array): string {
  const text = Buffer.from(content).toString("base64");
  return text.length === 0 ? "" : `${text.match(/.{1,60}/g)?.join("\n") ?? ""}\n`;
}

export interface SuiteSummary {
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
}

// The worst conclusion wins. GitHub does not document the order; this one puts what needs a person first.
const CONCLUSION_ORDER = ["action_required", "startup_failure", "failure", "timed_out", "cancelled", "stale", "neutral", "skipped", "success"];

/** The App's check suite for a commit, from its check runs there. */
export function suiteSummary(runs: CheckRunState[]): SuiteSummary {
  if (runs.length === 0 || runs.every((run) => run.status === "queued")) return { status: "queued", conclusion: null };
  if (runs.some((run) => run.status !== "completed")) return { status: "in_progress", conclusion: null };
  const conclusions = runs.map((run) => run.conclusion ?? "neutral");
  return { status: "completed", conclusion: CONCLUSION_ORDER.find((conclusion) => conclusions.includes(conclusion)) ?? "neutral" };
}

function simpleCommit(commit: Extract<GitObject, { type: "commit" }>): Json {
  const person = (signature: typeof commit.author) => ({ name: signature.name, email: signature.email });
  return {
    id: commit.sha,
    tree_id: commit.tree,
    message: commit.message.replace(/\n$/, ""),
    timestamp: timestamp(commit.committer.time * 1000),
    author: person(commit.author),
    committer: person(commit.committer),
  };
}

export function checkSuite(site: Site, repo: Repo, headSha: string, runs: CheckRunState[], headBranch: string | null): Json {
  const id = checkSuiteId(repo, headSha);
  const url = `${repoUrl(site, repo)}/check-suites/${id}`;
  const commit = repo.store.get(headSha);
  const { status, conclusion } = suiteSummary(runs);
  const first = runs[0]?.started_at ?? timestamp(Date.now());
  const parent = commit?.type === "commit" ? (commit.parents[0] ?? null) : null;
  return fill(
    "check-suite",
    {
      id,
      node_id: nodeId("CheckSuite", id),
      head_branch: headBranch,
      head_sha: headSha,
      status,
      conclusion,
      url,
      before: parent,
      after: headSha,
      pull_requests: [],
      app: app(site),
      repository: repository(site, repo, "repository"),
      created_at: first,
      updated_at: runs.reduce((latest, run) => (run.completed_at && run.completed_at > latest ? run.completed_at : latest), first),
      head_commit: commit?.type === "commit" ? simpleCommit(commit) : null,
      latest_check_runs_count: runs.length,
      check_runs_url: `${url}/check-runs`,
      rerequestable: true,
      runs_rerequestable: true,
    },
    url,
  );
}

export function pushCommit(site: Site, repo: Repo, commit: Extract<GitObject, { type: "commit" }>, files: { added: string[]; removed: string[]; modified: string[] }): Json {
  const person = (signature: typeof commit.author) => ({ name: signature.name, email: signature.email, date: timestamp(signature.time * 1000) });
  return {
    id: commit.sha,
    tree_id: commit.tree,
    distinct: true,
    message: commit.message.replace(/\n$/, ""),
    timestamp: timestamp(commit.committer.time * 1000),
    url: `${site.url}/${repo.fullName}/commit/${commit.sha}`,
    author: person(commit.author),
    committer: person(commit.committer),
    ...files,
  };
}

export function review(site: Site, repo: Repo, value: Review): Json {
  const pullUrl = `${repoUrl(site, repo)}/pulls/${value.pullNumber}`;
  const htmlUrl = `${site.url}/${repo.fullName}/pull/${value.pullNumber}#pullrequestreview-${value.id}`;
  const known: Json = {
    id: value.id,
    node_id: nodeId("PullRequestReview", value.id),
    user: user(site, value.user),
    body: value.body,
    state: value.state,
    commit_id: value.commitId,
    html_url: htmlUrl,
    pull_request_url: pullUrl,
    _links: { html: { href: htmlUrl }, pull_request: { href: pullUrl } },
    author_association: "NONE",
  };
  if (value.submittedAt !== null) known.submitted_at = value.submittedAt;
  return fill("pull-request-review", known, pullUrl);
}

export function commitStatus(site: Site, repo: Repo, value: CommitStatus): Json {
  const url = `${repoUrl(site, repo)}/statuses/${value.sha}`;
  return fill(
    "status",
    {
      url,
      avatar_url: `${site.url}/avatars/${encodeURIComponent(value.creator)}`,
      id: value.id,
      node_id: nodeId("StatusContext", value.id),
      state: value.state,
      description: value.description,
      target_url: value.targetUrl,
      context: value.context,
      created_at: value.createdAt,
      updated_at: value.createdAt,
      creator: user(site, value.creator),
    },
    url,
  );
}
