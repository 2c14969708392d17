/**
 * A workflow whose `if` threw never starts, but its author must see why: a
 * failed check run named like the workflow's runs, on the event's commit.
 */
import type { WorkflowManifestEntry } from "../runtime";
import { closeCheckRun, type CheckRunTarget } from "./run-checks";
import type { ConfigEnv } from "../config";
import type { RunSource } from "./start-runs";
import { runInstanceId } from "./triggers";

export async function failIfCheck(env: ConfigEnv & { DB: D1Database }, source: RunSource, workflow: WorkflowManifestEntry, message: string): Promise<void> {
  const target: CheckRunTarget = {
    runId: await runInstanceId(source.delivery.id, workflow.file, 1),
    installationId: source.installationId,
    repository: source.repository,
    headSha: source.headSha,
    workflowName: workflow.name,
    deliveryId: source.delivery.id,
  };
  await closeCheckRun(env, target, null, { conclusion: "failure", error: { message: `The workflow's \`if\` threw: ${message}`, file: workflow.file } }, []);
}
