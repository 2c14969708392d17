/**
 * Event → first step, end to end: a signed `pull_request.opened` sent to the
 * real service (src/index.ts bundled by wrangler, run under Miniflare through
 * bench/harness.ts, the webhook bench's harness) until the GitHub API emulator
 * receives the first step's one call (`github.rest.repos.get(repo)`, told from
 * the service's own calls by the SDK's user agent). Warm: the bundle is already
 * compiled and its Dynamic Worker loaded. Cold: a repository whose `.workflows/`
 * content is new, so the path includes the tree fetch, esbuild-wasm, the R2
 * write and describe() in a new Dynamic Worker.
 *
 * Shaped by the service running its work in the background (inbox alarm →
 * ingest Workflow → run Workflow, each reporting to GitHub): every sample waits
 * until the emulator has been quiet for a moment before the next one, so a
 * run's trailing check-run updates never overlap the next measurement; and
 * every GitHub request is kept with its time, so each sample can be split into
 * phases by what the emulator saw.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { join } from "node:path";
import { startEmulator } from "../../test/emulator/index.ts";
import type { Emulator, RecordedRequest } from "../../test/emulator/types.ts";
import { signBody } from "../../test/support/deliver.ts";
import { pullRequestOpened } from "../../test/support/payloads.ts";
import { bundleWithEsbuild, bundleWithWrangler } from "../build.ts";
import { onCleanup } from "../cleanup.ts";
import { PathSkippedError, TargetAnswerError } from "../errors.ts";
import { startWorkerTarget, type WorkerTarget } from "../harness.ts";
import { ms, ratio, spread, table, type Spread } from "./stats.ts";
import { asFileMap, TENANT_USER_AGENT, workflowTree } from "./workflows.ts";

const SECRET = "repoflow-bench-runs-secret";
const APP_ID = "4242";
const FILES = 10;
const COLD_SAMPLES = 5;
const WARM_UPS = 3;
const WARM_SAMPLES = 24;
/** Samples with GitHub answering the service late: enough for a p50, short of doubling the section. */
const SLOW_SAMPLES = 12;
/** What GitHub's API takes per call from a Worker (ARCHITECTURE.md: ≥ 100 ms); the emulator answers in ≈ 1 ms. */
export const GITHUB_DELAY_MS = 100;
const FIRST_STEP_TIMEOUT_MS = 60_000;
/** The emulator quiet this long means the previous run has finished reporting. */
const QUIET_MS = 1_500;
const QUIET_TIMEOUT_MS = 20_000;

interface Seen {
  at: number;
  method: string;
  path: string;
  tenant: boolean;
}

export interface Sample {
  repository: string;
  /** The webhook's 202, from sending. */
  ackMs: number;
  firstStepMs: number;
  /** The service's GitHub calls before the first step's, offsets from sending. */
  calls: { ms: number; call: string }[];
}

export interface LatencyResult {
  cold: Sample[];
  warm: Sample[];
  warmSpread: Spread;
  /** Warm again, with every call of the service's own to the repository answered GITHUB_DELAY_MS late. */
  slow: Sample[];
  slowSpread: Spread;
  bare: Spread;
}

const progress = (message: string) => console.error(`· ${message}`);
const sleep = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, delayMs));

async function post(label: string, url: URL, event: string, body: string): Promise<{ ms: number; status: string }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/repoflow-bench",
      "x-github-event": event,
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": signBody(body, SECRET),
    },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 202) throw new TargetAnswerError(label, `answered the webhook with ${response.status}: ${text.slice(0, 300)}`);
  return { ms: elapsed, status: text ? String((JSON.parse(text) as { status?: unknown }).status) : "" };
}

