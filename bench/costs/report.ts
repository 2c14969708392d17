/**
 * Pure arithmetic and markdown for the cost bench: what one delivery of each
 * kind costs (mean, and min–max when samples differ), the two designs side
 * by side with new ÷ baseline, and the monthly projection at list prices for
 * a stated mix, before and after the Workers Paid allowances. No I/O, so it
 * is unit-tested (report.test.ts).
 */
import { COUNTER, type Counts } from "./api.ts";
import { KIND_LABEL, KINDS, type Kind } from "./kind.ts";
import { NOT_PROJECTED, PRICES, WORKFLOW_RETENTION_DAYS, type PriceId } from "./prices.ts";

/** Emulator-side counter the runner adds to the Worker's (measure.ts). */
export const GITHUB_RECEIVED = "github.received";

export interface CostSample {
  kind: Kind;
  counts: Counts;
  toFirstAuthorCall: Counts | null;
}

export interface Stat {
  n: number;
  mean: number;
  min: number;
  max: number;
}

export function stat(values: readonly number[]): Stat | null {
  if (values.length === 0) return null;
  const sum = values.reduce((total, value) => total + value, 0);
  return { n: values.length, mean: sum / values.length, min: Math.min(...values), max: Math.max(...values) };
}

function sumOf(counts: Counts, prefix: string): number {
  let total = 0;
  for (const [name, value] of Object.entries(counts)) if (name === prefix || name.startsWith(`${prefix}.`)) total += value;
  return total;
}

const one = (name: string) => (counts: Counts) => counts[name] ?? 0;
const all = (...prefixes: string[]) => (counts: Counts) => prefixes.reduce((total, prefix) => total + sumOf(counts, prefix), 0);

export interface Metric {
  label: string;
  value(counts: Counts): number;
}

const steps = all(COUNTER.stepDo, COUNTER.stepSleep, COUNTER.stepSleepUntil, COUNTER.stepWaitForEvent);

/** The rows of the cost table, in the order a delivery meets them. */
export const METRICS: readonly Metric[] = [
  { label: "Worker requests (the webhook)", value: one(COUNTER.workerRequests) },
  { label: "Workflow instances created, total", value: all(COUNTER.workflowCreated) },
  { label: "… ingest (INGEST)", value: one(`${COUNTER.workflowCreated}.INGEST`) },
  { label: "… run (WORKFLOWS)", value: one(`${COUNTER.workflowCreated}.WORKFLOWS`) },
  { label: "… control (CONTROLS)", value: one(`${COUNTER.workflowCreated}.CONTROLS`) },
  { label: "Workflow steps reaching the engine (step.do, sleep, sleepUntil, waitForEvent)", value: steps },
  { label: "… in ingest", value: one(`${COUNTER.workflowSteps}.IngestWorkflow`) },
  { label: "… in the run", value: one(`${COUNTER.workflowSteps}.DynamicWorkflow`) },
  { label: "… sleeps and waits", value: all(COUNTER.stepSleep, COUNTER.stepSleepUntil, COUNTER.stepWaitForEvent) },
  { label: "Workflow run() entries (engine invocations)", value: all(COUNTER.workflowRun) },
  { label: "Workflow state written: params + step results (bytes)", value: all(COUNTER.workflowParamsBytes, COUNTER.stepResultBytes) },
  { label: "D1 statements", value: one(COUNTER.d1Statements) },
  { label: "D1 rows read", value: one(COUNTER.d1RowsRead) },
  { label: "D1 rows written", value: one(COUNTER.d1RowsWritten) },
  { label: "R2 Class A (put, list)", value: one(COUNTER.r2ClassA) },
  { label: "R2 Class B (get, head)", value: one(COUNTER.r2ClassB) },
  { label: "Durable Object requests (RPC calls, fetches, alarms)", value: all(COUNTER.doCalls, COUNTER.doAlarm) },
  { label: "… alarms", value: all(COUNTER.doAlarm) },
  { label: "Durable Object SQL rows read", value: one(COUNTER.doSqlRowsRead) },
  { label: "Durable Object SQL rows written (+1 per setAlarm)", value: all(COUNTER.doSqlRowsWritten, COUNTER.doSetAlarm) },
  { label: "Dynamic Worker calls (RPC into tenant code)", value: one(COUNTER.dynamicCalls) },
  { label: "Subrequests: GitHub API calls (as the emulator received them)", value: one(GITHUB_RECEIVED) },
  { label: "Subrequests: other outbound fetches", value: one(COUNTER.fetchOther) },
  { label: "Loopback entrypoint calls (service bindings: not billed)", value: all(COUNTER.loopback) },
];

