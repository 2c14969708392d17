/**
 * `npm run replay -- <event>[.<action>] [payload.json] [--repo owner/name] [--dir path] [--skip-sleeps]`:
 * sends one delivery to the local service (`npm run dev`) exactly as GitHub
 * would, then follows the runs it started until they end, step by step.
 * `--number N --comment "/approve"` (or `--label`, `--review`) has a person act
 * on #N in the emulator instead, which sends the webhook GitHub would; replay
 * follows that delivery, the waiting runs it woke included.
 * See docs/authors.md#replay.
 *
 * Node 22 runs this file as is (type stripping): erasable TypeScript only and
 * `.ts` in relative imports. Under `npm run dev` the GitHub emulator is
 * another process, so the PR, the issue and a `--dir` folder reach it through
 * its `/_emulator/` admin routes (test/emulator/admin.ts), never through
 * GitHub's own API shapes.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { retarget } from "../test/support/payloads.ts";
import { parseArgs, UsageError, type FollowUp, type ReplayArgs } from "./replay/args.ts";
import { ExportFormatError, parseExportedDelivery, type ExportedDelivery } from "./replay/exported.ts";
import { DeliveryFollower, type DeliveryView, type Outcome, type RunView } from "./replay/report.ts";
import { readVar, signedRequest } from "./replay/request.ts";

type Json = Record<string, any>;

const ROOT = fileURLToPath(new URL("..", import.meta.url).href);
const DEFAULT_REPO = "octo-org/demo";
const POLL_MS = 400;
const PLAIN_PROGRESS_MS = 5_000;

class UnreachableError extends Error {
  override readonly name = "UnreachableError";
  constructor(what: string, url: string, option: string, cause: unknown) {
    const why = cause instanceof Error ? String(cause.cause ?? cause.message) : String(cause);
    super(`repoflow: ${what} does not answer at ${new URL(url).origin} (${why}); start the service and the emulator with \`npm run dev\`, or point ${option} at them.`);
  }
}

class EmulatorRefusedError extends Error {
  override readonly name = "EmulatorRefusedError";
  constructor(status: number, message: string) {
    super(`repoflow: the GitHub emulator answered ${status}: ${message}`);
  }
}

interface Target {
  fullName: string;
  installationId: number;
  defaultBranch: string;
  headSha: string;
}

interface Prepared {
  event: string;
  guid: string;
  payload: Json;
  original?: Record<string, string>;
}

function localVar(name: string): string | undefined {
  if (process.env[name]) return process.env[name];
  for (const file of [".dev.vars", ".dev.vars.example"]) {
    const path = join(ROOT, file);
    const value = existsSync(path) ? readVar(readFileSync(path, "utf8"), name) : undefined;
    if (value) return value;
  }
  return undefined;
}

async function call(what: string, option: string, url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new UnreachableError(what, url, option, error);
  }
}

async function emulator(args: ReplayArgs, method: string, path: string, body?: unknown): Promise<Json | null> {
  const res = await call("the GitHub emulator", "--github", `${args.github}/_emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json().catch(() => ({}))) as Json;
  if (res.status === 404 && method === "GET") return null;
  if (!res.ok) throw new EmulatorRefusedError(res.status, String(json.message ?? res.statusText));
  return json;
}

function example(event: string, action: string | null): Json {
  const group = examples.find((e) => e.name === event);
  if (!group) throw new UsageError(`@octokit/webhooks-examples has no "${event}" event; use a webhook event name such as pull_request, issues, issue_comment or push.`);
  const found = group.examples.find((p) => action === null || (p as Json).action === action);
  if (!found) {
    const actions = [...new Set(group.examples.map((p) => (p as Json).action).filter((a) => typeof a === "string"))];
    throw new UsageError(`GitHub's examples have no ${event}.${action}; use one of ${actions.map((a) => `${event}.${a}`).join(", ")}, or give your own payload file.`);
  }
  return structuredClone(found) as Json;
}

function readPayloadFile(file: string): { exported: ExportedDelivery | null; payload: Json | null } {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`no file ${path}; give a payload or an exported delivery that exists.`);
  const text = readFileSync(path, "utf8");
  const exported = parseExportedDelivery(text);
  if (exported) return { exported, payload: null };
  try {
    return { exported: null, payload: JSON.parse(text) as Json };
  } catch (error) {
    throw new ExportFormatError(`${file} is neither a JSON payload nor a delivery exported from GitHub (${(error as Error).message}); give the payload as GitHub sent it.`);
  }
}

/** The PR or issue a payload names must exist for the run's API calls and its check run; the PR's head is a real commit of the emulator. */
async function ensureTarget(args: ReplayArgs, repo: string, payload: Json, moveHead: boolean): Promise<void> {
  const issue = payload.issue as Json | undefined;
  const pull = (payload.pull_request as Json | undefined) ?? (issue?.pull_request ? issue : undefined);
  const number = pull?.number ?? issue?.number;
  if (typeof number !== "number") return;
  if (pull) {
    const opened = await emulator(args, "POST", `/repos/${repo}/pulls`, { number, title: pull.title, head: pull.head?.ref, user: pull.user?.login });
    if (moveHead && payload.pull_request) payload.pull_request.head = { ...payload.pull_request.head, sha: opened?.headSha, ref: payload.pull_request.head?.ref };
  } else {
    await emulator(args, "POST", `/repos/${repo}/issues`, { number, title: issue?.title, user: issue?.user?.login });
  }
}

