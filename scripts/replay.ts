// `npm run replay -- <event>[.<action>] [payload.json] [--repo owner/name] [--dir path] [--skip-sleeps]`
// Sends a delivery to the local service (`npm run dev`) exactly as GitHub would, then follows
// the runs it started to completion, step by step. See docs/authors.md#replay.
import { createHmac, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { example, retarget } from "../test/support/payloads.ts";
import { parseArgs, UsageError, type ReplayArgs } from "./replay/args.ts";
import { parseExportedDelivery, type ExportedDelivery } from "./replay/exported.ts";

const root = fileURLToPath(new URL("..", import.meta.url).href);
const DEFAULT_REPO = "octo-org/demo";

class Unreachable extends Error {
  override readonly name = "Unreachable";
}

interface StepView {
  name: string;
  kind: string;
  status: string;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}
interface RunView {
  id: string;
  workflowName: string;
  status: string;
  error: string | null;
  steps: StepView[];
}

function localVar(name: string): string | undefined {
  if (process.env[name]) return process.env[name];
  for (const file of [".dev.vars", ".dev.vars.example"]) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const line = readFileSync(path, "utf8").split("\n").find((l) => l.startsWith(`${name}=`));
    if (line) return line.slice(name.length + 1).replace(/^"|"$/g, "");
  }
  return undefined;
}

async function call(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new Unreachable(`${new URL(url).origin} is not answering (${(error as Error).cause ?? (error as Error).message}). Start the local service and emulator with \`npm run dev\`.`);
  }
}

async function admin(args: ReplayArgs, method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const res = await call(`${args.github}/_emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, any>;
  if (!res.ok) throw new Error(json.message ?? `emulator answered ${res.status}`);
  return json;
}

/** Makes the pull request or issue a payload names exist in the emulator, so the run's API calls find it. */
async function prepareTarget(args: ReplayArgs, repo: string, payload: Record<string, any>): Promise<void> {
  const number = payload.pull_request?.number ?? payload.issue?.number ?? payload.number;
  if (typeof number !== "number") return;
  if (payload.pull_request) {
    const opened = await admin(args, "POST", `/repos/${repo}/pulls`, {
      number,
      title: payload.pull_request.title ?? `Pull request #${number}`,
      head: payload.pull_request.head?.ref && payload.pull_request.head.ref !== payload.repository?.default_branch ? payload.pull_request.head.ref : `replay-${number}`,
      user: payload.pull_request.user?.login,
    }).catch(() => null);
    const head = opened?.headSha as string | undefined;
    if (head) payload.pull_request.head = { ...payload.pull_request.head, sha: head };
  } else if (payload.issue) {
    await admin(args, "POST", `/repos/${repo}/issues`, { number, title: payload.issue.title ?? `Issue #${number}`, user: payload.issue.user?.login }).catch(() => null);
  }
}

async function buildDelivery(args: ReplayArgs): Promise<{ event: string; id: string; payload: Record<string, any>; headers: Record<string, string>; exported: boolean }> {
  const appId = localVar("APP_ID") ?? "1";
  let exported: ExportedDelivery | null = null;
  let filePayload: Record<string, any> | null = null;
  if (args.file) {
    const text = readFileSync(resolve(args.file), "utf8");
    exported = parseExportedDelivery(text);
    if (!exported) filePayload = JSON.parse(text);
  }
  if (exported) {
    return { event: exported.event, id: exported.guid, payload: exported.payload, headers: exported.headers, exported: true };
  }
  const event = args.event!;
  const repo = args.repo ?? DEFAULT_REPO;
  if (args.dir) {
    const known = await admin(args, "GET", `/repos/${repo}`).catch(() => null);
    const { sha } = await admin(args, "PUT", `/repos/${repo}`, { dir: resolve(args.dir), installationId: known?.installationId ?? 1 });
    console.log(`loaded ${args.dir} into the emulator as ${repo} @ ${String(sha).slice(0, 7)} (its default branch)`);
  }
  const info = await admin(args, "GET", `/repos/${repo}`).catch((error: Error) => {
    throw new Error(`${error.message}. Load a repository with --dir path/to/repo, or use --repo with one the emulator has.`);
  });
  let payload = filePayload ?? example(event, args.action ?? undefined);
  if (!filePayload || args.repo) payload = retarget(payload, { fullName: repo, installationId: info.installationId, defaultBranch: info.defaultBranch });
  if (args.action) payload.action = args.action;
  if (event === "push") {
    payload.ref = `refs/heads/${info.defaultBranch}`;
    payload.after = info.headSha;
  }
  await prepareTarget(args, repo, payload);
  return {
    event,
    id: randomUUID(),
    payload,
    headers: {
      "x-github-hook-id": "1",
      "x-github-hook-installation-target-type": "integration",
      "x-github-hook-installation-target-id": appId,
    },
    exported: false,
  };
}

