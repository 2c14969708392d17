import { describe, expect, it } from "vitest";
import { matchingNumbers, mixNothingMatches, mixSomeMatch, MATCHING_EVERY, rotation } from "./mixes.ts";
import {
  checkEdge,
  checkProcessing,
  LATENCY_FACTOR,
  lostDeliveries,
  MIN_JUDGED_PROBES,
  phaseStats,
  probeRows,
  processingRate,
  renderEdgeGoal,
  renderProbeTable,
  renderProcessingGoal,
  renderTimeline,
  silences,
  times,
  type ProbeRow,
  type ProbeSample,
  type Settled,
} from "./report.ts";

/** A probe sent at `at` that took `ms` (null: never answered). */
const probe = (at: number, ms: number | null): ProbeSample => ({ sentAt: at, answeredAt: ms === null ? null : at + ms, ms, status: ms === null ? null : 200 });
/** One probe every 20 ms from `from`, each taking `ms`. */
const every20 = (from: number, count: number, ms: number) => Array.from({ length: count }, (_, i) => probe(from + i * 20, ms));

const settled = (overrides: Partial<Settled> = {}): Settled => ({
  accepted: 501,
  pending: 0,
  deliveries: { processed: 501 },
  ignored: 501,
  firstReceivedAt: 1_000_000,
  lastProcessedAt: 1_002_000,
  finalInSpan: 500,
  ...overrides,
});

describe("phaseStats", () => {
  it("counts the probes sent in the window, by nearest rank", () => {
    const stats = phaseStats([...every20(0, 99, 1), probe(1_980, 50), probe(5_000, 999)], [[0, 2_000]]);
    expect(stats).toMatchObject({ n: 100, unanswered: 0, p50: 1, p99: 1, max: 50 });
  });

  it("ranks an unanswered probe above every answer, so a timeout shows in the p99", () => {
    const stats = phaseStats([...every20(0, 49, 1), probe(980, null)], [[0, 1_000]]);
    expect(stats.unanswered).toBe(1);
    expect(stats.max).toBe(Number.POSITIVE_INFINITY);
    expect(stats.p99).toBe(Number.POSITIVE_INFINITY);
    expect(stats.p50).toBe(1);
  });

  it("takes the longest gap from the window's edges too, so a stall at the end is not lost", () => {
    // Answers at 1, 21, 41; the window runs to 300, so the longest stretch without one is 41 → 300.
    expect(phaseStats(every20(0, 3, 1), [[0, 300]]).longestGapMs).toBe(259);
  });

  it("pools several windows and takes the longest gap of any of them", () => {
    const samples = [...every20(0, 5, 1), ...every20(1_000, 5, 1), probe(1_100, 200)];
    const stats = phaseStats(samples, [
      [0, 100],
      [1_000, 1_400],
    ]);
    expect(stats.n).toBe(11);
    expect(stats.spanMs).toBe(500);
    // In the second window the last short answer is at 1,081; the slow one lands at 1,300.
    expect(stats.longestGapMs).toBe(219);
  });

  it("answers NaN percentiles for a window nobody probed", () => {
    expect(phaseStats(every20(0, 5, 1), [[500, 510]])).toMatchObject({ n: 0, p50: Number.NaN, p99: Number.NaN, longestGapMs: 10 });
  });
});

describe("silences", () => {
  it("lists the stretches without an answer, longest first, with where each began", () => {
    const stretches = silences([probe(0, 5), probe(20, 100), probe(140, 5)], 0, 200);
    expect(stretches[0]).toEqual({ from: 5, ms: 115 });
    expect(stretches.map((stretch) => stretch.ms)).toEqual([115, 55, 25, 5]);
  });
});

describe("probeRows and the table", () => {
  const timeline = { idleStartedAt: 0, bursts: [[1_000, 2_000]] as const, afterEndedAt: 3_000 };

  it("splits one probe's samples into idle, during and after by when each was sent", () => {
    const samples = [...every20(0, 50, 1), ...every20(1_000, 50, 10), ...every20(2_000, 50, 2)];
    const rows = probeRows("mix", "service", { healthz: samples }, timeline);
    expect(rows.map((row) => [row.phase, row.stats.n, row.stats.p50])).toEqual([
      ["idle", 50, 1],
      ["during", 50, 10],
      ["after", 50, 2],
    ]);
  });

  it("prints the service's ratios to the bare Worker's row of the same probe and phase", () => {
    const rows = [
      ...probeRows("mix", "bare", { healthz: every20(1_000, 50, 2) }, timeline),
      ...probeRows("mix", "service", { healthz: every20(1_000, 50, 8) }, timeline),
    ];
    const during = renderProbeTable(rows, "bare")
      .split("\n")
      .filter((line) => line.includes("during"));
    expect(during[0]).toContain("| bare | 50 | 2.00 | 2.00 | 2.00 |");
    expect(during[1]).toMatch(/\| service \| 50 \| 8\.00 .*\| 4\.0× \| 4\.0× \| 4\.0× \|/);
  });
});

describe("times", () => {
  it("divides, and says so when it cannot", () => {
    expect([times(12, 3), times(Number.POSITIVE_INFINITY, 3), times(Number.NaN, 3), times(3, 0)]).toEqual(["4.0×", "∞", "–", "–"]);
  });
});

