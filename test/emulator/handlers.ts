/**
 * The emulated endpoints, one function per OpenAPI operationId. By the time a
 * handler runs, the pipeline has matched the route, authenticated the caller,
 * found the repository and validated the request against the description, so
 * a handler only applies GitHub's semantics to the state: "annotations are
 * appended across updates", "a conclusion completes the run", "labels that do
 * not exist yet are created", "merging a moved head is a 409".
 *
 * A reply marks `violation` when GitHub would reject the request because the
 * client got something wrong (a check run for a commit that does not exist);
 * a 404 for something that may simply not be there (a file, a label) is not
 * one, because correct clients meet it too.
 */
import type { InstallationToken, Permissions } from "./auth.ts";
import { excessPermissions, newTokenValue, TOKEN_LIFETIME_MS } from "./auth.ts";
import type { FileEntry, Signature, TreeEntry } from "./git.ts";
import {
  app,
  botLogin,
  checkRun,
  checkSuite,
  collaboratorPermission,
  commitObject,
  commitStatus,
  gitCommit,
  gitRef,
  installation,
  installationAccounts,
  issue,
  issueComment,
  label,
  reaction,
  repository,
  repoUrl,
  review,
  team,
  treeEntry,
  user,
  userId,
  wrappedBase64,
  type Site,
} from "./shapes.ts";
import { changedFiles, commitsBetween, encodePath, isAncestor, lookupCommit, mergeBase, mergeTrees, pullDiff, resolveCommit } from "./history.ts";
import {
  addComment,
  addLabels,
  addStatus,
  checkRunUpdated,
  editComment,
  merged,
  moveBranch,
  opened,
  removeLabel,
  removeReviewers,
  requestReviewers,
  setLabels,
  setState,
  submitReview,
} from "./actions.ts";
import { redeliver, type Delivery } from "./webhooks.ts";
import { createFromManifest } from "./app-manifests.ts";
import { pullRange, pullRequestView, type Actor } from "./events.ts";
import { page } from "./paging.ts";
import { author, nextId, openIssue, openPullRequest, timestamp, type CommitStatus, type Issue, type Repo, type UserToken, type World } from "./state.ts";
import { getAuthenticatedUser, listInstallationReposForUser, listInstallationsForUser } from "./oauth.ts";
import type { AnnotationState, CheckRunState } from "./types.ts";

type Json = Record<string, unknown>;

export type Caller = { kind: "none" } | { kind: "app" } | { kind: "installation"; token: InstallationToken } | { kind: "user"; token: UserToken };

export interface HandlerContext {
  site: Site;
  world: World;
  /** The repository of a `/repos/{owner}/{repo}/…` route, already checked to be visible to the caller. */
  repo: Repo | null;
  caller: Caller;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  /** The Accept header, for the raw media types of contents and blobs. */
  accept: string;
  /** The absolute URL requested, for `Link` headers. */
  requestUrl: string;
  documentationUrl: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON (raw media types). */
  raw?: Uint8Array;
  headers?: Record<string, string>;
  /** Set when the real API would reject the request because the client is wrong; recorded in `violations`. */
  violation?: string;
}

export type Handler = (context: HandlerContext) => Reply;

/** GitHub's error body. */
export function errorReply(context: { documentationUrl: string }, status: number, message: string, violation?: string): Reply {
  const reply: Reply = { status, body: { message, documentation_url: context.documentationUrl, status: String(status) } };
  if (violation !== undefined) reply.violation = violation;
  return reply;
}

const notFound = (context: HandlerContext) => errorReply(context, 404, "Not Found");

/** GitHub's 422 "Validation Failed" with one entry in `errors` saying what failed. */
function validationFailed(context: HandlerContext, error: Json, violation?: string): Reply {
  const reply = errorReply(context, 422, "Validation Failed", violation);
  return { ...reply, body: { ...(reply.body as Json), errors: [error] } };
}

function repoOf(context: HandlerContext): Repo {
  if (!context.repo) throw new Error("repoflow: a /repos handler ran without its repository; route it through handle() in pipeline.ts.");
  return context.repo;
}

function body(context: HandlerContext): Json {
  return context.body !== null && typeof context.body === "object" && !Array.isArray(context.body) ? (context.body as Json) : {};
}


function wantsRaw(context: HandlerContext): boolean {
  return /application\/vnd\.github(\.v3)?\.raw/.test(context.accept);
}

// ── /app ─────────────────────────────────────────────────────────────────────

const getAuthenticatedApp: Handler = (context) => ({ status: 200, body: app(context.site) });

const listInstallations: Handler = (context) => {
  const { items, headers } = page(context, installationAccounts(context.world));
  return { status: 200, headers, body: items.map(({ id, owner }) => installation(context.site, id, owner)) };
};

const getInstallation: Handler = (context) => {
  const id = Number(context.params.installation_id);
  const account = installationAccounts(context.world).find((candidate) => candidate.id === id);
  return account ? { status: 200, body: installation(context.site, id, account.owner) } : notFound(context);
};

const createInstallationAccessToken: Handler = (context) => {
  const { world } = context;
  const installationId = Number(context.params.installation_id);
  const repos = [...world.repos.values()].filter((repo) => repo.installationId === installationId);
  if (repos.length === 0) return notFound(context);
  const request = body(context);
  const names = (request.repositories ?? []) as string[];
  const ids = (request.repository_ids ?? []) as number[];
  let scope: Repo[] | null = null;
  if (names.length > 0 || ids.length > 0) {
    const unknown = [
      ...names.filter((name) => !repos.some((repo) => repo.name.toLowerCase() === name.toLowerCase())),
      ...ids.filter((id) => !repos.some((repo) => repo.id === id)).map(String),
    ];
    if (unknown.length > 0) {
      return errorReply(
        context,
        422,
        "There is at least one repository that does not exist or is not accessible to the parent installation.",
        `repositories ${unknown.join(", ")} are not in installation ${installationId} (it has ${repos.map((repo) => repo.name).join(", ")}); pass repository names without the owner, or ids`,
      );
    }
    scope = repos.filter((repo) => names.some((name) => name.toLowerCase() === repo.name.toLowerCase()) || ids.includes(repo.id));
  }
  const requested = request.permissions as Permissions | undefined;
  if (requested) {
    const excess = excessPermissions(requested, world.installationPermissions);
    if (excess.length > 0) {
      return errorReply(context, 422, "The permissions requested are not granted to this installation.", `installation ${installationId} does not grant ${excess.join(", ")}`);
    }
  }
  const token: InstallationToken = {
    token: newTokenValue(),
    installationId,
    expiresAt: Date.now() + TOKEN_LIFETIME_MS,
    permissions: { metadata: "read", ...(requested ?? world.installationPermissions) },
    repositoryIds: scope ? new Set(scope.map((repo) => repo.id)) : null,
  };
  world.tokens.set(token.token, token);
  const reply: Json = {
    token: token.token,
    expires_at: timestamp(token.expiresAt),
    permissions: token.permissions,
    repository_selection: scope ? "selected" : "all",
  };
  if (scope) reply.repositories = scope.map((repo) => repository(context.site, repo, "repository"));
  return { status: 201, body: reply };
};

const listReposForInstallation: Handler = (context) => {
  if (context.caller.kind !== "installation") throw new Error("repoflow: /installation routes need an installation caller; check authenticate() in pipeline.ts.");
  const { token } = context.caller;
  const repos = [...context.world.repos.values()].filter(
    (repo) => repo.installationId === token.installationId && (token.repositoryIds === null || token.repositoryIds.has(repo.id)),
  );
  const { items, headers } = page(context, repos);
  return {
    status: 200,
    headers,
    body: {
      total_count: repos.length,
      repositories: items.map((repo) => repository(context.site, repo, "repository")),
      repository_selection: token.repositoryIds ? "selected" : "all",
    },
  };
};

