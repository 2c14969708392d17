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
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWithEsbuild, bundleWithWrangler } from "./build.ts";
import { cleanupAll, exitCleanlyOnSignals, onCleanup } from "./cleanup.ts";
import { BenchConfigError, PathSkippedError } from "./errors.ts";
import { harnessName, repoRoot, startWorkerTarget, type WorkerTarget } from "./harness.ts";
import { fetchProfile, measure, type LoadOptions, type ProbeCheck } from "./load.ts";
import { largestExample, loadExamples, type Payload } from "./payloads.ts";
import { PROBOT_WEBHOOKS_PATH, startProbot } from "./probot.ts";
import { checkGoals, renderBreakdownTable, renderCostSplit, renderGoals, renderProfileTable, renderThroughputTable, type Row } from "./report.ts";
import { EDGE_VARIANTS, PROFILE_BATCH, PROFILE_PATH, PROFILE_ROUNDS, VARIANT_HEADER, VARIANT_LABELS, type HandoffProfile } from "./variants.ts";

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

interface Series {
  label: string;
  url: URL;
  headers?: Record<string, string>;
  probe?: ProbeCheck;
  /** Runs after each payload with the 2xx count so far, to check what the target recorded. */
  after?: (answeredSoFar: number) => Promise<void>;
}

async function measureSeries(series: Series, payloads: readonly Payload[], load: LoadOptions): Promise<Row[]> {
  const rows: Row[] = [];
  let answered = 0;
  for (const payload of payloads) {
    progress(`measuring ${series.label} × ${payload.event} (${load.warmupSeconds} s warm-up + ${load.seconds} s)`);
    const endpoint = { label: series.label, url: series.url, ...(series.headers ? { headers: series.headers } : {}) };
    const result = await measure(endpoint, payload, load, series.probe);
    rows.push({ target: series.label, payload: payload.event, measurement: result.measurement });
    answered += result.answered;
    await series.after?.(answered);
  }
  return rows;
}

/**
 * Every 202 "accepted" promises a ledger row (the edge awaits the insert), so
 * fewer rows than answers means the bench measured some other path. Reads the
 * store's `deliveries` table directly: the bench runs in Node, outside src/.
 */
async function ledgerNote(edge: WorkerTarget, answered: number): Promise<string> {
  const db = await edge.database("DB");
  const row = await db
    .prepare("SELECT COUNT(*) AS total, COALESCE(SUM(status <> 'accepted'), 0) AS finished FROM deliveries")
    .first<{ total: number; finished: number }>();
  const total = row?.total ?? 0;
  if (total < answered) {
    throw new PathSkippedError(EDGE, `${answered} deliveries were answered 2xx but the D1 ledger holds only ${total} rows.`);
  }
  return `${total} ledger rows for ${answered} deliveries answered 202 (in-flight requests at a window's end add a few); ingest had finished ${row?.finished ?? 0} of them when this was read.`;
}

