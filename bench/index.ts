/**
 * `npm run bench`: webhook acknowledgement throughput and latency of the
 * repoflow edge against a bare Worker in the same harness and a Probot 14
 * server on Node 22, for a signed push and a signed large pull_request, then
 * the cost breakdown of the edge's path. Prints markdown to stdout (progress
 * goes to stderr).
 *
 * Shaped by where the edge's work now happens: the request makes one write
 * into its INBOX shard, and the shard's alarm drains deliveries into ingest
 * Workflow instances later, in the same workerd process and on the same two
 * cores as the measured requests. So the full edge is measured twice (a whole
 * window, and a short burst into a fresh target before much background work
 * exists), and the acknowledgement alone with draining held (HOLDING_INBOX_CLASS).
 *
 * A report, not a test: a missed goal still exits 0. It exits non-zero only
 * when the figures would mean nothing: a target that did not start, answered
 * anything but 2xx, or skipped the path under test.
 *
 * Runs on Node 22 directly (types stripped), hence erasable TypeScript only
 * and `.ts` import specifiers.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWithEsbuild, bundleWithWrangler, type WorkerBundle } from "./build.ts";
import { exitCleanlyOnSignals, onCleanup, runBench } from "./cleanup.ts";
import { BenchConfigError, PathSkippedError } from "./errors.ts";
import { harnessName, repoRoot, startWorkerTarget, type WorkerTarget } from "./harness.ts";
import { fetchProfile, measure, type LoadOptions, type ProbeCheck } from "./load.ts";
import { largestExample, loadExamples, type Payload } from "./payloads.ts";
import { PROBOT_WEBHOOKS_PATH, startProbot } from "./probot.ts";
import {
  checkGoals,
  renderBreakdownTable,
  renderCostSplit,
  renderGoals,
  renderInboxCount,
  renderProfileTable,
  renderThroughputTable,
  unstoredDeliveries,
  type InboxCount,
  type Row,
  type Rungs,
} from "./report.ts";
import { EDGE_VARIANTS, HOLDING_INBOX_CLASS, PROFILE_BATCH, PROFILE_PATH, PROFILE_ROUNDS, VARIANT_HEADER, VARIANT_LABELS, type HandoffProfile } from "./variants.ts";

const SECRET = "repoflow-bench-webhook-secret";
const WEBHOOK_PATH = "/webhooks/github";
const EDGE = "repoflow edge, sustained (inbox + drain + ingest)";
const BURST_SECONDS = 1;
const BURST = `repoflow edge, ${BURST_SECONDS} s burst into a fresh start`;
const ACK = VARIANT_LABELS["inbox-held"];
const ACK_IN_MEMORY = `${ACK}, state on tmpfs`;
/** Where the ACK_IN_MEMORY rung keeps its Durable Objects' state: memory, so a commit syncs no disk. */
const TMPFS = "/dev/shm";
const BARE = "bare Worker";
const PROBOT = "Probot 14 (Node 22)";

/** How long the check after a full-edge window waits for the inbox to drain before counting. */
const DRAIN_WAIT_MS = 30_000;
const DRAIN_POLL_MS = 250;

const VARS = {
  REPOFLOW_ENV: "local",
  WEBHOOK_SECRET: SECRET,
  APP_ID: "1",
  // Nothing listens on the discard port: should ingest ever reach for GitHub,
  // it fails fast instead of waiting on DNS for an unreachable host.
  GITHUB_API_URL: "http://127.0.0.1:9",
};

function readSeconds(): number {
  const raw = process.env.BENCH_SECONDS;
  if (raw === undefined || raw.trim() === "") return 5;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new BenchConfigError("BENCH_SECONDS", raw, "a number of seconds between 0 and 3600");
  }
  return seconds;
}

const progress = (message: string) => console.error(`· ${message}`);

/** The edge's 202 says whether the delivery was handed off; anything but "accepted" means the wrong path was measured. */
const expectAccepted: ProbeCheck = (_status, body) => {
  let status: unknown;
  try {
    status = (JSON.parse(body) as { status?: unknown }).status;
  } catch {
    return `answered the probe delivery with a body that is not JSON: ${body.slice(0, 300)}`;
  }
  return status === "accepted" ? null : `answered the probe delivery with status ${JSON.stringify(status)}, not "accepted": ${body.slice(0, 300)}`;
};