function duration(step: StepView): string {
  if (!step.finishedAt) return "";
  const ms = Date.parse(step.finishedAt) - Date.parse(step.startedAt);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

async function follow(args: ReplayArgs, deliveryId: string): Promise<number> {
  const deadline = Date.now() + args.timeoutSeconds * 1000;
  const printed = new Set<string>();
  const announced = new Set<string>();
  const tty = process.stdout.isTTY === true;
  let lastPlain = 0;
  for (;;) {
    const res = await call(`${args.service}/api/deliveries/${encodeURIComponent(deliveryId)}`);
    const body = res.ok ? ((await res.json()) as { delivery: { status: string; error: string | null }; runs: RunView[] }) : null;
    for (const run of body?.runs ?? []) {
      if (!announced.has(run.id)) {
        announced.add(run.id);
        if (tty) process.stdout.write("\r\x1b[K");
        console.log(`run ${run.id}  ${run.workflowName}`);
      }
      for (const step of run.steps) {
        const key = `${run.id}/${step.name}`;
        if (printed.has(key) || (step.status !== "succeeded" && step.status !== "failed")) continue;
        printed.add(key);
        if (tty) process.stdout.write("\r\x1b[K");
        const attempts = step.kind === "do" ? `, ${step.attempts} attempt${step.attempts === 1 ? "" : "s"}` : "";
        console.log(`  ${step.status === "succeeded" ? "✓" : "✗"} ${step.name} (${duration(step)}${attempts})${step.error ? `: ${step.error}` : ""}`);
      }
    }
    const runs = body?.runs ?? [];
    const delivered = body && body.delivery.status !== "accepted";
    const done = delivered && runs.every((r) => ["succeeded", "failed", "cancelled"].includes(r.status));
    if (done) {
      if (tty) process.stdout.write("\r\x1b[K");
      if (body.delivery.status === "failed") {
        console.error(`✗ the service could not process the delivery: ${body.delivery.error}`);
        return 1;
      }
      if (runs.length === 0) {
        console.log(`no workflow matched ${args.event ?? "the event"}${args.action ? `.${args.action}` : ""}`);
        return 0;
      }
      for (const run of runs) console.log(`${run.status === "succeeded" ? "✓" : "✗"} ${run.workflowName}: ${run.status}${run.error ? ` (${run.error.split("\n--- repoflow stack ---\n")[0]})` : ""}`);
      return runs.every((r) => r.status === "succeeded") ? 0 : 1;
    }
    if (Date.now() > deadline) {
      if (tty) process.stdout.write("\r\x1b[K");
      const waiting = runs.filter((r) => r.status === "running").map((r) => `${r.workflowName} (${r.steps.at(-1)?.status ?? "starting"})`);
      console.error(`✗ gave up after ${args.timeoutSeconds} s; still running: ${waiting.join(", ") || "the delivery"}. Sleeping runs go on; try --skip-sleeps.`);
      return 1;
    }
    const active = runs.filter((r) => r.status === "queued" || r.status === "running");
    const line = `… ${delivered ? `${active.length} run(s) in progress` : "waiting for the delivery to be processed"}${active.length ? `: ${active.map((r) => `${r.workflowName} → ${r.steps.at(-1)?.name ?? "starting"} (${r.steps.at(-1)?.status ?? ""})`).join("; ")}` : ""}`;
    if (tty) process.stdout.write(`\r\x1b[K${line.slice(0, (process.stdout.columns ?? 100) - 1)}`);
    else if (Date.now() - lastPlain > 5000) {
      lastPlain = Date.now();
      console.log(line);
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const secret = localVar("WEBHOOK_SECRET");
  if (!secret) throw new UsageError("no WEBHOOK_SECRET: run `npm run dev` once (it creates .dev.vars), or set WEBHOOK_SECRET.");
  const delivery = await buildDelivery(args);
  const body = JSON.stringify(delivery.payload);
  const headers: Record<string, string> = {
    "user-agent": "GitHub-Hookshot/repoflow-replay",
    ...delivery.headers,
    "content-type": "application/json",
    "x-github-event": delivery.event,
    "x-github-delivery": delivery.id,
    "x-hub-signature-256": "sha256=" + createHmac("sha256", secret).update(body).digest("hex"),
    ...(args.skipSleeps ? { "x-repoflow-skip-sleeps": "1" } : {}),
  };
  const action = typeof delivery.payload.action === "string" ? `.${delivery.payload.action}` : "";
  if (delivery.exported) console.log(`replaying exported delivery ${delivery.id} as-is, re-signed with the local WEBHOOK_SECRET (the original signature used the production secret)`);
  const res = await call(`${args.service}/webhooks/github`, { method: "POST", headers, body });
  const answer = (await res.json().catch(() => ({}))) as { status?: string; message?: string };
  console.log(`${delivery.event}${action} → ${res.status} ${answer.status ?? answer.message ?? ""}  (delivery ${delivery.id})`);
  if (res.status !== 202) return 1;
  if (answer.status === "ignored") return 0;
  if (answer.status === "duplicate") console.log("the service had already accepted this delivery; following its runs");
  return follow({ ...args, event: args.event ?? delivery.event, action: args.action ?? (action ? action.slice(1) : null) }, delivery.id);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`repoflow replay: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
