/**
 * Sends each kind of delivery to one design several times and reads back
 * what each one cost. For every delivery: wait until the service is quiet,
 * reset the counters, send, wait on state (the ledger row processed, then
 * the run finished or the compile check completed), wait until quiet again
 * (no emulator request and no counter change for QUIET_MS), read.
 *
 * Waits are on state, never on a fixed sleep, and all bounded: a delivery
 * the service never processes fails the bench (PathSkippedError, exit 1);
 * a service that never goes quiet is read anyway and the sample says so.
 */
import { PathSkippedError } from "../errors.ts";
import { COUNTER, type Counts } from "./api.ts";
import { KINDS, type Kind } from "./kind.ts";
import { prepare, TARGET } from "./kinds.ts";
import { GITHUB_RECEIVED, type CostSample } from "./report.ts";
import type { CostTarget } from "./target.ts";

const PROCESSED_TIMEOUT_MS = 60_000;
const FINISHED_TIMEOUT_MS = 60_000;
const QUIET_MS = 1_000;
const QUIET_TIMEOUT_MS = 20_000;
const POLL_MS = 25;
const TERMINAL_RUN = new Set(["succeeded", "failed", "cancelled"]);

export interface Sample extends CostSample {
  /** Whatever made this sample less than clean (a failed run, never quiet). */
  notes: string[];
}

