/**
 * What the waits bench Worker (bench/workers/waits.ts) serves and the runner
 * (bench/waits.ts) asks for: routes, request bodies and the counts an answer
 * carries. Shared by the Worker (bundled by wrangler) and the runner (run by
 * Node directly), so it is a plain module with no imports that both can load.
 */

export const WAITS_ROUTES = {
  /** An empty answer: the harness's floor under every timed row. */
  noop: "/bench/waits/noop",
  /** Files waits through the real RunWaits.register, one per PR number, for run ids that need no Workflow instance. */
  file: "/bench/waits/file",
  /** Writes the old design's D1 rows: a running run with a step waiting for `issue_comment`, per PR number. */
  seedBroadcast: "/bench/waits/seed-broadcast",
  /** Hands one issue_comment.created delivery to one design and answers what it woke and what it cost. */
  wake: "/bench/waits/wake",
  /** What the service's D1 says about a repository's runs and one delivery. */
  state: "/bench/waits/state",
} as const;

/** The old design's waiting step, as the broadcast query looked for it (`run_steps.wait_for` held the event name). */
export const BROADCAST_EVENT = "issue_comment";

/** The name of the seeded old-shape step, which the state route leaves out of its counts. */
export const OLD_SHAPE_STEP = "bench: old-shape wait";

export interface FileRequest {
  repository: string;
  /** PR numbers from..to inclusive; run `${runPrefix}${n}` waits on #n. */
  from: number;
  to: number;
  runPrefix: string;
  /** The wait's name: a later name files a second wait for the same run. */
  name: string;
}

export interface SeedRequest {
  repository: string;
  /** New `runs` rows for PR numbers from..to (run `${runPrefix}${n}`), or "existing": a waiting step for each running run the service has for the repository. */
  runs: { from: number; to: number; runPrefix: string } | "existing";
}

export type Design = "registry" | "broadcast";

export interface WakeRequest {
  repository: string;
  design: Design;
  /** "recording": a stand-in Workflow binding that answers every run is waiting and records sendEvent; "real": the service's WORKFLOWS binding. */
  engine: "recording" | "real";
  /** The issue_comment.created payload, sent as GitHub would (its issue.number is the PR the comment is on). */
  payload: unknown;
}

/** What one design did for one delivery, counted at the bindings it was handed. */
export interface WakeCost {
  /** Runs the event was sent to (sendEvent calls). */
  sendEvents: number;
  /** WORKFLOWS.get and instance.status() calls. */
  instanceLookups: number;
  /** RPC calls on WAITS stubs (offer, claim, register, forget). */
  durableObjectCalls: number;
  /** D1 statements run (first/all/run/raw, and each statement of a batch). */
  d1Queries: number;
  /** GitHub role lookups asked for (a wait with `from: role`). */
  roleLookups: number;
}

export interface WakeAnswer {
  woken: string[];
  cost: WakeCost;
}

export interface StateRequest {
  repository: string;
  deliveryId: string | null;
}

export interface StateAnswer {
  /** Wait steps of the repository's runs with status "waiting" (seeded old-shape steps left out). */
  waiting: number;
  /** Every step row of the repository's runs (seeded old-shape steps left out). */
  steps: number;
  failedRuns: number;
  /** The delivery's ledger status, null before the drain recorded it. */
  delivery: string | null;
}