/** What each projected price line counts per delivery. */
export const QUANTITY: Partial<Record<PriceId, (counts: Counts) => number>> = {
  workersRequests: (c) => one(COUNTER.workerRequests)(c) + all(COUNTER.workflowCreated)(c) + one(COUNTER.dynamicCalls)(c),
  // Steady state: a month holds RETENTION/30 of a month's instances; decimal GB. A lower bound: the engine's own per-instance records are not counted.
  workflowsStorage: (c) => (all(COUNTER.workflowParamsBytes, COUNTER.stepResultBytes)(c) * WORKFLOW_RETENTION_DAYS) / 30 / 1e9,
  doRequests: all(COUNTER.doCalls, COUNTER.doAlarm),
  doRowsRead: one(COUNTER.doSqlRowsRead),
  doRowsWritten: all(COUNTER.doSqlRowsWritten, COUNTER.doSetAlarm),
  d1RowsRead: one(COUNTER.d1RowsRead),
  d1RowsWritten: one(COUNTER.d1RowsWritten),
  r2ClassA: one(COUNTER.r2ClassA),
  r2ClassB: one(COUNTER.r2ClassB),
};

export type Scope = Kind | "matchingToFirstAuthorCall";

function countsOf(samples: readonly CostSample[], scope: Scope): Counts[] {
  if (scope === "matchingToFirstAuthorCall") return samples.flatMap((s) => (s.kind === "matching" && s.toFirstAuthorCall ? [s.toFirstAuthorCall] : []));
  return samples.filter((s) => s.kind === scope).map((s) => s.counts);
}

export function perDelivery(samples: readonly CostSample[], scope: Scope, value: (counts: Counts) => number): Stat | null {
  return stat(countsOf(samples, scope).map(value));
}

// ── Formatting ──────────────────────────────────────────────────────────────

