/**
 * The emulator's own control surface, for tools in another process (the replay
 * CLI under `npm run dev`, a chaos harness, an e2e driver): load a directory as
 * a repository's default branch, open pull requests and issues, make a person
 * comment, label or review, turn faults on and off, read the webhook delivery
 * log and redeliver, click a check run's button, give a person a role, age an
 * issue. Served under `/_emulator/`, a prefix GitHub's API does
 * not have, and answered before the OpenAPI pipeline so these calls are never
 * recorded as requests or violations. The emulator binds 127.0.0.1 only, so
 * nothing off the machine reaches these routes.
 *
 * Loading a directory into an existing repository commits it on top of the
 * default branch instead of replacing the repository: its pull requests,
 * comments and check runs stay, so runs still sleeping from an earlier replay
 * can still update their check runs.
 */
import { resolve } from "node:path";
import { addComment, addLabels, addStatus, removeLabel, requestCheckRunAction, submitReview } from "./actions.ts";
import { branchMoved, pullRange } from "./events.ts";
import { addFault, describeFault, removeFaults, type FaultSpec } from "./faults.ts";
import { readDirectory } from "./git.ts";
import type { Site } from "./shapes.ts";
import { addRepo, ageIssue, author, DEFAULT_USER, findRepo, headSha, openIssue, openPullRequest, setPermission, type Repo, type World } from "./state.ts";
import type { Role } from "./types.ts";
import { redeliver } from "./webhooks.ts";

export const ADMIN_PREFIX = "/_emulator/";

export interface AdminReply {
  status: number;
  body: unknown;
}

type Input = Record<string, unknown>;

const ROUTES =
  "POST /_emulator/repos, GET /_emulator/repos/:owner/:repo, POST …/pulls, POST …/issues, POST …/issues/:n/comments, POST …/issues/:n/labels, DELETE …/issues/:n/labels/:name, POST …/pulls/:n/reviews, POST …/pulls/:n/statuses, POST …/issues/:n/age, POST …/check-runs/:id/actions, PUT …/collaborators/:login, GET|POST|DELETE /_emulator/faults, DELETE /_emulator/faults/:id, GET /_emulator/deliveries, POST /_emulator/deliveries/:id/attempts";

export function handleAdmin(site: Site, method: string, url: URL, body: unknown): AdminReply {
  const { world } = site;
  const path = decodeURIComponent(url.pathname);
  const input = (body !== null && typeof body === "object" ? body : {}) as Input;
  try {
    if (path === "/_emulator/repos" && method === "POST") return loadRepo(site, input);
    if (path === "/_emulator/faults" || path.startsWith("/_emulator/faults/")) return faults(world, method, path, input);
    if (path === "/_emulator/deliveries" && method === "GET") return { status: 200, body: world.hooks.deliveries };
    const attempt = /^\/_emulator\/deliveries\/(\d+)\/attempts$/.exec(path);
    if (attempt && method === "POST") {
      return redeliver(world.hooks, Number(attempt[1])) ? { status: 202, body: {} } : refuse(404, `no delivery ${attempt[1]} (or webhooks are off).`);
    }
    const match = /^\/_emulator\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(path);
    if (!match) return refuse(404, `no admin route ${method} ${path}; the routes are ${ROUTES}.`);
    const [, owner = "", name = "", rest = ""] = match;
    const repo = findRepo(world, owner, name);
    if (!repo) return refuse(404, `no repository ${owner}/${name}; load one with POST /_emulator/repos { fullName, dir }.`);
    return repoRoute(site, repo, method, path, rest, input);
  } catch (error) {
    return refuse(422, error instanceof Error ? error.message : String(error));
  }
}

/** The routes under `/_emulator/repos/:owner/:repo`; `rest` is what follows the repository. */
function repoRoute(site: Site, repo: Repo, method: string, path: string, rest: string, input: Input): AdminReply {
  const wrongMethod = () => refuse(405, `${method} is not supported on ${path}.`);
  if (rest === "") return method === "GET" ? { status: 200, body: describe(site.world, repo) } : wrongMethod();
  const open = /^\/(pulls|issues)$/.exec(rest);
  if (open) return method !== "POST" ? wrongMethod() : open[1] === "pulls" ? ensurePullRequest(site, repo, input) : ensureIssue(site, repo, input);
  const acting = /^\/(?:pulls|issues)\/(\d+)\/(comments|labels|reviews|age|statuses)(?:\/(.+))?$/.exec(rest);
  if (acting) return act(site, repo, method, Number(acting[1]), acting[2] ?? "", acting[3], input);
  const click = /^\/check-runs\/(\d+)\/actions$/.exec(rest);
  if (click) return method === "POST" ? clickAction(site, repo, Number(click[1]), input) : wrongMethod();
  const collaborator = /^\/collaborators\/([^/]+)$/.exec(rest);
  if (collaborator) return method === "PUT" ? giveRole(site.world, repo, collaborator[1] ?? "", input) : wrongMethod();
  return refuse(404, `no admin route ${method} ${path}; the routes are ${ROUTES}.`);
}

