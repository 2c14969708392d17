import { describe, expect, it } from "vitest";
import { ms, ratio, renderGoals, spread, table } from "./stats.ts";

describe("run-engine bench arithmetic", () => {
  it("summarizes samples by nearest rank, whatever their order", () => {
    expect(spread([30, 10, 20, 40, 50, 60, 70, 80, 90, 100])).toEqual({ n: 10, p50: 50, p90: 90, max: 100 });
  });

  it("refuses to summarize no samples", () => {
    expect(() => spread([])).toThrow(/^repoflow: no samples/);
  });

  it("prints two decimals under 10 ms and one above", () => {
    expect([ms(3.14159), ms(123.456)]).toEqual(["3.14", "123.5"]);
  });

  it("prints a ratio to the baseline, and n/a for a zero baseline", () => {
    expect([ratio(30, 10), ratio(5, 0)]).toEqual(["3.0×", "n/a"]);
  });

  it("renders a markdown table with right-aligned number columns", () => {
    expect(table(["a", "b"], ["l", "r"], [["x", "1"]])).toBe("| a | b |\n| --- | ---: |\n| x | 1 |");
  });

  it("labels each goal PASS or MISS by whether it was met", () => {
    expect(renderGoals([{ name: "fast", met: true, measured: "1 ms" }, { name: "slow", met: false, measured: "2 s" }])).toBe("- PASS fast: 1 ms\n- MISS slow: 2 s");
  });
});
