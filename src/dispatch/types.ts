/** Types that cross from the edge into dispatch and into the durable ingest run. */

/** What the edge learned from a verified delivery's headers and top-level payload fields. */
export interface Delivery {
  /** X-GitHub-Delivery: GitHub keeps it across redeliveries, so it is the dedupe key. */
  id: string;
  event: string;
  action: string | null;
  installationId: number | null;
  /** owner/name, when the event concerns one repository. */
  repository: string | null;
  receivedAt: string;
  /** Local time travel requested by the replay tool; honoured only in local mode. */
  skipSleeps?: boolean;
  /** Set on a re-run: start only this run's workflow, from scratch. */
  rerunOf?: { runId: string; workflow: string };
}

/**
 * The ingest run's params. Workflow params are capped at 1 MiB and GitHub
 * sends payloads up to 25 MB, so large payloads travel through R2 by key.
 */
export type IngestParams = { delivery: Delivery; hint?: IngestHint; reconsidered?: Reconsidered } & ({ payload: unknown } | { payloadKey: string });

/** How the inbox first decided a delivery it decides again (inbox-kept.ts), and the late push that made it. */
export interface Reconsidered {
  /** The delivery of the late push (or repository event). */
  by: string;
  push: string;
  decided: KeptAs;
  /** The workflows the first decision judged (started, declined by their `if`, or handed to ingest): not judged again. */
  judged: string[];
}

/** What the index decided of a delivery: ignored it, started its runs in the inbox, or sent it to ingest with the indexed HEAD. */
export type KeptAs = "ignored" | "started" | "ingest";

/**
 * A delivery as the edge hands it to its inbox shard: the body's text as it was verified
 * (JSON already parsed once at the edge), which the shard stores as it is. A parsed payload
 * would be cloned for the RPC and serialised again in the shard, both in the acknowledgement.
 */
export type Arrival = { delivery: Delivery } & ({ payloadText: string } | { payloadKey: string });

/** What the inbox learned while deciding that a delivery matters (triage.ts), so ingest need not learn it again. */
export interface IngestHint {
  /** Why the delivery was sent on. */
  why: string;
  /** The inbox offered it to the repository's waits, and this many may take it: none means ingest wakes nothing. */
  waitCandidates?: number;
  /** The default branch as the settled index had it: ingest takes HEAD and the bundle from here instead of asking GitHub. */
  head?: { commitSha: string; sourceKey: string | null; observedAt: number; confirmedAt: number };
}

export type AcceptOutcome = "accepted" | "duplicate";

/** The params of a control run (the repoflow-controls Workflow): one durable action a person asked for. */
export type ControlParams = { kind: "cancel"; runId: string; reason?: string };

/**
 * The dispatcher metadata stored with every run (through wrapWorkflowBinding):
 * everything needed to rebuild the run's Dynamic Worker, and nothing secret.
 */
export interface RunMetadata {
  installationId: number;
  /** owner/name */
  repository: string;
  bundleHash: string;
  /** The workflow's file, e.g. ".workflows/nudge.ts". */
  workflow: string;
  /** See Delivery.skipSleeps. */
  skipSleeps?: boolean;
  /** The workflow's check mode when it is "gate" (absent: "report"). */
  check?: "gate";
  /** The run's concurrency lane (lanes.ts), when its workflow declares one and the key was not null. */
  lane?: { lane: string; mode: "queue" | "cancel"; receivedAt: number };
  /** The run token's permissions, from the bundle's manifest (absent for runs from before declarations). */
  permissions?: Record<string, "read" | "write">;
  [key: string]: unknown;
}

/** The code that runs in a tenant's Dynamic Worker, stored immutably in R2 under its hash (invariant 3). */
export interface BundleArtifact {
  hash: string;
  /** Module name to ESM source: host.js, repoflow.js, bundle.js. */
  modules: Record<string, string>;
  /** Source map of bundle.js, to point failures at the author's file and line. */
  sourceMap?: string;
  commitSha: string;
  createdAt: string;
}
