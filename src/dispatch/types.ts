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
}

/**
 * The ingest run's params. Workflow params are capped at 1 MiB and GitHub
 * sends payloads up to 25 MB, so large payloads travel through R2 by key.
 */
export type IngestParams = { delivery: Delivery } & ({ payload: unknown } | { payloadKey: string });

export type AcceptOutcome = "accepted" | "duplicate";
