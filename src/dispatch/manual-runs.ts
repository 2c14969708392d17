/**
 * Runs a person asks for: the dashboard's Run button (and its JSON API) for a
 * workflow with `on.dispatch`, and firing a schedule at once (`npm run replay
 * -- schedule <workflow>`). Both become internal events through the inbox;
 * the inputs are checked here against the bundle of the default branch as
 * last seen, and again by ingest against HEAD.
 */
import type { WorkflowManifestEntry } from "../runtime";
import { installationOfRepository, latestBundleOf } from "../store";
import type { AcceptEnv } from "./delivery";
import { checkInputs, findDispatchable } from "./dispatch-inputs";
import { internalEventId, submitInternalEvent } from "./internal-events";
import { DISPATCH_EVENT } from "../runtime";
import { schedulerOf } from "./scheduler";

export class UnknownRepositoryError extends Error {
  override readonly name = "UnknownRepositoryError";
}
export class NotRunnableError extends Error {
  override readonly name = "NotRunnableError";
}
export class BadInputsError extends Error {
  override readonly name = "BadInputsError";
  constructor(readonly problems: string[]) {
    super(`repoflow: the inputs do not fit: ${problems.join(" ")}`);
  }
}

export interface ManualRunEnv extends AcceptEnv {
  DB: D1Database;
  SCHEDULER: DurableObjectNamespace;
}

async function knownWorkflows(env: ManualRunEnv, repository: string): Promise<{ installationId: number; workflows: WorkflowManifestEntry[] }> {
  const [installationId, bundle] = await Promise.all([installationOfRepository(env.DB, repository), latestBundleOf(env.DB, repository)]);
  if (installationId === null || !bundle) {
    throw new UnknownRepositoryError(`repoflow: no workflows of ${repository} are known yet; push to its default branch (or send it any event) so repoflow compiles them.`);
  }
  return { installationId, workflows: bundle.ok ? (bundle.manifest as WorkflowManifestEntry[]) : [] };
}

export async function requestManualRun(
  env: ManualRunEnv,
  request: { repository: string; workflow: string; inputs: Record<string, unknown>; sender: string; key?: string },
): Promise<{ deliveryId: string; workflow: string; duplicate: boolean }> {
  const { installationId, workflows } = await knownWorkflows(env, request.repository);
  const workflow = findDispatchable(workflows, request.workflow);
  if (!workflow) {
    const names = workflows.filter((w) => w.dispatch).map((w) => w.file);
    throw new NotRunnableError(`repoflow: ${request.repository} has no workflow "${request.workflow}" that declares on.dispatch${names.length ? `; these do: ${names.join(", ")}` : ""}.`);
  }
  const checked = checkInputs(workflow.dispatch?.inputs ?? {}, request.inputs);
  if (!checked.ok) throw new BadInputsError(checked.problems);
  // Without a key every request is a new run; with one, the same key twice starts one.
  const id = await internalEventId("dispatch", request.repository.toLowerCase(), workflow.file, request.key ?? crypto.randomUUID());
  const outcome = await submitInternalEvent(env, {
    id,
    event: DISPATCH_EVENT,
    installationId,
    repository: request.repository,
    payload: { workflow: workflow.file, inputs: checked.values, sender: { login: request.sender } },
  });
  return { deliveryId: id, workflow: workflow.file, duplicate: outcome === "duplicate" };
}

export async function fireScheduleNow(env: ManualRunEnv, repository: string, workflow: string): Promise<{ workflow: string; deliveryId: string }> {
  const { workflows } = await knownWorkflows(env, repository);
  const wanted = workflow.toLowerCase().replace(/\.ts$/, "");
  const found = workflows.find((w) => w.schedules && [w.file.toLowerCase(), w.file.toLowerCase().replace(/^\.workflows\//, "").replace(/\.ts$/, ""), w.name.toLowerCase()].includes(wanted));
  if (!found) throw new NotRunnableError(`repoflow: ${repository} has no scheduled workflow "${workflow}".`);
  const deliveryId = await schedulerOf(env, repository).fireNow(found.file);
  if (deliveryId === null) throw new NotRunnableError(`repoflow: the schedule of ${found.file} is not registered yet; it is once an event on ${repository} compiles it.`);
  return { workflow: found.file, deliveryId };
}
