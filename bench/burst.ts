/**
 * `node bench/burst.ts`: the edge under a burst. Two questions of one issue:
 *  A. does the edge starve while the inbox drains a burst of 500 deliveries
 *     into ingest work? /healthz and a small webhook probed at a fixed
 *     interval during the burst and after it, until the backlog has settled,
 *     on the real service and on the bare Worker, with the ratio of each
 *     percentile;
 *  B. how fast are deliveries that match no workflow processed, from the first
 *     acceptance to the last final ledger row, against the ack-only rate
 *     (bench/index.ts's `inbox-held` rung, measured here the same way).
 *
 * Shaped by where the work happens: the request makes one INBOX write, the
 * inbox's alarm drains into ingest (today one Workflow instance per delivery),
 * and all of it runs in the same workerd, on the same two cores, as the
 * requests being timed. The GitHub emulator runs in a process of its own, so
 * its request validation does not delay the runner's clock (./burst/emulator.ts).
 *
 * A report, not a test: a missed goal exits 0. It exits 1 when a target did
 * not start, answered a webhook or probe with non-2xx, or lost a delivery
 * (answered "accepted", then neither pending in the inbox nor in the ledger).
 *
 * Runs on Node 22 directly (types stripped), hence erasable TypeScript only
 * and `.ts` import specifiers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWithEsbuild, bundleWithWrangler, type WorkerBundle } from "./build.ts";
import { exitCleanlyOnSignals, onCleanup, runBench } from "./cleanup.ts";
import { harnessName, repoRoot, startWorkerTarget, type WorkerTarget } from "./harness.ts";
import { measure, type LoadOptions, type ProbeCheck } from "./load.ts";
import type { Payload } from "./payloads.ts";
import { HOLDING_INBOX_CLASS, VARIANT_LABELS } from "./variants.ts";
import { startEmulatorProcess, type GitHubCalls } from "./burst/emulator.ts";
import { headOf, matchingNumbers, mixNothingMatches, mixSomeMatch, nothingMatches, REPOSITORY, WORKFLOWS, type Mix } from "./burst/mixes.ts";
import {
  checkEdge,
  checkProcessing,
  firstBurstAt,
  lastBurstEndedAt,
  probeRows,
  renderRatios,
  renderEdgeGoal,
  renderLedger,
  renderProbeTable,
  renderProcessingGoal,
  renderTimeline,
  silences,
  type ProbeRow,
  type ProcessingCheck,
} from "./burst/report.ts";
import { BURST_CONNECTIONS, IDLE_MS, LEDGER_POLL_MS, PROBE_INTERVAL_MS, PROBES, REPEATS, runScenario, SETTLE_TIMEOUT_MS, TAIL_MS, type ScenarioResult } from "./burst/scenario.ts";

const SECRET = "repoflow-bench-burst-secret";
const BURST_SIZE = 500;
const SERVICE = "repoflow service";
const BARE = "bare Worker";
const ACK = VARIANT_LABELS["inbox-held"];
/** bench/index.ts's defaults for a rung: 10 connections, 1 s warm-up, 5 s measured. */
const ACK_LOAD: LoadOptions = { seconds: 5, warmupSeconds: 1, connections: 10 };

const progress = (message: string) => console.error(`· ${message}`);

const expectAccepted: ProbeCheck = (_status, body) => (/"status":"accepted"/.test(body) ? null : `answered the probe delivery without "accepted": ${body.slice(0, 300)}`);

interface Measured {
  mix: Mix;
  bare: ScenarioResult;
  ackOnly: ScenarioResult;
  service: ScenarioResult;
  github: GitHubCalls;
}

/** The table's order: the baseline, the edge alone, the service. */
const resultsOf = (measured: Measured) => [measured.bare, measured.ackOnly, measured.service];

