/**
 * Pure arithmetic and markdown for the run-engine benchmark: nearest-rank
 * percentiles (bench/report.ts's, so both halves of `npm run bench` agree),
 * millisecond formatting, and the goal line. No I/O, so it is unit-tested.
 */
import { percentile } from "../report.ts";

export interface Spread {
  n: number;
  p50: number;
  p90: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError("repoflow: no samples to summarize; a bench section measured nothing. Check its progress lines on stderr.");
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), max: sorted[sorted.length - 1]! };
}

export function ms(value: number): string {
  return value.toFixed(Math.abs(value) < 10 ? 2 : 1);
}

export function ratio(value: number, baseline: number): string {
  return baseline > 0 ? `${(value / baseline).toFixed(1)}×` : "n/a";
}

export function table(header: readonly string[], align: readonly ("l" | "r")[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(align.map((a) => (a === "r" ? "---:" : "---"))), ...rows.map(line)].join("\n");
}

export interface Goal {
  name: string;
  met: boolean;
  measured: string;
}

export function renderGoals(goals: readonly Goal[]): string {
  return goals.map((goal) => `- ${goal.met ? "PASS" : "MISS"} ${goal.name}: ${goal.measured}`).join("\n");
}
