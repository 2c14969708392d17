/**
 * `npm run bench`: webhook acknowledgement throughput and latency of the
 * repoflow edge against a bare Worker in the same harness and a Probot 14
 * server on Node 22, for a signed push and a signed large pull_request, then
 * the cost breakdown of the edge's path. Prints markdown to stdout (progress
 * goes to stderr).
 *
 * A report, not a test: a missed goal still exits 0. It exits non-zero only
 * when the figures would mean nothing: a target that did not start, answered
 * anything but 2xx, or skipped the path under test.
 *
 * Runs on Node 22 directly (types stripped), hence erasable TypeScript only
 * and `.ts` import specifiers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWithEsbuild, bundleWithWrangler, type WorkerBundle } from "./build.ts";
import { cleanupAll, exitCleanlyOnSignals, onCleanup } from "./cleanup.ts";
import { BenchConfigError, PathSkippedError } from "./errors.ts";
import { harnessName, repoRoot, startWorkerTarget, type WorkerTarget } from "./harness.ts";
import { fetchProfile, measure, type LoadOptions, type ProbeCheck } from "./load.ts";
import { largestExample, loadExamples, type Payload } from "./payloads.ts";
import { PROBOT_WEBHOOKS_PATH, startProbot } from "./probot.ts";
import { checkGoals, renderBreakdownTable, renderCostSplit, renderGoals, renderProfileTable, renderThroughputTable, type Row, type Rungs } from "./report.ts";
import { EDGE_VARIANTS, EMPTY_WORKFLOW, PROFILE_BATCH, PROFILE_PATH, PROFILE_ROUNDS, VARIANT_HEADER, VARIANT_LABELS, type HandoffProfile } from "./variants.ts";

const SECRET = "repoflow-bench-webhook-secret";
const WEBHOOK_PATH = "/webhooks/github";
const EDGE = "repoflow edge";
const BARE = "bare Worker";
const PROBOT = "Probot 14 (Node 22)";
const FULL_RUNG = "full handoff: D1 ledger + Workflow create (the repoflow edge row above)";

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
  /** Runs after the window, before the target stops, with the 2xx count, to check what the target recorded. */
  after?: (target: T, payload: Payload, answered: number) => Promise<void>;
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
      await series.after?.(target, payload, result.answered);
    } finally {
      await target.stop();
    }
  }
  return rows;
}

/**
 * Every 202 "accepted" promises a ledger row (the edge awaits the insert), so
 * fewer rows than answers means the bench measured some other path. Reads the
 * store's `deliveries` table directly: the bench runs in Node, outside src/.
 */
async function ledgerNote(edge: WorkerTarget, event: string, answered: number): Promise<string> {
  const db = await edge.database("DB");
  const row = await db
    .prepare("SELECT COUNT(*) AS total, COALESCE(SUM(status <> 'accepted'), 0) AS finished FROM deliveries")
    .first<{ total: number; finished: number }>();
  const total = row?.total ?? 0;
  if (total < answered) {
    throw new PathSkippedError(EDGE, `${answered} ${event} deliveries were answered 2xx but the D1 ledger holds only ${total} rows.`);
  }
  return `${event}: ${total} ledger rows for ${answered} deliveries answered 202 (requests in flight when a window closes add up to 10 each), ${row?.finished ?? 0} of them processed by ingest when the window closed.`;
}

