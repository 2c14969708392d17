/**
 * `node bench/waits.ts` (the third part of `npm run bench`): correlated waits
 * (invariant 10). How long a comment takes to reach the one run waiting on
 * its pull request, and what a comment nobody waits on costs, with 1, 100 and
 * 1,000 runs waiting in the repository; against the broadcast it replaced,
 * rebuilt in bench/workers/waits.ts and measured in the same run.
 *
 * Shaped by a limit met on the way: 1,000 real runs in one repository do not
 * start, because the GitHub emulator enforces GitHub's 5,000 requests an hour
 * per installation token and each run's start costs several (measured: the
 * 800s were reached, then every call was refused). So three harnesses:
 *  - the dispatcher alone inside workerd, for 1, 100 and 1,000 waits: the real
 *    wakeWaits and WaitRegistry Durable Object (offer, claim) and sendEvent to
 *    a recording Workflow binding, against the old D1 query + one sendEvent
 *    per run, each binding wrapped and counted;
 *  - the same two designs on the service's own Workflows engine, with 1 and
 *    100 real runs;
 *  - the whole path with real runs under the service and the GitHub emulator:
 *    a signed webhook → inbox → ingest → registry → the Workflows engine → the
 *    run's next step, whose GitHub call the emulator sees; 1 and 100 real runs,
 *    then the 100 with 900 more waits filed in the same registry.
 *
 * A report, not a test: a missed goal exits 0. It exits 1 when a target did
 * not start, answered non-2xx, or a design woke other runs than it should
 * have (the figures would time the wrong path).
 *
 * Runs on Node 22 directly (types stripped), hence erasable TypeScript only
 * and `.ts` import specifiers.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "../test/emulator/index.ts";
import type { Emulator, RecordedRequest } from "../test/emulator/types.ts";
import { signBody } from "../test/support/deliver.ts";
import { example, pullRequestOpened, retarget } from "../test/support/payloads.ts";
import { bundleWithWrangler } from "./build.ts";
import { exitCleanlyOnSignals, onCleanup, runBench } from "./cleanup.ts";
import { PathSkippedError, TargetAnswerError } from "./errors.ts";
import { harnessName, repoRoot, startWorkerTarget, type WorkerTarget } from "./harness.ts";
import { percentile } from "./report.ts";
import { ms, renderGoals, table, type Goal } from "./runs/stats.ts";
import { TENANT_USER_AGENT } from "./runs/workflows.ts";
import { WAITS_ROUTES, type Design, type FileRequest, type SeedRequest, type StateAnswer, type StateRequest, type WakeAnswer, type WakeCost, type WakeRequest } from "./waits-api.ts";

type Engine = WakeRequest["engine"];

const SECRET = "repoflow-bench-waits-secret";
const APP_ID = "4242";
const WAITING = [1, 100, 1_000] as const;
/** Per design, kind of comment and number of waiting runs, in the dispatcher harness. */
const DISPATCH_SAMPLES = 200;
const DISPATCH_WARMUPS = 10;
/** Real runs per repository in the full-path harness; the last gets 900 filed waits added for the 1,000 row. */
const REAL_RUNS = [1, 100] as const;
const FILED_UP_TO = 1_000;
const FULL_WARMUPS = 2;
const FULL_CORRELATED = 15;
const FULL_UNCORRELATED = 10;
/** Per design and kind of comment, on the service's own Workflows engine with the real runs. */
const REAL_ENGINE_SAMPLES = 10;
/** How many times one real run can be woken: its workflow waits again after each wake. */
const ROUNDS = 50;
/** Comments nobody waits on go to PR numbers from here up. */
const UNWATCHED_FROM = 50_000;
const START_TIMEOUT_MS = 240_000;
const WAKE_TIMEOUT_MS = 30_000;
/** The emulator quiet this long means the previous wake's check-run updates are done. */
const QUIET_MS = 400;
const SETTLE_TIMEOUT_MS = 30_000;
/** "Flat": the 1,000-wait p50 within this factor of the 1-wait p50, or within FLAT_SLACK_MS of it. */
const FLAT_FACTOR = 1.5;
const FLAT_SLACK_MS = 0.5;

const APPROVAL_WORKFLOW = `import { workflow } from "repoflow";

// The waits bench: each run waits on its own pull request's comments, again after every one.
export default workflow({
  name: "Approval",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const number = event.pull_request.number;
    for (let round = 1; round <= ${ROUNDS}; round++) {
      const comment = await step.waitFor(\`approval \${round}\`, { events: ["issue_comment.created"], for: { number }, timeout: "1 hour" });
      if (comment === null) return { rounds: round - 1 };
      await step.do(\`woken \${round}\`, async () => {
        await github.rest.issues.get({ ...repo, issue_number: number });
        return comment.deliveryId;
      });
    }
    return { rounds: ${ROUNDS} };
  },
});
`;

const progress = (message: string) => console.error(`· ${message}`);
const sleep = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, delayMs));

interface Sampled {
  n: number;
  p50: number;
  p99: number;
}