/** A running target, as the series needs it. */
interface Running {
  url: URL;
  stop(): Promise<void>;
}

interface Series<T extends Running> {
  label: string;
  /** Starts a fresh target (new process, empty state) for each payload. */
  start: () => Promise<T>;
  path: string;
  headers?: Record<string, string>;
  probe?: ProbeCheck;
  /** Runs after the window, before the target stops, with the answers by status, to check what the target recorded. */
  after?: (target: T, payload: Payload, statuses: Record<string, number>) => Promise<void>;
}

/**
 * Each payload gets its own fresh target: every accepted delivery starts an
 * ingest run inside the same workerd, and the runs one window leaves behind
 * (still retrying against the unreachable GitHub) must not slow the next.
 */
async function measureSeries<T extends Running>(series: Series<T>, payloads: readonly Payload[], load: LoadOptions): Promise<Row[]> {
  const rows: Row[] = [];
  for (const payload of payloads) {
    progress(`measuring ${series.label} × ${payload.event} (${load.warmupSeconds} s warm-up + ${load.seconds} s)`);
    const target = await series.start();
    try {
      const endpoint = { label: series.label, url: new URL(series.path, target.url), ...(series.headers ? { headers: series.headers } : {}) };
      const result = await measure(endpoint, payload, load, series.probe);
      rows.push({ target: series.label, payload: payload.event, measurement: result.measurement });
      await series.after?.(target, payload, result.statuses);
    } finally {
      await target.stop();
    }
  }
  return rows;
}

/**
 * Every 202 "accepted" promises a delivery stored durably: pending in its
 * inbox shard, or drained into an ingest instance and a D1 ledger row. Waits,
 * bounded, for a draining inbox to empty, then counts both; fewer stored than
 * accepted fails the bench. Reads the store's `deliveries` table directly: the
 * bench runs in Node, outside src/.
 */
async function countInbox(label: string, edge: WorkerTarget, payload: Payload, statuses: Record<string, number>, drains: boolean): Promise<InboxCount> {
  const started = performance.now();
  let pending = await edge.pendingInInbox("INBOX");
  while (drains && pending > 0 && performance.now() - started < DRAIN_WAIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    pending = await edge.pendingInInbox("INBOX");
  }
  const waitedMs = performance.now() - started;
  let drained = 0;
  let finished = 0;
  if (drains) {
    const row = await (await edge.database("DB"))
      .prepare("SELECT COUNT(*) AS total, COALESCE(SUM(status <> 'accepted'), 0) AS finished FROM deliveries")
      .first<{ total: number; finished: number }>();
    drained = row?.total ?? 0;
    finished = row?.finished ?? 0;
  }
  const count: InboxCount = { payload: payload.event, statuses, pending, drained, finished, waitedMs };
  const unstored = unstoredDeliveries(count);
  if (unstored > 0) {
    throw new PathSkippedError(label, `${unstored} ${payload.event} deliveries were answered "accepted" but are neither pending in the inbox nor in the D1 ledger: ${renderInboxCount(count)}`);
  }
  return count;
}