async function main(): Promise<void> {
  exitCleanlyOnSignals();
  const load: LoadOptions = { seconds: readSeconds(), warmupSeconds: 1, connections: 10 };
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
  const state = (name: string) => join(work, "state", name);

  // One target at a time, each stopped before the next starts: the machine has
  // two cores, and leftover ingest runs of one target must not slow the next.
  progress(`starting ${BARE}`);
  const bare = await startWorkerTarget({ label: BARE, bundle: bareBundle, wranglerConfig, withBindings: false, vars: {}, stateDir: state("bare") });
  const bareRows = await measureSeries({ label: BARE, url: new URL(WEBHOOK_PATH, bare.url) }, payloads, load);
  await bare.stop();

  progress(`starting ${PROBOT}`);
  const probot = await startProbot(SECRET);
  const probotRows = await measureSeries({ label: PROBOT, url: new URL(PROBOT_WEBHOOKS_PATH, probot.url) }, payloads, load);
  await probot.stop();

  progress(`starting ${EDGE}`);
  const edge = await startWorkerTarget({ label: EDGE, bundle: edgeBundle, wranglerConfig, withBindings: true, vars: VARS, stateDir: state("edge") });
  const ledgerNotes: string[] = [];
  const edgeRows = await measureSeries(
    {
      label: EDGE,
      url: new URL(WEBHOOK_PATH, edge.url),
      probe: expectAccepted,
      after: async (answered) => {
        ledgerNotes.push(await ledgerNote(edge, answered));
      },
    },
    payloads,
    load,
  );
  await edge.stop();

  progress("starting the edge variants (same bundle as src/index.ts, handoff pieces stubbed per rung)");
  const variants = await startWorkerTarget({ label: "edge variants", bundle: variantsBundle, wranglerConfig, withBindings: true, vars: VARS, stateDir: state("variants") });
  const rungRows: Row[] = [];
  for (const variant of EDGE_VARIANTS) {
    const series: Series = { label: VARIANT_LABELS[variant], url: new URL(WEBHOOK_PATH, variants.url), headers: { [VARIANT_HEADER]: variant } };
    // verify-only answers before any route logic, so it has no handoff status to check.
    if (variant !== "verify-only") series.probe = expectAccepted;
    rungRows.push(...(await measureSeries(series, payloads, load)));
  }
  // The largest payload: Workflow params carry it, so it is the costlier create.
  const profilePayload = payloads.reduce((largest, payload) => (payload.body.byteLength > largest.body.byteLength ? payload : largest));
  progress(`timing the handoff's single operations inside the Worker (${profilePayload.event} payload)`);
  const profile = await fetchProfile({ label: "edge variants", url: new URL(PROFILE_PATH, variants.url) }, profilePayload);
  await variants.stop();

  const mainRows = [...edgeRows, ...bareRows, ...probotRows];
  const breakdownRows = [...bareRows, ...rungRows, ...edgeRows.map((row) => ({ ...row, target: FULL_RUNG }))];
  console.log(renderReport({ load, payloads, mainRows, breakdownRows, ledgerNotes, profile, profilePayload }));
}

interface Report {
  load: LoadOptions;
  payloads: readonly Payload[];
  mainRows: Row[];
  breakdownRows: Row[];
  ledgerNotes: string[];
  profile: HandoffProfile;
  profilePayload: Payload;
}

function renderReport(report: Report): string {
  const { load, payloads, mainRows, breakdownRows, ledgerNotes, profile, profilePayload } = report;
  const checks = checkGoals(mainRows, EDGE, BARE);
  const bareP99 = new Map(mainRows.filter((row) => row.target === BARE).map((row) => [row.payload, row.measurement.p99]));
  const sortByPayload = (rows: Row[]) => payloads.flatMap((payload) => rows.filter((row) => row.payload === payload.event));
  const rungs = {
    bare: BARE,
    verify: VARIANT_LABELS["verify-only"],
    route: VARIANT_LABELS["no-handoff"],
    ledger: VARIANT_LABELS["ledger-only"],
    workflow: VARIANT_LABELS["workflow-only"],
    full: FULL_RUNG,
  };
  return [
    `## Webhook acknowledgement: ${harnessName()}; Probot on node:http`,
    "",
    `autocannon, ${load.connections} connections, ${load.warmupSeconds} s warm-up then ${load.seconds} s measured per row (BENCH_SECONDS), 127.0.0.1, a fresh X-GitHub-Delivery per request.`,
    `Payloads (@octokit/webhooks-examples, compact JSON, signed once): ${payloads.map((payload) => `${payload.event} = ${payload.source}`).join("; ")}.`,
    "",
    renderThroughputTable(sortByPayload(mainRows), BARE, PROBOT),
    "",
    renderGoals(checks, EDGE, BARE, bareP99),
    "",
    `Ledger check: ${ledgerNotes.join(" Then ")}`,
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