export function number(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  const digits = Math.abs(value) >= 100 ? 0 : 1;
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The mean, and the range when the samples differ. */
export function cell(s: Stat | null): string {
  if (!s) return "—";
  return s.min === s.max ? number(s.mean) : `${number(s.mean)} (${number(s.min)}–${number(s.max)})`;
}

/** new ÷ baseline: "0×" when the new design does none of it, "—" when neither does, "new" when only the new one does. */
export function times(value: number, baseline: number): string {
  if (baseline === 0) return value === 0 ? "—" : "new";
  const r = value / baseline;
  return `${r === 0 ? "0" : r >= 10 ? r.toFixed(0) : r.toPrecision(2)}×`;
}

/** Dollars: cents as usual, two significant digits below a dollar unless it is whole cents, so $0.015 stays $0.015. */
export function usd(value: number): string {
  if (value === 0) return "$0";
  const cents = Math.round(value * 100) / 100;
  if (value < 1 && Math.abs(cents - value) > 1e-12) {
    const rounded = value.toPrecision(2);
    return `$${Number(rounded) === value ? String(value) : rounded}`;
  }
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function table(header: readonly string[], align: readonly ("l" | "r")[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(align.map((a) => (a === "r" ? "---:" : "---"))), ...rows.map(line)].join("\n");
}

// ── The cost table ──────────────────────────────────────────────────────────

const SCOPES: readonly { scope: Scope; label: string }[] = [
  ...KINDS.map((kind) => ({ scope: kind, label: KIND_LABEL[kind] })),
  { scope: "matchingToFirstAuthorCall", label: "matching, up to the first author step's GitHub call" },
];

export function costTable(baseline: readonly CostSample[], current: readonly CostSample[]): string {
  const header = ["per delivery", ...SCOPES.flatMap(({ label }) => [`${label}: baseline`, "current", "÷"])];
  const rows = METRICS.map((metric) => [
    metric.label,
    ...SCOPES.flatMap(({ scope }) => {
      const old = perDelivery(baseline, scope, metric.value);
      const now = perDelivery(current, scope, metric.value);
      return [cell(old), cell(now), old && now ? times(now.mean, old.mean) : ""];
    }),
  ]);
  const n = (samples: readonly CostSample[], scope: Scope) => countsOf(samples, scope).length;
  rows.push(["samples (n)", ...SCOPES.flatMap(({ scope }) => [String(n(baseline, scope)), String(n(current, scope)), ""])]);
  return table(header, ["l", ...SCOPES.flatMap(() => ["r", "r", "r"] as const)], rows);
}

// ── The projection ──────────────────────────────────────────────────────────

export interface Mix {
  deliveries: number;
  share: Record<Kind, number>;
  /** Where the shares come from. */
  source: string;
}

export const MIX: Mix = {
  deliveries: 1_000_000,
  share: { nonMatching: 0.8, matching: 0.15, push: 0.05 },
  source:
    "an assumption, not a measurement: no repoflow installation's traffic has been recorded. It follows the shape the triage comment in src/dispatch/triage.ts describes " +
    "(most webhooks an App receives trigger nothing: check runs and statuses CI causes, comments nobody waits for) and the example split in the task that asked for this bench",
};

export interface ProjectionLine {
  price: PriceId;
  /** Units a month. */
  quantity: number;
  before: number;
  after: number;
}

export function project(samples: readonly CostSample[], mix: Mix = MIX): ProjectionLine[] {
  return (Object.keys(QUANTITY) as PriceId[]).map((price) => {
    const per = QUANTITY[price]!;
    let quantity = 0;
    for (const kind of KINDS) quantity += mix.deliveries * mix.share[kind] * (perDelivery(samples, kind, per)?.mean ?? 0);
    const { usd: rate, per: unit, included } = PRICES[price];
    return { price, quantity, before: (quantity / unit) * rate, after: (Math.max(0, quantity - included) / unit) * rate };
  });
}

function quantity(value: number, unit: string): string {
  if (unit === "GB-month") return `${number(Number(value.toPrecision(3)))} GB-mo`;
  if (value >= 1e6) return `${number(Number((value / 1e6).toPrecision(3)))} M`;
  return number(Math.round(value));
}

export function projectionTable(baseline: readonly ProjectionLine[], current: readonly ProjectionLine[]): string {
  const rows = baseline.map((old, i) => {
    const now = current[i]!;
    const price = PRICES[old.price];
    return [
      price.item,
      `${usd(price.usd)} / ${price.per === 1 ? price.unit : `${number(price.per / 1e6)} M ${price.units}`}`,
      price.included === 0 ? "—" : quantity(price.included, price.unit),
      quantity(old.quantity, price.unit),
      quantity(now.quantity, price.unit),
      usd(old.before),
      usd(now.before),
      times(now.before, old.before),
      usd(old.after),
      usd(now.after),
    ];
  });
  const total = (lines: readonly ProjectionLine[], key: "before" | "after") => lines.reduce((sum, line) => sum + line[key], 0);
  const [oldBefore, nowBefore, oldAfter, nowAfter] = [total(baseline, "before"), total(current, "before"), total(baseline, "after"), total(current, "after")];
  rows.push(["**total of the lines above**", "", "", "", "", `**${usd(oldBefore)}**`, `**${usd(nowBefore)}**`, times(nowBefore, oldBefore), `**${usd(oldAfter)}**`, `**${usd(nowAfter)}**`]);
  const plan = PRICES.subscription.usd;
  rows.push([`+ ${PRICES.subscription.item} (minimum charge)`, `${usd(plan)} / month`, "", "", "", "", "", "", usd(oldAfter + plan), usd(nowAfter + plan)]);
  return table(
    ["price line", "list price", "included / month", "baseline quantity / month", "current quantity / month", "baseline $ before allowances", "current $ before allowances", "÷", "baseline $ after allowances", "current $ after allowances"],
    ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  );
}

export function priceTable(): string {
  const rows = (Object.keys(PRICES) as PriceId[]).map((id) => {
    const price = PRICES[id];
    return [
      price.item,
      `${usd(price.usd)} per ${price.per === 1 ? price.unit : `${number(price.per / 1e6)} M ${price.units}`}`,
      price.included === 0 ? "—" : `${quantity(price.included, price.unit)}${price.unit === "GB-month" ? "" : ` ${price.units}`} / month`,
      NOT_PROJECTED[id] ?? (id in QUANTITY ? "projected" : "added once to the total"),
      price.source,
      price.readOn,
    ];
  });
  return table(["item", "price", "included (Workers Paid)", "in the projection", "source", "read on"], ["l", "r", "r", "l", "l", "l"], rows);
}
