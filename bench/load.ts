/**
 * Drives one target with one payload through autocannon: a probe request,
 * a warm-up, then the measured window. Every request carries a fresh
 * X-GitHub-Delivery (GitHub's ids are UUIDs), or the edge would take its
 * duplicate path after the first one; the signature covers only the body, so
 * one signature serves every request.
 *
 * Latency comes from autocannon's per-response event rather than its
 * histogram, which records whole milliseconds: at loopback speeds p50 is
 * often under one.
 */
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { TargetAnswerError } from "./errors.ts";
import type { Payload } from "./payloads.ts";
import { summarize, type Measurement } from "./report.ts";
import type { HandoffProfile } from "./variants.ts";

export interface Endpoint {
  label: string;
  url: URL;
  /** Headers on top of GitHub's, e.g. the breakdown rung. */
  headers?: Record<string, string>;
}

export interface LoadOptions {
  seconds: number;
  warmupSeconds: number;
  connections: number;
}

/** What the target said to the probe; return a complaint to stop the bench, or null. */
export type ProbeCheck = (status: number, body: string) => string | null;

export interface LoadResult {
  measurement: Measurement;
  /** 2xx answers over probe, warm-up and window: what the target must have recorded at least. */
  answered: number;
  /** Answers over probe, warm-up and window by the `status` their JSON body names ("accepted", "duplicate"; NO_STATUS for none). */
  statuses: Record<string, number>;
}

export const NO_STATUS = "(no status)";

// The edge answers {"delivery":…,"status":…}; a regex keeps the tally cheap on the two cores autocannon shares.
const STATUS_FIELD = /"status":"([a-z_]+)"/;

function tally(statuses: Record<string, number>, body: string): void {
  const status = STATUS_FIELD.exec(body)?.[1] ?? NO_STATUS;
  statuses[status] = (statuses[status] ?? 0) + 1;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  "2xx": number;
}
interface AutocannonInstance {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: AutocannonResult) => void) => AutocannonInstance;

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

export function githubHeaders(payload: Payload, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/repoflow-bench",
    "x-github-event": payload.event,
    "x-github-hook-id": "1",
    "x-hub-signature-256": payload.signature,
    ...extra,
  };
}

/** A warm-up of 0 s measures from the probe on: a burst into a freshly started target. */
export async function measure(endpoint: Endpoint, payload: Payload, options: LoadOptions, probeCheck?: ProbeCheck): Promise<LoadResult> {
  const statuses: Record<string, number> = {};
  await probe(endpoint, payload, probeCheck, statuses);
  let warmedUp = 0;
  if (options.warmupSeconds > 0) {
    const warmup = await run(endpoint, payload, options.warmupSeconds, options.connections, null, statuses);
    await assertAllAnswered(endpoint, payload, warmup);
    warmedUp = warmup["2xx"];
  }
  const latencies: number[] = [];
  const window = await run(endpoint, payload, options.seconds, options.connections, latencies, statuses);
  await assertAllAnswered(endpoint, payload, window);
  return {
    measurement: summarize(latencies, window["2xx"], window.duration),
    answered: 1 + warmedUp + window["2xx"],
    statuses,
  };
}

async function probe(endpoint: Endpoint, payload: Payload, check: ProbeCheck | undefined, statuses: Record<string, number>): Promise<void> {
  const { status, body } = await send(endpoint, payload);
  if (status < 200 || status > 299) {
    throw new TargetAnswerError(endpoint.label, `answered the first ${payload.event} delivery with ${status}: ${body.slice(0, 500)}`);
  }
  const complaint = check?.(status, body);
  if (complaint) throw new TargetAnswerError(endpoint.label, complaint);
  tally(statuses, body);
}

async function send(endpoint: Endpoint, payload: Payload): Promise<{ status: number; body: string }> {
  const response = await fetch(endpoint.url, {
    method: "POST",
    headers: githubHeaders(payload, { "x-github-delivery": randomUUID(), ...endpoint.headers }),
    body: payload.body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.text() };
}

function run(
  endpoint: Endpoint,
  payload: Payload,
  seconds: number,
  connections: number,
  latencies: number[] | null,
  statuses: Record<string, number>,
): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: endpoint.url.href,
        connections,
        duration: seconds,
        timeout: 10,
        method: "POST",
        headers: githubHeaders(payload, endpoint.headers),
        body: payload.body,
        // Called once per answer; always true, so it tallies without counting mismatches.
        verifyBody(body: string) {
          tally(statuses, body);
          return true;
        },
        requests: [
          {
            // autocannon copies the headers object per request before this runs.
            setupRequest(request: { headers: Record<string, string> }) {
              request.headers["x-github-delivery"] = randomUUID();
              return request;
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (latencies) instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

/** Fails loudly on any non-2xx or socket error, showing one fresh answer so the cause is on screen. */
async function assertAllAnswered(endpoint: Endpoint, payload: Payload, result: AutocannonResult): Promise<void> {
  if (result.non2xx === 0 && result.errors === 0) return;
  const codes = Object.entries(result.statusCodeStats)
    .map(([code, { count }]) => `${code}×${count}`)
    .join(", ");
  const sample = await send(endpoint, payload).then(
    ({ status, body }) => `a fresh delivery now gets ${status}: ${body.slice(0, 300)}`,
    (error: unknown) => `a fresh delivery now fails: ${String(error)}`,
  );
  throw new TargetAnswerError(
    endpoint.label,
    `answered ${payload.event} deliveries with ${result.non2xx} non-2xx and ${result.errors} errors (${result.timeouts} timeouts); status codes: ${codes || "none"}; ${sample}.`,
  );
}

/** Asks the variants Worker to time the handoff's single operations from inside (see PROFILE_PATH). */
export async function fetchProfile(endpoint: Endpoint, payload: Payload): Promise<HandoffProfile> {
  const response = await fetch(endpoint.url, {
    method: "POST",
    headers: githubHeaders(payload, { "x-github-delivery": randomUUID() }),
    body: payload.body,
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  if (!response.ok) throw new TargetAnswerError(endpoint.label, `answered the handoff profile with ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as HandoffProfile;
}