function sampled(values: readonly number[]): Sampled {
  if (values.length === 0) throw new RangeError("repoflow: no samples to summarize; a waits bench section measured nothing. Check its progress lines on stderr.");
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

/** new ÷ old, to two significant digits; 0 when new is 0. */
function times(value: number, baseline: number): string {
  if (baseline === 0) return value === 0 ? "1×" : "n/a";
  const r = value / baseline;
  return `${r === 0 ? "0" : r >= 10 ? r.toFixed(0) : r.toPrecision(2)}×`;
}

/** Costs per comment; identical from one comment to the next when the path is deterministic, so the mean prints as an integer. */
function perComment(costs: readonly WakeCost[], key: keyof WakeCost): string {
  const mean = costs.reduce((sum, cost) => sum + cost[key], 0) / costs.length;
  return Number.isInteger(mean) ? String(mean) : mean.toFixed(1);
}

async function postJson<T>(label: string, url: URL, body: unknown): Promise<{ ms: number; body: T }> {
  const started = performance.now();
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(120_000) });
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (!response.ok) throw new TargetAnswerError(label, `answered ${url.pathname} with ${response.status}: ${text.slice(0, 500)}`);
  return { ms: elapsed, body: JSON.parse(text) as T };
}

async function postWebhook(label: string, url: URL, event: string, payload: unknown, deliveryId = randomUUID()): Promise<number> {
  const body = JSON.stringify(payload);
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/repoflow-bench",
      "x-github-event": event,
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": signBody(body, SECRET),
    },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 202) throw new TargetAnswerError(label, `answered the ${event} webhook with ${response.status}: ${text.slice(0, 300)}`);
  const status = (JSON.parse(text) as { status?: unknown }).status;
  if (status !== "accepted") throw new PathSkippedError(label, `the ${event} webhook was answered "${String(status)}", not "accepted"`);
  return elapsed;
}

/** A new comment on `number`, from @octokit/webhooks-examples, as GitHub sends it for the repository. */
function commentOn(repository: string, installationId: number, number: number): Record<string, unknown> {
  const payload = retarget(example("issue_comment", "created"), { fullName: repository, installationId });
  payload.issue = { ...payload.issue, number };
  payload.comment = { ...payload.comment, body: "Looks good to me." };
  return payload;
}

async function waitUntil<T>(label: string, what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new PathSkippedError(label, `${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}

// ── One design against the other, comment by comment ───────────────────────

/** One design, one engine, one number of waiting runs: both kinds of comment. */
interface DesignRow {
  engine: Engine;
  waiting: number;
  design: Design;
  correlated: Sampled;
  uncorrelated: Sampled;
  correlatedCosts: WakeCost[];
  uncorrelatedCosts: WakeCost[];
}

interface Comparison {
  label: string;
  url: URL;
  repository: string;
  installationId: number;
  engine: Engine;
  waiting: number;
  warmups: number;
  samples: number;
  /** The PR a correlated comment of sample `i` goes to. */
  waitedNumber(sample: number): number;
  /** The run waiting on #number, when the bench knows its id (real runs' ids are the service's). */
  runIdOf(number: number): string | null;
  /** Runs before each comment (real engine: until every run waits and the emulator is quiet). */
  before(): Promise<void>;
  /** After a comment the registry matched: the run must wait again, so `waiting` runs keep waiting. Not timed. */
  rewait(number: number, sample: number): Promise<void>;
}

/**
 * Both designs on each comparison, interleaved comment by comment (for each
 * sample: every comparison in turn, each design a correlated and an
 * uncorrelated comment), so drift in the machine's load falls on every row
 * alike. An answer that woke other runs than the design should fails the bench.
 */
async function compareDesigns(comparisons: readonly Comparison[]): Promise<DesignRow[]> {
  const state = comparisons.map((c) => ({
    c,
    unwatched: UNWATCHED_FROM + c.waiting * 10 + (c.engine === "real" ? 5_000 : 0),
    kept: {
      registry: { c: [] as number[], u: [] as number[], cc: [] as WakeCost[], uc: [] as WakeCost[] },
      broadcast: { c: [] as number[], u: [] as number[], cc: [] as WakeCost[], uc: [] as WakeCost[] },
    },
  }));
  const once = async (entry: (typeof state)[number], design: Design, correlated: boolean, sample: number, keep: boolean) => {
    const { c } = entry;
    const number = correlated ? c.waitedNumber(sample) : entry.unwatched++;
    await c.before();
    const answer = await postJson<WakeAnswer>(c.label, new URL(WAITS_ROUTES.wake, c.url), {
      repository: c.repository,
      design,
      engine: c.engine,
      payload: commentOn(c.repository, c.installationId, number),
    } satisfies WakeRequest);
    const { woken, cost } = answer.body;
    const expected = design === "broadcast" ? c.waiting : correlated ? 1 : 0;
    const runId = correlated ? c.runIdOf(number) : null;
    if (woken.length !== expected || cost.sendEvents !== expected || (runId !== null && !woken.includes(runId))) {
      throw new PathSkippedError(
        c.label,
        `${design} sent ${cost.sendEvents} events to ${woken.length} runs for a comment on #${number} with ${c.waiting} waiting (expected ${expected}${runId ? `, among them ${runId}` : ""})`,
      );
    }
    if (design === "registry" && correlated) await c.rewait(number, sample);
    if (!keep) return;
    const into = entry.kept[design];
    (correlated ? into.c : into.u).push(answer.ms);
    (correlated ? into.cc : into.uc).push(cost);
  };
  const warmups = Math.max(...comparisons.map((c) => c.warmups));
  const samples = Math.max(...comparisons.map((c) => c.samples));
  for (let i = 0; i < warmups + samples; i++) {
    for (const entry of state) {
      const warm = i < entry.c.warmups;
      if (!warm && i - warmups >= entry.c.samples) continue;
      for (const design of ["registry", "broadcast"] as const) {
        if (warm) await once(entry, design, i % 2 === 0, i, false);
        else if (i >= warmups) {
          await once(entry, design, true, i, true);
          await once(entry, design, false, i, true);
        }
      }
    }
  }
  return state.flatMap(({ c, kept }) =>
    (["registry", "broadcast"] as const).map((design) => {
      const s = kept[design];
      return { engine: c.engine, waiting: c.waiting, design, correlated: sampled(s.c), uncorrelated: sampled(s.u), correlatedCosts: s.cc, uncorrelatedCosts: s.uc };
    }),
  );
}