describe("checkEdge", () => {
  const row = (target: string, phase: "during" | "after", p99: number, n = 50): ProbeRow => ({
    mix: "mix",
    target,
    probe: "healthz",
    phase,
    stats: { n, unanswered: 0, p50: p99 / 2, p99, max: p99, longestGapMs: 20, spanMs: 1_000 },
  });

  it(`passes at exactly ${LATENCY_FACTOR}× the bare Worker's p99 and misses above it, phase by phase`, () => {
    const checks = checkEdge([row("bare", "during", 5), row("service", "during", 5 * LATENCY_FACTOR), row("bare", "after", 2), row("service", "after", 2 * LATENCY_FACTOR + 0.1)], "service", "bare");
    expect(checks.map((check) => [check.phase, check.met])).toEqual([
      ["during", true],
      ["after", false],
    ]);
    expect(renderEdgeGoal(checks, 500)).toMatch(/^- MISS .*mix, healthz during ok \(4\.00×\); mix, healthz after over \(4\.05×\)/);
  });

  it("does not judge a phase with too few probes, and passes when every judged phase is within the factor", () => {
    const checks = checkEdge([row("bare", "during", 5), row("service", "during", 6), row("bare", "after", 2), row("service", "after", 90, MIN_JUDGED_PROBES - 1)], "service", "bare");
    expect(checks.find((check) => check.phase === "after")).toMatchObject({ judged: false, met: true });
    expect(renderEdgeGoal(checks, 500)).toMatch(/^- PASS .*after not judged \(4 probes\)/);
  });

  it("never passes when nothing could be judged", () => {
    expect(renderEdgeGoal(checkEdge([row("bare", "during", 5, 1), row("service", "during", 5, 1)], "service", "bare"), 500)).toMatch(/^- MISS .*nothing to judge/);
  });

  it("leaves the idle reference out of the goal", () => {
    const idle: ProbeRow = { ...row("service", "during", 100), phase: "idle" };
    expect(checkEdge([{ ...idle, target: "bare" }, idle], "service", "bare")).toEqual([]);
  });
});

describe("the ledger's figures", () => {
  it("finds deliveries answered accepted that are neither pending nor in the ledger", () => {
    expect(lostDeliveries(settled())).toBe(0);
    expect(lostDeliveries(settled({ pending: 10, deliveries: { accepted: 400, processed: 90 } }))).toBe(1);
    expect(lostDeliveries(settled({ pending: 0, deliveries: { processed: 600 } }))).toBe(0);
  });

  it("takes the processing rate over the ledger's own span, first received to last processed", () => {
    expect(processingRate(settled())).toBe(250);
    expect(processingRate(settled({ lastProcessedAt: null }))).toBeNaN();
  });

  it(`passes at half the ack-only rate, and never on a backlog that had not drained`, () => {
    expect(checkProcessing(settled(), 500, 500)).toMatchObject({ ratio: 0.5, met: true, complete: true });
    expect(checkProcessing(settled(), 500, 501).met).toBe(false);
    const partial = checkProcessing(settled({ finalInSpan: 300, lastProcessedAt: 1_001_000 }), 500, 100);
    expect(partial).toMatchObject({ complete: false, met: false });
    expect(renderProcessingGoal(partial, "nothing matches", "ack only")).toMatch(/^- MISS .*had not drained/);
  });
});

describe("renderTimeline", () => {
  it("puts the ledger's batches and the probe's silences on the burst's clock", () => {
    const line = renderTimeline({
      burstStartedEpochMs: 1_000_000,
      burstStartedAt: 50,
      burstMs: 900,
      writes: [
        { at: 1_000_300, n: 200 },
        { at: 1_000_700, n: 300 },
      ],
      instants: 2,
      finalRows: 500,
      probe: "GET /healthz",
      silences: [{ from: 550, ms: 220 }],
    });
    expect(line).toContain("500 ledger rows written at 2 instants, together: 200 @+0.30 s, 300 @+0.70 s");
    expect(line).toContain("GET /healthz's longest silences: 220.0 ms from +0.50 s");
  });

  it("says when rows were written one by one", () => {
    const line = renderTimeline({ burstStartedEpochMs: 0, burstStartedAt: 0, burstMs: 1, writes: [], instants: 500, finalRows: 500, probe: "p", silences: [] });
    expect(line).toContain("500 ledger rows written one by one (500 instants)");
  });
});

describe("the mixes", () => {
  it("rotates the non-matching examples and retargets them to the bench repository", () => {
    const mix = mixNothingMatches("secret", 12);
    expect(mix.deliveries.map((delivery) => delivery.event)).toEqual(rotation(mix.deliveries.slice(0, 5), 12).map((delivery) => delivery.event));
    const payload = JSON.parse(mix.deliveries[0]!.body.toString()) as { repository: { full_name: string }; installation: { id: number } };
    expect(payload.repository.full_name).toBe("bench/burst");
    expect(payload.installation.id).toBe(7300);
  });

  it(`puts a pull_request.opened on its own pull request in every ${MATCHING_EVERY}th slot`, () => {
    const numbers = matchingNumbers(30);
    const mix = mixSomeMatch("secret", 30, new Map(numbers.map((n) => [n, n.toString(16).padStart(40, "0")])));
    expect(numbers).toEqual([1, 2, 3]);
    expect(mix.deliveries.filter((delivery) => delivery.event === "pull_request")).toHaveLength(3);
    const opened = JSON.parse(mix.deliveries[MATCHING_EVERY - 1]!.body.toString()) as { pull_request: { number: number; head: { sha: string } } };
    expect(opened.pull_request.number).toBe(1);
    expect(opened.pull_request.head.sha).toBe("1".padStart(40, "0"));
  });

  it("refuses a pull request the emulator was not given", () => {
    expect(() => mixSomeMatch("secret", 20, new Map([[1, "a".repeat(40)]]))).toThrow(/#2 was not opened/);
  });
});
