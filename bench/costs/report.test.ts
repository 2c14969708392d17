import { describe, expect, it } from "vitest";
import { COUNTER } from "./api.ts";
import { cell, costTable, METRICS, perDelivery, project, stat, times, usd, type CostSample, type Mix } from "./report.ts";

const sample = (kind: CostSample["kind"], counts: Record<string, number>, toFirstAuthorCall: Record<string, number> | null = null): CostSample => ({ kind, counts, toFirstAuthorCall });

const everything: Mix = { deliveries: 1_000_000, share: { nonMatching: 1, matching: 0, push: 0 }, source: "test" };

describe("per-delivery figures", () => {
  it("averages the samples of one kind and keeps their range", () => {
    const samples = [sample("push", { [COUNTER.d1Statements]: 3 }), sample("push", { [COUNTER.d1Statements]: 4 }), sample("matching", { [COUNTER.d1Statements]: 40 })];
    expect(perDelivery(samples, "push", (c) => c[COUNTER.d1Statements] ?? 0)).toEqual({ n: 2, mean: 3.5, min: 3, max: 4 });
  });

  it("reads the matching kind up to the first author call from the snapshots, skipping deliveries that had none", () => {
    const samples = [sample("matching", { [COUNTER.stepDo]: 9 }, { [COUNTER.stepDo]: 4 }), sample("matching", { [COUNTER.stepDo]: 9 }, null)];
    expect(perDelivery(samples, "matchingToFirstAuthorCall", (c) => c[COUNTER.stepDo] ?? 0)).toEqual({ n: 1, mean: 4, min: 4, max: 4 });
  });

  it("has no figure for a kind nothing was measured for", () => {
    expect(stat([])).toBeNull();
    expect(cell(null)).toBe("—");
  });

  it("prints a range only when the samples differ", () => {
    expect(cell({ n: 5, mean: 3, min: 3, max: 3 })).toBe("3");
    expect(cell({ n: 2, mean: 3.5, min: 3, max: 4 })).toBe("3.5 (3–4)");
  });

  it("counts a total across bindings and an alarm as a Durable Object request", () => {
    const counts = { [`${COUNTER.workflowCreated}.INGEST`]: 1, [`${COUNTER.workflowCreated}.WORKFLOWS`]: 1, [`${COUNTER.doCalls}.INBOX`]: 2, [`${COUNTER.doAlarm}.DeliveryInbox`]: 1 };
    const value = (label: string) => METRICS.find((m) => m.label.startsWith(label))!.value(counts);
    expect(value("Workflow instances created, total")).toBe(2);
    expect(value("Durable Object requests")).toBe(3);
  });
});

describe("new ÷ baseline", () => {
  it("says 0× when the new design does none of what the baseline did", () => expect(times(0, 5)).toBe("0×"));
  it("says — when neither does any", () => expect(times(0, 0)).toBe("—"));
  it("says new when only the new design does it", () => expect(times(2, 0)).toBe("new"));
  it("gives two significant digits", () => expect(times(6, 10)).toBe("0.60×"));
});

describe("the monthly projection", () => {
  it("prices one pool of Workers Standard requests: the webhook, every instance created and every Dynamic Worker call", () => {
    const samples = [sample("nonMatching", { [COUNTER.workerRequests]: 1, [`${COUNTER.workflowCreated}.INGEST`]: 1, [COUNTER.dynamicCalls]: 1 })];
    const line = project(samples, everything).find((l) => l.price === "workersRequests")!;
    expect(line.quantity).toBe(3_000_000);
    expect(line.before).toBeCloseTo(0.9);
    // 3 M of the 10 M included.
    expect(line.after).toBe(0);
  });

  it("charges only what lies beyond the allowance after allowances, and a setAlarm as a row written", () => {
    const samples = [sample("nonMatching", { [COUNTER.doSqlRowsWritten]: 60, [COUNTER.doSetAlarm]: 1 })];
    const line = project(samples, everything).find((l) => l.price === "doRowsWritten")!;
    expect(line.quantity).toBe(61_000_000);
    expect(line.before).toBeCloseTo(61);
    expect(line.after).toBeCloseTo(11);
  });

  it("weights each kind by its share of the month's deliveries", () => {
    const mix: Mix = { deliveries: 1_000, share: { nonMatching: 0.5, matching: 0.25, push: 0.25 }, source: "test" };
    const samples = [sample("nonMatching", { [COUNTER.r2ClassA]: 0 }), sample("matching", { [COUNTER.r2ClassA]: 2 }), sample("push", { [COUNTER.r2ClassA]: 4 })];
    expect(project(samples, mix).find((l) => l.price === "r2ClassA")!.quantity).toBe(1_500);
  });

  it("keeps Workflow state a month long for the retention period only", () => {
    // 30 GB written a month, kept 7 of 30 days: 7 GB-month on average.
    const samples = [sample("nonMatching", { [COUNTER.workflowParamsBytes]: 30_000 })];
    expect(project(samples, everything).find((l) => l.price === "workflowsStorage")!.quantity).toBeCloseTo(7);
  });
});

describe("formatting", () => {
  it("keeps a sub-cent list price exact", () => {
    expect(usd(0.015)).toBe("$0.015");
    expect(usd(0.001)).toBe("$0.001");
  });
  it("rounds a computed cost below a dollar to two significant digits", () => {
    expect(usd(0.7049)).toBe("$0.70");
    expect(usd(0.00893)).toBe("$0.0089");
  });
  it("prints whole cents with two decimals", () => expect(usd(0.3)).toBe("$0.30"));
  it("groups thousands", () => expect(usd(1234.5)).toBe("$1,234.50"));

  it("has a row per metric and a row of sample counts, each with a baseline, current and ratio cell per kind", () => {
    const samples = [sample("nonMatching", { [COUNTER.workerRequests]: 1 })];
    const lines = costTable(samples, samples).split("\n");
    expect(lines).toHaveLength(2 + METRICS.length + 1);
    expect(lines.every((line) => line.split(" | ").length === 1 + 4 * 3)).toBe(true);
  });
});