async function main(): Promise<void> {
  exitCleanlyOnSignals();
  const load: LoadOptions = { seconds: readSeconds(), warmupSeconds: 1, connections: 10 };
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
  const worker = (label: string, bundle: WorkerBundle, withBindings: boolean, extraWorkflows = {}) => () =>
    startWorkerTarget({ label, bundle, wranglerConfig, withBindings, vars: withBindings ? VARS : {}, stateDir: join(work, "state", String(++instances)), extraWorkflows });
  const emptyWorkflow = { [EMPTY_WORKFLOW.binding]: { name: EMPTY_WORKFLOW.name, className: EMPTY_WORKFLOW.className } };

  // One target at a time, each stopped before the next starts: the machine has two cores.
  const bareRows = await measureSeries({ label: BARE, start: worker(BARE, bareBundle, false), path: WEBHOOK_PATH }, payloads, load);
  const probotRows = await measureSeries({ label: PROBOT, start: () => startProbot(SECRET), path: PROBOT_WEBHOOKS_PATH }, payloads, load);
  const ledgerNotes: string[] = [];
  const edgeRows = await measureSeries(
    {
      label: EDGE,
      start: worker(EDGE, edgeBundle, true),
      path: WEBHOOK_PATH,
      probe: expectAccepted,
      after: async (edge, payload, answered) => {
        ledgerNotes.push(await ledgerNote(edge, payload.event, answered));
      },
    },
    payloads,
    load,
  );

  const rungRows: Row[] = [];
  for (const variant of EDGE_VARIANTS) {
    const series: Series<WorkerTarget> = {
      label: VARIANT_LABELS[variant],
      start: worker(`edge variant ${variant}`, variantsBundle, true, emptyWorkflow),
      path: WEBHOOK_PATH,
      headers: { [VARIANT_HEADER]: variant },
    };
    // verify-only answers before any route logic, so it has no handoff status to check.
    if (variant !== "verify-only") series.probe = expectAccepted;
    rungRows.push(...(await measureSeries(series, payloads, load)));
  }

  // The largest payload: Workflow params carry it, so it is the costlier create.
  const profilePayload = payloads.reduce((largest, payload) => (payload.body.byteLength > largest.body.byteLength ? payload : largest));
  progress(`timing the handoff's single operations inside the Worker (${profilePayload.event} payload)`);
  const profiled = await worker("edge variants (profile)", variantsBundle, true, emptyWorkflow)();
  const profile = await fetchProfile({ label: "edge variants (profile)", url: new URL(PROFILE_PATH, profiled.url) }, profilePayload).finally(() => profiled.stop());

  const mainRows = [...edgeRows, ...bareRows, ...probotRows];
  const breakdownRows = [...bareRows, ...rungRows, ...edgeRows.map((row) => ({ ...row, target: FULL_RUNG }))];
  const machine = `${availableParallelism()} cores; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end (above ≈ 1, other processes were competing for the cores and the figures are noisier).`;
  console.log(renderReport({ load, payloads, mainRows, breakdownRows, ledgerNotes, profile, profilePayload, machine }));
}

interface Report {
  load: LoadOptions;
  payloads: readonly Payload[];
  mainRows: Row[];
  breakdownRows: Row[];
  ledgerNotes: string[];
  profile: HandoffProfile;
  profilePayload: Payload;
  machine: string;
}

function renderReport(report: Report): string {
  const { load, payloads, mainRows, breakdownRows, ledgerNotes, profile, profilePayload, machine } = report;
  const checks = checkGoals(mainRows, EDGE, BARE);
  const bareP99 = new Map(mainRows.filter((row) => row.target === BARE).map((row) => [row.payload, row.measurement.p99]));
  const sortByPayload = (rows: Row[]) => payloads.flatMap((payload) => rows.filter((row) => row.payload === payload.event));
  const rungs: Rungs = {
    bare: BARE,
    verify: VARIANT_LABELS["verify-only"],
    route: VARIANT_LABELS["no-handoff"],
    ledger: VARIANT_LABELS["ledger-only"],
    emptyWorkflow: VARIANT_LABELS["empty-workflow-only"],
    workflow: VARIANT_LABELS["workflow-only"],
    full: FULL_RUNG,
  };
  return [
    `## Webhook acknowledgement: ${harnessName()}; Probot on node:http`,
    "",
    `autocannon, ${load.connections} connections, ${load.warmupSeconds} s warm-up then ${load.seconds} s measured per row (BENCH_SECONDS), 127.0.0.1, a fresh X-GitHub-Delivery per request.`,
    `Payloads (@octokit/webhooks-examples, compact JSON, signed once): ${payloads.map((payload) => `${payload.event} = ${payload.source}`).join("; ")}.`,
    `Machine: ${machine}`,
    "",
    renderThroughputTable(sortByPayload(mainRows), BARE, PROBOT),
    "",
    renderGoals(checks, EDGE, BARE, bareP99),
    "",
    `Ledger check, read as each edge window closed: ${ledgerNotes.join(" ")}`,
    "",
    "### Where the edge's time goes (same harness; one Worker bundled from src/, handoff pieces stubbed per rung)",
    "",
    renderBreakdownTable(sortByPayload(breakdownRows), BARE),
    "",
    ...payloads.map((payload) => renderCostSplit(breakdownRows, payload.event, rungs) ?? `${payload.event}: incomplete breakdown.`),
    "",
    `### The handoff's operations timed inside the Worker (${profilePayload.event} payload; ${PROFILE_ROUNDS} alone, then ${PROFILE_ROUNDS} in waves of ${PROFILE_BATCH})`,
    "",
    renderProfileTable(profile, PROFILE_BATCH),
  ].join("\n");
}

try {
  await main();
} catch (error) {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  if (error instanceof Error && !/^repoflow:/.test(error.message)) console.error(error.stack);
  process.exitCode = 1;
} finally {
  await cleanupAll();
}
