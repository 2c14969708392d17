/**
 * `npm run replay -- <event>[.<action>] [payload.json] [--repo owner/name] [--dir path] [--skip-sleeps]`:
 * sends one delivery to the local service (`npm run dev`) exactly as GitHub
 * would, then follows the runs it started until they end, step by step.
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
import { parseArgs, UsageError, type ReplayArgs } from "./replay/args.ts";
import { ExportFormatError, parseExportedDelivery, type ExportedDelivery } from "./replay/exported.ts";
import { DeliveryFollower, type DeliveryView, type Outcome } from "./replay/report.ts";
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
    await aim(args, prepared.payload, args.repo !== null);
    return prepared;
  }
  if (!args.event) throw new UsageError(`${args.file} is a payload, not an exported delivery; name its event: npm run replay -- <event>[.<action>] ${args.file}`);
  const payload = file?.payload ?? example(args.event, args.action);
  if (args.action) payload.action = args.action;
  await aim(args, payload, !file || args.repo !== null, args.event);
  return { event: args.event, guid: randomUUID(), payload };
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
    if (event === "push") {
      payload.ref = `refs/heads/${target.defaultBranch}`;
      payload.after = target.headSha;
    }
  }
  await ensureTarget(args, fullName, payload, retargeted);
}

async function follow(args: ReplayArgs, guid: string, label: string): Promise<Outcome> {
  const follower = new DeliveryFollower(label);
  const deadline = Date.now() + args.timeoutSeconds * 1000;
  const tty = process.stdout.isTTY === true;
  const clear = () => tty && process.stdout.write("\r\x1b[K");
  let lastPlain = Date.now();
  for (;;) {
    const res = await call("the local service", "--service", `${args.service}/api/deliveries/${encodeURIComponent(guid)}`);
    // 404: still in the service's inbox, not yet taken by an ingest run.
    const view = res.ok ? ((await res.json()) as DeliveryView) : (await res.body?.cancel(), null);
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

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.schedule !== null) return fireSchedule(args, args.schedule);
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
    console.log(`no workflow matched ${label}: the service ignores ${delivery.event} events`);
    return 0;
  }
  if (answer.status === "duplicate") console.log("the service had accepted this delivery id before (GitHub's redelivery keeps it too); following the runs it started then");
  const outcome = await follow(args, delivery.guid, label);
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