async function main(): Promise<void> {
  exitCleanlyOnSignals();
  const loadAtStart = loadavg()[0]!;
  const root = repoRoot();
  const wranglerConfig = join(root, "wrangler.toml");
  const work = mkdtempSync(join(tmpdir(), "repoflow-bench-burst-"));
  const removeWork = () => rmSync(work, { recursive: true, force: true, maxRetries: 3 });
  onCleanup("temp dir", removeWork, removeWork);

  progress("bundling bench/workers/burst.ts (src/index.ts plus two read-only routes) with wrangler, bench/workers/bare.ts with esbuild");
  const serviceBundle = await bundleWithWrangler(root, "bench/workers/burst.ts", join(work, "build", "service"));
  const bareBundle = await bundleWithEsbuild(join(root, "bench", "workers", "bare.ts"), join(work, "build", "bare"));

  progress(`starting the GitHub emulator (its own process) with ${REPOSITORY.fullName}, whose only workflow answers pull_request.opened`);
  const emulator = await startEmulatorProcess(root, work, { ...REPOSITORY, files: WORKFLOWS });
  const heads = new Map<number, string>();
  for (const number of matchingNumbers(BURST_SIZE)) heads.set(number, await emulator.openPullRequest(REPOSITORY.fullName, number, headOf(number)));
  const mixes = [mixNothingMatches(SECRET, BURST_SIZE), mixSomeMatch(SECRET, BURST_SIZE, heads)];
  // The smallest delivery of the rotation: the cheapest to acknowledge, so the ack-only rate is the mix's highest and goal B the hardest.
  const smallest = nothingMatches(SECRET).reduce((a, b) => (b.body.byteLength < a.body.byteLength ? b : a));

  let instances = 0;
  const start = (label: string, bundle: WorkerBundle, withBindings: boolean, durableObjectClasses: Record<string, string> = {}) =>
    startWorkerTarget({
      label,
      bundle,
      wranglerConfig,
      withBindings,
      vars: withBindings ? { REPOFLOW_ENV: "local", WEBHOOK_SECRET: SECRET, APP_ID: emulator.appId, PRIVATE_KEY: emulator.privateKey, GITHUB_API_URL: emulator.url } : {},
      stateDir: join(work, "state", String(++instances)),
      durableObjectClasses,
    });

  progress(`${ACK}: ${smallest.source}, ${ACK_LOAD.warmupSeconds} s warm-up + ${ACK_LOAD.seconds} s`);
  const held = await start(ACK, serviceBundle, true, { INBOX: HOLDING_INBOX_CLASS });
  const ack = await measure({ label: ACK, url: new URL("/webhooks/github", held.url) }, smallest, ACK_LOAD, expectAccepted).finally(() => held.stop());

  const measured: Measured[] = [];
  for (const mix of mixes) {
    // One target at a time, each fresh (new workerd, empty state): the machine has two cores.
    const bare = await withTarget(() => start(BARE, bareBundle, false), (target) => runScenario({ label: BARE, url: target.url, edge: false }, mix, smallest, progress));
    const ackOnly = await withTarget(
      () => start(ACK, serviceBundle, true, { INBOX: HOLDING_INBOX_CLASS }),
      (target) => runScenario({ label: ACK, url: target.url, edge: true }, mix, smallest, progress),
    );
    emulator.takeCalls();
    const service = await withTarget(
      () => start(SERVICE, serviceBundle, true),
      (target) => runScenario({ label: SERVICE, url: target.url, edge: true, ledger: { pendingInInbox: () => target.pendingInInbox("INBOX") } }, mix, smallest, progress),
    );
    measured.push({ mix, bare, ackOnly, service, github: emulator.takeCalls() });
  }
  await emulator.stop();

  const nonMatching = measured[0]!.service;
  const processing = checkProcessing(nonMatching.ledger!, BURST_SIZE, ack.measurement.reqPerSec);
  const machine = `${availableParallelism()} cores; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end (above ≈ 1, other processes competed for the cores and the figures are noisier).`;
  console.log(renderReport({ measured, ackPerSec: ack.measurement.reqPerSec, ackPayload: smallest, processing, machine }));
}