async function targetOf(args: ReplayArgs, fullName: string): Promise<Target | null> {
  if (args.dir) {
    const loaded = (await emulator(args, "POST", "/repos", { fullName, dir: resolve(args.dir) })) as Target & { sha: string };
    console.log(`loaded ${args.dir} into the emulator as ${fullName}, default branch ${loaded.defaultBranch} @ ${loaded.sha.slice(0, 7)}`);
    return loaded;
  }
  return (await emulator(args, "GET", `/repos/${fullName}`)) as Target | null;
}

async function prepare(args: ReplayArgs): Promise<Prepared> {
  const file = args.file ? readPayloadFile(args.file) : null;
  if (file?.exported) {
    const { exported } = file;
    if (args.event && (args.event !== exported.event || (args.action && args.action !== exported.action))) {
      throw new UsageError(`the exported delivery is ${exported.event}${exported.action ? `.${exported.action}` : ""}, not ${args.event}${args.action ? `.${args.action}` : ""}; leave the event out, an export names its own.`);
    }
    const prepared: Prepared = { event: exported.event, guid: exported.guid, payload: exported.payload, original: exported.headers };
    adjust(args, prepared.payload);
    await aim(args, prepared.payload, args.repo !== null, exported.event);
    for (const { path, value } of args.set) setPath(prepared.payload, path, value);
    return prepared;
  }
  if (!args.event) throw new UsageError(`${args.file} is a payload, not an exported delivery; name its event: npm run replay -- <event>[.<action>] ${args.file}`);
  const payload = file?.payload ?? example(args.event, args.action);
  if (args.action) payload.action = args.action;
  adjust(args, payload);
  await aim(args, payload, !file || args.repo !== null, args.event);
  for (const { path, value } of args.set) setPath(payload, path, value);
  return { event: args.event, guid: randomUUID(), payload };
}

/** --number and --sender: the issue or pull request the payload is about, and who acted. */
function adjust(args: ReplayArgs, payload: Json): void {
  if (args.number !== null) {
    if (payload.pull_request) payload.pull_request.number = args.number;
    if (payload.issue) payload.issue.number = args.number;
    if (typeof payload.number === "number") payload.number = args.number;
    if (!payload.pull_request && !payload.issue) throw new UsageError(`--number needs an event about an issue or pull request; ${payload.action ? "this one" : "this event"} names neither.`);
  }
  if (args.sender !== null) {
    payload.sender = { ...(payload.sender ?? {}), login: args.sender };
    if (payload.comment?.user) payload.comment.user = { ...payload.comment.user, login: args.sender };
    if (payload.review?.user) payload.review.user = { ...payload.review.user, login: args.sender };
  }
}

