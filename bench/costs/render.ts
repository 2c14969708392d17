/**
 * The cost bench's markdown document: the cost table, the projection, the
 * prices with their sources, and what the run checked about its own
 * counting. Pure (the figures come in, text goes out); the arithmetic is
 * report.ts's.
 */
import type { CountingChecks, Sample } from "./measure.ts";
import { WORKFLOW_RETENTION_DAYS, NOT_PROJECTED, PRICES } from "./prices.ts";
import { costTable, MIX, number, priceTable, project, projectionTable } from "./report.ts";
import type { Coverage } from "./target.ts";

export interface DesignReport {
  label: string;
  /** How the design's code was obtained, for the reader. */
  origin: string;
  samples: Sample[];
  checks: CountingChecks;
  coverage: Coverage;
  violations: string[];
}

function checkLines(design: DesignReport): string[] {
  const { checks, coverage } = design;
  const mark = (ok: boolean) => (ok ? "✓" : "✗");
  const lines = [
    `- **${design.label}**: counters bumped inside the runtime objects, read back through the fetch handler: ` +
      checks.reached.map((r) => `${r.site} ${mark(r.count > 0)} (${r.count})`).join("; ") +
      ".",
    `  GitHub API calls counted by the Worker's fetch ${checks.githubByWorker} = received by the emulator ${checks.githubByEmulator} ${mark(checks.githubByWorker === checks.githubByEmulator)}; ` +
      `D1 statements whose result carried no rows meta: ${checks.statementsWithoutMeta} ${mark(checks.statementsWithoutMeta === 0)}; ` +
      `Workflow instances counted at create ${checks.instancesCreated} = run() entries counted inside them ${checks.runEntries} ${mark(checks.instancesCreated === checks.runEntries)} (nothing here sleeps or waits, so each is entered once).`,
  ];
  if (coverage.uncountedClasses.length > 0) lines.push(`  Not counted (wrangler.toml classes the bench Worker does not subclass): ${coverage.uncountedClasses.join(", ")}.`);
  if (coverage.uncountedBindings.length > 0) lines.push(`  Not counted (binding kinds the bench Worker does not wrap): ${coverage.uncountedBindings.join(", ")}.`);
  const notes = design.samples.flatMap((sample) => sample.notes.map((note) => `${sample.kind}: ${note}`));
  if (notes.length > 0) lines.push(`  Sample notes: ${[...new Set(notes)].join("; ")}.`);
  if (design.violations.length > 0) lines.push(`  The emulator saw ${design.violations.length} requests GitHub would reject, e.g. ${design.violations.slice(0, 3).join(" / ")}.`);
  return lines;
}

export function renderCosts(baseline: DesignReport, current: DesignReport, context: { harness: string; machine: string; samples: number }): string {
  const share = MIX.share;
  const percent = (value: number) => `${Math.round(value * 100)} %`;
  return [
    "# Cost per webhook delivery",
    "",
    `Machine: ${context.machine}`,
    `Harness: ${context.harness}. The Worker is bench/workers/costs.ts: src/index.ts with every class wrangler.toml names subclassed to count what reaches its bindings, bundled by wrangler with wrangler.toml's bindings; one GitHub emulator (test/emulator) per design.`,
    `Designs: **baseline** = ${baseline.origin}; **current** = ${current.origin}.`,
    "",
    "## What one delivery costs",
    "",
    `Per delivery: the mean of ${context.samples} deliveries after warm-ups, with (min–max) when they differ; ÷ is current ÷ baseline. ` +
      "Each delivery is counted from just before it is sent until the ledger says processed, the run has finished (matching) or the compile check run is completed (push), and then neither the emulator nor any counter has moved for 1 s.",
    "",
    costTable(baseline.samples, current.samples),
    "",
    "How each row is counted (bench/workers/costs/): Workflow instances when `create`/`createBatch` on a Workflow binding resolves; " +
      "steps as every `step.do`, `sleep`, `sleepUntil` and `waitForEvent` call on the step the engine hands to `run()`, replays after a sleep or wait included; " +
      "state written as the JSON length of create params plus what each step body returned (replays return from the engine's store and add nothing); " +
      "D1 statements and rows from each result's `meta` (`first()` is answered from `all()`, which carries it); R2 operations by Cloudflare's classes; " +
      "Durable Object requests as RPC method calls and fetches on stubs plus `alarm()` invocations; Durable Object SQL rows from the cursors' `rowsRead`/`rowsWritten` " +
      "(statements in a Durable Object's constructor, which creates its tables, are not counted: the runtime refuses a wrapped state there); " +
      "Dynamic Worker calls as RPC calls on a loaded Worker's entrypoints; GitHub calls as the emulator received them (the tenant's through the gateway included). " +
      "Not counted at all: CPU time and Durable Object duration (below). " +
      "Rows read are measured on a fresh state (near-empty tables and inbox shards): a statement that scans a table reads more as the table grows in production.",
    "",
    `## Projected monthly cost at ${number(MIX.deliveries)} deliveries`,
    "",
    `Mix: ${percent(share.nonMatching)} non-matching, ${percent(share.matching)} matching (one run each), ${percent(share.push)} pushes changing .workflows/. ` + `The mix is ${MIX.source}.`,
    "",
    projectionTable(project(baseline.samples), project(current.samples)),
    "",
    "*Before allowances*: every unit at list price. *After allowances*: minus the Workers Paid plan's monthly inclusions, as if repoflow were the only thing on the account; " +
      "the Workers Standard request pool (10 M) is shared by the webhook's Worker request, every Workflow instance created (an invocation) and every Dynamic Worker call. " +
      `Workflows storage is an estimate and a lower bound: the state written per delivery × deliveries × ${WORKFLOW_RETENTION_DAYS}/30 (completed instances are kept ${WORKFLOW_RETENTION_DAYS} days by default), without the engine's own per-instance records. ` +
      "Workflow instances are priced as one invocation each; nothing here sleeps or waits, so that is also the number of engine entries into run(). " +
      "Steps are not a price line of their own (Workflows bill invocations, CPU time and storage): they cost through CPU time, not measured, and through stored state. " +
      "R2 rounds usage up to whole millions of operations; these figures do not. " +
      `Not in the projection: ${Object.entries(NOT_PROJECTED)
        .map(([id, why]) => `${PRICES[id as keyof typeof PRICES].item} (${why})`)
        .join("; ")}.`,
    "",
    "## Prices",
    "",
    "Cloudflare list prices in USD on the Workers Paid plan, as bench/costs/prices.ts holds them.",
    "",
    priceTable(),
    "",
    "## Counting checks",
    "",
    ...checkLines(baseline),
    ...checkLines(current),
  ].join("\n");
}
