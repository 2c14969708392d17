/**
 * One target, one mix: warm it with one delivery, start two probe loops
 * (GET /healthz, and a small webhook) in their own process (./probers.ts),
 * probe it idle for IDLE_MS, then send the burst over BURST_CONNECTIONS
 * keep-alive connections as fast as they are answered; keep probing after it
 * until the target has settled (the service: every accepted delivery final in
 * the ledger and no run queued or running; a target that drains nothing: a
 * fixed tail), bounded.
 *
 * The webhook probe redelivers the warm-up delivery, so the edge takes its
 * duplicate path: signature, parse, the hono route and the INBOX round trip,
 * as a new delivery would, without adding 50 deliveries a second to the
 * backlog whose drain is being measured.
 */
import { randomUUID } from "node:crypto";
import { PathSkippedError, TargetAnswerError } from "../errors.ts";
import { githubHeaders } from "../load.ts";
import type { Payload } from "../payloads.ts";
import type { InstancesAnswer, LedgerAnswer } from "./api.ts";
import { BURST_ROUTES } from "./api.ts";
import { AnswerTimeoutError, pool, send, type Answer } from "./http.ts";
import type { Mix } from "./mixes.ts";
import { startProbers } from "./probers.ts";
import { lostDeliveries, renderLedger, type ProbeSample, type Settled, type Timeline } from "./report.ts";

export const BURST_CONNECTIONS = 10;
export const PROBE_INTERVAL_MS = 20;
/** After this long past the burst's end the bench stops waiting for the backlog and reports what it saw. */
export const SETTLE_TIMEOUT_MS = 120_000;
/** A target that drains nothing has no backlog to wait for: its "after" phase is this fixed tail. */
export const TAIL_MS = 2_000;
/** Probing before the burst, for each target's idle reference. */
export const IDLE_MS = 1_000;
/**
 * A target that drains nothing gets the burst this many times, PAUSE_MS
 * apart, and its "during" row pools them: the bare Worker answers 500 in
 * ≈ 0.1 s, which is 5 probes, too few for a p99. Repeats, not one longer
 * burst: a burst into the bare Worker is the runner's own CPU at full speed
 * on a two-core machine, and a longer one measures the machine saturated
 * (≈ 110 ms probes at 2 s of it) rather than the Worker.
 */
export const REPEATS = 10;
const PAUSE_MS = 250;
export const LEDGER_POLL_MS = 200;
const WARM_TIMEOUT_MS = 30_000;
// Enough for the longest bounded scenario at one probe per interval.
const MAX_PROBES = Math.ceil((SETTLE_TIMEOUT_MS + 60_000) / PROBE_INTERVAL_MS);

export const PROBES = { healthz: "GET /healthz", webhook: "POST webhook (redelivery)" } as const;

export interface Target {
  label: string;
  url: URL;
  /** The edge answers `{"status":"accepted"}` for a new delivery and "duplicate" for a redelivery; the bare Worker answers an empty 202. */
  edge: boolean;
  /** The service drains its inbox into a ledger, which says when the backlog has settled; a target without one gets REPEATS bursts and a fixed tail. */
  ledger?: { pendingInInbox(): Promise<number> };
}

export interface BurstOutcome {
  sent: number;
  /** How many bursts of the mix were sent (REPEATS for a target that drains nothing). */
  repeats: number;
  /** Answers by the `status` of their JSON body ("accepted", …; "202" for a bare answer without one). */
  statuses: Record<string, number>;
  unanswered: number;
  ms: number;
}

