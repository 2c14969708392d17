/** Rows the store hands to other rooms. */

export interface Installation {
  id: number;
  accountLogin: string;
  accountType: string;
  repositorySelection: string | null;
  suspendedAt: string | null;
}

export interface Repository {
  id: number;
  installationId: number;
  fullName: string;
  private: boolean;
}

export type DeliveryStatus = "accepted" | "processed" | "failed";

export interface DeliveryRecord {
  id: string;
  instanceId: string;
  event: string;
  action: string | null;
  installationId: number | null;
  repository: string | null;
  receivedAt: string;
  status: DeliveryStatus;
  processedAt: string | null;
  error: string | null;
  /** Failed ingest attempts so far (the delivery is retried for 3 days), and the latest one's error. */
  attempts: number;
  lastError: string | null;
  /** What processing it did, once processed (null before, and for deliveries processed before outcomes were kept). */
  outcome: DeliveryOutcome | null;
}

/** What a delivery did: the runs it started and woke, the code it was matched against, and why not more. */
export interface DeliveryOutcome {
  started: string[];
  /** Waiting runs it was sent to, and the wait each took it at. */
  woke: { runId: string; wait: string }[];
  /** The .workflows bundle of the default branch it was matched against. */
  bundle?: { hash: string; commitSha: string; ok: boolean; diagnostics: OutcomeDiagnostic[] };
  /** Why a workflow that matched the event did not start a run (its `if` said no, a command was refused, it was debounced…). */
  notes: { workflow: string; note: string }[];
  /** Why the delivery did nothing, when it did nothing. */
  ignored?: string;
}

export interface OutcomeDiagnostic {
  file?: string;
  line?: number;
  column?: number;
  message: string;
  severity: "error" | "warning";
}

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface RunRecord {
  id: string;
  installationId: number;
  repository: string;
  workflowFile: string;
  workflowName: string;
  event: string;
  action: string | null;
  deliveryId: string;
  bundleHash: string;
  /** The default-branch commit whose .workflows the bundle was compiled from. */
  commitSha: string;
  /** The commit the run's check run is attached to. */
  headSha: string;
  status: RunStatus;
  checkRunId: number | null;
  /** The run's last check run was completed as neutral while the run sleeps or waits; a new one opens when it resumes. */
  checkParked: boolean;
  /** How the run relates to others: the events a debounce absorbed into it, the runs it superseded or that superseded it. */
  lineage: string | null;
  /** The run's return value as JSON (cut at OUTPUT_PREVIEW_CHARS), once it succeeded; null for none. */
  result: string | null;
  error: string | null;
  /** A problem around the run that is not its outcome (a check run GitHub refused, a cancel that failed). */
  problem: string | null;
  /** When a person asked to cancel it; the status turns cancelled only once the engine confirms the run stopped. */
  cancelRequestedAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export type StepKind = "do" | "sleep" | "wait";
export type StepStatus = "running" | "sleeping" | "waiting" | "succeeded" | "failed";

export interface StepRecord {
  runId: string;
  name: string;
  kind: StepKind;
  position: number;
  status: StepStatus;
  attempts: number;
  outputBytes: number | null;
  error: string | null;
  /** For a `wait` step: the event type it waits for. */
  waitFor: string | null;
  /** For `sleep` and `wait` steps: when the engine should wake the run (the sleep's end, the wait's timeout). */
  wakeAt: string | null;
  /** A wait's check-run button, while it waits. */
  button: { label: string; identifier: string } | null;
  /** The step's result as JSON, cut at OUTPUT_PREVIEW_CHARS (`outputBytes` is its whole size); null for none. */
  output: string | null;
  /** What the status does not say, e.g. a sleep skipped by --skip-sleeps. */
  note: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface BundleRecord {
  sourceKey: string;
  hash: string;
  ok: boolean;
  /** JSON the dispatcher defines (the workflows' names and triggers); the store keeps it opaque. */
  manifest: unknown;
  diagnostics: unknown[];
  commitSha: string;
  repository: string;
  createdAt: string;
}