// ── repository, branches, commits, git data, contents ───────────────────────

const getRepo: Handler = (context) => ({ status: 200, body: repository(context.site, repoOf(context)) });

const getCollaboratorPermission: Handler = (context) => ({ status: 200, body: collaboratorPermission(context.site, repoOf(context), context.params.username ?? "") });

const getBranch: Handler = (context) => {
  const repo = repoOf(context);
  const name = context.params.branch ?? "";
  const sha = repo.branches.get(name);
  const commit = sha ? lookupCommit(repo, sha) : undefined;
  if (!commit) return errorReply(context, 404, "Branch not found");
  const url = `${repoUrl(context.site, repo)}/branches/${encodeURIComponent(name)}`;
  return {
    status: 200,
    body: {
      name,
      commit: commitObject(context.site, repo, commit),
      _links: { self: url, html: `${context.site.url}/${repo.fullName}/tree/${name}` },
      protected: false,
      protection: { enabled: false, required_status_checks: { enforcement_level: "off", contexts: [], checks: [] } },
      protection_url: `${url}/protection`,
    },
  };
};

const getCommit: Handler = (context) => {
  const repo = repoOf(context);
  const ref = context.params.ref ?? "";
  const commit = resolveCommit(repo, ref);
  if (!commit) return errorReply(context, 422, `No commit found for SHA: ${ref}`);
  const parent = commit.parents[0] ? lookupCommit(repo, commit.parents[0]) : undefined;
  const before = parent ? repo.store.readFiles(parent.tree) : new Map<string, FileEntry>();
  return { status: 200, body: commitObject(context.site, repo, commit, changedFiles(context.site, repo, commit.sha, before, repo.store.readFiles(commit.tree))) };
};

const getRef: Handler = (context) => {
  const repo = repoOf(context);
  const ref = context.params.ref ?? "";
  const branch = /^heads\/(.+)$/.exec(ref)?.[1];
  const sha = branch === undefined ? undefined : repo.branches.get(branch);
  if (branch === undefined || !sha) return notFound(context);
  return { status: 200, body: gitRef(context.site, repo, branch, sha) };
};

const getTree: Handler = (context) => {
  const repo = repoOf(context);
  const ref = context.params.tree_sha ?? "";
  const direct = repo.store.get(ref);
  const treeSha = direct?.type === "tree" ? direct.sha : resolveCommit(repo, ref)?.tree;
  const tree = treeSha ? repo.store.get(treeSha) : undefined;
  if (tree?.type !== "tree") return notFound(context);
  // GitHub: "Setting this parameter to any value returns the objects or subtrees referenced by the tree" — even "0" or "false".
  const recursive = "recursive" in context.query;
  const entries: Json[] = [];
  const walk = (entriesOfTree: TreeEntry[], prefix: string) => {
    for (const entry of entriesOfTree) {
      entries.push(treeEntry(context.site, repo, entry, prefix + entry.name));
      const child = entry.type === "tree" ? repo.store.get(entry.sha) : undefined;
      if (recursive && child?.type === "tree") walk(child.entries, `${prefix}${entry.name}/`);
    }
  };
  walk(tree.entries, "");
  return { status: 200, body: { sha: tree.sha, url: `${repoUrl(context.site, repo)}/git/trees/${tree.sha}`, tree: entries, truncated: false } };
};