/** `{ identifier, user? }`: a person clicks the check run's button (`check_run.requested_action`). */
function clickAction(site: Site, repo: Repo, checkRunId: number, input: Input): AdminReply {
  if (typeof input.identifier !== "string") return refuse(422, "send { identifier, user? }, the identifier of one of the check run's actions.");
  const run = repo.checkRuns.get(checkRunId);
  if (!run) return refuse(404, `no check run ${checkRunId} in ${repo.fullName}.`);
  requestCheckRunAction(site, repo, run, input.identifier, { login: typeof input.user === "string" ? input.user : DEFAULT_USER });
  return { status: 202, body: {} };
}

/** `{ role }`: the person's role on the repository, as `setPermission()` gives it. */
function giveRole(world: World, repo: Repo, login: string, input: Input): AdminReply {
  if (typeof input.role !== "string") return refuse(422, "send { role: read|triage|write|maintain|admin }.");
  setPermission(world, repo.fullName, login, input.role as Role);
  return { status: 200, body: { login, role: input.role } };
}

function describe(world: World, repo: Repo) {
  return { fullName: repo.fullName, installationId: repo.installationId, defaultBranch: repo.defaultBranch, headSha: headSha(world, repo.fullName) };
}

/** `{ fullName, dir, installationId? }` → the new default-branch head. */
function loadRepo(site: Site, input: Input): AdminReply {
  const { world } = site;
  if (typeof input.fullName !== "string" || typeof input.dir !== "string") return refuse(422, "send { fullName: \"owner/name\", dir: \"/absolute/path\" }.");
  const [owner = "", name = ""] = input.fullName.split("/");
  const dir = resolve(input.dir);
  const existing = findRepo(world, owner, name);
  if (existing) {
    const parent = headSha(world, existing.fullName);
    const sha = existing.store.writeCommit(existing.store.writeTree(readDirectory(dir)), [parent], `Load ${dir}`, author());
    existing.branches.set(existing.defaultBranch, sha);
    branchMoved(site, existing, { login: DEFAULT_USER }, existing.defaultBranch, parent, sha);
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
function ensurePullRequest(site: Site, repo: Repo, input: Input): AdminReply {
  const { world } = site;
  const number = Number(input.number);
  const known = repo.issues.get(number);
  if (known?.pull) return { status: 200, body: { number, headSha: headSha(world, repo.fullName, known.pull.head) } };
  if (known) return refuse(422, `#${number} of ${repo.fullName} is an issue, not a pull request; replay with a payload that names another number.`);
  const head = typeof input.head === "string" && input.head !== repo.defaultBranch ? input.head : `replay-${number}`;
  // Silent: the caller (npm run replay) sends the event this target is for itself; a pull_request.opened
  // from here too would start every run twice.
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
function ensureIssue(site: Site, repo: Repo, input: Input): AdminReply {
  const number = Number(input.number);
  if (repo.issues.has(number)) return { status: 200, body: { number } };
  // Silent, as for pull requests above.
  openIssue(site.world, repo.fullName, {
    number,
    title: typeof input.title === "string" ? input.title : `Issue #${number}`,
    ...(typeof input.user === "string" ? { user: input.user } : {}),
  });
  return { status: 201, body: { number } };
}

/**
 * A person acting on an issue or pull request: `{ body, user? }` comments, `{ name, user? }` labels, `{ state, body?, user? }` reviews;
 * `{ days }` ages it. The reply names the webhooks the action queued (`webhooks: [{ guid, event, action }]`), so a tool can follow them.
 */
function act(site: Site, repo: Repo, method: string, number: number, action: string, rest: string | undefined, input: Input): AdminReply {
  const before = site.world.hooks.queued.at(-1);
  const reply = acted(site, repo, method, number, action, rest, input);
  if (reply.status >= 300) return reply;
  const queued = site.world.hooks.queued;
  const since = before === undefined ? 0 : queued.lastIndexOf(before) + 1;
  return { ...reply, body: { ...(reply.body as object), webhooks: queued.slice(since) } };
}

function acted(site: Site, repo: Repo, method: string, number: number, action: string, rest: string | undefined, input: Input): AdminReply {
  const target = repo.issues.get(number);
  if (!target) return refuse(404, `no issue or pull request #${number} in ${repo.fullName}; open it first with POST …/issues or …/pulls.`);
  if (action === "age" && method === "POST" && typeof input.days === "number") {
    ageIssue(site.world, repo.fullName, number, input.days);
    return { status: 200, body: { number, createdAt: target.createdAt, updatedAt: target.updatedAt } };
  }
  const actor = { login: typeof input.user === "string" ? input.user : DEFAULT_USER };
  if (action === "comments" && method === "POST" && typeof input.body === "string") {
    return { status: 201, body: { id: addComment(site, repo, target, input.body, actor, false).id } };
  }
  if (action === "labels" && method === "POST" && typeof input.name === "string") {
    addLabels(site, repo, target, [input.name], actor);
    return { status: 200, body: { labels: target.labels } };
  }
  if (action === "labels" && method === "DELETE" && rest) {
    return removeLabel(site, repo, target, rest, actor) ? { status: 200, body: { labels: target.labels } } : refuse(404, `#${number} has no label "${rest}".`);
  }
  // CI reporting on the pull request's head commit with its own token, as an outside service does (the App only reads statuses).
  if (action === "statuses" && method === "POST" && target.pull && ["pending", "success", "failure", "error"].includes(String(input.state))) {
    const sha = pullRange(repo, target).headSha;
    const state = input.state as "pending" | "success" | "failure" | "error";
    const context = typeof input.context === "string" && input.context !== "" ? input.context : "ci";
    addStatus(site, repo, { sha, state, context, description: typeof input.description === "string" ? input.description : null, targetUrl: null }, { login: typeof input.user === "string" ? input.user : "ci-bot" });
    return { status: 201, body: { sha, state, context } };
  }
  if (action === "reviews" && method === "POST" && target.pull && ["APPROVED", "CHANGES_REQUESTED", "COMMENTED"].includes(String(input.state))) {
    const state = input.state as "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED";
    const created = submitReview(site, repo, target, { body: typeof input.body === "string" ? input.body : "", state, commitId: pullRange(repo, target).headSha }, actor);
    return { status: 201, body: { id: created.id } };
  }
  return refuse(422, `send comments { body, user? }, labels { name, user? }, DELETE labels/:name, age { days }, or (pull requests) reviews { state: APPROVED|CHANGES_REQUESTED|COMMENTED, body?, user? } and statuses { state: pending|success|failure|error, context?, user? } (on its head commit).`);
}

/**
 * `POST /_emulator/faults` takes a fault as `inject()` does, with a RegExp
 * path spelled `pathPattern` (JSON has no RegExp): `{ kind: "status", status: 502, method: "POST", pathPattern: "/check-runs", rate: 0.2, seed: 7 }`.
 */
function faults(world: World, method: string, path: string, input: Input): AdminReply {
  const id = /^\/_emulator\/faults\/(\d+)$/.exec(path)?.[1];
  if (method === "GET" && path === "/_emulator/faults") return { status: 200, body: world.faults.list.map(describeFault) };
  if (method === "DELETE") {
    const removed = removeFaults(world.faults, id === undefined ? undefined : Number(id));
    return id !== undefined && !removed ? refuse(404, `no fault ${id}.`) : { status: 200, body: { faults: world.faults.list.map(describeFault) } };
  }
  if (method === "POST" && path === "/_emulator/faults") {
    const { pathPattern, ...rest } = input;
    // JSON from another process: addFault() checks the kind and the numbers and refuses what does not fit.
    const spec = { ...rest, ...(typeof pathPattern === "string" ? { path: new RegExp(pathPattern) } : {}) } as unknown as FaultSpec;
    return { status: 201, body: { id: addFault(world.faults, spec) } };
  }
  return refuse(405, `${method} is not supported on ${path}; use GET|POST|DELETE /_emulator/faults or DELETE /_emulator/faults/:id.`);
}

function refuse(status: number, message: string): AdminReply {
  return { status, body: { message: message.startsWith("repoflow:") ? message : `repoflow emulator: ${message}` } };
}
