/**
 * What the cost bench Worker (bench/workers/costs.ts) serves and the runner
 * (bench/costs.ts) asks for: routes, the counter names and the answers'
 * shapes. A plain module with no imports, because it is loaded three ways:
 * by Node directly, by wrangler bundling the Worker against the working
 * tree's src/, and, copied beside a copy of that Worker, against the
 * baseline commit's src/.
 */

export const COSTS_ROUTES = {
  prefix: "/bench/costs/",
  /** Every counter since the last reset, and the snapshot taken at the first author GitHub call. */
  counts: "/bench/costs/counts",
  /** Zeroes the counters and arms the first-author-call snapshot. */
  reset: "/bench/costs/reset",
  /** The ledger row of one delivery and the runs it started, read from D1 uncounted. */
  delivery: "/bench/costs/delivery",
} as const;

/**
 * The var carrying which binding of wrangler.toml is which kind, as wrangler's
 * own converter reads them in Node: the Worker wraps bindings by kind, so a
 * binding added to wrangler.toml is counted without a change to the bench.
 */
export const BINDINGS_VAR = "BENCH_COST_BINDINGS";

export interface BindingKinds {
  d1: string[];
  r2: string[];
  durableObjects: string[];
  workflows: string[];
  loaders: string[];
}

/**
 * The classes the Worker subclasses to count what they do. Exports must be
 * named statically, so this is a list; a class_name of wrangler.toml outside
 * it still runs (re-exported as is) but is not counted, and the report says so.
 */
export const COUNTED_CLASSES = [
  "DeliveryInbox",
  "RecoveryCoordinator",
  "WaitRegistry",
  "Scheduler",
  "Lanes",
  "IngestWorkflow",
  "ControlWorkflow",
  "DynamicWorkflow",
  "GitHubGateway",
  "DynamicWorkflowBinding",
] as const;

/**
 * Flat counter names, so that diffing, averaging and "has anything changed"
 * are one loop over keys. Per-binding and per-class counters append
 * `.<name>`: `workflow.created.INGEST`, `do.calls.INBOX`, `do.alarm.DeliveryInbox`.
 */
export const COUNTER = {
  workerRequests: "worker.requests",
  workflowCreated: "workflow.created",
  workflowParamsBytes: "workflow.paramsBytes",
  workflowRun: "workflow.run",
  workflowCalls: "workflow.calls",
  /** Every step call of one Workflow class, by class: `workflow.steps.IngestWorkflow`. */
  workflowSteps: "workflow.steps",
  stepDo: "workflow.step.do",
  stepSleep: "workflow.step.sleep",
  stepSleepUntil: "workflow.step.sleepUntil",
  stepWaitForEvent: "workflow.step.waitForEvent",
  stepBodies: "workflow.stepBodies",
  stepResultBytes: "workflow.resultBytes",
  d1Statements: "d1.statements",
  d1RowsRead: "d1.rowsRead",
  d1RowsWritten: "d1.rowsWritten",
  d1WithoutMeta: "d1.withoutMeta",
  r2ClassA: "r2.classA",
  r2ClassB: "r2.classB",
  r2Free: "r2.free",
  doCalls: "do.calls",
  doAlarm: "do.alarm",
  doConstructed: "do.constructed",
  doSqlStatements: "do.sql.statements",
  doSqlRowsRead: "do.sql.rowsRead",
  doSqlRowsWritten: "do.sql.rowsWritten",
  doSetAlarm: "do.setAlarm",
  dynamicGets: "dw.gets",
  dynamicCodeLoads: "dw.codeLoads",
  dynamicCalls: "dw.calls",
  fetchGitHub: "fetch.github",
  fetchOther: "fetch.other",
  loopback: "loopback",
} as const;

export type Counts = Record<string, number>;

export interface CountsAnswer {
  counts: Counts;
  /** The counters as they stood when the tenant's first GitHub call reached the gateway since the reset; null if none did. */
  atFirstAuthorCall: Counts | null;
}

export interface DeliveryAnswer {
  /** The `deliveries` row's status, or null while there is none. */
  status: string | null;
  runs: { id: string; status: string }[];
}