async function waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new PathSkippedError("repoflow service", `${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(1);
  }
}

export async function measureLatency(root: string, work: string): Promise<LatencyResult> {
  progress("bundling src/index.ts with wrangler (its [build] runs scripts/build-runtime.mjs) and bench/workers/bare.ts with esbuild");
  const serviceBundle = await bundleWithWrangler(root, "src/index.ts", join(work, "service"));
  const bareBundle = await bundleWithEsbuild(join(root, "bench", "workers", "bare.ts"), join(work, "bare"));
  const wranglerConfig = join(root, "wrangler.toml");

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
    progress("baseline: the bare Worker in the same harness, 20 signed pull_request POSTs");
    const bare = await startWorkerTarget({ label: "bare Worker", bundle: bareBundle, wranglerConfig, withBindings: false, vars: {}, stateDir: join(work, "state-bare") });
    const bareSamples: number[] = [];
    try {
      const body = JSON.stringify(pullRequestOpened({ fullName: "bench/bare", installationId: 1 }, { number: 1, headSha: "0".repeat(40) }));
      for (let i = 0; i < 25; i++) bareSamples.push((await post("bare Worker", new URL("/webhooks/github", bare.url), "pull_request", body)).ms);
    } finally {
      await bare.stop();
    }

    service = await startWorkerTarget({
      label: "repoflow service",
      bundle: serviceBundle,
      wranglerConfig,
      withBindings: true,
      vars: {
        REPOFLOW_ENV: "local",
        WEBHOOK_SECRET: SECRET,
        APP_ID,
        // GitHub hands out PKCS#1 keys; so does the emulator's App.
        PRIVATE_KEY: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
        GITHUB_API_URL: emulator.url,
      },
      stateDir: join(work, "state-service"),
    });
    const webhook = new URL("/webhooks/github", service.url);

    const quiet = async () => {
      const deadline = performance.now() + QUIET_TIMEOUT_MS;
      while (performance.now() < deadline && performance.now() - (seen.at(-1)?.at ?? 0) < QUIET_MS) await sleep(50);
    };

    const measure = async (repository: string, installationId: number, number: number): Promise<Sample> => {
      emulator.openPullRequest(repository, { number, title: `Bench PR ${number}`, head: `bench-${number}`, base: "main" });
      const payload = pullRequestOpened({ fullName: repository, installationId }, { number, headSha: emulator.headSha(repository, `bench-${number}`) });
      const body = JSON.stringify(payload);
      const from = seen.length;
      const sent = performance.now();
      const ack = await post("repoflow service", webhook, "pull_request", body);
      if (ack.status !== "accepted") throw new PathSkippedError("repoflow service", `the webhook was answered "${ack.status}", not "accepted"`);
      const firstStep = await waitUntil(
        `the first step's GitHub call for ${repository}#${number}`,
        () => seen.slice(from).find((request) => request.tenant && request.method === "GET" && request.path === `/repos/${repository}`),
        FIRST_STEP_TIMEOUT_MS,
      );
      const calls = seen
        .slice(from)
        .filter((request) => request.at <= firstStep.at && !request.tenant && (request.path.startsWith(`/repos/${repository}/`) || request.path.startsWith("/app/")))
        .map((request) => ({ ms: request.at - sent, call: `${request.method} ${request.path.replace(`/repos/${repository}`, "/repos/{r}").replace(/\b[0-9a-f]{40}\b|\/\d+(?=\/|$)/g, (id) => (id.startsWith("/") ? "/{id}" : "{sha}"))}` }));
      await quiet();
      return { repository, ackMs: ack.ms, firstStepMs: firstStep.at - sent, calls };
    };

    const cold: Sample[] = [];
    for (let i = 0; i < COLD_SAMPLES; i++) {
      progress(`event → first step, cold ${i + 1}/${COLD_SAMPLES}: new .workflows content (${FILES} files)`);
      const repository = `bench/cold-${i}`;
      emulator.addRepo({ fullName: repository, installationId: 7100 + i, files: asFileMap(workflowTree(FILES, `cold ${i} ${randomUUID()}`)) });
      cold.push(await measure(repository, 7100 + i, 1));
    }

    progress(`event → first step, warm: ${WARM_UPS} warm-ups, then ${WARM_SAMPLES} events`);
    emulator.addRepo({ fullName: "bench/warm", installationId: 7200, files: asFileMap(workflowTree(FILES, `warm ${randomUUID()}`)) });
    for (let n = 1; n <= WARM_UPS; n++) await measure("bench/warm", 7200, n);
    const warm: Sample[] = [];
    for (let n = WARM_UPS + 1; n <= WARM_UPS + WARM_SAMPLES; n++) warm.push(await measure("bench/warm", 7200, n));

    // A call on the critical path shows up as the delay in the first step's time; one beside it does not.
    // The tenant's own first call (GET /repos/{r}) is left alone: it is the measurement's end.
    progress(`event → first step, warm with the service's GitHub calls ${GITHUB_DELAY_MS} ms late: ${SLOW_SAMPLES} events`);
    const delay = emulator.inject({ kind: "delay", ms: GITHUB_DELAY_MS, path: /^\/repos\/bench\/warm\/.+|^\/app\// });
    const slow: Sample[] = [];
    try {
      for (let n = WARM_UPS + WARM_SAMPLES + 1; n <= WARM_UPS + WARM_SAMPLES + SLOW_SAMPLES; n++) slow.push(await measure("bench/warm", 7200, n));
    } finally {
      emulator.clearFaults(delay);
    }
    if (emulator.violations.length > 0) throw new PathSkippedError("repoflow service", `the emulator saw requests GitHub would reject:\n${emulator.violations.slice(0, 10).join("\n")}`);
    return { cold, warm, warmSpread: spread(warm.map((sample) => sample.firstStepMs)), slow, slowSpread: spread(slow.map((sample) => sample.firstStepMs)), bare: spread(bareSamples) };
  } finally {
    await service?.stop();
    await closeEmulator();
  }
}