async function main(): Promise<void> {
  exitCleanlyOnSignals();
  const load: LoadOptions = { seconds: readSeconds(), warmupSeconds: 1, connections: 10 };
  const burst: LoadOptions = { seconds: BURST_SECONDS, warmupSeconds: 0, connections: load.connections };
  const loadAtStart = loadavg()[0]!;
  const root = repoRoot();
  const wranglerConfig = join(root, "wrangler.toml");
  const work = mkdtempSync(join(tmpdir(), "repoflow-bench-"));
  const removeWork = () => rmSync(work, { recursive: true, force: true, maxRetries: 3 });
  onCleanup("temp dir", removeWork, removeWork);

  const examples = loadExamples();
  const payloads: Payload[] = [largestExample(examples, "push", SECRET), largestExample(examples, "pull_request", SECRET)];

  progress("bundling src/index.ts and bench/workers/edge-variants.ts with wrangler, bench/workers/bare.ts with esbuild");
  const bareBuild = bundleWithEsbuild(join(root, "bench", "workers", "bare.ts"), join(work, "build", "bare"));
  // One wrangler build after the other: each runs wrangler.toml's [build] command,
  // and two at once could read each other's half-written output.
  const edgeBundle = await bundleWithWrangler(root, "src/index.ts", join(work, "build", "edge"));
  const variantsBundle = await bundleWithWrangler(root, "bench/workers/edge-variants.ts", join(work, "build", "variants"));
  const bareBundle = await bareBuild;

  let instances = 0;
  const worker = (label: string, bundle: WorkerBundle, withBindings: boolean, durableObjectClasses = {}, stateRoot = join(work, "state")) => () =>
    startWorkerTarget({ label, bundle, wranglerConfig, withBindings, vars: withBindings ? VARS : {}, stateDir: join(stateRoot, String(++instances)), durableObjectClasses });
  const holding = { INBOX: HOLDING_INBOX_CLASS };

  // One target at a time, each stopped before the next starts: the machine has two cores.
  const bareRows = await measureSeries({ label: BARE, start: worker(BARE, bareBundle, false), path: WEBHOOK_PATH }, payloads, load);
  const probotRows = await measureSeries({ label: PROBOT, start: () => startProbot(SECRET), path: PROBOT_WEBHOOKS_PATH }, payloads, load);
  const inboxCounts: { label: string; count: InboxCount }[] = [];
  const fullEdge = (label: string, drains: boolean, start: () => Promise<WorkerTarget>, headers?: Record<string, string>): Series<WorkerTarget> => ({
    label,
    start,
    path: WEBHOOK_PATH,
    probe: expectAccepted,
    ...(headers ? { headers } : {}),
    after: async (target, payload, statuses) => {
      inboxCounts.push({ label, count: await countInbox(label, target, payload, statuses, drains) });
    },
  });
  const edgeRows = await measureSeries(fullEdge(EDGE, true, worker(EDGE, edgeBundle, true)), payloads, load);
  const burstRows = await measureSeries(fullEdge(BURST, true, worker(BURST, edgeBundle, true)), payloads, burst);

  const rungRows: Row[] = [];
  for (const variant of EDGE_VARIANTS) {
    const label = VARIANT_LABELS[variant];
    const start = worker(`edge variant ${variant}`, variantsBundle, true, holding);
    const headers = { [VARIANT_HEADER]: variant };
    // verify-only answers before any route logic, so it has no handoff status to check; the stubbed inbox stores nothing to count.
    const series: Series<WorkerTarget> =
      variant === "inbox-held" ? fullEdge(label, false, start, headers) : { label, start, path: WEBHOOK_PATH, headers, ...(variant === "inbox-stubbed" ? { probe: expectAccepted } : {}) };
    rungRows.push(...(await measureSeries(series, payloads, load)));
  }
  // The acknowledgement again with the shards' SQLite in memory: the difference is the commit's disk sync,
  // which workerd waits for before the answer leaves (on Cloudflare the commit is a replication instead).
  if (existsSync(TMPFS)) {
    const inMemory = mkdtempSync(join(TMPFS, "repoflow-bench-state-"));
    const removeInMemory = () => rmSync(inMemory, { recursive: true, force: true, maxRetries: 3 });
    onCleanup("tmpfs state", removeInMemory, removeInMemory);
    const start = worker(`edge variant inbox-held (tmpfs)`, variantsBundle, true, holding, inMemory);
    rungRows.push(...(await measureSeries(fullEdge(ACK_IN_MEMORY, false, start, { [VARIANT_HEADER]: "inbox-held" }), payloads, load)));
  }

  // The largest payload: the inbox row and Workflow params carry it.
  const profilePayload = payloads.reduce((largest, payload) => (payload.body.byteLength > largest.body.byteLength ? payload : largest));
  progress(`timing the handoff's single operations inside the Worker (${profilePayload.event} payload)`);
  const profiled = await worker("edge variants (profile)", variantsBundle, true, holding)();
  const profile = await fetchProfile({ label: "edge variants (profile)", url: new URL(PROFILE_PATH, profiled.url) }, profilePayload).finally(() => profiled.stop());

  const ackRows = rungRows.filter((row) => row.target === ACK);
  const mainRows = [...edgeRows, ...burstRows, ...ackRows, ...bareRows, ...probotRows];
  const breakdownRows = [...bareRows, ...rungRows, ...burstRows, ...edgeRows];
  const machine = `${availableParallelism()} cores; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end (above ≈ 1, other processes were competing for the cores and the figures are noisier).`;
  console.log(renderReport({ load, payloads, mainRows, breakdownRows, inboxCounts, profile, profilePayload, machine }));
}