export interface ScenarioResult {
  mix: string;
  target: string;
  timeline: Timeline;
  /** false: the bench gave up on the backlog after SETTLE_TIMEOUT_MS. */
  settled: boolean;
  burst: BurstOutcome;
  probes: Record<string, ProbeSample[]>;
  /** The service only. */
  ledger?: Settled & LedgerAnswer;
  instances?: InstancesAnswer;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const STATUS_FIELD = /"status":"([a-z_]+)"/;
const statusOf = (answer: Answer) => STATUS_FIELD.exec(answer.body)?.[1] ?? String(answer.status);

function expect2xx(target: Target, what: string, answer: Answer): void {
  if (answer.status < 200 || answer.status > 299) throw new TargetAnswerError(target.label, `answered ${what} with ${answer.status}: ${answer.body.slice(0, 300)}`);
}

async function getJson<T>(target: Target, url: URL, method: "GET" | "POST", agent: ReturnType<typeof pool>): Promise<T> {
  const answer = await send(agent, url, { method });
  expect2xx(target, url.pathname, answer);
  return JSON.parse(answer.body) as T;
}

function deliver(agent: ReturnType<typeof pool>, url: URL, payload: Payload, id: string): Promise<Answer> {
  return send(agent, url, { method: "POST", headers: githubHeaders(payload, { "x-github-delivery": id }), body: payload.body });
}

async function sendBurst(target: Target, webhook: URL, deliveries: readonly Payload[]): Promise<BurstOutcome> {
  const agent = pool(BURST_CONNECTIONS);
  const statuses: Record<string, number> = {};
  let unanswered = 0;
  let next = 0;
  const started = performance.now();
  const connection = async () => {
    for (let i = next++; i < deliveries.length; i = next++) {
      const payload = deliveries[i]!;
      try {
        const answer = await deliver(agent, webhook, payload, randomUUID());
        expect2xx(target, `burst delivery ${i + 1} (${payload.event})`, answer);
        const status = statusOf(answer);
        statuses[status] = (statuses[status] ?? 0) + 1;
      } catch (error) {
        if (!(error instanceof AnswerTimeoutError)) throw error;
        unanswered++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: BURST_CONNECTIONS }, connection));
  } finally {
    agent.destroy();
  }
  return { sent: deliveries.length, repeats: 1, statuses, unanswered, ms: performance.now() - started };
}

