/**
 * Turns measurements into the markdown the bench prints. Pure: numbers in,
 * text out, so the arithmetic behind a PASS or MISS is unit-tested and the
 * runner stays a thin shell around autocannon and the targets.
 */

export interface Measurement {
  /** 2xx answers counted in the measured window. */
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  mean: number;
}

export interface Row {
  target: string;
  payload: string;
  measurement: Measurement;
}

/** The goals stated in the issue for the webhook edge. */
export const GOALS = {
  /** The edge's req/s over the bare Worker's, in the same harness and with the same payload. */
  throughputRatio: 0.5,
  p99Ms: 10,
} as const;

/** Nearest-rank percentile of ascending-sorted values; q in (0, 1]. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(latenciesMs: readonly number[], requests: number, seconds: number): Measurement {
  const sorted = Float64Array.from(latenciesMs).sort();
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    requests,
    seconds,
    reqPerSec: requests / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    mean: sorted.length ? total / sorted.length : Number.NaN,
  };
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const fmtRate = (value: number) => integer.format(Math.round(value));
const fmtMs = (value: number) => value.toFixed(2);
const fmtRatio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "–");

function table(header: readonly string[], align: readonly ("l" | "r")[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const rule = align.map((side) => (side === "r" ? "---:" : ":---"));
  return [line(header), line(rule), ...rows.map(line)].join("\n");
}

function find(rows: readonly Row[], target: string, payload: string): Measurement | undefined {
  return rows.find((row) => row.target === target && row.payload === payload)?.measurement;
}

/**
 * The main table: one row per target × payload, each rate also shown as a
 * ratio to the bare Worker's and to Probot's for the same payload.
 */
export function renderThroughputTable(rows: readonly Row[], baselineTarget: string, peerTarget: string): string {
  const body = rows.map(({ target, payload, measurement: m }) => {
    const bare = find(rows, baselineTarget, payload);
    const peer = find(rows, peerTarget, payload);
    return [
      target,
      payload,
      fmtRate(m.reqPerSec),
      fmtMs(m.p50),
      fmtMs(m.p99),
      fmtRatio(bare ? m.reqPerSec / bare.reqPerSec : Number.NaN),
      fmtRatio(peer ? m.reqPerSec / peer.reqPerSec : Number.NaN),
    ];
  });
  return table(
    ["target", "payload", "req/s", "p50 ms", "p99 ms", `× ${baselineTarget} req/s`, `× ${peerTarget} req/s`],
    ["l", "l", "r", "r", "r", "r", "r"],
    body,
  );
}

/**
 * The breakdown: the rungs of the edge in order, with mean latency, since at
 * a fixed number of connections the mean is the time each request occupies
 * and its growth from rung to rung is where the time goes.
 */
export function renderBreakdownTable(rows: readonly Row[], baselineTarget: string): string {
  const body = rows.map(({ target, payload, measurement: m }) => {
    const bare = find(rows, baselineTarget, payload);
    return [target, payload, fmtRate(m.reqPerSec), fmtMs(m.p50), fmtMs(m.p99), fmtMs(m.mean), fmtRatio(bare ? m.reqPerSec / bare.reqPerSec : Number.NaN)];
  });
  return table(["rung", "payload", "req/s", "p50 ms", "p99 ms", "mean ms", `× ${baselineTarget} req/s`], ["l", "l", "r", "r", "r", "r", "r"], body);
}

export type Verdict = "PASS" | "MISS";

export interface GoalCheck {
  payload: string;
  throughputRatio: number;
  throughput: Verdict;
  p99: number;
  latency: Verdict;
}

/** Checks the edge against the goals, payload by payload; a payload without both rows is not judged. */
export function checkGoals(rows: readonly Row[], edgeTarget: string, baselineTarget: string): GoalCheck[] {
  const payloads = [...new Set(rows.map((row) => row.payload))];
  return payloads.flatMap((payload) => {
    const edge = find(rows, edgeTarget, payload);
    const bare = find(rows, baselineTarget, payload);
    if (!edge || !bare) return [];
    const throughputRatio = edge.reqPerSec / bare.reqPerSec;
    return [
      {
        payload,
        throughputRatio,
        throughput: throughputRatio >= GOALS.throughputRatio ? "PASS" : "MISS",
        p99: edge.p99,
        latency: edge.p99 < GOALS.p99Ms ? "PASS" : "MISS",
      },
    ];
  });
}

export function renderGoals(checks: readonly GoalCheck[], edgeTarget: string, baselineTarget: string, baselineP99: ReadonlyMap<string, number>): string {
  const throughput = checks.map((c) => `${c.payload} ${c.throughput} (${fmtRatio(c.throughputRatio)})`).join(", ");
  const latency = checks.map((c) => `${c.payload} ${c.latency} (${fmtMs(c.p99)} ms)`).join(", ");
  const lines = [
    `Goals from the issue, for ${edgeTarget}: throughput ≥ ${GOALS.throughputRatio} × ${baselineTarget} req/s: ${throughput}; p99 < ${GOALS.p99Ms} ms: ${latency}.`,
  ];
  // An absolute goal the harness itself cannot meet says nothing about the edge.
  const harnessMisses = [...baselineP99].filter(([, p99]) => p99 >= GOALS.p99Ms);
  if (harnessMisses.length > 0) {
    const detail = harnessMisses.map(([payload, p99]) => `${payload} ${fmtMs(p99)} ms`).join(", ");
    lines.push(`Note: ${baselineTarget} itself has p99 ≥ ${GOALS.p99Ms} ms in this harness (${detail}); read the edge's latency against it, not against the absolute goal.`);
  }
  return lines.join("\n");
}

