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
  event: { name: string; action: string | null; deliveryId: string; payload: unknown };
  repo: { owner: string; repo: string };
  installationId: number;
  /** The commit the run's check run is attached to. */
  headSha: string;
  bundleHash: string;
}

export type TriggerContext = Pick<RunParams, "event" | "repo" | "headSha">;

export interface WorkflowManifestEntry {
  file: string;
  name: string;
  on: Record<string, string[] | "*">;
  hasIf: boolean;
}

export interface DescribeResult {
  workflows: WorkflowManifestEntry[];
  problems: { file: string; message: string }[];
}