/** --set a.b.c=value, creating objects on the way; an index into an array is a number segment. */
function setPath(payload: Json, path: string[], value: unknown): void {
  let at: Json = payload;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      at[key] = value;
      return;
    }
    if (typeof at[key] !== "object" || at[key] === null) at[key] = {};
    at = at[key] as Json;
  }
}

/** Points the payload at the chosen repository (when asked to) and makes what it names exist in the emulator. */
async function aim(args: ReplayArgs, payload: Json, retargeted: boolean, event?: string): Promise<void> {
  const fullName = retargeted ? (args.repo ?? DEFAULT_REPO) : (payload.repository?.full_name as string | undefined);
  if (!fullName) return;
  const target = await targetOf(args, fullName);
  if (!target) {
    if (retargeted) throw new EmulatorRefusedError(404, `no repository ${fullName}; load one with --dir path/to/repo, or pick one it has with --repo (npm run dev loads ${DEFAULT_REPO}).`);
    console.log(`note: the emulator has no ${fullName}, so the service cannot read its .workflows; replay with --repo ${DEFAULT_REPO} (or --dir) to aim it at a local repository.`);
    return;
  }
  if (retargeted) {
    retarget(payload, { fullName, installationId: target.installationId, defaultBranch: target.defaultBranch });
    repointCommits(payload, event, target);
  }
  await ensureTarget(args, fullName, payload, retargeted);
}

/**
 * Every field of GitHub's example that names a commit of the example's repository, pointed at the
 * emulator's default-branch head instead: a run would otherwise look for a commit the emulator lacks.
 * A pull request's head is set by ensureTarget, from the pull request the emulator opens.
 */
function repointCommits(payload: Json, event: string | undefined, target: Target): void {
  const head = target.headSha;
  if (event === "push") {
    payload.ref = `refs/heads/${target.defaultBranch}`;
    payload.after = head;
    if (payload.head_commit) payload.head_commit = { ...payload.head_commit, id: head };
    if (Array.isArray(payload.commits) && payload.commits.length > 0) payload.commits = payload.commits.map((c: Json, i: number) => (i === payload.commits.length - 1 ? { ...c, id: head } : c));
  }
  if (payload.check_suite) payload.check_suite = { ...payload.check_suite, head_sha: head, head_branch: target.defaultBranch };
  if (payload.check_run) {
    payload.check_run = { ...payload.check_run, head_sha: head };
    if (payload.check_run.check_suite) payload.check_run.check_suite = { ...payload.check_run.check_suite, head_sha: head, head_branch: target.defaultBranch };
  }
  if (event === "status") {
    payload.sha = head;
    if (payload.commit) payload.commit = { ...payload.commit, sha: head };
    if (Array.isArray(payload.branches)) payload.branches = [{ name: target.defaultBranch, commit: { sha: head, url: "" }, protected: false }];
  }
  if (payload.workflow_run) payload.workflow_run = { ...payload.workflow_run, head_sha: head, head_branch: target.defaultBranch };
}

