/**
 * Pure arithmetic and markdown for the burst bench: probe samples split into
 * "during the burst" and "after it, while the backlog drains", their
 * percentiles and longest silence, the service ÷ bare Worker ratios, the
 * processing rate from the ledger's own timestamps, and the two goals. No I/O,
 * so every PASS or MISS is unit-tested (report.test.ts beside it).
 */
import { percentile } from "../report.ts";
import { ms, table } from "../runs/stats.ts";

/**
 * The issue's "a few multiples" of the bare Worker's p99, made a number. It
 * is judged against the bare Worker, as the issue says; the ack-only rows
 * (the same edge, nothing draining) show how much of it the acknowledgement
 * alone takes under the same burst, so a miss reads as the edge's own cost or
 * the drain's.
 */
export const LATENCY_FACTOR = 4;

/**
 * A phase with fewer probes than this is reported but not judged: when the
 * backlog drains within a few tens of milliseconds of the burst's end, the
 * "after" phase holds one or two probes, and a p99 of one probe is chance.
 */
export const MIN_JUDGED_PROBES = 5;

/** Goal B: non-matching deliveries reach a final ledger status at no less than this share of the ack-only rate. */
export const PROCESSING_RATIO = 0.5;

/** "idle": the same probes before the burst, the reference for what a target costs with nothing else to do; not judged. */
export type Phase = "idle" | "during" | "after";
export const PHASES: readonly Phase[] = ["idle", "during", "after"];
const JUDGED: ReadonlySet<Phase> = new Set(["during", "after"]);

export const PHASE_LABELS: Record<Phase, string> = {
  idle: "idle, before",
  during: "during the burst",
  after: "after it, until settled",
};

export interface ProbeSample {
  /** performance.now() of sending, and of the answer's last byte; null: no answer within the request timeout. */
  sentAt: number;
  answeredAt: number | null;
  ms: number | null;
  status: number | null;
}

export interface PhaseStats {
  /** Probes sent in the phase, and of those how many got no answer at all. */
  n: number;
  unanswered: number;
  /** Nearest rank; an unanswered probe counts as slower than any answer (Infinity). */
  p50: number;
  p99: number;
  max: number;
  /** The longest stretch of the phase in which no probe answered, its edges included. */
  longestGapMs: number;
  spanMs: number;
}

export interface Silence {
  /** performance.now() when the stretch without answers began, and its length. */
  from: number;
  ms: number;
}

/** Stretches of [from, to] between answers that land in it (its edges count as answers), longest first. */
export function silences(samples: readonly ProbeSample[], from: number, to: number): Silence[] {
  const answers = samples
    .map((sample) => sample.answeredAt)
    .filter((at): at is number => at !== null && at >= from && at <= to)
    .sort((a, b) => a - b);
  const stretches: Silence[] = [];
  let previous = from;
  for (const at of [...answers, to]) {
    stretches.push({ from: previous, ms: Math.max(0, at - previous) });
    previous = at;
  }
  return stretches.sort((a, b) => b.ms - a.ms);
}

/** A stretch of time on the probes' clock, [from, to). */
export type Window = readonly [from: number, to: number];

/** Probes sent in any of the windows; the longest gap is the longest of any window's. */
export function phaseStats(samples: readonly ProbeSample[], windows: readonly Window[]): PhaseStats {
  const sent = samples.filter((sample) => windows.some(([from, to]) => sample.sentAt >= from && sample.sentAt < to));
  const latencies = Float64Array.from(sent, (sample) => sample.ms ?? Number.POSITIVE_INFINITY).sort();
  const longestGapMs = Math.max(0, ...windows.map(([from, to]) => silences(samples, from, to)[0]?.ms ?? 0));
  return {
    n: sent.length,
    unanswered: sent.filter((sample) => sample.ms === null).length,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.length ? latencies[latencies.length - 1]! : Number.NaN,
    longestGapMs,
    spanMs: windows.reduce((total, [from, to]) => total + Math.max(0, to - from), 0),
  };
}

/**
 * When a target's probing started, each of its bursts began and got its last
 * answer (one for the service; repeats, apart, for targets that drain
 * nothing), and when its "after" phase ended (settled, or gave up).
 */
export interface Timeline {
  idleStartedAt: number;
  bursts: readonly Window[];
  afterEndedAt: number;
}

export const firstBurstAt = (timeline: Timeline) => timeline.bursts[0]?.[0] ?? timeline.idleStartedAt;
export const lastBurstEndedAt = (timeline: Timeline) => timeline.bursts.at(-1)?.[1] ?? timeline.idleStartedAt;

export function phaseWindows(timeline: Timeline): Record<Phase, readonly Window[]> {
  return {
    idle: [[timeline.idleStartedAt, firstBurstAt(timeline)]],
    during: timeline.bursts,
    after: [[lastBurstEndedAt(timeline), timeline.afterEndedAt]],
  };
}

