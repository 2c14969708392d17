/**
 * Events repoflow makes itself (a schedule's tick, a manual run) travel the
 * path GitHub's do: into the durable inbox, deduplicated by their id, on to
 * an ingest run that resolves the default branch, compiles and starts runs.
 * So a tick the scheduler fires twice, or a Run click sent twice, starts one
 * run, and nothing about starting runs is written twice.
 */
import { acceptDelivery, type AcceptEnv } from "./delivery";
import { inboxName } from "./inbox-shards";
import type { AcceptOutcome, Delivery } from "./types";

export interface InternalEvent {
  /** Deterministic for what it stands for (the tick, the click): the dedupe key. */
  id: string;
  event: string;
  installationId: number;
  repository: string;
  payload: Record<string, unknown>;
}

export async function submitInternalEvent(env: AcceptEnv, internal: InternalEvent): Promise<AcceptOutcome> {
  const delivery: Delivery = {
    id: internal.id,
    event: internal.event,
    action: null,
    installationId: internal.installationId,
    repository: internal.repository,
    receivedAt: new Date().toISOString(),
  };
  const [owner = "", name = ""] = internal.repository.split("/");
  // The payload looks enough like GitHub's for the SDK's context: repository and installation as in a webhook.
  const payload = { ...internal.payload, repository: { full_name: internal.repository, name, owner: { login: owner } }, installation: { id: internal.installationId } };
  const text = JSON.stringify(payload);
  return acceptDelivery(env, delivery, { bytes: new TextEncoder().encode(text), text }, inboxName(delivery));
}

/** A stable id from parts: Workflow and delivery ids allow [A-Za-z0-9_-]. */
export async function internalEventId(kind: string, ...parts: (string | number)[]): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n"))));
  return `${kind}-` + Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}