/** Consecutive calls of one kind (the blob downloads) folded into one entry with their first and last offsets. */
function timeline(sample: Sample): string {
  const groups: { call: string; first: number; last: number; count: number }[] = [];
  for (const { call, ms: at } of sample.calls) {
    const last = groups.at(-1);
    if (last?.call === call) {
      last.last = at;
      last.count++;
    } else groups.push({ call, first: at, last: at, count: 1 });
  }
  const entries = groups.map((g) => (g.count === 1 ? `${g.call} @${g.first.toFixed(0)}` : `${g.call} ×${g.count} @${g.first.toFixed(0)}–${g.last.toFixed(0)}`));
  return `sent @0 → ${entries.join(" → ")} → first step @${sample.firstStepMs.toFixed(0)} ms`;
}

export function renderLatency(result: LatencyResult, harness: string): string {
  const ack = spread(result.warm.map((sample) => sample.ackMs));
  const { warmSpread: warm, bare } = result;
  const medianWarm = [...result.warm].sort((a, b) => a.firstStepMs - b.firstStepMs)[Math.floor(result.warm.length / 2)]!;
  return [
    `## Event → first step: the real service under ${harness}, with the GitHub emulator on 127.0.0.1`,
    "",
    `From sending a signed \`pull_request.opened\` to the emulator receiving the first step's \`GET /repos/{owner}/{repo}\`, for a repository of ${FILES} workflow files of which one matches. ` +
      "The path: signature, inbox write and 202; the inbox alarm decides (the repository's index in D1, its waits) → an ingest Workflow; the bundle (warm: named by the index, no GitHub call; cold: HEAD from GitHub, tree listing, blobs, esbuild-wasm, R2, describe() in a new Dynamic Worker); the `if` in the tenant; the run Workflow started, its check run opening beside it; the Dynamic Worker loaded; the first step's call through the gateway. " +
      `Each sample starts once the previous run has stopped calling GitHub. The baseline is the same harness's round trip to a bare Worker that answers 202 to the same signed POST.`,
    "",
    table(
      ["path", "n", "p50 ms", "p90 ms", "max ms", "× bare Worker p50"],
      ["l", "r", "r", "r", "r", "r"],
      [
        ["baseline: bare Worker, signed POST → 202", String(bare.n), ms(bare.p50), ms(bare.p90), ms(bare.max), "1.0×"],
        ["the service's 202 (warm samples)", String(ack.n), ms(ack.p50), ms(ack.p90), ms(ack.max), ratio(ack.p50, bare.p50)],
        [`warm: bundle compiled and loaded`, String(warm.n), ms(warm.p50), ms(warm.p90), ms(warm.max), ratio(warm.p50, bare.p50)],
        [`warm, the service's GitHub calls answered ${GITHUB_DELAY_MS} ms late`, String(result.slowSpread.n), ms(result.slowSpread.p50), ms(result.slowSpread.p90), ms(result.slowSpread.max), ratio(result.slowSpread.p50, bare.p50)],
        ...result.cold.map((sample, i) => [
          `cold ${i + 1}: new content, ${FILES} files${i === 0 ? " (first compile in the isolate: includes esbuild-wasm's initialize())" : ""}`,
          "1",
          ms(sample.firstStepMs),
          "",
          "",
          ratio(sample.firstStepMs, bare.p50),
        ]),
      ],
    ),
    "",
    "Where the time goes, by the service's GitHub calls before the first step's (ms from sending; a call listed here was sent before the first step's, not necessarily waited for: the slowed row says whether the path waits on GitHub):",
    `- warm, median sample: ${timeline(medianWarm)}`,
    `- warm with GitHub slowed, median sample: ${timeline([...result.slow].sort((a, b) => a.firstStepMs - b.firstStepMs)[Math.floor(result.slow.length / 2)]!)}`,
    ...result.cold.map((sample, i) => `- cold ${i + 1}: ${timeline(sample)}`),
  ].join("\n");
}