/** The breakdown's rung names, so the cost split can find them. */
export interface Rungs {
  bare: string;
  verify: string;
  /** The edge route with the inbox in memory. */
  route: string;
  /** The edge route calling the real inbox object, which stores nothing. */
  rpc: string;
  /** The edge route and the real INBOX accept, draining held: the acknowledgement alone. */
  ack: string;
  /** The same, with the Durable Object's state on tmpfs: what the commit's disk sync costs (absent without /dev/shm). */
  ackInMemory?: string;
  /** The full edge in a short burst into a fresh target: drain and ingest only starting. */
  burst: string;
  /** The full edge over the whole window: drain and ingest runs sharing workerd throughout. */
  full: string;
}

/**
 * Where the time goes, from mean latencies of the breakdown rungs: each
 * difference is what one more piece of the path adds to every request.
 */
export function renderCostSplit(rows: readonly Row[], payload: string, rungs: Rungs): string | null {
  const means = Object.fromEntries(Object.entries(rungs).map(([key, target]) => [key, find(rows, target, payload)?.mean])) as Record<keyof Rungs, number | undefined>;
  const { bare, verify, route, rpc, ack, ackInMemory, burst, full } = means;
  if (bare === undefined || verify === undefined || route === undefined || rpc === undefined || ack === undefined || burst === undefined || full === undefined) return null;
  const delta = (from: number, to: number) => `${to - from >= 0 ? "+" : ""}${fmtMs(to - from)} ms`;
  const inMemory = ackInMemory === undefined ? "" : ` (with the Durable Object's state on tmpfs, no disk sync: ${delta(rpc, ackInMemory)} → ${fmtMs(ackInMemory)} ms)`;
  return (
    `${payload}: harness ${fmtMs(bare)} ms; HMAC + JSON.parse ${delta(bare, verify)}; ` +
    `hono route and delivery bookkeeping ${delta(verify, route)}; INBOX RPC (the call into the shard's Durable Object) ${delta(route, rpc)}; ` +
    `its SQLite write, committed to disk before the answer ${delta(rpc, ack)}${inMemory} → ${fmtMs(ack)} ms acknowledgement; ` +
    `background drain and ingest sharing workerd ${delta(ack, burst)} in a burst, ${delta(ack, full)} sustained → ${fmtMs(full)} ms per request.`
  );
}

/** What one edge window left in the inbox and the ledger, read after a bounded wait for the drain. */
export interface InboxCount {
  payload: string;
  /** Answers by handoff status, over probe, warm-up and window. */
  statuses: Readonly<Record<string, number>>;
  /** Deliveries still pending in the inbox shards. */
  pending: number;
  /** D1 ledger rows: deliveries drained into ingest instances. */
  drained: number;
  /** Ledger rows whose ingest run had finished. */
  finished: number;
  /** How long the check waited for the drain. */
  waitedMs: number;
}

/**
 * Accepted deliveries not found in the inbox or the ledger: above zero, a 202
 * "accepted" was not durably stored, or the bench measured another path.
 * Stored may exceed accepted by the requests in flight when a window closed.
 */
export function unstoredDeliveries(count: InboxCount): number {
  return Math.max(0, (count.statuses.accepted ?? 0) - (count.pending + count.drained));
}

export function renderInboxCount(count: InboxCount): string {
  const accepted = count.statuses.accepted ?? 0;
  const others = Object.entries(count.statuses)
    .filter(([status]) => status !== "accepted")
    .map(([status, n]) => `${n} ${status}`);
  const answers = [`${accepted} accepted`, ...others].join(", ");
  return (
    `${count.payload}: answers ${answers}; stored ${count.pending + count.drained} ` +
    `(${count.pending} pending in the inbox + ${count.drained} drained into ingest instances and ledger rows, ${count.finished} of them finished) ` +
    `after waiting ${(count.waitedMs / 1000).toFixed(1)} s for the drain; ${unstoredDeliveries(count)} accepted but not stored.`
  );
}

export interface ProfileRow {
  operation: string;
  sequential: readonly number[];
  concurrent: readonly number[];
}

/**
 * The handoff's operations timed inside the Worker: alone shows an
 * operation's own cost, in flight whether concurrent ones queue behind each
 * other. Whole milliseconds: a Worker's clock has no finer resolution.
 */
export function renderProfileTable(rows: readonly ProfileRow[], inFlight: number): string {
  const stats = (values: readonly number[]) => {
    const sorted = Float64Array.from(values).sort();
    return [percentile(sorted, 0.5).toFixed(0), percentile(sorted, 1).toFixed(0)];
  };
  return table(
    ["operation", "alone p50 ms", "alone max ms", `${inFlight} in flight p50 ms`, `${inFlight} in flight max ms`],
    ["l", "r", "r", "r", "r"],
    rows.map((row) => [row.operation, ...stats(row.sequential), ...stats(row.concurrent)]),
  );
}
