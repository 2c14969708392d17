/**
 * Asking the Workflows engine about one instance, with its answers told apart.
 *
 * `get()` throws for a missing instance, and also when the engine cannot
 * answer (local miniflare turns any failure of its status probe into the same
 * `instance.not_found`). Recovery must not treat "could not ask" as "gone": a
 * live run marked failed stops receiving its events. So the caller gets three
 * answers, and only the engine's own `instance.not_found` code means missing.
 */

export type EngineStatus = Awaited<ReturnType<WorkflowInstance["status"]>>["status"];

export type InstanceLookup =
  | { state: "found"; instance: WorkflowInstance; status: EngineStatus; error: string | null }
  | { state: "missing" }
  | { state: "unknown"; error: unknown };

/** Statuses in which the engine still owns the run: it may go on by itself. */
export const LIVE_STATUSES: ReadonlySet<EngineStatus> = new Set<EngineStatus>(["queued", "running", "paused", "waiting", "waitingForPause", "unknown"]);

/** The engine's stable code for a missing instance ("instance.not_found"), carried in the message across RPC. */
export function isInstanceNotFound(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" && message.includes("instance.not_found");
}

export interface WorkflowLike {
  get(id: string): Promise<WorkflowInstance>;
}

export async function lookUpInstance(binding: WorkflowLike, id: string): Promise<InstanceLookup> {
  let instance: WorkflowInstance;
  try {
    instance = await binding.get(id);
  } catch (error) {
    return isInstanceNotFound(error) ? { state: "missing" } : { state: "unknown", error };
  }
  try {
    const { status, error } = await instance.status();
    return { state: "found", instance, status, error: error?.message ?? null };
  } catch (error) {
    return { state: "unknown", error };
  }
}
