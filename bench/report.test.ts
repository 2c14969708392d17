import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listModules } from "./build.ts";
import { largestExample, loadExamples, sign } from "./payloads.ts";
import {
  checkGoals,
  percentile,
  renderCostSplit,
  renderGoals,
  renderInboxCount,
  renderProfileTable,
  renderThroughputTable,
  summarize,
  unstoredDeliveries,
  type InboxCount,
  type Measurement,
  type Row,
} from "./report.ts";

const measurement = (reqPerSec: number, p99: number): Measurement => ({ requests: reqPerSec * 5, seconds: 5, reqPerSec, p50: p99 / 2, p99, mean: p99 / 2 });
const row = (target: string, payload: string, reqPerSec: number, p99: number): Row => ({ target, payload, measurement: measurement(reqPerSec, p99) });

describe("percentile", () => {
  it("takes the nearest rank, so p99 of 1..100 is 99 and p50 is 50", () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 1)).toBe(100);
  });

  it("answers NaN for no values instead of inventing a latency", () => {
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe("summarize", () => {
  it("derives req/s from the 2xx count and the window, and percentiles from unsorted latencies", () => {
    const summary = summarize([3, 1, 2, 10], 2000, 4);
    expect(summary.reqPerSec).toBe(500);
    expect(summary.p50).toBe(2);
    expect(summary.p99).toBe(10);
    expect(summary.mean).toBe(4);
  });
});

describe("checkGoals", () => {
  it("passes an edge at half the bare Worker's rate with p99 under 10 ms", () => {
    const [check] = checkGoals([row("edge", "push", 500, 9.99), row("bare", "push", 1000, 1)], "edge", "bare");
    expect(check).toMatchObject({ payload: "push", throughput: "PASS", latency: "PASS", throughputRatio: 0.5 });
  });

  it("misses below half the bare Worker's rate and at exactly 10 ms p99", () => {
    const [check] = checkGoals([row("edge", "push", 499, 10), row("bare", "push", 1000, 1)], "edge", "bare");
    expect(check).toMatchObject({ throughput: "MISS", latency: "MISS" });
  });

  it("judges each payload against the bare Worker's figure for that same payload", () => {
    const rows = [row("edge", "push", 600, 2), row("bare", "push", 1000, 1), row("edge", "pull_request", 600, 2), row("bare", "pull_request", 2000, 1)];
    expect(checkGoals(rows, "edge", "bare").map((check) => check.throughput)).toEqual(["PASS", "MISS"]);
  });
});

describe("renderGoals", () => {
  it("says so when the bare Worker itself misses the absolute latency goal in this harness", () => {
    const checks = checkGoals([row("edge", "push", 100, 40), row("bare", "push", 1000, 12)], "edge", "bare");
    const text = renderGoals(checks, "edge", "bare", new Map([["push", 12]]));
    expect(text).toContain("push MISS (0.10×)");
    expect(text).toContain("bare itself has p99 ≥ 10 ms");
  });

  it("adds no harness note when the bare Worker meets the latency goal", () => {
    const checks = checkGoals([row("edge", "push", 900, 4), row("bare", "push", 1000, 1)], "edge", "bare");
    expect(renderGoals(checks, "edge", "bare", new Map([["push", 1]]))).not.toContain("Note:");
  });
});

describe("renderThroughputTable", () => {
  it("shows each rate as a ratio to the bare Worker's and to Probot's for the same payload", () => {
    const table = renderThroughputTable([row("edge", "push", 2500, 3), row("bare", "push", 10000, 1), row("probot", "push", 5000, 2)], "bare", "probot");
    const edgeLine = table.split("\n").find((line) => line.startsWith("| edge"));
    expect(edgeLine).toBe("| edge | push | 2,500 | 1.50 | 3.00 | 0.25× | 0.50× |");
  });
});

describe("renderCostSplit", () => {
  const rungs = { bare: "bare", verify: "verify", route: "route", rpc: "rpc", ack: "ack", ackInMemory: "tmpfs", burst: "burst", full: "full" };
  const withMean = (target: string, mean: number): Row => ({ target, payload: "push", measurement: { ...measurement(1, 1), mean } });

  it("attributes each piece of the path by the difference of mean latencies between rungs", () => {
    const rows = [withMean("bare", 1), withMean("verify", 1.5), withMean("route", 2), withMean("rpc", 3), withMean("ack", 5), withMean("burst", 9), withMean("full", 105)];
    const text = renderCostSplit(rows, "push", rungs);
    expect(text).toContain("HMAC + JSON.parse +0.50 ms");
    expect(text).toContain("INBOX RPC (the call into the shard's Durable Object) +1.00 ms");
    expect(text).toContain("its SQLite write, committed to disk before the answer +2.00 ms → 5.00 ms acknowledgement");
    expect(text).not.toContain("tmpfs");
    expect(renderCostSplit([...rows, withMean("tmpfs", 3.5)], "push", rungs)).toContain("(with the Durable Object's state on tmpfs, no disk sync: +0.50 ms → 3.50 ms)");
    expect(text).toContain("background drain and ingest sharing workerd +4.00 ms in a burst, +100.00 ms sustained → 105.00 ms per request");
  });

  it("gives no split when a rung is missing", () => {
    expect(renderCostSplit([withMean("bare", 1), withMean("verify", 1), withMean("route", 1), withMean("ack", 1), withMean("full", 1)], "push", rungs)).toBeNull();
  });
});

describe("inbox count", () => {
  const count = (statuses: Record<string, number>, pending: number, drained: number): InboxCount => ({ payload: "push", statuses, pending, drained, finished: 0, waitedMs: 1500 });

  it("finds every accepted delivery stored when pending and drained rows add up to the accepted answers", () => {
    expect(unstoredDeliveries(count({ accepted: 100 }, 40, 60))).toBe(0);
  });

  it("counts accepted deliveries missing from both the inbox and the ledger", () => {
    expect(unstoredDeliveries(count({ accepted: 100, duplicate: 5 }, 10, 80))).toBe(10);
  });

  it("counts no loss when more are stored than accepted, as requests in flight at the window's close are", () => {
    expect(unstoredDeliveries(count({ accepted: 100 }, 0, 108))).toBe(0);
  });

  it("says how many answers were accepted or duplicate and where the stored deliveries are", () => {
    const text = renderInboxCount({ ...count({ accepted: 100, duplicate: 2 }, 30, 70), finished: 12 });
    expect(text).toBe(
      "push: answers 100 accepted, 2 duplicate; stored 100 (30 pending in the inbox + 70 drained into ingest instances and ledger rows, 12 of them finished) after waiting 1.5 s for the drain; 0 accepted but not stored.",
    );
  });
});

describe("renderProfileTable", () => {
  it("reports the median and the worst of whole-millisecond timings, alone and in flight", () => {
    const table = renderProfileTable([{ operation: "D1 insert", sequential: [1, 1, 2, 6], concurrent: [9, 8, 10, 9] }], 10);
    expect(table.split("\n")[2]).toBe("| D1 insert | 1 | 6 | 9 | 10 |");
  });
});

describe("payloads", () => {
  it("signs like GitHub: the documented test vector", () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(sign(Buffer.from("Hello, World!"), "It's a Secret to Everybody")).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  it("picks the largest pull_request example, inside the 25–60 KB the issue asks for", () => {
    const examples = loadExamples();
    const payload = largestExample(examples, "pull_request", "secret");
    const sizes = examples.find((group) => group.name === "pull_request")!.examples.map((example) => Buffer.byteLength(JSON.stringify(example)));
    expect(payload.body.byteLength).toBe(Math.max(...sizes));
    expect(payload.body.byteLength).toBeGreaterThanOrEqual(25 * 1024);
    expect(payload.body.byteLength).toBeLessThanOrEqual(60 * 1024);
    expect(payload.signature).toBe(sign(payload.body, "secret"));
  });
});

describe("listModules", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("puts the main module first, types wasm as CompiledWasm, and leaves out source maps and the README", () => {
    dir = mkdtempSync(join(tmpdir(), "repoflow-bench-test-"));
    for (const file of ["index.js", "index.js.map", "README.md", "abc-esbuild.wasm", "a-chunk.js"]) writeFileSync(join(dir, file), "");
    expect(listModules({ dir, main: "index.js" })).toEqual([
      { type: "ESModule", path: join(dir, "index.js") },
      { type: "ESModule", path: join(dir, "a-chunk.js") },
      { type: "CompiledWasm", path: join(dir, "abc-esbuild.wasm") },
    ]);
  });
});