export interface ProbeRow {
  mix: string;
  target: string;
  probe: string;
  phase: Phase;
  stats: PhaseStats;
}

export function probeRows(mix: string, target: string, probes: Readonly<Record<string, readonly ProbeSample[]>>, timeline: Timeline): ProbeRow[] {
  const windows = phaseWindows(timeline);
  return Object.entries(probes).flatMap(([probe, samples]) => PHASES.map((phase) => ({ mix, target, probe, phase, stats: phaseStats(samples, windows[phase]) })));
}

const fmt = (value: number) => (Number.isNaN(value) ? "–" : value === Number.POSITIVE_INFINITY ? "no answer" : ms(value));

/** value ÷ baseline; "–" when either is missing, ∞ when the service never answered. */
export function times(value: number, baseline: number): string {
  if (Number.isNaN(value) || Number.isNaN(baseline) || baseline <= 0) return "–";
  if (value === Number.POSITIVE_INFINITY) return "∞";
  return `${(value / baseline).toFixed(1)}×`;
}

function counterpart(rows: readonly ProbeRow[], row: ProbeRow, target: string): PhaseStats | undefined {
  return rows.find((other) => other.mix === row.mix && other.probe === row.probe && other.phase === row.phase && other.target === target)?.stats;
}

/** One mix: each probe and phase, the bare Worker's row, then the service's with its ratios to it. */
export function renderProbeTable(rows: readonly ProbeRow[], bare: string): string {
  const body = rows.map((row) => {
    const s = row.stats;
    const base = row.target === bare ? undefined : counterpart(rows, row, bare);
    const comparable = base !== undefined && base.n > 0 && s.n > 0;
    const ratio = (pick: (stats: PhaseStats) => number) => (comparable ? times(pick(s), pick(base)) : "");
    return [
      row.probe,
      PHASE_LABELS[row.phase],
      row.target,
      `${s.n}${s.unanswered ? ` (${s.unanswered} unanswered)` : ""}`,
      fmt(s.p50),
      fmt(s.p99),
      fmt(s.max),
      s.n === 0 && s.spanMs === 0 ? "–" : ms(s.longestGapMs),
      ratio((x) => x.p50),
      ratio((x) => x.p99),
      ratio((x) => x.max),
      ratio((x) => x.longestGapMs),
    ];
  });
  return table(
    ["probe", "phase", "target", "n", "p50 ms", "p99 ms", "max ms", "longest gap ms", "÷ bare p50", "÷ bare p99", "÷ bare max", "÷ bare gap"],
    ["l", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    body,
  );
}

export interface EdgeCheck {
  mix: string;
  probe: string;
  phase: Phase;
  /** The service's p99 over the bare Worker's; NaN when the cell is not judged. */
  ratio: number;
  /** false: fewer than MIN_JUDGED_PROBES probes on either side. */
  judged: boolean;
  met: boolean;
  n: number;
}

/** Goal A, cell by cell: the target's p99 within LATENCY_FACTOR × the bare Worker's for the same mix, probe and phase. */
export function checkEdge(rows: readonly ProbeRow[], service: string, bare: string): EdgeCheck[] {
  return rows
    .filter((row) => row.target === service && JUDGED.has(row.phase))
    .flatMap((row) => {
      const base = counterpart(rows, row, bare);
      if (!base) return [];
      const judged = row.stats.n >= MIN_JUDGED_PROBES && base.n >= MIN_JUDGED_PROBES;
      const ratio = judged ? row.stats.p99 / base.p99 : Number.NaN;
      return [{ mix: row.mix, probe: row.probe, phase: row.phase, ratio, judged, met: !judged || ratio <= LATENCY_FACTOR, n: row.stats.n }];
    });
}

/** Each cell's p99 ratio, "over" where it exceeds LATENCY_FACTOR. */
export function renderRatios(checks: readonly EdgeCheck[]): string {
  if (!checks.some((check) => check.judged)) return "nothing to judge (too few probes answered)";
  return checks
    .map((check) => {
      const cell = `${check.mix}, ${check.probe} ${check.phase}`;
      if (!check.judged) return `${cell} not judged (${check.n} probes)`;
      return `${cell} ${check.met ? "ok" : "over"} (${Number.isFinite(check.ratio) ? `${check.ratio.toFixed(2)}×` : "∞"})`;
    })
    .join("; ");
}

export function renderEdgeGoal(checks: readonly EdgeCheck[], burstSize: number): string {
  const met = checks.some((check) => check.judged) && checks.every((check) => check.met);
  return `- ${met ? "PASS" : "MISS"} /healthz and webhook p99 during and after a ${burstSize}-delivery burst ≤ ${LATENCY_FACTOR}× the bare Worker's: ${renderRatios(checks)}.`;
}

/** What the ledger said once the backlog settled (or the bench gave up), as bench/workers/burst.ts answers it. */
export interface Settled {
  /** Deliveries the burst (and the probe's seed) had answered "accepted". */
  accepted: number;
  /** Still pending in the inbox shards, counted after the wait. */
  pending: number;
  /** Ledger rows by status. */
  deliveries: Readonly<Record<string, number>>;
  ignored: number;
  /** Span of the burst's deliveries in the ledger: first received, last processed (epoch ms), and how many are final. */
  firstReceivedAt: number | null;
  lastProcessedAt: number | null;
  finalInSpan: number;
}

const sum = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((total, n) => total + n, 0);

/** Accepted deliveries neither pending in the inbox nor in the ledger: above zero, a 202 "accepted" was not kept. */
export function lostDeliveries(settled: Settled): number {
  return Math.max(0, settled.accepted - settled.pending - sum(settled.deliveries));
}

/** Final ledger rows per second over the ledger's own span, from the first delivery received to the last processed. */
export function processingRate(settled: Settled): number {
  const { firstReceivedAt, lastProcessedAt, finalInSpan } = settled;
  if (firstReceivedAt === null || lastProcessedAt === null || lastProcessedAt <= firstReceivedAt) return Number.NaN;
  return finalInSpan / ((lastProcessedAt - firstReceivedAt) / 1000);
}

export interface ProcessingCheck {
  rate: number;
  ackOnly: number;
  ratio: number;
  met: boolean;
  /** Every delivery of the burst was final when the rate was taken; a partial drain's rate is not the goal's figure. */
  complete: boolean;
}

export function checkProcessing(settled: Settled, burstSize: number, ackOnlyPerSec: number): ProcessingCheck {
  const rate = processingRate(settled);
  const ratio = rate / ackOnlyPerSec;
  const complete = settled.finalInSpan >= burstSize;
  return { rate, ackOnly: ackOnlyPerSec, ratio, met: complete && ratio >= PROCESSING_RATIO, complete };
}

export function renderProcessingGoal(check: ProcessingCheck, mix: string, ackLabel: string): string {
  const rate = Number.isFinite(check.rate) ? `${check.rate.toFixed(0)} deliveries/s` : "no rate (nothing processed)";
  const partial = check.complete ? "" : "; the backlog had not drained when the bench gave up, so the rate covers only what was processed";
  return `- ${check.met ? "PASS" : "MISS"} non-matching deliveries processed at ≥ ${PROCESSING_RATIO} × the ack-only rate: ${mix}: ${rate} ÷ ${check.ackOnly.toFixed(0)} req/s (${ackLabel}) = ${Number.isFinite(check.ratio) ? check.ratio.toFixed(2) : "–"}${partial}.`;
}

export function renderLedger(settled: Settled): string {
  const rows = Object.entries(settled.deliveries)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${n} ${status}`);
  return `${settled.accepted} accepted; ledger ${rows.join(", ") || "empty"} (${settled.ignored} with an \`ignored\` reason), ${settled.pending} still pending in the inbox; ${lostDeliveries(settled)} lost`;
}

export interface TimelineFacts {
  /** The burst's first request, on both clocks: epoch ms (the ledger's) and performance.now() (the probes'). */
  burstStartedEpochMs: number;
  burstStartedAt: number;
  burstMs: number;
  /** Ledger rows written together (one processed_at), and how many instants the rows have in all. */
  writes: readonly { at: number; n: number }[];
  instants: number;
  finalRows: number;
  probe: string;
  /** That probe's longest stretches without an answer, from the burst's start on. */
  silences: readonly Silence[];
}

const offset = (ms: number) => `${ms >= 0 ? "+" : ""}${(ms / 1000).toFixed(2)} s`;

/** When the service's ledger rows were written and when its probes went unanswered, on one time axis, to tell whether the drain's batches are what stalls the edge. */
export function renderTimeline(facts: TimelineFacts, batchesShown = 8, silencesShown = 3): string {
  const batches = facts.writes.slice(0, batchesShown).map((write) => `${write.n} @${offset(write.at - facts.burstStartedEpochMs)}`);
  const more = facts.writes.length > batchesShown ? `, … (${facts.writes.length} batches)` : "";
  const written =
    facts.writes.length === 0
      ? `${facts.finalRows} ledger rows written one by one (${facts.instants} instants)`
      : `${facts.finalRows} ledger rows written at ${facts.instants} instants, together: ${batches.join(", ")}${more}`;
  const quiet = facts.silences.slice(0, silencesShown).map((silence) => `${ms(silence.ms)} ms from ${offset(silence.from - facts.burstStartedAt)}`);
  return `from the burst's first request (its last answer at ${offset(facts.burstMs)}): ${written}; ${facts.probe}'s longest silences: ${quiet.join(", ") || "none"}`;
}