// ── The dispatcher alone, inside workerd, on a recording binding ────────────

interface DispatchResult {
  floor: Sampled;
  rows: DesignRow[];
}

const DISPATCH = "waits bench Worker (dispatcher harness)";

async function measureDispatcher(target: WorkerTarget): Promise<DispatchResult> {
  const route = (path: string) => new URL(path, target.url);
  const floorSamples: number[] = [];
  for (let i = 0; i < DISPATCH_SAMPLES; i++) floorSamples.push((await postJson(DISPATCH, route(WAITS_ROUTES.noop), {})).ms);

  const comparisons: Comparison[] = [];
  for (const waiting of WAITING) {
    const repository = `bench/dispatch-${waiting}`;
    const runPrefix = `run-${waiting}-`;
    progress(`dispatcher: filing ${waiting} waits through RunWaits and seeding ${waiting} old-shape D1 rows`);
    await postJson(DISPATCH, route(WAITS_ROUTES.file), { repository, from: 1, to: waiting, runPrefix, name: "approval" } satisfies FileRequest);
    await postJson(DISPATCH, route(WAITS_ROUTES.seedBroadcast), { repository, runs: { from: 1, to: waiting, runPrefix } } satisfies SeedRequest);
    comparisons.push({
      label: DISPATCH,
      url: target.url,
      repository,
      installationId: 1,
      engine: "recording",
      waiting,
      warmups: DISPATCH_WARMUPS,
      samples: DISPATCH_SAMPLES,
      // Spread over the waiting runs; 7919 is prime, so every run is chosen before any twice.
      waitedNumber: (sample) => 1 + ((sample * 7919) % waiting),
      runIdOf: (number) => `${runPrefix}${number}`,
      before: async () => {},
      rewait: async (number, sample) => {
        await postJson(DISPATCH, route(WAITS_ROUTES.file), { repository, from: number, to: number, runPrefix, name: `approval after ${sample}` } satisfies FileRequest);
      },
    });
  }
  progress(`dispatcher, ${WAITING.join(" / ")} waiting in turn: ${DISPATCH_WARMUPS} warm-ups, then ${DISPATCH_SAMPLES} correlated and ${DISPATCH_SAMPLES} uncorrelated comments per design`);
  const rows = await compareDesigns(comparisons);
  return { floor: sampled(floorSamples), rows };
}

// ── The whole path, with real runs ──────────────────────────────────────────

interface Seen {
  at: number;
  method: string;
  path: string;
  tenant: boolean;
}

interface FullRow {
  /** Waits in the registry. */
  waiting: number;
  realRuns: number;
  correlated: Sampled;
  uncorrelated: Sampled;
  /** Per uncorrelated comment: run_steps rows added, runs whose wait ended, the tenants' GitHub calls. */
  stepsAdded: number[];
  waitsEnded: number[];
  tenantCalls: number[];
}

interface FullResult {
  ack: Sampled;
  rows: FullRow[];
  /** Both designs on the service's own engine, with the real runs. */
  realEngine: DesignRow[];
  setup: { runs: number; seconds: number; githubRequests: number }[];
}

const SERVICE = "repoflow service (waits bench Worker)";