const getBlob: Handler = (context) => {
  const repo = repoOf(context);
  const blob = repo.store.get(context.params.file_sha ?? "");
  if (blob?.type !== "blob") return notFound(context);
  if (wantsRaw(context)) return { status: 200, raw: blob.content, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
  return {
    status: 200,
    body: {
      sha: blob.sha,
      node_id: Buffer.from(`0:Blob${repo.id}:${blob.sha}`).toString("base64"),
      size: blob.content.byteLength,
      url: `${repoUrl(context.site, repo)}/git/blobs/${blob.sha}`,
      content: wrappedBase64(blob.content),
      encoding: "base64",
    },
  };
};

// ── git data: refs, commits, trees; comparing commits ────────────────────────

/** The parts of a ref name `git check-ref-format` refuses: `..`, control characters, ` ~^:?*[\`, `@{`, a component starting with "." or ending in ".lock", a trailing "/" or ".". */
function validRefName(ref: string): boolean {
  if (/\.\.|[\x00-\x20~^:?*[\\\x7f]|@\{|\/\/|[/.]$/.test(ref) || ref === "@") return false;
  return ref.split("/").every((part) => part !== "" && !part.startsWith(".") && !part.endsWith(".lock"));
}

/** The emulator keeps branches only: this names the gap instead of pretending a tag was made. */
const BRANCHES_ONLY = "the emulator keeps branches only (refs/heads/…); tags and other refs are not emulated";

const createRef: Handler = (context) => {
  const repo = repoOf(context);
  const request = body(context);
  const ref = String(request.ref);
  const sha = String(request.sha);
  // GitHub: "If it doesn't start with 'refs' and have at least two slashes, it will be rejected."
  if (!/^refs\/[^/]+\/./.test(ref) || !validRefName(ref)) {
    return errorReply(context, 422, `${ref} is not a valid ref name.`, `body.ref "${ref}" must be a full, valid ref name such as refs/heads/feature`);
  }
  const branch = /^refs\/heads\/(.+)$/.exec(ref)?.[1];
  if (branch === undefined) return errorReply(context, 422, "Reference update failed", BRANCHES_ONLY);
  if (!lookupCommit(repo, sha)) return errorReply(context, 422, "Object does not exist", `body.sha ${sha} is not a commit of ${repo.fullName} (a branch needs the full 40-digit sha of a commit)`);
  // Not a violation: a client that creates a branch it may have made before meets this.
  if (repo.branches.has(branch)) return errorReply(context, 422, "Reference already exists");
  moveBranch(context.site, repo, branch, sha, false, actor(context));
  return { status: 201, body: gitRef(context.site, repo, branch, sha), headers: { location: `${repoUrl(context.site, repo)}/git/${ref}` } };
};

const updateRef: Handler = (context) => {
  const repo = repoOf(context);
  const ref = context.params.ref ?? "";
  const request = body(context);
  const sha = String(request.sha);
  const branch = /^(?:refs\/)?heads\/(.+)$/.exec(ref)?.[1];
  if (branch === undefined) return errorReply(context, 422, "Reference does not exist", BRANCHES_ONLY);
  const before = repo.branches.get(branch);
  if (before === undefined) return errorReply(context, 422, "Reference does not exist");
  if (!lookupCommit(repo, sha)) return errorReply(context, 422, "Object does not exist", `body.sha ${sha} is not a commit of ${repo.fullName}`);
  const fastForward = isAncestor(repo, before, sha);
  // Not a violation: the branch moving under a client is what this answer is for.
  if (!fastForward && request.force !== true) return errorReply(context, 422, "Update is not a fast forward");
  if (sha !== before) moveBranch(context.site, repo, branch, sha, !fastForward, actor(context));
  return { status: 200, body: gitRef(context.site, repo, branch, sha) };
};

/** A commit's author or committer from the request: its time and zone from `date` (now, UTC, without one); the fields it lacks from `fallback`. */
function signatureOf(value: unknown, fallback: Signature, now: number): Signature {
  const given = value !== null && typeof value === "object" ? (value as Json) : {};
  const date = typeof given.date === "string" ? given.date : undefined;
  const zone = date === undefined ? null : /([+-])(\d{2}):?(\d{2})$/.exec(date);
  return {
    name: typeof given.name === "string" ? given.name : fallback.name,
    email: typeof given.email === "string" ? given.email : fallback.email,
    time: date === undefined ? now : Math.floor(Date.parse(date) / 1000),
    offset: zone ? `${zone[1]}${zone[2]}${zone[3]}` : "+0000",
  };
}

const createGitCommit: Handler = (context) => {
  const repo = repoOf(context);
  const request = body(context);
  if (request.signature !== undefined) return errorReply(context, 422, "Signed commits are not supported by the emulator", "the emulator does not store signed commits (body.signature); leave it out");
  const treeSha = String(request.tree);
  if (repo.store.get(treeSha)?.type !== "tree") return errorReply(context, 422, "Tree SHA does not exist", `body.tree ${treeSha} is not a tree of ${repo.fullName}; create it with POST …/git/trees first`);
  const parents = (request.parents ?? []) as string[];
  const missing = parents.filter((parent) => !lookupCommit(repo, parent));
  if (missing.length > 0) return errorReply(context, 422, "Parent SHA does not exist or is not a commit object", `body.parents ${missing.join(", ")} are not commits of ${repo.fullName}`);
  const now = Math.floor(Date.now() / 1000);
  // GitHub: the author defaults to the authenticated user and the current date, the committer to the author.
  const login = callerLogin(context);
  // GitHub's no-reply address is `<id>+<login>@users.noreply.github.com`; a bot's brackets are left out, since the webhook schema's email format refuses them.
  const email = `${userId(login)}+${login.replace(/\[bot\]$/, "")}@users.noreply.invalid`;
  const authorSignature = signatureOf(request.author, { name: login, email, time: now }, now);
  const committerSignature = request.committer === undefined ? authorSignature : signatureOf(request.committer, authorSignature, now);
  const sha = repo.store.writeCommit(treeSha, parents, String(request.message), authorSignature, committerSignature);
  const created = lookupCommit(repo, sha);
  if (!created) throw new Error("repoflow: writeCommit() did not store the commit it wrote.");
  return { status: 201, body: gitCommit(context.site, repo, created), headers: { location: `${repoUrl(context.site, repo)}/git/commits/${sha}` } };
};

const getGitCommit: Handler = (context) => {
  const repo = repoOf(context);
  const found = lookupCommit(repo, context.params.commit_sha ?? "");
  return found ? { status: 200, body: gitCommit(context.site, repo, found) } : notFound(context);
};

interface TreeInput {
  path?: string;
  mode?: "100644" | "100755" | "040000" | "160000" | "120000";
  type?: "blob" | "tree" | "commit";
  sha?: string | null;
  content?: string;
}

/** Puts `entry` at `path`, replacing a file or directory that was there and any file where its directories go. */
function place(files: Map<string, FileEntry>, path: string, entry: FileEntry | Map<string, FileEntry>): void {
  removePath(files, path);
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) files.delete(parts.slice(0, i).join("/"));
  if (entry instanceof Map) for (const [inner, value] of entry) files.set(`${path}/${inner}`, value);
  else files.set(path, entry);
}

/** Removes the file at `path` or everything under the directory `path`; false when neither was there. */
function removePath(files: Map<string, FileEntry>, path: string): boolean {
  let removed = files.delete(path);
  for (const key of [...files.keys()]) if (key.startsWith(`${path}/`)) removed = files.delete(key) || removed;
  return removed;
}

const createTree: Handler = (context) => {
  const repo = repoOf(context);
  const request = body(context);
  const files = new Map<string, FileEntry>();
  if (typeof request.base_tree === "string") {
    const base = repo.store.get(request.base_tree);
    if (base?.type !== "tree") return errorReply(context, 422, "Invalid tree info", `body.base_tree ${request.base_tree} is not a tree of ${repo.fullName}`);
    repo.store.readFiles(base.sha, "", files);
  }
  const entries = (request.tree ?? []) as TreeInput[];
  for (const [index, item] of entries.entries()) {
    const at = `body.tree[${index}]`;
    const path = item.path ?? "";
    if (path.split("/").some((part) => part === "" || part === "." || part === ".." || part === ".git")) {
      return errorReply(context, 422, "Invalid tree info", `${at}.path "${path}" must be a relative path without empty, ".", ".." or ".git" parts`);
    }
    const type = item.type ?? (item.mode === "040000" ? "tree" : item.mode === "160000" ? "commit" : "blob");
    const mode = item.mode ?? (type === "tree" ? "040000" : type === "commit" ? "160000" : "100644");
    if ((mode === "040000") !== (type === "tree") || (mode === "160000") !== (type === "commit")) {
      return errorReply(context, 422, "Invalid tree info", `${at}: mode ${mode} does not go with type ${type} (040000 is a tree, 160000 a commit, the others blobs)`);
    }
    const hasSha = item.sha !== undefined;
    if (hasSha && item.content !== undefined) return errorReply(context, 422, "Invalid tree info", `${at} has both sha and content; GitHub takes one of them`);
    if (item.sha === null) {
      // GitHub: "Returns an error if you try to delete a file that does not exist."
      if (!removePath(files, path)) return errorReply(context, 422, "Invalid tree info", `${at} deletes "${path}", which the tree does not have`);
      continue;
    }
    if (item.content !== undefined) {
      if (type !== "blob") return errorReply(context, 422, "Invalid tree info", `${at}: content makes a blob, not a ${type}`);
      place(files, path, { mode: mode as "100644" | "100755" | "120000", content: new TextEncoder().encode(item.content) });
      continue;
    }
    if (!hasSha) return errorReply(context, 422, "Invalid tree info", `${at} needs sha (null deletes) or content`);
    const sha = item.sha as string;
    if (type === "commit") {
      if (!/^[0-9a-f]{40}$/.test(sha)) return errorReply(context, 422, "Invalid tree info", `${at}.sha must be the submodule's 40-digit commit sha`);
      place(files, path, { mode: "160000", sha });
      continue;
    }
    const object = repo.store.get(sha);
    if (object?.type !== type) return errorReply(context, 422, "Invalid tree info", `${at}.sha ${sha} is not a ${type} of ${repo.fullName}`);
    if (object.type === "tree") place(files, path, repo.store.readFiles(object.sha));
    else if (object.type === "blob") place(files, path, { mode: mode as "100644" | "100755" | "120000", content: object.content });
  }
  const sha = repo.store.writeTree(files);
  const tree = repo.store.get(sha);
  const shown = tree?.type === "tree" ? tree.entries.map((entry) => treeEntry(context.site, repo, entry, entry.name)) : [];
  const url = `${repoUrl(context.site, repo)}/git/trees/${sha}`;
  return { status: 201, body: { sha, url, tree: shown, truncated: false }, headers: { location: url } };
};

/** GitHub: without paging parameters the comparison lists at most 250 commits, the most recent last. */
const COMPARE_COMMIT_LIMIT = 250;

const compareCommits: Handler = (context) => {
  const repo = repoOf(context);
  const basehead = context.params.basehead ?? "";
  const split = basehead.indexOf("...");
  if (split === -1) return notFound(context);
  // `owner:branch` names a branch of a repository in the same network; the emulator has no forks, so only the owner's own.
  const side = (spec: string) => resolveCommit(repo, spec.toLowerCase().startsWith(`${repo.owner.toLowerCase()}:`) ? spec.slice(repo.owner.length + 1) : spec);
  const baseSpec = basehead.slice(0, split);
  const headSpec = basehead.slice(split + 3);
  const base = side(baseSpec);
  const head = side(headSpec);
  if (!base || !head) return notFound(context);
  const ancestor = mergeBase(repo, base.sha, head.sha);
  const ancestorCommit = ancestor === undefined ? undefined : lookupCommit(repo, ancestor);
  if (!ancestorCommit) return errorReply(context, 404, `No common ancestor between ${baseSpec} and ${headSpec}.`);
  const ahead = commitsBetween(repo, base.sha, head.sha);
  const behind = commitsBetween(repo, head.sha, base.sha);
  const status = ahead.length === 0 ? (behind.length === 0 ? "identical" : "behind") : behind.length === 0 ? "ahead" : "diverged";
  const paged = "page" in context.query || "per_page" in context.query;
  const { items, headers } = paged ? page(context, ahead) : { items: ahead.slice(-COMPARE_COMMIT_LIMIT), headers: {} };
  const html = `${context.site.url}/${repo.fullName}/compare/${basehead}`;
  const known: Json = {
    url: `${repoUrl(context.site, repo)}/compare/${basehead}`,
    html_url: html,
    permalink_url: `${context.site.url}/${repo.fullName}/compare/${repo.owner}:${base.sha.slice(0, 7)}...${repo.owner}:${head.sha.slice(0, 7)}`,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    base_commit: commitObject(context.site, repo, base),
    merge_base_commit: commitObject(context.site, repo, ancestorCommit),
    status,
    ahead_by: ahead.length,
    behind_by: behind.length,
    total_commits: ahead.length,
    commits: items.map((commit) => commitObject(context.site, repo, commit)),
  };
  // GitHub: "When using paging, the list of changed files is only returned with page 1".
  if (!paged || Number(context.query.page ?? 1) <= 1) known.files = pullDiff(context.site, repo, base.sha, head.sha).files;
  return { status: 200, headers, body: known };
};

/** GitHub serves file content inline only up to 1 MB; larger files come with encoding "none" and empty content. */
const INLINE_CONTENT_LIMIT = 1024 * 1024;

const getContent: Handler = (context) => {
  const repo = repoOf(context);
  const ref = context.query.ref ?? repo.defaultBranch;
  const commit = resolveCommit(repo, ref);
  if (!commit) return errorReply(context, 404, `No commit found for the ref ${ref}`);
  const path = (context.params.path ?? "").replace(/^\/+|\/+$/g, "");
  const entry = repo.store.lookup(commit.tree, path);
  if (!entry) return notFound(context);
  const describe = (item: TreeEntry, itemPath: string): Json => {
    const kind = item.type === "tree" ? "dir" : item.mode === "120000" ? "symlink" : item.mode === "160000" ? "submodule" : "file";
    const blob = item.type === "blob" ? repo.store.get(item.sha) : undefined;
    const url = `${repoUrl(context.site, repo)}/contents/${encodePath(itemPath)}?ref=${encodeURIComponent(ref)}`;
    const gitUrl = item.type === "commit" ? null : `${repoUrl(context.site, repo)}/git/${item.type === "tree" ? "trees" : "blobs"}/${item.sha}`;
    const htmlUrl = `${context.site.url}/${repo.fullName}/${item.type === "tree" ? "tree" : "blob"}/${encodeURIComponent(ref)}/${encodePath(itemPath)}`;
    return {
      type: kind,
      size: blob?.type === "blob" ? blob.content.byteLength : 0,
      name: itemPath.split("/").pop() ?? itemPath,
      path: itemPath,
      sha: item.sha,
      url,
      git_url: gitUrl,
      html_url: htmlUrl,
      download_url: kind === "file" || kind === "symlink" ? `${context.site.url}/raw/${repo.fullName}/${encodeURIComponent(ref)}/${encodePath(itemPath)}` : null,
      _links: { self: url, git: gitUrl, html: htmlUrl },
    };
  };
  if (entry.type === "tree") {
    const tree = repo.store.get(entry.sha);
    const items = tree?.type === "tree" ? tree.entries : [];
    return { status: 200, body: items.map((item) => describe(item, path ? `${path}/${item.name}` : item.name)) };
  }
  if (entry.mode === "160000") {
    return { status: 200, body: { ...describe(entry, path), submodule_git_url: submoduleUrl(repo, commit.tree, path) } };
  }
  let target = entry;
  let targetPath = path;
  if (entry.mode === "120000") {
    // GitHub: a symlink to a regular file in the repository is answered with that file; any other symlink with the link itself.
    const link = repo.store.get(entry.sha);
    const resolved = link?.type === "blob" ? joinPath(path, new TextDecoder().decode(link.content)) : null;
    const pointed = resolved === null ? undefined : repo.store.lookup(commit.tree, resolved);
    if (resolved === null || !pointed || pointed.type !== "blob" || pointed.mode === "120000") {
      return { status: 200, body: { ...describe(entry, path), target: link?.type === "blob" ? new TextDecoder().decode(link.content) : "" } };
    }
    target = pointed;
    targetPath = resolved;
  }
  const blob = repo.store.get(target.sha);
  if (blob?.type !== "blob") return notFound(context);
  if (wantsRaw(context)) return { status: 200, raw: blob.content, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
  const large = blob.content.byteLength > INLINE_CONTENT_LIMIT;
  return {
    status: 200,
    body: { ...describe(target, targetPath), content: large ? "" : wrappedBase64(blob.content), encoding: large ? "none" : "base64" },
  };
};

function joinPath(linkPath: string, target: string): string | null {
  if (target.startsWith("/")) return null;
  const parts = linkPath.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

function submoduleUrl(repo: Repo, tree: string, path: string): string {
  const modules = repo.store.lookup(tree, ".gitmodules");
  const blob = modules ? repo.store.get(modules.sha) : undefined;
  if (blob?.type !== "blob") return "";
  let current: string | null = null;
  for (const line of new TextDecoder().decode(blob.content).split("\n")) {
    const pathMatch = /^\s*path\s*=\s*(.+?)\s*$/.exec(line);
    if (pathMatch) current = pathMatch[1] ?? null;
    const urlMatch = /^\s*url\s*=\s*(.+?)\s*$/.exec(line);
    if (urlMatch && current === path) return urlMatch[1] ?? "";
    if (/^\s*\[/.test(line)) current = null;
  }
  return "";
}

// ── check runs ───────────────────────────────────────────────────────────────

function applyCheckRunFields(run: CheckRunState, request: Json, now: string): void {
  if (typeof request.name === "string") run.name = request.name;
  if (typeof request.details_url === "string") run.details_url = request.details_url;
  if (typeof request.external_id === "string") run.external_id = request.external_id;
  if (typeof request.started_at === "string") run.started_at = request.started_at;
  if (typeof request.status === "string") run.status = request.status as CheckRunState["status"];
  if (typeof request.conclusion === "string") {
    // GitHub: "Providing conclusion will automatically set the status parameter to completed."
    run.conclusion = request.conclusion;
    run.status = "completed";
  }
  if (typeof request.completed_at === "string") run.completed_at = request.completed_at;
  if (run.status === "completed") run.completed_at ??= now;
  else {
    run.conclusion = null;
    run.completed_at = null;
  }
  const output = request.output as Json | undefined;
  if (output) {
    if (typeof output.title === "string") run.output.title = output.title;
    if (typeof output.summary === "string") run.output.summary = output.summary;
    if (typeof output.text === "string") run.output.text = output.text;
    // GitHub: "Each time you update the check run, annotations are appended to the list of annotations that already exist."
    run.output.annotations.push(...((output.annotations ?? []) as AnnotationState[]));
  }
  if (Array.isArray(request.actions)) run.actions = request.actions as CheckRunState["actions"];
}

const createCheckRun: Handler = (context) => {
  const repo = repoOf(context);
  const request = body(context);
  const headSha = String(request.head_sha);
  if (!lookupCommit(repo, headSha)) {
    return errorReply(context, 422, `No commit found for SHA: ${headSha}`, `body.head_sha ${headSha} is not a commit of ${repo.fullName} (check runs need the full 40-digit sha of a pushed commit)`);
  }
  const now = timestamp(Date.now());
  const run: CheckRunState = {
    id: nextId(context.world),
    name: String(request.name),
    head_sha: headSha,
    status: "queued",
    conclusion: null,
    started_at: now,
    completed_at: null,
    external_id: "",
    details_url: `${context.site.url}/apps/${context.world.appSlug}`,
    output: { title: null, summary: null, text: null, annotations: [] },
    actions: [],
  };
  applyCheckRunFields(run, request, now);
  repo.checkRuns.set(run.id, run);
  checkRunUpdated(context.site, repo, run, null, actor(context));
  return { status: 201, body: checkRun(context.site, repo, run), headers: { location: `${repoUrl(context.site, repo)}/check-runs/${run.id}` } };
};

const updateCheckRun: Handler = (context) => {
  const repo = repoOf(context);
  const id = Number(context.params.check_run_id);
  const run = repo.checkRuns.get(id);
  if (!run) return errorReply(context, 404, "Not Found", `check run ${id} does not exist in ${repo.fullName} (an id from another repository, or from before addRepo replaced it?)`);
  const wasCompleted = run.status === "completed";
  // GitHub never moves a completed check run again: "Once a check run transitions from the in_progress state
  // to completed state, it's not possible to modify its status nor its conclusion further" (GitHub community
  // discussion 24761). The rest of the update (output, actions) applies.
  const { status: _status, conclusion: _conclusion, completed_at: _completedAt, ...rest } = body(context);
  applyCheckRunFields(run, wasCompleted ? rest : body(context), timestamp(Date.now()));
  checkRunUpdated(context.site, repo, run, wasCompleted, actor(context));
  return { status: 200, body: checkRun(context.site, repo, run) };
};

const getCheckRun: Handler = (context) => {
  const repo = repoOf(context);
  const run = repo.checkRuns.get(Number(context.params.check_run_id));
  return run ? { status: 200, body: checkRun(context.site, repo, run) } : notFound(context);
};

const listCheckRunsForRef: Handler = (context) => {
  const repo = repoOf(context);
  const ref = context.params.ref ?? "";
  const commit = resolveCommit(repo, ref);
  if (!commit) return errorReply(context, 422, `No commit found for SHA: ${ref}`);
  let runs = [...repo.checkRuns.values()].filter((run) => run.head_sha === commit.sha);
  const { check_name: name, status, filter = "latest" } = context.query;
  if (name !== undefined) runs = runs.filter((run) => run.name === name);
  if (status !== undefined) runs = runs.filter((run) => run.status === status);
  if (filter === "latest") {
    const newest = new Map<string, CheckRunState>();
    for (const run of runs) newest.set(run.name, run);
    runs = [...newest.values()];
  }
  runs.sort((a, b) => b.id - a.id);
  const { items, headers } = page(context, runs);
  return { status: 200, headers, body: { total_count: runs.length, check_runs: items.map((run) => checkRun(context.site, repo, run)) } };
};

// ── issues, comments, labels, reactions ──────────────────────────────────────

function issueOf(context: HandlerContext): Issue | undefined {
  return repoOf(context).issues.get(Number(context.params.issue_number));
}

function callerLogin(context: HandlerContext): string {
  return context.caller.kind === "installation" ? botLogin(context.world) : "octocat";
}

/** Who acts for webhooks: an installation token acts as the App's bot user. */
function actor(context: HandlerContext): Actor {
  return { login: callerLogin(context) };
}

const createComment: Handler = (context) => {
  const repo = repoOf(context);
  const target = issueOf(context);
  if (!target) return notFound(context);
  const comment = addComment(context.site, repo, target, String(body(context).body), actor(context), context.caller.kind === "installation");
  return { status: 201, body: issueComment(context.site, repo, comment), headers: { location: `${repoUrl(context.site, repo)}/issues/comments/${comment.id}` } };
};

const listComments: Handler = (context) => {
  const repo = repoOf(context);
  const target = issueOf(context);
  if (!target) return notFound(context);
  const since = context.query.since;
  const comments = [...repo.comments.values()].filter((comment) => comment.issueNumber === target.number && (since === undefined || comment.updatedAt >= since));
  const { items, headers } = page(context, comments);
  return { status: 200, headers, body: items.map((comment) => issueComment(context.site, repo, comment)) };
};

const updateComment: Handler = (context) => {
  const repo = repoOf(context);
  const comment = repo.comments.get(Number(context.params.comment_id));
  const target = comment ? repo.issues.get(comment.issueNumber) : undefined;
  if (!comment || !target) return notFound(context);
  editComment(context.site, repo, target, comment, String(body(context).body), actor(context));
  return { status: 200, body: issueComment(context.site, repo, comment) };
};

function issueLabels(context: HandlerContext, target: Issue): Json[] {
  const repo = repoOf(context);
  return target.labels.flatMap((name) => {
    const found = repo.labels.get(name.toLowerCase());
    return found ? [label(context.site, repo, found)] : [];
  });
}

/** Labels in a request body: names, or `{ name }` objects. */
function labelNames(value: unknown): string[] {
  return ((value ?? []) as (string | { name: string })[]).map((item) => (typeof item === "string" ? item : item.name));
}

const addLabelsToIssue: Handler = (context) => {
  const target = issueOf(context);
  if (!target) return notFound(context);
  addLabels(context.site, repoOf(context), target, labelNames(body(context).labels), actor(context));
  return { status: 200, body: issueLabels(context, target) };
};

const removeLabelFromIssue: Handler = (context) => {
  const target = issueOf(context);
  if (!target) return notFound(context);
  if (!removeLabel(context.site, repoOf(context), target, context.params.name ?? "", actor(context))) return errorReply(context, 404, "Label does not exist");
  return { status: 200, body: issueLabels(context, target) };
};

const listLabels: Handler = (context) => {
  const target = issueOf(context);
  if (!target) return notFound(context);
  const { items, headers } = page(context, issueLabels(context, target));
  return { status: 200, headers, body: items };
};

function react(context: HandlerContext, target: { issue: number } | { comment: number }): Reply {
  const repo = repoOf(context);
  const content = String(body(context).content);
  const login = callerLogin(context);
  const same = (value: { issue: number } | { comment: number }) =>
    "issue" in value && "issue" in target ? value.issue === target.issue : "comment" in value && "comment" in target && value.comment === target.comment;
  const existing = repo.reactions.find((item) => item.content === content && item.user === login && same(item.target));
  // GitHub answers 200 with the existing reaction when the same user already reacted the same way.
  if (existing) return { status: 200, body: reaction(context.site, existing) };
  const created = { id: nextId(context.world), content, user: login, target, createdAt: timestamp(Date.now()) };
  repo.reactions.push(created);
  return { status: 201, body: reaction(context.site, created) };
}

const reactToComment: Handler = (context) => {
  const id = Number(context.params.comment_id);
  return repoOf(context).comments.has(id) ? react(context, { comment: id }) : notFound(context);
};

const reactToIssue: Handler = (context) => {
  const target = issueOf(context);
  return target ? react(context, { issue: target.number }) : notFound(context);
};

const getIssue: Handler = (context) => {
  const target = issueOf(context);
  return target ? { status: 200, body: issue(context.site, repoOf(context), target) } : notFound(context);
};

/** Nobody is assigned and no issue has a milestone or a type in the emulator: `none` (or no filter) keeps every issue, `*` or a name keeps none. */
function unsetMatches(filter: string | undefined): boolean {
  return filter === undefined || filter === "none";
}

/** `@login` in the issue's body or one of its comments, as GitHub's `mentioned` filter reads it. */
function mentions(repo: Repo, target: Issue, login: string): boolean {
  const escaped = login.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`@${escaped}(?![\\w-])`, "i");
  return pattern.test(target.body ?? "") || [...repo.comments.values()].some((comment) => comment.issueNumber === target.number && pattern.test(comment.body));
}

const listIssuesForRepo: Handler = (context) => {
  const repo = repoOf(context);
  const { state = "open", labels, sort = "created", direction = "desc", since, creator, assignee, milestone, type, mentioned } = context.query;
  // GitHub: a comma-separated list of names; an issue must carry every one of them.
  const wanted = (labels ?? "").split(",").map((name) => name.trim().toLowerCase()).filter((name) => name !== "");
  const after = since === undefined ? undefined : Date.parse(since);
  const commentCount = (target: Issue) => [...repo.comments.values()].filter((comment) => comment.issueNumber === target.number).length;
  const chosen = [...repo.issues.values()].filter(
    (target) =>
      (state === "all" || target.state === state) &&
      wanted.every((name) => target.labels.some((label) => label.toLowerCase() === name)) &&
      (after === undefined || Date.parse(target.updatedAt) >= after) &&
      (creator === undefined || target.user.toLowerCase() === creator.toLowerCase()) &&
      unsetMatches(assignee) &&
      unsetMatches(milestone) &&
      unsetMatches(type) &&
      (mentioned === undefined || mentions(repo, target, mentioned)),
  );
  const key = (target: Issue) => (sort === "updated" ? Date.parse(target.updatedAt) : sort === "comments" ? commentCount(target) : Date.parse(target.createdAt));
  // Timestamps are whole seconds, so ties are common: the number breaks them, in the same direction.
  chosen.sort((a, b) => key(a) - key(b) || a.number - b.number);
  if (direction === "desc") chosen.reverse();
  const { items, headers } = page(context, chosen);
  return { status: 200, headers, body: items.map((target) => issue(context.site, repo, target)) };
};

// ── pull requests ────────────────────────────────────────────────────────────

function pullOf(context: HandlerContext): Issue | undefined {
  const found = repoOf(context).issues.get(Number(context.params.pull_number));
  return found?.pull ? found : undefined;
}

/** Issues and pull requests share one number space; a new one takes the next number. */
function nextNumber(repo: Repo): number {
  return Math.max(0, ...repo.issues.keys()) + 1;
}

const createPull: Handler = (context) => {
  const repo = repoOf(context);
  const request = body(context);
  if (request.issue !== undefined) {
    return errorReply(context, 422, "Converting an issue is not supported by the emulator", "the emulator does not convert issues into pull requests (body.issue); send a title instead");
  }
  const title = typeof request.title === "string" ? request.title : "";
  if (title === "") return validationFailed(context, { resource: "PullRequest", field: "title", code: "missing_field" }, "body.title is required (unless body.issue names an issue to convert)");
  const headSpec = String(request.head);
  // `owner:branch` names a branch of a repository in the same network; the emulator has no forks, so only the owner's own.
  const head = headSpec.includes(":") ? (headSpec.toLowerCase().startsWith(`${repo.owner.toLowerCase()}:`) ? headSpec.slice(repo.owner.length + 1) : null) : headSpec;
  const base = String(request.base);
  const baseSha = repo.branches.get(base);
  if (baseSha === undefined) return validationFailed(context, { resource: "PullRequest", field: "base", code: "invalid" }, `body.base: ${repo.fullName} has no branch "${base}"`);
  const headSha = head === null ? undefined : repo.branches.get(head);
  if (head === null || headSha === undefined) {
    return validationFailed(context, { resource: "PullRequest", field: "head", code: "invalid" }, `body.head: ${repo.fullName} has no branch "${headSpec}"; push it (or POST …/git/refs) first`);
  }
  // Not violations: a client that opens a pull request it may have opened before, or for a branch with nothing new, meets these.
  const existing = [...repo.issues.values()].some((other) => other.pull && other.state === "open" && other.pull.head === head && other.pull.base === base);
  if (existing) return validationFailed(context, { resource: "PullRequest", code: "custom", message: `A pull request already exists for ${repo.owner}:${head}.` });
  if (commitsBetween(repo, baseSha, headSha).length === 0) return validationFailed(context, { resource: "PullRequest", code: "custom", message: `No commits between ${base} and ${head}` });
  const number = nextNumber(repo);
  openPullRequest(context.world, repo.fullName, {
    number,
    title,
    head,
    base,
    draft: request.draft === true,
    user: callerLogin(context),
    ...(typeof request.body === "string" ? { body: request.body } : {}),
  });
  const target = repo.issues.get(number);
  if (!target) throw new Error("repoflow: openPullRequest() did not store the pull request it opened.");
  opened(context.site, repo, target, actor(context));
  return { status: 201, body: pullRequestView(context.site, repo, target), headers: { location: `${repoUrl(context.site, repo)}/pulls/${number}` } };
};

const getPull: Handler = (context) => {
  const repo = repoOf(context);
  const target = pullOf(context);
  if (!target?.pull) return notFound(context);
  return { status: 200, body: pullRequestView(context.site, repo, target) };
};

const mergePull: Handler = (context) => {
  const repo = repoOf(context);
  const target = pullOf(context);
  const pull = target?.pull;
  if (!target || !pull) return notFound(context);
  if (pull.merged || target.state === "closed") return errorReply(context, 405, "Pull Request is not mergeable");
  if (pull.draft) return errorReply(context, 405, "Pull Request is still a draft");
  const request = body(context);
  const headSha = repo.branches.get(pull.head) ?? "";
  const baseSha = repo.branches.get(pull.base) ?? "";
  if (typeof request.sha === "string" && request.sha !== headSha) {
    return errorReply(context, 409, "Head branch was modified. Review and try the merge again.");
  }
  const result = mergeTrees(repo, baseSha, headSha);
  if (!result) return errorReply(context, 405, "Pull Request is not mergeable");
  const method = typeof request.merge_method === "string" ? request.merge_method : "merge";
  const title = typeof request.commit_title === "string" ? request.commit_title : method === "merge" ? `Merge pull request #${target.number} from ${repo.owner}/${pull.head}` : `${target.title} (#${target.number})`;
  const message = typeof request.commit_message === "string" ? `${title}\n\n${request.commit_message}` : title;
  const parents = method === "merge" ? [baseSha, headSha] : [baseSha];
  const sha = repo.store.writeCommit(repo.store.writeTree(result), parents, message, author());
  merged(context.site, repo, target, sha, headSha, actor(context));
  return { status: 200, body: { sha, merged: true, message: "Pull Request successfully merged" } };
};

// ── issues: create, update; repository labels ────────────────────────────────

const createIssue: Handler = (context) => {
  const repo = repoOf(context);
  const request = body(context);
  const number = nextNumber(repo);
  const login = callerLogin(context);
  openIssue(context.world, repo.fullName, { number, title: String(request.title), user: login, ...(typeof request.body === "string" ? { body: request.body } : {}) });
  const target = repo.issues.get(number);
  if (!target) throw new Error("repoflow: openIssue() did not store the issue it opened.");
  target.labels = labelNames(request.labels);
  opened(context.site, repo, target, actor(context));
  return { status: 201, body: issue(context.site, repo, target), headers: { location: `${repoUrl(context.site, repo)}/issues/${number}` } };
};

const updateIssue: Handler = (context) => {
  const repo = repoOf(context);
  const target = issueOf(context);
  if (!target) return notFound(context);
  const request = body(context);
  if (typeof request.title === "string") target.title = request.title;
  if (typeof request.body === "string" || request.body === null) target.body = request.body;
  if (request.labels !== undefined) setLabels(context.site, repo, target, labelNames(request.labels), actor(context));
  if (request.state === "open" || request.state === "closed") {
    const reason = typeof request.state_reason === "string" ? (request.state_reason as Issue["stateReason"]) : null;
    setState(context.site, repo, target, request.state, reason, actor(context));
  }
  target.updatedAt = timestamp(Date.now());
  return { status: 200, body: issue(context.site, repo, target) };
};

const createRepoLabel: Handler = (context) => {
  const repo = repoOf(context);
  const request = body(context);
  const name = String(request.name);
  if (repo.labels.has(name.toLowerCase())) return validationFailed(context, { resource: "Label", code: "already_exists", field: "name" });
  const created = { id: nextId(context.world), name, color: typeof request.color === "string" ? request.color.replace(/^#/, "") : "ededed", description: typeof request.description === "string" ? request.description : null };
  repo.labels.set(name.toLowerCase(), created);
  return { status: 201, body: label(context.site, repo, created), headers: { location: `${repoUrl(context.site, repo)}/labels/${encodeURIComponent(name)}` } };
};

// ── check suites, commit statuses ────────────────────────────────────────────

const listSuitesForRef: Handler = (context) => {
  const repo = repoOf(context);
  const ref = context.params.ref ?? "";
  const commit = resolveCommit(repo, ref);
  if (!commit) return errorReply(context, 422, `No commit found for SHA: ${ref}`);
  const runs = [...repo.checkRuns.values()].filter((run) => run.head_sha === commit.sha);
  const appId = context.query.app_id;
  const suites = runs.length === 0 || (appId !== undefined && appId !== context.world.appId) ? [] : [checkSuite(context.site, repo, commit.sha, runs, branchAt(repo, commit.sha))];
  return { status: 200, body: { total_count: suites.length, check_suites: suites } };
};

function branchAt(repo: Repo, sha: string): string | null {
  for (const [name, head] of repo.branches) if (head === sha) return name;
  return null;
}

const createCommitStatus: Handler = (context) => {
  const repo = repoOf(context);
  const sha = context.params.sha ?? "";
  if (!lookupCommit(repo, sha)) {
    return errorReply(context, 422, `No commit found for SHA: ${sha}`, `${sha} is not a commit of ${repo.fullName} (statuses need the full 40-digit sha of a pushed commit)`);
  }
  const request = body(context);
  const created = addStatus(
    context.site,
    repo,
    {
      sha,
      state: request.state as CommitStatus["state"],
      context: typeof request.context === "string" ? request.context : "default",
      description: typeof request.description === "string" ? request.description : null,
      targetUrl: typeof request.target_url === "string" ? request.target_url : null,
    },
    actor(context),
  );
  return { status: 201, body: commitStatus(context.site, repo, created), headers: { location: `${repoUrl(context.site, repo)}/statuses/${sha}` } };
};

function statusesAt(context: HandlerContext): { repo: Repo; sha: string; statuses: CommitStatus[] } | Reply {
  const repo = repoOf(context);
  const ref = context.params.ref ?? "";
  const commit = resolveCommit(repo, ref);
  if (!commit) return errorReply(context, 404, `No commit found for SHA: ${ref}`);
  return { repo, sha: commit.sha, statuses: repo.statuses.filter((status) => status.sha === commit.sha).reverse() };
}

const listCommitStatuses: Handler = (context) => {
  const found = statusesAt(context);
  if ("status" in found) return found;
  const { items, headers } = page(context, found.statuses);
  return { status: 200, headers, body: items.map((status) => commitStatus(context.site, found.repo, status)) };
};

const getCombinedStatus: Handler = (context) => {
  const found = statusesAt(context);
  if ("status" in found) return found;
  const latest = new Map<string, CommitStatus>();
  for (const status of found.statuses) if (!latest.has(status.context)) latest.set(status.context, status);
  const statuses = [...latest.values()];
  // GitHub: failure if any context is error or failure, pending if any is pending or there are none, else success.
  const state = statuses.some((status) => status.state === "error" || status.state === "failure")
    ? "failure"
    : statuses.length === 0 || statuses.some((status) => status.state === "pending")
      ? "pending"
      : "success";
  const url = `${repoUrl(context.site, found.repo)}/commits/${found.sha}/status`;
  return {
    status: 200,
    body: {
      state,
      sha: found.sha,
      total_count: statuses.length,
      statuses: statuses.map((status) => commitStatus(context.site, found.repo, status)),
      repository: repository(context.site, found.repo, "repository"),
      commit_url: `${repoUrl(context.site, found.repo)}/commits/${found.sha}`,
      url,
    },
  };
};

// ── pull request files, reviews, requested reviewers ─────────────────────────

const listPullFiles: Handler = (context) => {
  const repo = repoOf(context);
  const target = pullOf(context);
  if (!target) return notFound(context);
  const { headSha, diffBase } = pullRange(repo, target);
  const { items, headers } = page(context, pullDiff(context.site, repo, diffBase, headSha).files);
  return { status: 200, headers, body: items.map((file) => ({ ...file, patch: "" })) };
};

const REVIEW_STATES = { APPROVE: "APPROVED", REQUEST_CHANGES: "CHANGES_REQUESTED", COMMENT: "COMMENTED" } as const;

const createReview: Handler = (context) => {
  const repo = repoOf(context);
  const target = pullOf(context);
  if (!target) return notFound(context);
  const request = body(context);
  const event = request.event as keyof typeof REVIEW_STATES | undefined;
  const text = typeof request.body === "string" ? request.body : "";
  // GitHub: "REQUEST_CHANGES" and "COMMENT" need a body.
  if ((event === "REQUEST_CHANGES" || event === "COMMENT") && text === "") {
    return errorReply(context, 422, "Unprocessable Entity: body is required for a review that requests changes or comments", `a ${event} review needs body.body`);
  }
  const { headSha: head } = pullRange(repo, target);
  const state = event === undefined ? "PENDING" : REVIEW_STATES[event];
  const created = submitReview(context.site, repo, target, { body: text, state, commitId: typeof request.commit_id === "string" ? request.commit_id : head }, actor(context));
  return { status: 200, body: review(context.site, repo, created) };
};

const listReviews: Handler = (context) => {
  const repo = repoOf(context);
  const target = pullOf(context);
  if (!target) return notFound(context);
  const reviews = [...repo.reviews.values()].filter((item) => item.pullNumber === target.number && (item.state !== "PENDING" || item.user === callerLogin(context)));
  const { items, headers } = page(context, reviews);
  return { status: 200, headers, body: items.map((item) => review(context.site, repo, item)) };
};

function reviewerLists(request: Json): { reviewers: string[]; teams: string[] } {
  return { reviewers: (request.reviewers ?? []) as string[], teams: (request.team_reviewers ?? []) as string[] };
}

const listRequestedReviewers: Handler = (context) => {
  const repo = repoOf(context);
  const target = pullOf(context);
  if (!target?.pull) return notFound(context);
  return { status: 200, body: { users: target.pull.requestedReviewers.map((login) => user(context.site, login)), teams: target.pull.requestedTeams.map((slug) => team(context.site, repo, slug)) } };
};

const requestReviewersHandler: Handler = (context) => {
  const repo = repoOf(context);
  const target = pullOf(context);
  if (!target) return notFound(context);
  const { reviewers, teams } = reviewerLists(body(context));
  if (reviewers.includes(target.user)) return errorReply(context, 422, "Review cannot be requested from pull request author.");
  requestReviewers(context.site, repo, target, reviewers, teams, actor(context));
  return { status: 201, body: pullRequestView(context.site, repo, target) };
};

const removeRequestedReviewers: Handler = (context) => {
  const repo = repoOf(context);
  const target = pullOf(context);
  if (!target) return notFound(context);
  const { reviewers, teams } = reviewerLists(body(context));
  removeReviewers(context.site, repo, target, reviewers, teams, actor(context));
  return { status: 200, body: pullRequestView(context.site, repo, target) };
};

// ── the App's webhook deliveries ─────────────────────────────────────────────

const listDeliveries: Handler = (context) => {
  const perPage = Math.min(Number(context.query.per_page ?? 30) || 30, 100);
  const wanted = context.query.status;
  // Newest first, as GitHub lists them; the cursor is the id to continue below.
  let list = [...context.world.hooks.deliveries].reverse();
  if (wanted === "success") list = list.filter((delivery) => delivery.status === "OK");
  if (wanted === "failure") list = list.filter((delivery) => delivery.status !== "OK");
  const cursor = context.query.cursor;
  if (cursor !== undefined) list = list.filter((delivery) => delivery.id < Number(cursor));
  const items = list.slice(0, perPage);
  const next = list.length > perPage ? items[items.length - 1] : undefined;
  const headers: Record<string, string> = {};
  if (next) {
    const url = new URL(context.requestUrl);
    url.searchParams.set("per_page", String(perPage));
    url.searchParams.set("cursor", String(next.id));
    headers.link = `<${url.href}>; rel="next"`;
  }
  return { status: 200, headers, body: items.map(deliveryItem) };
};

const getDelivery: Handler = (context) => {
  const found = context.world.hooks.deliveries.find((delivery) => delivery.id === Number(context.params.delivery_id));
  if (!found) return notFound(context);
  return {
    status: 200,
    body: { ...deliveryItem(found), url: found.url, request: { headers: found.request.headers, payload: found.request.payload }, response: { headers: found.response.headers, payload: found.response.payload } },
  };
};

const redeliverDelivery: Handler = (context) => (redeliver(context.world.hooks, Number(context.params.delivery_id)) ? { status: 202, body: {} } : notFound(context));

function deliveryItem(delivery: Delivery): Json {
  return {
    id: delivery.id,
    guid: delivery.guid,
    delivered_at: delivery.deliveredAt,
    redelivery: delivery.redelivery,
    duration: delivery.duration,
    status: delivery.status,
    status_code: delivery.statusCode,
    event: delivery.event,
    action: delivery.action,
    installation_id: delivery.installationId,
    repository_id: delivery.repositoryId,
  };
}

/** operationId → handler. An operation of the description that is missing here answers 501 and is recorded as a gap. */
export const HANDLERS: Record<string, Handler> = {
  "apps/get-authenticated": getAuthenticatedApp,
  "apps/list-installations": listInstallations,
  "apps/get-installation": getInstallation,
  "apps/create-installation-access-token": createInstallationAccessToken,
  "apps/list-repos-accessible-to-installation": listReposForInstallation,
  "repos/get": getRepo,
  "repos/get-collaborator-permission-level": getCollaboratorPermission,
  "repos/get-branch": getBranch,
  "repos/get-commit": getCommit,
  "git/get-ref": getRef,
  "git/create-ref": createRef,
  "git/update-ref": updateRef,
  "git/get-commit": getGitCommit,
  "git/create-commit": createGitCommit,
  "git/get-tree": getTree,
  "git/create-tree": createTree,
  "git/get-blob": getBlob,
  "repos/compare-commits-with-basehead": compareCommits,
  "repos/get-content": getContent,
  "checks/create": createCheckRun,
  "checks/update": updateCheckRun,
  "checks/get": getCheckRun,
  "checks/list-for-ref": listCheckRunsForRef,
  "issues/create-comment": createComment,
  "issues/list-comments": listComments,
  "issues/update-comment": updateComment,
  "issues/add-labels": addLabelsToIssue,
  "issues/remove-label": removeLabelFromIssue,
  "issues/list-labels-on-issue": listLabels,
  "reactions/create-for-issue-comment": reactToComment,
  "reactions/create-for-issue": reactToIssue,
  "issues/get": getIssue,
  "issues/list-for-repo": listIssuesForRepo,
  "pulls/create": createPull,
  "pulls/get": getPull,
  "pulls/merge": mergePull,
  "issues/create": createIssue,
  "issues/update": updateIssue,
  "issues/create-label": createRepoLabel,
  "checks/list-suites-for-ref": listSuitesForRef,
  "repos/create-commit-status": createCommitStatus,
  "repos/list-commit-statuses-for-ref": listCommitStatuses,
  "repos/get-combined-status-for-ref": getCombinedStatus,
  "pulls/list-files": listPullFiles,
  "pulls/create-review": createReview,
  "pulls/list-reviews": listReviews,
  "pulls/list-requested-reviewers": listRequestedReviewers,
  "pulls/request-reviewers": requestReviewersHandler,
  "pulls/remove-requested-reviewers": removeRequestedReviewers,
  "apps/list-webhook-deliveries": listDeliveries,
  "apps/get-webhook-delivery": getDelivery,
  "apps/redeliver-webhook-delivery": redeliverDelivery,
  "apps/create-from-manifest": createFromManifest,
  "users/get-authenticated": getAuthenticatedUser,
  "apps/list-installations-for-authenticated-user": listInstallationsForUser,
  "apps/list-installation-repos-for-authenticated-user": listInstallationReposForUser,
};

/** The permission an operation needs; any one of the alternatives suffices. */
export const REQUIRED_PERMISSIONS: Record<string, [string, "read" | "write"][]> = {
  "repos/get": [["metadata", "read"]],
  "repos/get-collaborator-permission-level": [["metadata", "read"]],
  "repos/get-branch": [["contents", "read"]],
  "repos/get-commit": [["contents", "read"]],
  "git/get-ref": [["contents", "read"]],
  "git/create-ref": [["contents", "write"]],
  "git/update-ref": [["contents", "write"]],
  "git/get-commit": [["contents", "read"]],
  "git/create-commit": [["contents", "write"]],
  "git/get-tree": [["contents", "read"]],
  "git/create-tree": [["contents", "write"]],
  "git/get-blob": [["contents", "read"]],
  "repos/compare-commits-with-basehead": [["contents", "read"]],
  "repos/get-content": [["contents", "read"]],
  "checks/create": [["checks", "write"]],
  "checks/update": [["checks", "write"]],
  "checks/get": [["checks", "read"]],
  "checks/list-for-ref": [["checks", "read"]],
  // Issue endpoints on a pull request's number also accept the pull_requests permission.
  "issues/create-comment": [["issues", "write"], ["pull_requests", "write"]],
  "issues/list-comments": [["issues", "read"], ["pull_requests", "read"]],
  "issues/update-comment": [["issues", "write"], ["pull_requests", "write"]],
  "issues/add-labels": [["issues", "write"], ["pull_requests", "write"]],
  "issues/remove-label": [["issues", "write"], ["pull_requests", "write"]],
  "issues/list-labels-on-issue": [["issues", "read"], ["pull_requests", "read"]],
  "reactions/create-for-issue-comment": [["issues", "write"], ["pull_requests", "write"]],
  "reactions/create-for-issue": [["issues", "write"], ["pull_requests", "write"]],
  "issues/get": [["issues", "read"], ["pull_requests", "read"]],
  "issues/list-for-repo": [["issues", "read"]],
  "pulls/create": [["pull_requests", "write"]],
  "pulls/get": [["pull_requests", "read"]],
  "pulls/merge": [["contents", "write"]],
  "issues/create": [["issues", "write"]],
  "issues/update": [["issues", "write"], ["pull_requests", "write"]],
  "issues/create-label": [["issues", "write"], ["pull_requests", "write"]],
  "checks/list-suites-for-ref": [["checks", "read"]],
  "repos/create-commit-status": [["statuses", "write"]],
  "repos/list-commit-statuses-for-ref": [["statuses", "read"]],
  "repos/get-combined-status-for-ref": [["statuses", "read"]],
  "pulls/list-files": [["pull_requests", "read"]],
  "pulls/create-review": [["pull_requests", "write"]],
  "pulls/list-reviews": [["pull_requests", "read"]],
  "pulls/list-requested-reviewers": [["pull_requests", "read"]],
  "pulls/request-reviewers": [["pull_requests", "write"]],
  "pulls/remove-requested-reviewers": [["pull_requests", "write"]],
};