export interface Plan {
  warmups: Record<Kind, number>;
  samples: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(target: CostTarget, what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new PathSkippedError(target.label, `${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(POLL_MS);
  }
}

/** True once neither the emulator nor any counter has moved for QUIET_MS; false if that never happened within the bound. */
async function quiet(target: CostTarget): Promise<boolean> {
  const deadline = performance.now() + QUIET_TIMEOUT_MS;
  let last = JSON.stringify((await target.counts()).counts);
  let lastSeen = target.seen.length;
  let since = performance.now();
  while (performance.now() < deadline) {
    await sleep(100);
    const now = JSON.stringify((await target.counts()).counts);
    if (now !== last || target.seen.length !== lastSeen) {
      last = now;
      lastSeen = target.seen.length;
      since = performance.now();
    } else if (performance.now() - since >= QUIET_MS) return true;
  }
  return false;
}

async function once(target: CostTarget, kind: Kind, sequence: number): Promise<Sample> {
  const notes: string[] = [];
  if (!(await quiet(target))) notes.push("the service was still busy before the delivery");
  const prepared = prepare(target.emulator, kind, sequence);
  await target.reset();
  const from = target.seen.length;
  const id = await target.send(prepared.event, prepared.payload);

  const ledger = await until(target, `the ${prepared.event} delivery ${id} being marked processed`, async () => {
    const answer = await target.delivery(id);
    return answer.status === "processed" || answer.status === "failed" ? answer : undefined;
  }, PROCESSED_TIMEOUT_MS);
  if (ledger.status === "failed") notes.push(`delivery ${id} failed`);

  if (kind === "matching") {
    const runs = await until(target, `the run started by ${id} finishing`, async () => {
      const { runs } = await target.delivery(id);
      return runs.length > 0 && runs.every((run) => TERMINAL_RUN.has(run.status)) ? runs : undefined;
    }, FINISHED_TIMEOUT_MS);
    if (runs.length !== 1) notes.push(`${runs.length} runs started, not 1`);
    for (const run of runs) if (run.status !== "succeeded") notes.push(`run ${run.id} ${run.status}`);
  }
  if (kind === "push") {
    await until(target, `the compile check run of ${prepared.sha?.slice(0, 7)} completing`, () =>
      target.emulator.checkRuns(TARGET.fullName).some((check) => check.head_sha === prepared.sha && check.name.includes("compile") && check.status === "completed") ? true : undefined,
    FINISHED_TIMEOUT_MS);
  }
  if (!(await quiet(target))) notes.push(`still busy ${QUIET_TIMEOUT_MS / 1000} s after the delivery was done`);

  const answer = await target.counts();
  const received = target.seen.slice(from);
  const counts = { ...answer.counts, [GITHUB_RECEIVED]: received.length };
  let toFirstAuthorCall: Counts | null = null;
  if (kind === "matching" && answer.atFirstAuthorCall) {
    const firstTenant = received.findIndex((request) => request.tenant);
    toFirstAuthorCall = { ...answer.atFirstAuthorCall, [GITHUB_RECEIVED]: firstTenant === -1 ? received.length : firstTenant };
  }
  return { kind, counts, toFirstAuthorCall, notes };
}

export interface Measured {
  samples: Sample[];
  /** Counts of the warm-ups, kept for the counting checks (the first deliveries construct every object). */
  warmups: Sample[];
}

/** Kind by kind (pushes last: each one changes the bundle the next matching run would load), warm-ups first. */
export async function measureDesign(target: CostTarget, plan: Plan, progress: (message: string) => void): Promise<Measured> {
  const samples: Sample[] = [];
  const warmups: Sample[] = [];
  let sequence = 0;
  for (const kind of KINDS) {
    progress(`${target.label}: ${kind}, ${plan.warmups[kind]} warm-up${plan.warmups[kind] === 1 ? "" : "s"} and ${plan.samples} deliveries`);
    for (let i = 0; i < plan.warmups[kind]; i++) warmups.push(await once(target, kind, ++sequence));
    for (let i = 0; i < plan.samples; i++) samples.push(await once(target, kind, ++sequence));
  }
  return { samples, warmups };
}

/** What the runner can check about the counting itself, from counts read through the fetch handler (bench/README.md). */
export interface CountingChecks {
  /** Counters bumped inside each kind of runtime object, as the fetch handler read them. */
  reached: { site: string; count: number }[];
  githubByWorker: number;
  githubByEmulator: number;
  statementsWithoutMeta: number;
  /** Nothing here sleeps or waits, so every instance created is entered exactly once. */
  instancesCreated: number;
  runEntries: number;
}

function sumPrefix(counts: Counts, prefix: string): number {
  return Object.entries(counts).reduce((sum, [name, value]) => (name.startsWith(`${prefix}.`) ? sum + value : sum), 0);
}

export function countingChecks(measured: Measured): CountingChecks {
  const all = [...measured.warmups, ...measured.samples];
  const total = (name: string) => all.reduce((sum, sample) => sum + (sample.counts[name] ?? 0), 0);
  return {
    reached: [
      { site: "DeliveryInbox constructed (a Durable Object)", count: total(`${COUNTER.doConstructed}.DeliveryInbox`) },
      { site: "DeliveryInbox alarm() (inside the Durable Object)", count: total(`${COUNTER.doAlarm}.DeliveryInbox`) },
      { site: "SQL statements on Durable Object storage", count: total(COUNTER.doSqlStatements) },
      { site: "IngestWorkflow run() (called back by the Workflows engine)", count: total(`${COUNTER.workflowRun}.IngestWorkflow`) },
      { site: "DynamicWorkflow run()", count: total(`${COUNTER.workflowRun}.DynamicWorkflow`) },
      { site: "step.do inside Workflow runs", count: total(COUNTER.stepDo) },
      { site: "GitHubGateway (entered from the tenant's Dynamic Worker)", count: total(`${COUNTER.loopback}.GitHubGateway`) },
    ],
    githubByWorker: total(COUNTER.fetchGitHub),
    githubByEmulator: total(GITHUB_RECEIVED),
    statementsWithoutMeta: total(COUNTER.d1WithoutMeta),
    instancesCreated: all.reduce((sum, sample) => sum + sumPrefix(sample.counts, COUNTER.workflowCreated), 0),
    runEntries: all.reduce((sum, sample) => sum + sumPrefix(sample.counts, COUNTER.workflowRun), 0),
  };
}