async function measureFullPath(root: string, work: string, bundle: Awaited<ReturnType<typeof bundleWithWrangler>>): Promise<FullResult> {
  const seen: Seen[] = [];
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const emulator: Emulator = await startEmulator({
    appId: APP_ID,
    appPublicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
    onRequest: (request: RecordedRequest) => {
      seen.push({ at: performance.now(), method: request.method, path: request.path, tenant: (request.headers["user-agent"] ?? "").includes(TENANT_USER_AGENT) });
    },
  });
  const closeEmulator = onCleanup("GitHub emulator", () => emulator.close());
  let service: WorkerTarget | undefined;
  try {
    service = await startWorkerTarget({
      label: SERVICE,
      bundle,
      wranglerConfig: join(root, "wrangler.toml"),
      withBindings: true,
      vars: {
        REPOFLOW_ENV: "local",
        WEBHOOK_SECRET: SECRET,
        APP_ID,
        // GitHub hands out PKCS#1 keys; so does the emulator's App.
        PRIVATE_KEY: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
        GITHUB_API_URL: emulator.url,
      },
      stateDir: join(work, "state-full"),
    });
    const serviceUrl = service.url;
    const webhook = new URL("/webhooks/github", serviceUrl);
    const route = (path: string) => new URL(path, serviceUrl);
    // Through the bench route, not Miniflare's D1 proxy: the proxy's prepare() blocks Node's thread until workerd answers.
    const stateOf = async (repository: string, deliveryId: string | null = null) =>
      (await postJson<StateAnswer>(SERVICE, route(WAITS_ROUTES.state), { repository, deliveryId } satisfies StateRequest)).body;
    const waitingIn = async (repository: string) => (await stateOf(repository)).waiting;
    const tenantCallsSince = (from: number, repository: string) => seen.slice(from).filter((r) => r.tenant && r.path.startsWith(`/repos/${repository}/`)).length;

    /** Until `expected` runs wait and the emulator has been quiet: the previous wake's check-run updates are over. */
    const settle = async (repository: string, expected: number) => {
      await waitUntil(SERVICE, `${expected} runs of ${repository} waiting again`, async () => ((await waitingIn(repository)) === expected ? true : undefined), SETTLE_TIMEOUT_MS, 20);
      await waitUntil(SERVICE, "the emulator going quiet", () => (performance.now() - (seen.at(-1)?.at ?? 0) >= QUIET_MS ? true : undefined), SETTLE_TIMEOUT_MS, 20);
    };

    const ackSamples: number[] = [];
    const setup: FullResult["setup"] = [];
    const startRuns = async (repository: string, installationId: number, runs: number) => {
      progress(`full path: starting ${runs} real run${runs === 1 ? "" : "s"} on ${repository} (pull_request.opened each; every run then waits on its PR)`);
      emulator.addRepo({ fullName: repository, installationId, files: { ".workflows/approval.ts": APPROVAL_WORKFLOW } });
      const from = seen.length;
      const started = performance.now();
      for (let n = 1; n <= runs; n++) emulator.openPullRequest(repository, { number: n, title: `Bench PR ${n}`, head: `bench-${n}`, base: "main" });
      // Ten at a time: the inbox accepts each at once; the drain and the ingest runs take them as they can.
      for (let n = 1; n <= runs; n += 10) {
        await Promise.all(
          Array.from({ length: Math.min(10, runs - n + 1) }, (_, i) =>
            postWebhook(SERVICE, webhook, "pull_request", pullRequestOpened({ fullName: repository, installationId }, { number: n + i, headSha: emulator.headSha(repository, `bench-${n + i}`) })),
          ),
        );
      }
      await waitUntil(SERVICE, `${runs} runs of ${repository} waiting`, async () => ((await waitingIn(repository)) >= runs ? true : undefined), START_TIMEOUT_MS, 250);
      const seconds = (performance.now() - started) / 1000;
      await settle(repository, runs);
      const failed = (await stateOf(repository)).failedRuns;
      if (failed > 0) throw new PathSkippedError(SERVICE, `${failed} runs of ${repository} failed instead of waiting; see the log above`);
      setup.push({ runs, seconds, githubRequests: seen.length - from });
    };

    const correlated = async (repository: string, installationId: number, waiting: number, number: number): Promise<number> => {
      await settle(repository, waiting);
      const from = seen.length;
      const sent = performance.now();
      ackSamples.push(await postWebhook(SERVICE, webhook, "issue_comment", commentOn(repository, installationId, number)));
      const woken = await waitUntil(
        SERVICE,
        `the woken step's GitHub call for ${repository}#${number}`,
        () => seen.slice(from).find((r) => r.tenant && r.method === "GET" && r.path === `/repos/${repository}/issues/${number}`),
        WAKE_TIMEOUT_MS,
        1,
      );
      const others = seen.slice(from).filter((r) => r.tenant && r.method === "GET" && r.path.startsWith(`/repos/${repository}/issues/`) && r.path !== `/repos/${repository}/issues/${number}`);
      if (others.length > 0) throw new PathSkippedError(SERVICE, `a comment on #${number} woke other runs too: ${others.map((r) => r.path).join(", ")}`);
      return woken.at - sent;
    };

    const uncorrelated = async (repository: string, installationId: number, waiting: number, number: number) => {
      await settle(repository, waiting);
      const { steps } = await stateOf(repository);
      const from = seen.length;
      const deliveryId = randomUUID();
      const sent = performance.now();
      await postWebhook(SERVICE, webhook, "issue_comment", commentOn(repository, installationId, number), deliveryId);
      const done = await waitUntil(
        SERVICE,
        `the ingest of the comment on #${number} marking its delivery processed`,
        async () => ((await stateOf(repository, deliveryId)).delivery === "processed" ? performance.now() : undefined),
        WAKE_TIMEOUT_MS,
        5,
      );
      await sleep(QUIET_MS);
      const after = await stateOf(repository);
      return { ms: done - sent, stepsAdded: after.steps - steps, waitsEnded: waiting - after.waiting, tenantCalls: tenantCallsSince(from, repository) };
    };

    // 1 and 100 real runs, and 100 real runs plus filed waits up to FILED_UP_TO: each its own repository and installation (token, rate limit).
    const largest = REAL_RUNS.at(-1)!;
    const repositories = [
      ...REAL_RUNS.map((runs) => ({ repository: `bench/waits-real-${runs}`, runs, filed: 0 })),
      { repository: `bench/waits-real-${largest}-filed-${FILED_UP_TO - largest}`, runs: largest, filed: FILED_UP_TO - largest },
    ].map((entry, i) => ({ ...entry, installationId: 8100 + i, waits: entry.runs + entry.filed, unwatched: UNWATCHED_FROM + i * 1_000 }));
    for (const { repository, installationId, runs, filed } of repositories) {
      await startRuns(repository, installationId, runs);
      if (filed === 0) continue;
      progress(`full path: filing ${filed} more waits (PRs ${runs + 1}–${runs + filed}, run ids without a Workflow instance) in ${repository}'s registry`);
      await postJson(SERVICE, route(WAITS_ROUTES.file), { repository, from: runs + 1, to: runs + filed, runPrefix: "bench-filed-", name: "approval 1" } satisfies FileRequest);
    }

    progress(`full path, ${repositories.map((r) => r.waits).join(" / ")} waits in turn: ${FULL_WARMUPS} warm-ups, then ${FULL_CORRELATED} correlated and ${FULL_UNCORRELATED} uncorrelated comments each`);
    const samples = repositories.map(() => ({ c: [] as number[], u: [] as Awaited<ReturnType<typeof uncorrelated>>[] }));
    for (let i = 0; i < FULL_WARMUPS + Math.max(FULL_CORRELATED, FULL_UNCORRELATED); i++) {
      for (const [k, entry] of repositories.entries()) {
        const { repository, installationId, runs } = entry;
        const warm = i < FULL_WARMUPS;
        const sample = i - FULL_WARMUPS;
        if (warm || sample < FULL_CORRELATED) {
          const ms = await correlated(repository, installationId, runs, 1 + ((i * 37) % runs));
          if (!warm) samples[k]!.c.push(ms);
        }
        if (warm || sample < FULL_UNCORRELATED) {
          const cost = await uncorrelated(repository, installationId, runs, entry.unwatched++);
          if (!warm) samples[k]!.u.push(cost);
        }
      }
    }
    const rows: FullRow[] = repositories.map((entry, k) => {
      const { c, u } = samples[k]!;
      return {
        waiting: entry.waits,
        realRuns: entry.runs,
        correlated: sampled(c),
        uncorrelated: sampled(u.map((x) => x.ms)),
        stepsAdded: u.map((x) => x.stepsAdded),
        waitsEnded: u.map((x) => x.waitsEnded),
        tenantCalls: u.map((x) => x.tenantCalls),
      };
    });

    // Last: the old query needs its step shape, and the seeded row stays in each run's step list (the bench's counts leave it out).
    const onRealEngine = repositories.filter((entry) => entry.filed === 0);
    progress(`both designs on the service's engine, ${onRealEngine.map((r) => r.runs).join(" / ")} real runs in turn: ${REAL_ENGINE_SAMPLES} correlated and ${REAL_ENGINE_SAMPLES} uncorrelated comments each`);
    for (const { repository } of onRealEngine) await postJson(SERVICE, route(WAITS_ROUTES.seedBroadcast), { repository, runs: "existing" } satisfies SeedRequest);
    const realEngine = await compareDesigns(
      onRealEngine.map(({ repository, installationId, runs }) => ({
        label: SERVICE,
        url: serviceUrl,
        repository,
        installationId,
        engine: "real" as const,
        waiting: runs,
        warmups: 1,
        samples: REAL_ENGINE_SAMPLES,
        waitedNumber: (sample: number) => 1 + ((sample * 37) % runs),
        runIdOf: () => null,
        before: () => settle(repository, runs),
        // The registry's sendEvent woke a real run: it runs its step and waits again.
        rewait: () => settle(repository, runs),
      })),
    );
    if (emulator.violations.length > 0) throw new PathSkippedError(SERVICE, `the emulator saw requests GitHub would reject:\n${emulator.violations.slice(0, 10).join("\n")}`);
    return { ack: sampled(ackSamples), rows, realEngine, setup };
  } finally {
    await service?.stop();
    await closeEmulator();
  }
}