/** A person acts in the emulator (comment, label, review); it sends GitHub's webhook, and each delivery is followed. */
async function followUp(args: ReplayArgs, action: FollowUp): Promise<number> {
  const repo = args.repo ?? DEFAULT_REPO;
  if (args.dir) await targetOf(args, repo);
  const known = await emulator(args, "GET", `/repos/${repo}`);
  if (!known) throw new EmulatorRefusedError(404, `no repository ${repo}; load one with --dir, or pick one with --repo (npm run dev loads ${DEFAULT_REPO}).`);
  // The repository's owner may do anything, as on GitHub; another login has no role in the emulator unless given one.
  const owner = repo.split("/")[0] ?? "octocat";
  const as = action.kind === "status" ? (args.sender === null ? {} : { user: args.sender }) : { user: args.sender ?? owner };
  const [path, body, what]: [string, Record<string, unknown>, string] =
    action.kind === "comment"
      ? [`/repos/${repo}/issues/${args.number}/comments`, { body: action.body, ...as }, `added a comment ${JSON.stringify(action.body)}`]
      : action.kind === "label"
        ? [`/repos/${repo}/issues/${args.number}/labels`, { name: action.name, ...as }, `added the label "${action.name}"`]
        : action.kind === "review"
          ? [`/repos/${repo}/pulls/${args.number}/reviews`, { state: action.state, ...as }, `submitted a review (${action.state})`]
          : action.kind === "status"
            ? [`/repos/${repo}/pulls/${args.number}/statuses`, { state: action.state, context: action.context, ...as }, `reported the commit status ${action.context}: ${action.state} on the head`]
            : [`/repos/${repo}/issues/${args.number}/age`, { days: action.days }, `${action.days} days passed`];
  const done = (await emulator(args, "POST", path, body).catch((error: unknown) => {
    if (error instanceof EmulatorRefusedError && /no issue or pull request/.test(error.message)) {
      throw new UsageError(`${repo} has no #${args.number} in the emulator; open it first, e.g. npm run replay -- pull_request.opened --number ${args.number}`);
    }
    throw error;
  })) as { webhooks?: { guid: string; event: string; action: string | null }[] } | null;
  const webhooks = done?.webhooks ?? [];
  const who = action.kind === "status" ? (args.sender ?? "ci-bot") : (args.sender ?? owner);
  console.log(action.kind === "age" ? `${what} for ${repo}#${args.number} in the emulator (its dates moved back; GitHub sends no event for time passing)` : `${who} ${what} on ${repo}#${args.number} in the emulator`);
  // Age changes timestamps only; GitHub sends nothing for time passing. A schedule acts on it: replay -- schedule <workflow>.
  if (action.kind === "age") return 0;
  if (webhooks.length === 0) {
    console.error("✗ the emulator sent no webhook for it: it sends them to the service only under `npm run dev` (or when started with webhooks), and only for events the App subscribes to (app.yml).");
    return 1;
  }
  let code = 0;
  for (const hook of webhooks) {
    const label = `${hook.event}${hook.action ? `.${hook.action}` : ""}`;
    console.log(`${label} → sent by the emulator  (delivery ${hook.guid})`);
    const outcome = await follow(args, hook.guid, label, { number: args.number, repo });
    for (const line of outcome.lines) (outcome.code === 0 ? console.log : console.error)(line);
    code = Math.max(code, outcome.code);
  }
  return code;
}