function merge(outcomes: readonly BurstOutcome[]): BurstOutcome {
  const statuses: Record<string, number> = {};
  for (const outcome of outcomes) for (const [status, n] of Object.entries(outcome.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  const total = (pick: (outcome: BurstOutcome) => number) => outcomes.reduce((sum, outcome) => sum + pick(outcome), 0);
  return { sent: total((o) => o.sent), repeats: outcomes.length, statuses, unanswered: total((o) => o.unanswered), ms: total((o) => o.ms) };
}

const finalCount = (ledger: LedgerAnswer) => Object.entries(ledger.deliveries).reduce((n, [status, count]) => (status === "accepted" ? n : n + count), 0);
const busyRuns = (ledger: LedgerAnswer) => (ledger.runs.queued ?? 0) + (ledger.runs.running ?? 0);

export async function runScenario(target: Target, mix: Mix, probePayload: Payload, progress: (message: string) => void): Promise<ScenarioResult> {
  const webhook = new URL("/webhooks/github", target.url);
  const healthz = new URL("/healthz", target.url);
  const probeId = randomUUID();
  const ledgerAgent = pool(1);
  const ledgerUrl = new URL(`${BURST_ROUTES.ledger}?exclude=${encodeURIComponent(probeId)}`, target.url);
  const readLedger = () => getJson<LedgerAnswer>(target, ledgerUrl, "GET", ledgerAgent);

  // Warm-up: the first delivery pays the cold path (D1 migrations, the App's token, the repository's first compile), which a burst into a running service does not.
  const warmAgent = pool(1);
  expect2xx(target, "GET /healthz", await send(warmAgent, healthz, { method: "GET" }));
  const seed = await deliver(warmAgent, webhook, probePayload, probeId);
  warmAgent.destroy();
  expect2xx(target, "the warm-up delivery", seed);
  if (target.edge && statusOf(seed) !== "accepted") throw new PathSkippedError(target.label, `the warm-up delivery was answered "${statusOf(seed)}", not "accepted": ${seed.body.slice(0, 300)}`);
  if (target.ledger) {
    const deadline = performance.now() + WARM_TIMEOUT_MS;
    while (finalCount(await readLedger()) < 1) {
      if (performance.now() > deadline) throw new PathSkippedError(target.label, `the warm-up delivery was not processed within ${WARM_TIMEOUT_MS / 1000} s`);
      await sleep(LEDGER_POLL_MS);
    }
  }

  const probers = await startProbers(
    target.label,
    [
      { name: PROBES.healthz, url: healthz.href, method: "GET" },
      { name: PROBES.webhook, url: webhook.href, method: "POST", headers: githubHeaders(probePayload, { "x-github-delivery": probeId }), body: probePayload.body.toString("base64") },
    ],
    PROBE_INTERVAL_MS,
    MAX_PROBES,
  );
  const idleStartedAt = performance.now();
  let burst: BurstOutcome | undefined;
  let settled = true;
  const bursts: [number, number][] = [];
  let probes: Record<string, ProbeSample[]> = {};
  try {
    await sleep(IDLE_MS);
    const repeats = target.ledger ? 1 : REPEATS;
    progress(`${target.label} × ${mix.name}: burst of ${mix.deliveries.length}${repeats > 1 ? ` (${repeats} times, ${PAUSE_MS} ms apart)` : ""} over ${BURST_CONNECTIONS} connections, probing every ${PROBE_INTERVAL_MS} ms`);
    const outcomes: BurstOutcome[] = [];
    for (let round = 0; round < repeats; round++) {
      if (round > 0) await sleep(PAUSE_MS);
      const startedAt = performance.now();
      outcomes.push(await sendBurst(target, webhook, mix.deliveries));
      bursts.push([startedAt, performance.now()]);
    }
    burst = merge(outcomes);
    const burstEndedAt = performance.now();
    if (target.ledger) {
      const accepted = 1 + (burst.statuses.accepted ?? 0);
      const deadline = burstEndedAt + SETTLE_TIMEOUT_MS;
      for (;;) {
        const ledger = await readLedger();
        if (finalCount(ledger) >= accepted && busyRuns(ledger) === 0) break;
        if (performance.now() > deadline) {
          settled = false;
          break;
        }
        await sleep(LEDGER_POLL_MS);
      }
    } else {
      await sleep(TAIL_MS);
    }
  } finally {
    // A burst that failed is the error to report; the probes' own failure would hide it.
    probes = await probers.stop().catch((error: unknown) => (burst ? Promise.reject(error) : {}));
  }
  const afterEndedAt = performance.now();

  for (const [name, samples] of Object.entries(probes)) {
    const failed = samples.find((sample) => sample.status !== null && (sample.status < 200 || sample.status > 299));
    if (failed) throw new TargetAnswerError(target.label, `answered the ${name} probe with ${failed.status}`);
  }
  const unexpected = target.edge ? Object.entries(burst.statuses).filter(([status]) => status !== "accepted") : [];
  if (unexpected.length > 0) throw new PathSkippedError(target.label, `burst deliveries were answered ${unexpected.map(([status, n]) => `${n}× "${status}"`).join(", ")} instead of "accepted"`);
  const result: ScenarioResult = { mix: mix.name, target: target.label, timeline: { idleStartedAt, bursts, afterEndedAt }, settled, burst, probes };
  if (!target.ledger) return result;

  try {
    const ledger = { accepted: 1 + (burst.statuses.accepted ?? 0), pending: await target.ledger.pendingInInbox(), ...(await readLedger()) };
    const lost = lostDeliveries(ledger);
    if (lost > 0) throw new PathSkippedError(target.label, `${lost} deliveries were answered "accepted" but are neither pending in the inbox nor in the ledger: ${renderLedger(ledger)}`);
    return { ...result, ledger, instances: await getJson<InstancesAnswer>(target, new URL(BURST_ROUTES.instances, target.url), "POST", ledgerAgent) };
  } finally {
    ledgerAgent.destroy();
  }
}