// ── Report ──────────────────────────────────────────────────────────────────

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

const HARNESS_LABEL: Record<Engine, string> = {
  recording: "dispatcher in workerd, recording binding",
  real: "dispatcher on the service's engine, real runs",
};

const DESIGN_LABEL: Record<Design, string> = {
  registry: "registry (new)",
  broadcast: "broadcast (old, rebuilt in bench/)",
};

function render(dispatch: DispatchResult, full: FullResult, harness: string, machine: string): string {
  const designRows = [...dispatch.rows, ...full.realEngine];
  const pairs = (engine: Engine) =>
    [...new Set(designRows.filter((r) => r.engine === engine).map((r) => r.waiting))].map((waiting) => {
      const find = (design: Design) => designRows.find((r) => r.engine === engine && r.waiting === waiting && r.design === design)!;
      return { engine, waiting, registry: find("registry"), old: find("broadcast") };
    });
  const allPairs = [...pairs("recording"), ...pairs("real")];
  const count = (n: number) => n.toLocaleString("en-US");
  const fullLabel = (r: FullRow) => (r.realRuns === r.waiting ? "full path, real runs" : `full path: ${r.realRuns} real runs + ${r.waiting - r.realRuns} waits filed without an instance`);

  // The old design's events, sent to today's runs on the real engine, have no taker: marked, as no run resumes.
  const sent = (costs: readonly WakeCost[], r: DesignRow) => (r.engine === "real" && r.design === "broadcast" ? `${perComment(costs, "sendEvents")} ‡` : perComment(costs, "sendEvents"));
  const correlatedRows = allPairs.flatMap(({ engine, waiting, registry, old }) =>
    [registry, old].map((r) => [
      count(waiting),
      HARNESS_LABEL[engine],
      DESIGN_LABEL[r.design],
      String(r.correlated.n),
      ms(r.correlated.p50),
      ms(r.correlated.p99),
      r === registry ? times(registry.correlated.p50, old.correlated.p50) : "1×",
      sent(r.correlatedCosts, r),
      perComment(r.correlatedCosts, "durableObjectCalls"),
      perComment(r.correlatedCosts, "d1Queries"),
    ]),
  );
  const costCells = (costs: readonly WakeCost[], r: DesignRow) => [
    sent(costs, r),
    r.design === "registry" ? perComment(costs, "sendEvents") : `${perComment(costs, "sendEvents")} †`,
    perComment(costs, "instanceLookups"),
    perComment(costs, "durableObjectCalls"),
    perComment(costs, "d1Queries"),
  ];
  const uncorrelatedRows = allPairs.flatMap(({ engine, waiting, registry, old }) =>
    [registry, old].map((r) => [
      count(waiting),
      `${DESIGN_LABEL[r.design]}; ${HARNESS_LABEL[engine]}`,
      String(r.uncorrelated.n),
      ms(r.uncorrelated.p50),
      ms(r.uncorrelated.p99),
      r === registry ? times(registry.uncorrelated.p50, old.uncorrelated.p50) : "1×",
      ...costCells(r.uncorrelatedCosts, r),
    ]),
  );
  const ratios = allPairs.map(({ engine, waiting, registry, old }) => {
    const wakeUps = (r: DesignRow) => sum(r.uncorrelatedCosts.map((c) => c.sendEvents));
    return `- ${count(waiting)} waiting, ${HARNESS_LABEL[engine]}: wake-ups per uncorrelated comment new/old ${perComment(registry.uncorrelatedCosts, "sendEvents")}/${perComment(old.uncorrelatedCosts, "sendEvents")} = ${times(wakeUps(registry), wakeUps(old))}; p50 new/old ${ms(registry.uncorrelated.p50)}/${ms(old.uncorrelated.p50)} ms = ${times(registry.uncorrelated.p50, old.uncorrelated.p50)} (uncorrelated), ${ms(registry.correlated.p50)}/${ms(old.correlated.p50)} ms = ${times(registry.correlated.p50, old.correlated.p50)} (correlated).`;
  });

  const flatWithin = (low: number, high: number) => high <= Math.max(low * FLAT_FACTOR, low + FLAT_SLACK_MS);
  const registryAt = (waiting: number) => dispatch.rows.find((r) => r.design === "registry" && r.waiting === waiting)!;
  const fewest = registryAt(WAITING[0]);
  const most = registryAt(WAITING.at(-1)!);
  const fullFewest = full.rows[0]!;
  const fullMost = full.rows.at(-1)!;
  const registryRows = designRows.filter((r) => r.design === "registry");
  const wakeUps = sum(registryRows.flatMap((r) => r.uncorrelatedCosts.map((c) => c.sendEvents)));
  const fullComments = sum(full.rows.map((r) => r.uncorrelated.n));
  const fullStepsAdded = sum(full.rows.flatMap((r) => r.stepsAdded));
  const fullWaitsEnded = sum(full.rows.flatMap((r) => r.waitsEnded));
  const fullTenantCalls = sum(full.rows.flatMap((r) => r.tenantCalls));
  const goals: Goal[] = [
    {
      name: "an uncorrelated comment wakes no run",
      met: wakeUps === 0 && fullWaitsEnded === 0 && fullTenantCalls === 0,
      measured: `${wakeUps} sendEvent calls over ${sum(registryRows.map((r) => r.uncorrelated.n))} comments through wakeWaits (both engines); on the full path ${fullWaitsEnded} waits ended and tenant code made ${fullTenantCalls} GitHub calls over ${fullComments} comments`,
    },
    {
      name: "an uncorrelated comment adds no Workflow step",
      met: fullStepsAdded === 0,
      measured: `${fullStepsAdded} run_steps rows added over ${fullComments} comments on the full path (${count(fullFewest.waiting)} to ${count(fullMost.waiting)} waits)`,
    },
    {
      name: `flat p50 from ${count(WAITING[0])} to ${count(WAITING.at(-1)!)} waiting runs, uncorrelated comment, dispatcher (within ${FLAT_FACTOR}× or +${FLAT_SLACK_MS} ms)`,
      met: flatWithin(fewest.uncorrelated.p50, most.uncorrelated.p50),
      measured: WAITING.map((waiting) => `${ms(registryAt(waiting).uncorrelated.p50)} ms at ${count(waiting)}`).join(", "),
    },
    {
      name: `flat p50 from ${count(fullFewest.waiting)} to ${count(fullMost.waiting)} waits, uncorrelated comment, full path (within ${FLAT_FACTOR}×)`,
      met: fullMost.uncorrelated.p50 <= fullFewest.uncorrelated.p50 * FLAT_FACTOR,
      measured: full.rows.map((r) => `${ms(r.uncorrelated.p50)} ms at ${count(r.waiting)}`).join(", "),
    },
  ];
  const perRun = (s: FullResult["setup"][number]) => (s.githubRequests / s.runs).toFixed(1);

  return [
    "# Correlated waits (invariant 10)",
    "",
    `Machine: ${machine}`,
    `Harness: ${harness}; the Worker is src/index.ts plus the bench routes of bench/workers/waits.ts, bundled by wrangler with wrangler.toml's bindings.`,
    "",
    "What each harness is (named in every row):",
    `- **${HARNESS_LABEL.recording}**: one request to the bench Worker hands an \`issue_comment.created\` (from @octokit/webhooks-examples) to one design and answers when it is done. ` +
      "*registry (new)*: the real `wakeWaits` → the real `WaitRegistry` Durable Object (`offer`, and `claim` when a wait matched) → `sendEvent` to a recording Workflow binding that says every run is waiting and only counts. " +
      "*broadcast (old)*: `forwardToWaitingRuns` as it was before 612a9db: one D1 query over the real schema for every running run of the repository with a step waiting for `issue_comment`, then `get` + `sendEvent` per run, to the same recording binding. " +
      "Every wait is on its own PR number. Timed from Node, the request's round trip (the floor row is the empty route's).",
    `- **${HARNESS_LABEL.real}**: the same two designs, through the same route, with the service's own \`WORKFLOWS\` binding and the real runs below: the registry's \`sendEvent\` wakes the one real run; the broadcast's \`issue_comment\` events reach every run's instance, which today's runs (waiting on their wait's own event type) never take, so no run resumes: the old design's dispatcher cost, a lower bound of its whole cost.`,
    `- **full path, real runs**: the service under Miniflare with the GitHub emulator. A signed webhook POST → edge → \`INBOX\` → ingest Workflow → \`WaitRegistry\` → the Workflows engine resumes the run → its Dynamic Worker runs the next step, whose \`GET /repos/{r}/issues/{n}\` the emulator receives. ` +
      `Each run is a real Workflow started by \`pull_request.opened\`, waiting in \`step.waitFor\` on its own PR. The ${count(FILED_UP_TO)} row is a third repository with ${REAL_RUNS.at(-1)} real runs plus ${count(FILED_UP_TO - REAL_RUNS.at(-1)!)} waits filed through the same \`RunWaits.register\` for run ids with no Workflow instance (the registry holds the same rows; the engine holds ${REAL_RUNS.at(-1)} waiting instances, not ${count(FILED_UP_TO)}). ` +
      `${count(FILED_UP_TO)} real runs in one repository do not start here: the emulator enforces GitHub's 5,000 requests an hour per installation token, and a run's start cost ${perRun(full.setup.at(-1)!)} of them (setup below), before any wake (bench/README.md).`,
    "",
    "## 1. Correlated comment → the woken step",
    "",
    table(
      ["waiting runs", "harness", "design", "n", "p50 ms", "p99 ms", "new ÷ old p50", "events sent", "Durable Object calls", "D1 queries"],
      ["r", "l", "l", "r", "r", "r", "r", "r", "r", "r"],
      [
        ["—", "floor: empty bench route round trip", "", String(dispatch.floor.n), ms(dispatch.floor.p50), ms(dispatch.floor.p99), "", "", "", ""],
        ...correlatedRows,
        ["—", "floor: the service's webhook 202 (full-path samples)", "", String(full.ack.n), ms(full.ack.p50), ms(full.ack.p99), "", "", "", ""],
        ...full.rows.map((r) => [count(r.waiting), fullLabel(r), DESIGN_LABEL.registry, String(r.correlated.n), ms(r.correlated.p50), ms(r.correlated.p99), "(old path is gone)", "", "not counted", "not counted"]),
      ],
    ),
    "",
    "Dispatcher rows: from the request to the bench Worker until the design has sent the event to the matching run and returned; the broadcast returns after sending to every waiting run, as its ingest step did. " +
      "Counts are per comment, at the bindings (below). ‡ sent to the real instances as the old design did, with the event's own type, which no run of today's code waits for: in the old design each of them woke its run; here none resumes. " +
      "Full-path rows: from sending the signed webhook until the emulator received the woken step's GitHub call. " +
      `p99 is nearest-rank: with n = ${FULL_CORRELATED} or ${REAL_ENGINE_SAMPLES} it is the slowest sample.`,
    "",
    "## 2. One uncorrelated comment (a PR nobody waits on)",
    "",
    table(
      ["waiting runs", "design; harness", "n", "p50 ms", "p99 ms", "new ÷ old p50", "tenant wake-ups (sendEvent)", "Workflow steps added", "instance lookups", "Durable Object calls", "D1 queries"],
      ["r", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
      [
        ...uncorrelatedRows,
        ...full.rows.map((r) => [
          count(r.waiting),
          `${DESIGN_LABEL.registry}; ${fullLabel(r)}: webhook → delivery processed`,
          String(r.uncorrelated.n),
          ms(r.uncorrelated.p50),
          ms(r.uncorrelated.p99),
          "",
          `${sum(r.waitsEnded)} waits ended, ${sum(r.tenantCalls)} tenant GitHub calls`,
          String(sum(r.stepsAdded)),
          "not counted",
          "not counted",
          "not counted",
        ]),
      ],
    ),
    "",
    "Dispatcher rows count per comment, at the bindings each design was handed (bench/workers/waits.ts wraps WAITS, DB and WORKFLOWS): `sendEvent` calls; `WORKFLOWS.get` + `instance.status()`; RPCs on WAITS stubs; D1 statements. " +
      `Full-path rows count over all their comments what the runs show: \`run_steps\` rows added and waits that left \`waiting\` (read from D1 once the delivery was processed and ${QUIET_MS} ms had passed), and GitHub calls by tenant code; ` +
      "their time is from sending the webhook until ingest marked the delivery processed (polled every 5 ms): the whole ingest of a comment that starts nothing, whose wake step is one of several. " +
      "† derived, not measured: the old tenants are gone from src/. Each run the broadcast reached resumed, ran `match` in its Dynamic Worker and, on a no, waited again under a new step `name #k` (612a9db^:src/runtime/host.ts), " +
      "and its ReportingStep recorded the finished step and the new one (finishStep: 2 D1 statements; startStep: a batch of 2; a `listSteps` and a check-run update after each). " +
      "So per comment and waiting run: 1 wake-up, 1 Workflow step, 6 D1 statements and 2 GitHub calls more than the table's columns, which count the dispatcher's side only.",
    "",
    "New ÷ old:",
    ...ratios,
    "",
    `Full-path setup (pull_request.opened → every run waiting): ${full.setup.map((s) => `${s.runs} run${s.runs === 1 ? "" : "s"} in ${s.seconds.toFixed(1)} s, ${s.githubRequests} GitHub requests (${perRun(s)} per run)`).join("; ")}.`,
    "",
    "## Goals (invariant 10)",
    "",
    renderGoals(goals),
  ].join("\n");
}

async function main(): Promise<void> {
  exitCleanlyOnSignals();
  const loadAtStart = loadavg()[0]!;
  const root = repoRoot();
  const work = mkdtempSync(join(tmpdir(), "repoflow-bench-waits-"));
  const removeWork = () => rmSync(work, { recursive: true, force: true, maxRetries: 3 });
  onCleanup("temp dir", removeWork, removeWork);

  progress("bundling bench/workers/waits.ts (src/index.ts + the bench routes) with wrangler");
  const bundle = await bundleWithWrangler(root, "bench/workers/waits.ts", join(work, "build"));
  const dispatcher = await startWorkerTarget({
    label: DISPATCH,
    bundle,
    wranglerConfig: join(root, "wrangler.toml"),
    withBindings: true,
    // Nothing here reaches GitHub: no wait asks for a role.
    vars: { REPOFLOW_ENV: "local", WEBHOOK_SECRET: SECRET, APP_ID, GITHUB_API_URL: "http://127.0.0.1:9" },
    stateDir: join(work, "state-dispatch"),
  });
  let dispatch: DispatchResult;
  try {
    dispatch = await measureDispatcher(dispatcher);
  } finally {
    await dispatcher.stop();
  }
  const full = await measureFullPath(root, work, bundle);
  const machine = `${availableParallelism()} cores; 1-minute load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end (above ≈ 1, other processes competed for the cores and the figures are noisier).`;
  console.log(render(dispatch, full, harnessName(), machine));
}

await runBench(main);