async function follow(args: ReplayArgs, guid: string, label: string, about?: { number: number | null; repo: string }): Promise<Outcome> {
  const follower = new DeliveryFollower(label, about);
  const deadline = Date.now() + args.timeoutSeconds * 1000;
  const tty = process.stdout.isTTY === true;
  const clear = () => tty && process.stdout.write("\r\x1b[K");
  let lastPlain = Date.now();
  for (;;) {
    const res = await call("the local service", "--service", `${args.service}/api/deliveries/${encodeURIComponent(guid)}`);
    // 404: still in the service's inbox, not yet taken by an ingest run.
    const view = res.ok ? ((await res.json()) as DeliveryView) : (await res.body?.cancel(), null);
    if (view) view.runs.push(...(await resumedRuns(args, view)));
    const { lines, outcome } = follower.observe(view);
    if (lines.length > 0) {
      clear();
      for (const line of lines) console.log(line);
    }
    if (outcome) {
      clear();
      return outcome;
    }
    if (Date.now() > deadline) {
      clear();
      return follower.gaveUp(args.timeoutSeconds);
    }
    if (tty) process.stdout.write(`\r\x1b[K${follower.progress().slice(0, (process.stdout.columns || 100) - 1)}`);
    else if (Date.now() - lastPlain >= PLAIN_PROGRESS_MS) {
      lastPlain = Date.now();
      console.log(follower.progress());
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The waiting runs a delivery woke, as the follower shows them: they are not the delivery's own runs. */
async function resumedRuns(args: ReplayArgs, view: DeliveryView): Promise<RunView[]> {
  const woke = view.delivery.outcome?.woke ?? [];
  const runs: RunView[] = [];
  for (const { runId, wait } of woke) {
    if (view.runs.some((run) => run.id === runId)) continue;
    const res = await call("the local service", "--service", `${args.service}/api/runs/${encodeURIComponent(runId)}`);
    if (!res.ok) {
      await res.body?.cancel();
      continue;
    }
    const detail = (await res.json()) as { run: Omit<RunView, "steps">; steps: RunView["steps"] };
    runs.push({ ...detail.run, steps: detail.steps, resumedAt: wait });
  }
  return runs;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), {
    // Where `npm run dev` put them: PORT for the service, GITHUB_API_URL (.dev.vars) for the emulator.
    service: `http://127.0.0.1:${process.env.PORT ?? "8787"}`,
    github: (localVar("GITHUB_API_URL") ?? "http://127.0.0.1:8788").replace(/\/+$/, ""),
  });
  if (args.schedule !== null) return fireSchedule(args, args.schedule);
  if (args.followUp !== null) return followUp(args, args.followUp);
  const secret = localVar("WEBHOOK_SECRET");
  if (!secret) throw new UsageError("no WEBHOOK_SECRET in the environment, .dev.vars or .dev.vars.example; run `npm run dev` once (it writes .dev.vars), or set WEBHOOK_SECRET.");
  const delivery = await prepare(args);
  const { headers, body } = signedRequest({ ...delivery, appId: localVar("APP_ID") ?? "1", secret, skipSleeps: args.skipSleeps });
  const label = `${delivery.event}${typeof delivery.payload.action === "string" ? `.${delivery.payload.action}` : ""}`;
  if (delivery.original) {
    console.log(`replaying delivery ${delivery.guid} exported from GitHub as-is (event, action, delivery id and hook headers kept), re-signed with the local WEBHOOK_SECRET: the original signature used the production secret`);
  }
  const res = await call("the local service", "--service", `${args.service}/webhooks/github`, { method: "POST", headers, body });
  const answer = (await res.json().catch(() => ({}))) as { status?: string; message?: string };
  console.log(`${label} → ${res.status} ${answer.status ?? answer.message ?? ""}  (delivery ${delivery.guid})`);
  if (res.status === 401) {
    console.error("✗ the service's WEBHOOK_SECRET is not the one replay signed with; set WEBHOOK_SECRET to the service's (see .dev.vars).");
    return 1;
  }
  if (res.status !== 202) return 1;
  if (answer.status === "ignored") {
    console.log(`nothing ran for ${label}: the service ignores ${delivery.event} events`);
    return 0;
  }
  if (answer.status === "duplicate") console.log("the service had accepted this delivery id before (GitHub's redelivery keeps it too); following the runs it started then");
  const number = (delivery.payload.pull_request?.number ?? delivery.payload.issue?.number ?? null) as number | null;
  const outcome = await follow(args, delivery.guid, label, { number, repo: (delivery.payload.repository?.full_name as string | undefined) ?? args.repo ?? DEFAULT_REPO });
  for (const line of outcome.lines) (outcome.code === 0 ? console.log : console.error)(line);
  return outcome.code;
}

/** Asks the local service to fire a schedule now, then follows the runs its tick starts like any delivery's. */
async function fireSchedule(args: ReplayArgs, workflow: string): Promise<number> {
  const repo = args.repo ?? DEFAULT_REPO;
  const res = await call("the local service", "--service", `${args.service}/api/repos/${repo}/schedules/fire`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ workflow }),
  });
  const answer = (await res.json().catch(() => ({}))) as { deliveryId?: string; workflow?: string; message?: string };
  if (res.status !== 202 || !answer.deliveryId) {
    console.error(`✗ ${answer.message ?? `the service answered ${res.status}`}`);
    return 1;
  }
  console.log(`fired the schedule of ${answer.workflow} on ${repo} now (tick ${answer.deliveryId})`);
  const outcome = await follow(args, answer.deliveryId, `schedule ${answer.workflow}`);
  for (const line of outcome.lines) (outcome.code === 0 ? console.log : console.error)(line);
  return outcome.code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