async function withTarget<T>(start: () => Promise<WorkerTarget>, use: (target: WorkerTarget) => Promise<T>): Promise<T> {
  const target = await start();
  try {
    return await use(target);
  } finally {
    await target.stop();
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perSecond = (count: number, ms: number) => `${(count / (ms / 1000)).toFixed(0)}/s`;

function burstLine(result: ScenarioResult): string {
  const { burst, timeline } = result;
  const answered = Object.values(burst.statuses).reduce((a, b) => a + b, 0);
  const rounds = burst.repeats > 1 ? ` (${burst.repeats} bursts)` : "";
  const head = `${result.target}: ${answered} of ${burst.sent}${rounds} answered in ${seconds(burst.ms)} (${perSecond(answered, burst.ms)})${burst.unanswered ? `, ${burst.unanswered} not within 10 s` : ""}`;
  if (!result.ledger) return `${head}; probed for a further ${seconds(TAIL_MS)}.`;
  const after = timeline.afterEndedAt - lastBurstEndedAt(timeline);
  const settled = result.settled ? `settled ${seconds(after)} after the burst` : `NOT settled when the bench gave up, ${seconds(SETTLE_TIMEOUT_MS)} after the burst`;
  const runs = Object.entries(result.ledger.runs).map(([status, n]) => `${n} ${status}`);
  const found = result.instances ? Object.entries(result.instances.found).map(([status, n]) => `${n} ${status}`) : [];
  const instances = result.instances
    ? `${result.instances.ids} ingest instance ids in the ledger, ${found.join(", ") || "none"} found by the INGEST binding, ${result.instances.missing} unknown to it`
    : "ingest instances not counted";
  return `${head}; ${settled}. ${renderLedger(result.ledger)}. Runs: ${runs.join(", ") || "none"}. ${instances}.`;
}

/** The service's ledger writes and its /healthz probe's silences on one axis. */
function timelineLine(result: ScenarioResult): string {
  const { ledger, timeline } = result;
  if (!ledger) return "";
  return `- ${result.target}, ${renderTimeline({
    burstStartedEpochMs: performance.timeOrigin + firstBurstAt(timeline),
    burstStartedAt: firstBurstAt(timeline),
    burstMs: lastBurstEndedAt(timeline) - firstBurstAt(timeline),
    writes: ledger.writes,
    instants: ledger.instants,
    finalRows: ledger.finalInSpan,
    probe: PROBES.healthz,
    silences: silences(result.probes[PROBES.healthz] ?? [], firstBurstAt(timeline), timeline.afterEndedAt),
  })}.`;
}

function githubLine(calls: GitHubCalls): string {
  const byStatus = Object.entries(calls.byStatus).map(([status, n]) => `${n}× ${status}`);
  const violations = calls.violations.length ? `; ${calls.violations.length} requests GitHub would reject, e.g. ${calls.violations[0]}` : "";
  return `GitHub emulator: ${calls.total} requests from the service (${byStatus.join(", ") || "none"})${violations}.`;
}

interface Report {
  measured: Measured[];
  ackPerSec: number;
  ackPayload: Payload;
  processing: ProcessingCheck;
  machine: string;
}

function renderReport({ measured, ackPerSec, ackPayload, processing, machine }: Report): string {
  const rows: ProbeRow[] = measured.flatMap((m) => resultsOf(m).flatMap((result) => probeRows(m.mix.name, result.target, result.probes, result.timeline)));
  const nonMatching = measured[0]!;
  const span = nonMatching.service.ledger;
  return [
    `## The edge under a burst: ${harnessName()}`,
    "",
    `Targets, one at a time, each fresh (new workerd, empty state) for each mix: **${BARE}** (bench/workers/bare.ts: reads the body, answers 202 on any path), **${ACK}** (the service with INBOX bound to ${HOLDING_INBOX_CLASS}: the same accept, nothing drains) and **${SERVICE}** (bench/workers/burst.ts: src/index.ts unchanged plus two read-only routes the bench reads, the ledger every ${LEDGER_POLL_MS} ms while waiting and the ingest instances once at the end; GITHUB_API_URL is the GitHub emulator, in its own process).`,
    "",
    `- Warm-up: one delivery (for the service, until the ledger says it is processed), so the burst meets a running service, not its cold start.`,
    `- Probes: ${PROBES.healthz}, and ${PROBES.webhook}: the warm-up delivery again, which the edge answers "duplicate" after the same signature check, route and INBOX round trip as a new one, adding nothing to the backlog. Each on its own keep-alive connection, one request in flight, one every ${PROBE_INTERVAL_MS} ms (at once when the last took longer), from ${seconds(IDLE_MS)} before the burst to the end.`,
    `- The burst: ${BURST_SIZE} signed deliveries (@octokit/webhooks-examples, retargeted to ${REPOSITORY.fullName}, a fresh X-GitHub-Delivery each) over ${BURST_CONNECTIONS} keep-alive connections, each sending the next once the last is answered. The targets that drain nothing get it ${REPEATS} times, a moment apart, and their "during" rows pool the ${REPEATS}: the bare Worker answers 500 in ≈ 0.1 s, a handful of probes.`,
    `- Phases: idle (the ${seconds(IDLE_MS)} before; reference only); during (each burst's first request to its last answer); after (the service: until every accepted delivery is final in the ledger and no run is queued or running, ≤ one poll late, at most ${seconds(SETTLE_TIMEOUT_MS)}; the others: a ${seconds(TAIL_MS)} tail). The longest gap is the longest stretch of the phase without any probe answer.`,
    `Machine: ${machine}`,
    "",
    ...measured.flatMap((m) => [
      `### Mix: ${m.mix.name}`,
      "",
      `${m.mix.description}.`,
      "",
      renderProbeTable(
        rows.filter((row) => row.mix === m.mix.name),
        BARE,
      ),
      "",
      ...resultsOf(m).map((result) => `- ${burstLine(result)}`),
      timelineLine(m.service),
      `- ${githubLine(m.github)}`,
      "",
    ]),
    "### Processing of deliveries that match nothing",
    "",
    `- ${ACK}, bench/index.ts's method (autocannon, ${ACK_LOAD.connections} connections, ${ACK_LOAD.warmupSeconds} s warm-up, ${ACK_LOAD.seconds} s measured; ${ackPayload.source}, the smallest of the rotation): **${ackPerSec.toFixed(0)} req/s**. The same target under this bench's burst of mix "${nonMatching.mix.name}": ${perSecond(nonMatching.ackOnly.burst.statuses.accepted ?? 0, nonMatching.ackOnly.burst.ms)}.`,
    span
      ? `- ${SERVICE}, mix "${nonMatching.mix.name}": ${span.finalInSpan} deliveries final in the ledger between the first one's received_at and the last one's processed_at, ${span.firstReceivedAt !== null && span.lastProcessedAt !== null ? seconds(span.lastProcessedAt - span.firstReceivedAt) : "–"}: ${Number.isFinite(processing.rate) ? processing.rate.toFixed(0) : "–"} deliveries/s (its acceptance alone during the burst: ${perSecond(nonMatching.service.burst.statuses.accepted ?? 0, nonMatching.service.burst.ms)}).`
      : "",
    "",
    "### Goals",
    "",
    renderEdgeGoal(checkEdge(rows, SERVICE, BARE), BURST_SIZE),
    `  - (context, not the goal) the same ratio for ${ACK}, the edge with nothing draining: ${renderRatios(checkEdge(rows, ACK, BARE))}.`,
    renderProcessingGoal(processing, nonMatching.mix.name, ACK),
  ].join("\n");
}

await runBench(main);