interface Report {
  load: LoadOptions;
  payloads: readonly Payload[];
  mainRows: Row[];
  breakdownRows: Row[];
  inboxCounts: { label: string; count: InboxCount }[];
  profile: HandoffProfile;
  profilePayload: Payload;
  machine: string;
}

function renderReport(report: Report): string {
  const { load, payloads, mainRows, breakdownRows, inboxCounts, profile, profilePayload, machine } = report;
  const bareP99 = new Map(mainRows.filter((row) => row.target === BARE).map((row) => [row.payload, row.measurement.p99]));
  const sortByPayload = (rows: Row[]) => payloads.flatMap((payload) => rows.filter((row) => row.payload === payload.event));
  const rungs: Rungs = {
    bare: BARE,
    verify: VARIANT_LABELS["verify-only"],
    route: VARIANT_LABELS["inbox-stubbed"],
    rpc: VARIANT_LABELS["inbox-rpc-only"],
    ack: ACK,
    ...(breakdownRows.some((row) => row.target === ACK_IN_MEMORY) ? { ackInMemory: ACK_IN_MEMORY } : {}),
    burst: BURST,
    full: EDGE,
  };
  const countsFor = (label: string) =>
    inboxCounts
      .filter((entry) => entry.label === label)
      .map((entry) => renderInboxCount(entry.count))
      .join(" ");
  return [
    `## Webhook acknowledgement: ${harnessName()}; Probot on node:http`,
    "",
    `autocannon, ${load.connections} connections, ${load.warmupSeconds} s warm-up then ${load.seconds} s measured per row (BENCH_SECONDS), 127.0.0.1, a fresh X-GitHub-Delivery per request; ` +
      `the burst row: a fresh target, one probe, then ${BURST_SECONDS} s measured with no warm-up.`,
    `Payloads (@octokit/webhooks-examples, compact JSON, signed once): ${payloads.map((payload) => `${payload.event} = ${payload.source}`).join("; ")}.`,
    `Machine: ${machine}`,
    "",
    "Which edge number is which: the request makes one durable write (INBOX accept) and answers; the inbox's alarm drains deliveries into ingest Workflow instances afterwards, in the same workerd process, on the same two cores.",
    `- **${EDGE}**: the Worker from src/ as deployed, over the whole window; the drain's Workflow creates and the ingest runs (retrying an unreachable GitHub) compete with the requests throughout, as they would not on Cloudflare, where they run elsewhere.`,
    `- **${BURST}**: the same Worker, measured from its first request, before much background work has piled up (its p99 includes the cold start).`,
    `- **${ACK}**: the same route and the same INBOX write, through a subclass whose alarm does nothing, so nothing drains: the edge's own cost of acknowledging.`,
    "",
    renderThroughputTable(sortByPayload(mainRows), BARE, PROBOT),
    "",
    renderGoals(checkGoals(mainRows, EDGE, BARE), `the full edge (${EDGE})`, BARE, bareP99),
    "",
    renderGoals(checkGoals(mainRows, ACK, BARE), `the acknowledgement alone (${ACK})`, BARE, new Map()),
    "",
    "Inbox check (every 202 \"accepted\" must be stored durably: pending in the inbox or drained into the ledger; in-flight requests when a window closes add up to 10 stored):",
    `- ${EDGE}: ${countsFor(EDGE)}`,
    `- ${BURST}: ${countsFor(BURST)}`,
    `- ${ACK}: ${countsFor(ACK)}`,
    "",
    "### Where the edge's time goes (same harness; one Worker bundled from src/ with the inbox stubbed or held per rung, then the full edge)",
    "",
    renderBreakdownTable(sortByPayload(breakdownRows), BARE),
    "",
    ...payloads.map((payload) => renderCostSplit(breakdownRows, payload.event, rungs) ?? `${payload.event}: incomplete breakdown.`),
    "",
    `### The handoff's operations timed inside the Worker (${profilePayload.event} payload; ${PROFILE_ROUNDS} alone, then ${PROFILE_ROUNDS} in waves of ${PROFILE_BATCH}; the inbox held)`,
    "",
    renderProfileTable(profile, PROFILE_BATCH),
  ].join("\n");
}

await runBench(main);
