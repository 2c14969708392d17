/**
 * What the emulated GitHub knows: installations, repositories with real git
 * objects and branches, check runs, issues and pull requests (one number
 * space per repository, as on GitHub), comments, labels, reactions, tokens.
 * Plain data and functions; the HTTP layer and the handlers read and change
 * it, tests seed it through the `Emulator` methods. People's roles on a
 * repository follow GitHub's: the owner is admin, a collaborator has the role
 * given, and anybody else may read a public repository and nothing of a
 * private one.
 *
 * Owner and repository names are matched case-insensitively, as GitHub does.
 */
import type { InstallationToken, Permissions } from "./auth.ts";
import type { FaultTable } from "./faults.ts";
import type { Hooks } from "./webhooks.ts";
import { ObjectStore, readDirectory, type FileEntry, type Signature } from "./git.ts";
import type { CheckRunState, IssueSeed, PullRequestSeed, RecordedRequest, RepoSeed, Role } from "./types.ts";

export interface Comment {
  id: number;
  issueNumber: number;
  body: string;
  user: string;
  /** Made with an installation token: GitHub then sets `performed_via_github_app`. */
  viaApp: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Issue {
  number: number;
  title: string;
  body: string | null;
  user: string;
  state: "open" | "closed";
  stateReason: "completed" | "not_planned" | "reopened" | "duplicate" | null;
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  pull: PullState | null;
}

export interface PullState {
  head: string;
  base: string;
  draft: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  /** Frozen at merge time, when the branch may move on. */
  headShaAtMerge: string | null;
  requestedReviewers: string[];
  requestedTeams: string[];
}

export interface Review {
  id: number;
  pullNumber: number;
  user: string;
  body: string;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "PENDING";
  commitId: string;
  submittedAt: string | null;
}

export interface CommitStatus {
  id: number;
  sha: string;
  state: "error" | "failure" | "pending" | "success";
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: string;
  createdAt: string;
}

export interface Reaction {
  id: number;
  content: string;
  user: string;
  target: { issue: number } | { comment: number };
  createdAt: string;
}

export interface Label {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface Repo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  installationId: number;
  private: boolean;
  ownerType: "User" | "Organization";
  defaultBranch: string;
  createdAt: string;
  store: ObjectStore;
  branches: Map<string, string>;
  checkRuns: Map<number, CheckRunState>;
  issues: Map<number, Issue>;
  comments: Map<number, Comment>;
  labels: Map<string, Label>;
  reactions: Reaction[];
  reviews: Map<number, Review>;
  statuses: CommitStatus[];
  /** Lowercased login → the login as given and its role; the owner is not listed (always admin). */
  collaborators: Map<string, { login: string; role: Role }>;
}

/** A user-to-server token (`ghu_…`): what a person signed in through the App's OAuth web flow may do (oauth.ts). */
export interface UserToken {
  token: string;
  login: string;
  expiresAt: number;
}

/** A code the web flow handed to the redirect URI: one exchange, within 10 minutes. */
export interface OAuthCode {
  login: string;
  clientId: string;
  /** The redirect_uri the authorize request named, which the exchange must repeat; null when it named none. */
  redirectUri: string | null;
  expiresAt: number;
}

/** The App's OAuth client and what its web flow issued. */
export interface OAuthState {
  clientSecret: string;
  codes: Map<string, OAuthCode>;
  /** Refresh token → the login it renews a token for, until used. */
  refreshTokens: Map<string, { login: string; expiresAt: number }>;
}

export interface World {
  appId: string;
  appSlug: string;
  installationPermissions: Permissions;
  repos: Map<string, Repo>;
  /** Repository ids survive addRepo replacing a repo, so tokens scoped by id keep working. */
  repoIds: Map<string, number>;
  tokens: Map<string, InstallationToken>;
  userTokens: Map<string, UserToken>;
  oauth: OAuthState;
  rateLimits: Map<string, { used: number; resetAt: number }>;
  faults: FaultTable;
  hooks: Hooks;
  requests: RecordedRequest[];
  violations: string[];
  nextId: number;
  createdAt: string;
  onRequest: ((request: RecordedRequest, violations: string[]) => void) | undefined;
}

export const DEFAULT_PERMISSIONS: Permissions = {
  metadata: "read",
  contents: "write",
  checks: "write",
  issues: "write",
  pull_requests: "write",
};

export const DEFAULT_USER = "octocat";

/** The App's OAuth client secret unless `startEmulator({ oauthClientSecret })` gives another. */
export const DEFAULT_CLIENT_SECRET = "emulator-client-secret";

export class UnknownRepoError extends Error {
  override readonly name = "UnknownRepoError";
  constructor(fullName: string) {
    super(`repoflow: the GitHub emulator has no repository "${fullName}"; seed it first with addRepo({ fullName: "${fullName}", installationId, files }).`);
  }
}

export class InvalidSeedError extends Error {
  override readonly name = "InvalidSeedError";
  constructor(problem: string) {
    super(`repoflow: invalid GitHub emulator seed: ${problem}`);
  }
}

export class UnknownBranchError extends Error {
  override readonly name = "UnknownBranchError";
  constructor(fullName: string, branch: string) {
    super(`repoflow: the emulated repository ${fullName} has no branch "${branch}"; commit to it first with commit("${fullName}", files, message, "${branch}").`);
  }
}

export class UnknownIssueError extends Error {
  override readonly name = "UnknownIssueError";
  constructor(fullName: string, issueNumber: number) {
    super(`repoflow: the emulated repository ${fullName} has no issue or pull request #${issueNumber}; create it first with openIssue() or openPullRequest().`);
  }
}

export class UnknownCommentError extends Error {
  override readonly name = "UnknownCommentError";
  constructor(fullName: string, commentId: number) {
    super(`repoflow: the emulated repository ${fullName} has no issue comment ${commentId}; use the id comment() returned or the API answered.`);
  }
}

export class UnknownCheckRunError extends Error {
  override readonly name = "UnknownCheckRunError";
  constructor(fullName: string, checkRunId: number) {
    super(`repoflow: the emulated repository ${fullName} has no check run ${checkRunId}; use an id from checkRuns("${fullName}").`);
  }
}

export class UnknownCheckRunActionError extends Error {
  override readonly name = "UnknownCheckRunActionError";
  constructor(checkRunId: number, identifier: string, offered: string[]) {
    super(
      `repoflow: check run ${checkRunId} offers no button "${identifier}" (it has ${offered.length > 0 ? offered.map((id) => `"${id}"`).join(", ") : "none"}); a person can only click what the App put in the check run's actions.`,
    );
  }
}

export const ROLES: readonly Role[] = ["read", "triage", "write", "maintain", "admin"];

export function createWorld(
  appId: string,
  appSlug: string,
  permissions: Permissions,
  faults: FaultTable,
  hooks: Hooks,
  onRequest?: (request: RecordedRequest, violations: string[]) => void,
): World {
  return {
    appId,
    appSlug,
    installationPermissions: permissions,
    faults,
    hooks,
    repos: new Map(),
    repoIds: new Map(),
    tokens: new Map(),
    userTokens: new Map(),
    oauth: { clientSecret: DEFAULT_CLIENT_SECRET, codes: new Map(), refreshTokens: new Map() },
    rateLimits: new Map(),
    requests: [],
    violations: [],
    nextId: 1,
    createdAt: timestamp(Date.now()),
    onRequest,
  };
}

export function nextId(world: World): number {
  return world.nextId++;
}

/** GitHub's timestamps: ISO 8601, whole seconds, UTC. */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export function findRepo(world: World, owner: string, name: string): Repo | undefined {
  return world.repos.get(`${owner}/${name}`.toLowerCase());
}

export function requireRepo(world: World, fullName: string): Repo {
  const repo = world.repos.get(fullName.toLowerCase());
  if (!repo) throw new UnknownRepoError(fullName);
  return repo;
}

const encoder = new TextEncoder();

export function addRepo(world: World, seed: RepoSeed): { sha: string } {
  const [owner, name, ...rest] = seed.fullName.split("/");
  if (!owner || !name || rest.length > 0) throw new InvalidSeedError(`fullName must be "owner/name", got "${seed.fullName}".`);
  if (!Number.isInteger(seed.installationId) || seed.installationId <= 0) {
    throw new InvalidSeedError(`installationId of ${seed.fullName} must be a positive integer, got ${String(seed.installationId)}.`);
  }
  const otherOwner = [...world.repos.values()].find(
    (repo) => repo.installationId === seed.installationId && repo.owner.toLowerCase() !== owner.toLowerCase(),
  );
  if (otherOwner) {
    throw new InvalidSeedError(
      `installation ${seed.installationId} belongs to ${otherOwner.owner}, so it cannot hold ${seed.fullName}; give ${owner}'s repositories their own installationId.`,
    );
  }
  const key = seed.fullName.toLowerCase();
  let id = world.repoIds.get(key);
  if (id === undefined) {
    id = nextId(world);
    world.repoIds.set(key, id);
  }
  const files = seed.dir ? readDirectory(seed.dir) : new Map<string, FileEntry>();
  for (const [path, content] of Object.entries(seed.files ?? {})) files.set(path, entryFor(seed.modes?.[path] ?? "100644", content, path));
  for (const path of Object.keys(seed.modes ?? {})) {
    if (!(seed.files && path in seed.files)) throw new InvalidSeedError(`modes names "${path}", which is not in files; add it to files too.`);
  }
  const defaultBranch = seed.defaultBranch ?? "main";
  const collaborators = new Map<string, { login: string; role: Role }>();
  for (const [login, role] of Object.entries(seed.collaborators ?? {})) {
    if (login.toLowerCase() === owner.toLowerCase()) throw new InvalidSeedError(`collaborators names ${login}, who owns ${seed.fullName} and is always admin there; leave the owner out.`);
    collaborators.set(login.toLowerCase(), { login, role: checkedRole(role, login) });
  }
  const repo: Repo = {
    id,
    owner,
    name,
    fullName: seed.fullName,
    installationId: seed.installationId,
    private: seed.private ?? true,
    ownerType: seed.ownerType ?? "User",
    defaultBranch,
    createdAt: timestamp(Date.now()),
    store: new ObjectStore(),
    branches: new Map(),
    checkRuns: new Map(),
    issues: new Map(),
    comments: new Map(),
    labels: new Map(),
    reactions: [],
    reviews: new Map(),
    statuses: [],
    collaborators,
  };
  const tree = repo.store.writeTree(files);
  const sha = repo.store.writeCommit(tree, [], "Initial commit", author());
  repo.branches.set(defaultBranch, sha);
  world.repos.set(key, repo);
  return { sha };
}

export function commit(world: World, fullName: string, changes: Record<string, string | null>, message = "Update files", branch?: string): { sha: string } {
  const repo = requireRepo(world, fullName);
  const target = branch ?? repo.defaultBranch;
  const parent = repo.branches.get(target) ?? repo.branches.get(repo.defaultBranch);
  if (parent === undefined) throw new UnknownBranchError(fullName, repo.defaultBranch);
  const parentCommit = repo.store.get(parent);
  const files = parentCommit?.type === "commit" ? repo.store.readFiles(parentCommit.tree) : new Map<string, FileEntry>();
  for (const [path, content] of Object.entries(changes)) {
    if (content === null) {
      files.delete(path);
      continue;
    }
    const existing = files.get(path);
    files.set(path, entryFor(existing && existing.mode !== "160000" ? existing.mode : "100644", content, path));
  }
  const sha = repo.store.writeCommit(repo.store.writeTree(files), [parent], message, author());
  repo.branches.set(target, sha);
  return { sha };
}

export function headSha(world: World, fullName: string, branch?: string): string {
  const repo = requireRepo(world, fullName);
  const name = branch ?? repo.defaultBranch;
  const sha = repo.branches.get(name);
  if (sha === undefined) throw new UnknownBranchError(fullName, name);
  return sha;
}

export function openIssue(world: World, fullName: string, seed: IssueSeed): void {
  const repo = requireRepo(world, fullName);
  repo.issues.set(seed.number, newIssue(world, repo, { number: seed.number, title: seed.title, body: seed.body, user: seed.user, labels: seed.labels }, null));
}

export function openPullRequest(world: World, fullName: string, seed: PullRequestSeed): void {
  const repo = requireRepo(world, fullName);
  const baseSha = repo.branches.get(seed.base);
  if (baseSha === undefined) throw new UnknownBranchError(fullName, seed.base);
  if (!repo.branches.has(seed.head)) repo.branches.set(seed.head, headSha(world, fullName));
  const pull: PullState = {
    head: seed.head,
    base: seed.base,
    draft: seed.draft ?? false,
    merged: false,
    mergedAt: null,
    mergeCommitSha: null,
    headShaAtMerge: null,
    requestedReviewers: [],
    requestedTeams: [],
  };
  repo.issues.set(seed.number, newIssue(world, repo, { number: seed.number, title: seed.title, body: seed.body, user: seed.user, labels: undefined }, pull));
}

export function requireIssue(world: World, fullName: string, issueNumber: number): Issue {
  const issue = requireRepo(world, fullName).issues.get(issueNumber);
  if (!issue) throw new UnknownIssueError(fullName, issueNumber);
  return issue;
}

/** Gives `login` this role on the repository (the owner stays admin, as on GitHub). */
export function setPermission(world: World, fullName: string, login: string, role: Role): void {
  const repo = requireRepo(world, fullName);
  if (login.toLowerCase() === repo.owner.toLowerCase()) throw new InvalidSeedError(`${login} owns ${fullName} and is always admin there; give another login a role.`);
  repo.collaborators.set(login.toLowerCase(), { login, role: checkedRole(role, login) });
}

/** What `login` may do in the repository: admin for the owner, a collaborator's role, else read on a public repository and none on a private one. */
export function roleOf(repo: Repo, login: string): Role | "none" {
  if (login.toLowerCase() === repo.owner.toLowerCase()) return "admin";
  return repo.collaborators.get(login.toLowerCase())?.role ?? (repo.private ? "none" : "read");
}

/** The role GitHub grants `login` explicitly (owner or collaborator), without the read everybody has on a public repository. */
export function explicitRole(repo: Repo, login: string): Role | "none" {
  if (login.toLowerCase() === repo.owner.toLowerCase()) return "admin";
  return repo.collaborators.get(login.toLowerCase())?.role ?? "none";
}

function checkedRole(role: string, login: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new InvalidSeedError(`the role of ${login} must be one of ${ROLES.join(", ")}, got "${role}".`);
  return role as Role;
}

/**
 * Moves an issue or pull request `days` into the past: its creation, last
 * update, closing and merge times, and those of its comments, so tests of
 * "stale after N days" need not wait. Whole seconds, as GitHub's timestamps.
 */
export function ageIssue(world: World, fullName: string, issueNumber: number, days: number): void {
  if (!Number.isFinite(days) || days <= 0) throw new InvalidSeedError(`ageIssue needs a positive number of days, got ${days}.`);
  const repo = requireRepo(world, fullName);
  const target = requireIssue(world, fullName, issueNumber);
  const shift = (value: string) => timestamp(Date.parse(value) - days * 24 * 60 * 60 * 1000);
  target.createdAt = shift(target.createdAt);
  target.updatedAt = shift(target.updatedAt);
  if (target.closedAt !== null) target.closedAt = shift(target.closedAt);
  if (target.pull?.mergedAt) target.pull.mergedAt = shift(target.pull.mergedAt);
  for (const comment of repo.comments.values()) {
    if (comment.issueNumber !== issueNumber) continue;
    comment.createdAt = shift(comment.createdAt);
    comment.updatedAt = shift(comment.updatedAt);
  }
}

export function requireCheckRun(world: World, fullName: string, checkRunId: number): CheckRunState {
  const run = requireRepo(world, fullName).checkRuns.get(checkRunId);
  if (!run) throw new UnknownCheckRunError(fullName, checkRunId);
  return run;
}

export function requireComment(world: World, fullName: string, commentId: number): Comment {
  const comment = requireRepo(world, fullName).comments.get(commentId);
  if (!comment) throw new UnknownCommentError(fullName, commentId);
  return comment;
}

/** Adds labels to the repository (creating unknown ones, as GitHub does) and returns their canonical names. */
export function ensureLabels(world: World, repo: Repo, names: string[]): string[] {
  return names.map((name) => {
    const key = name.toLowerCase();
    let label = repo.labels.get(key);
    if (!label) {
      label = { id: nextId(world), name, color: "ededed", description: null };
      repo.labels.set(key, label);
    }
    return label.name;
  });
}

/** The commit author of everything the emulator commits. */
export function author(): Signature {
  return { name: "repoflow emulator", email: "emulator@repoflow.invalid", time: Math.floor(Date.now() / 1000) };
}

interface IssueFields {
  number: number;
  title: string;
  body: string | undefined;
  user: string | undefined;
  labels: string[] | undefined;
}

function newIssue(world: World, repo: Repo, seed: IssueFields, pull: PullState | null): Issue {
  if (!Number.isInteger(seed.number) || seed.number <= 0) throw new InvalidSeedError(`issue and pull request numbers must be positive integers, got ${seed.number}.`);
  const now = timestamp(Date.now());
  return {
    number: seed.number,
    title: seed.title,
    body: seed.body ?? null,
    user: seed.user ?? DEFAULT_USER,
    state: "open",
    stateReason: null,
    labels: ensureLabels(world, repo, seed.labels ?? []),
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    pull,
  };
}

function entryFor(mode: "100644" | "100755" | "120000" | "160000", content: string, path: string): FileEntry {
  if (mode !== "160000") return { mode, content: encoder.encode(content) };
  if (!/^[0-9a-f]{40}$/.test(content)) throw new InvalidSeedError(`submodule "${path}" needs its commit sha (40 hex digits) as content, got "${content}".`);
  return { mode, sha: content };
}
