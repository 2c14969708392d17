/**
 * The contract between the dispatcher and a tenant's Dynamic Worker. These
 * values cross the isolate boundary and are persisted as Workflow params, so
 * they hold no secret, ever.
 */

export interface RunParams {
  /** The Workflow instance id. */
  runId: string;
  /** The workflow's file, e.g. ".workflows/nudge.ts". */
  workflow: string;
  /** `receivedAt`: when the edge accepted the delivery; a wait sees the events that came after it. */
  event: { name: string; action: string | null; deliveryId: string; payload: unknown; receivedAt?: string };
  repo: { owner: string; repo: string };
  installationId: number;
  /** The commit the run's check run is attached to. */
  headSha: string;
  bundleHash: string;
  /** The command that started the run (on.command), parsed by the dispatcher. */
  command?: { name: string; args: string[] };
}

export type TriggerContext = Pick<RunParams, "event" | "repo" | "headSha" | "command">;

/** What the tenant decides for an event: whether a run starts, and the keys of its lanes (null: no lane). */
export type RunDecision =
  | { run: true; concurrency?: string | null; debounce?: string | null }
  | { run: false }
  | { error: { message: string; stack?: string } };

/** The events repoflow makes itself (they are not GitHub's): a schedule's tick, a manual run. */
export const SCHEDULE_EVENT = "schedule";
export const DISPATCH_EVENT = "dispatch";

export interface WorkflowManifestEntry {
  file: string;
  name: string;
  /** GitHub events with their actions; `command` and `labeled` are kept apart, below. */
  on: Record<string, string[] | "*">;
  hasIf: boolean;
  command?: CommandManifest;
  /** Label names (as written) whose addition to an issue or pull request starts a run. */
  labeled?: string[];
  /** Absent means "report". */
  check?: "report" | "gate";
  /** Cron schedules, checked by the dispatcher (the tenant has no cron parser). */
  schedules?: { cron: string; timezone: string }[];
  /** Manual runs, with their declared inputs. */
  dispatch?: { inputs: Record<string, DispatchInputManifest> };
  /** The key itself is computed by the tenant per event (shouldRun). */
  concurrency?: { cancelInProgress: boolean };
  debounce?: { period: number | string; maxWait: number | string | null };
  /** The run token's permissions: the declaration or the default, with metadata: read (permissions.ts). Absent in bundles built before declarations. */
  permissions?: Record<string, "read" | "write">;
}

export interface DispatchInputManifest {
  type: "string" | "number" | "boolean" | "choice";
  description: string | null;
  required: boolean;
  default: string | number | boolean | null;
  options: string[] | null;
}

export interface CommandManifest {
  /** Lowercased, with its slash: "/backport". */
  name: string;
  /** Who may give it: at least this role, or one of these logins (lowercased). */
  from: { role: RepositoryRole } | { logins: string[] };
  args: { min: number; max: number };
  usage: string | null;
}

export interface DescribeResult {
  workflows: WorkflowManifestEntry[];
  problems: { file: string; message: string }[];
}

/** A repository role, lowest first: what `from` in a wait or a command asks of the person acting. */
export type RepositoryRole = "read" | "triage" | "write" | "maintain" | "admin";

/**
 * What a tenant's step.waitFor asks of the dispatcher, as it crosses the
 * boundary: plain JSON, checked again on the dispatcher's side. The author's
 * `match` function stays in the tenant.
 */
export interface WaitRequest {
  /** "issue_comment.created", or an event name for any of its actions. */
  events: string[];
  /** Correlation: only events about this issue or pull request number, or this commit. */
  for?: { number?: number; sha?: string };
  /** Only comments whose body holds this slash command ("/approve"), outside code and quotes. */
  command?: string;
  /** Only events by someone with at least this role on the repository, or by one of these logins. */
  from?: RepositoryRole | string[];
  /** One deadline for the whole wait; "1 day" when absent. */
  timeout?: number | string;
  /** A button on the run's check run that satisfies the wait when someone allowed by `from` (default: write access) clicks it. */
  button?: string;
  /**
   * The tenant filters further with `match`: the dispatcher then keeps the
   * step open until the tenant says the event was taken (settleWait).
   */
  filtered?: boolean;
}

/** An event handed to a waiting run, whether it arrived while the run waited or shortly before. */
export interface DeliveredEvent {
  type: string;
  action: string | null;
  deliveryId: string;
  /** The webhook payload; null when it was over the size a wait can carry (800 KB). */
  payload: unknown;
  /** The login of the person (or bot) whose action sent the event. */
  actor: string | null;
  /** The slash command that matched, with its arguments. */
  command: { name: string; args: string[] } | null;
}
