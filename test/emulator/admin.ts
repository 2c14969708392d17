/**
 * The emulator's own control surface, for tools in another process (the replay
 * CLI under `npm run dev`, where the emulator is a separate Node process):
 * load a directory as a repository's default branch, make sure a pull request
 * or issue exists, read a repository's head. Served under `/_emulator/`, a
 * prefix GitHub's API does not have, and answered before the OpenAPI pipeline
 * so these calls are never recorded as requests or violations. The emulator
 * binds 127.0.0.1 only, so nothing off the machine reaches these routes.
 *
 * Loading a directory into an existing repository commits it on top of the
 * default branch instead of replacing the repository: its pull requests,
 * comments and check runs stay, so runs still sleeping from an earlier replay
 * can still update their check runs.
 */
import { resolve } from "node:path";
import { readDirectory } from "./git.ts";
import { addRepo, author, findRepo, headSha, openIssue, openPullRequest, type Repo, type World } from "./state.ts";

export const ADMIN_PREFIX = "/_emulator/";

export interface AdminReply {
  status: number;
  body: unknown;
}

type Input = Record<string, unknown>;

export function handleAdmin(world: World, method: string, path: string, body: unknown): AdminReply {
  const input = (body !== null && typeof body === "object" ? body : {}) as Input;
  try {
    if (path === "/_emulator/repos" && method === "POST") return loadRepo(world, input);
    const match = /^\/_emulator\/repos\/([^/]+)\/([^/]+)(?:\/(pulls|issues))?$/.exec(path);
    if (!match) return refuse(404, `no admin route ${method} ${path}; the routes are POST /_emulator/repos, GET /_emulator/repos/:owner/:repo and POST …/pulls or …/issues.`);
    const [, owner = "", name = "", sub] = match;
    const repo = findRepo(world, owner, name);
    if (!repo) return refuse(404, `no repository ${owner}/${name}; load one with POST /_emulator/repos { fullName, dir }.`);
    if (!sub && method === "GET") return { status: 200, body: describe(world, repo) };
    if (sub === "pulls" && method === "POST") return ensurePullRequest(world, repo, input);
    if (sub === "issues" && method === "POST") return ensureIssue(world, repo, input);
    return refuse(405, `${method} is not supported on ${path}.`);
  } catch (error) {
    return refuse(422, error instanceof Error ? error.message : String(error));
  }
}

function describe(world: World, repo: Repo) {
  return { fullName: repo.fullName, installationId: repo.installationId, defaultBranch: repo.defaultBranch, headSha: headSha(world, repo.fullName) };
}

/** `{ fullName, dir, installationId? }` → the new default-branch head. */
function loadRepo(world: World, input: Input): AdminReply {
  if (typeof input.fullName !== "string" || typeof input.dir !== "string") return refuse(422, "send { fullName: \"owner/name\", dir: \"/absolute/path\" }.");
  const [owner = "", name = ""] = input.fullName.split("/");
  const dir = resolve(input.dir);
  const existing = findRepo(world, owner, name);
  if (existing) {
    const parent = headSha(world, existing.fullName);
    const sha = existing.store.writeCommit(existing.store.writeTree(readDirectory(dir)), [parent], `Load ${dir}`, author());
    existing.branches.set(existing.defaultBranch, sha);
    return { status: 200, body: { ...describe(world, existing), sha } };
  }
  const installationId = typeof input.installationId === "number" ? input.installationId : installationFor(world, owner);
  const { sha } = addRepo(world, { fullName: input.fullName, installationId, dir });
  return { status: 201, body: { ...describe(world, findRepo(world, owner, name)!), sha } };
}

/** An owner's repositories share one installation, as on GitHub; a new owner gets a new one. */
function installationFor(world: World, owner: string): number {
  const repos = [...world.repos.values()];
  const sibling = repos.find((repo) => repo.owner.toLowerCase() === owner.toLowerCase());
  if (sibling) return sibling.installationId;
  return repos.length === 0 ? 1 : Math.max(...repos.map((repo) => repo.installationId)) + 1;
}

/** `{ number, title?, head?, user? }` → `{ number, headSha }`; an open pull request with that number is kept as it is. */
function ensurePullRequest(world: World, repo: Repo, input: Input): AdminReply {
  const number = Number(input.number);
  const known = repo.issues.get(number);
  if (known?.pull) return { status: 200, body: { number, headSha: headSha(world, repo.fullName, known.pull.head) } };
  if (known) return refuse(422, `#${number} of ${repo.fullName} is an issue, not a pull request; replay with a payload that names another number.`);
  const head = typeof input.head === "string" && input.head !== repo.defaultBranch ? input.head : `replay-${number}`;
  openPullRequest(world, repo.fullName, {
    number,
    title: typeof input.title === "string" ? input.title : `Pull request #${number}`,
    head,
    base: repo.defaultBranch,
    ...(typeof input.user === "string" ? { user: input.user } : {}),
  });
  return { status: 201, body: { number, headSha: headSha(world, repo.fullName, head) } };
}

/** `{ number, title?, user? }` → `{ number }`; an existing issue or pull request with that number is kept. */
function ensureIssue(world: World, repo: Repo, input: Input): AdminReply {
  const number = Number(input.number);
  if (repo.issues.has(number)) return { status: 200, body: { number } };
  openIssue(world, repo.fullName, {
    number,
    title: typeof input.title === "string" ? input.title : `Issue #${number}`,
    ...(typeof input.user === "string" ? { user: input.user } : {}),
  });
  return { status: 201, body: { number } };
}

function refuse(status: number, message: string): AdminReply {
  return { status, body: { message: message.startsWith("repoflow:") ? message : `repoflow emulator: ${message}` } };
}
