/**
 * The durable handoff: once acceptDelivery resolves, the delivery lives in a
 * Workflow instance whose id is derived from X-GitHub-Delivery, so a process
 * death after the 202 loses nothing and a redelivery starts nothing new.
 */
import { recordDelivery } from "../store";
import type { AcceptOutcome, Delivery, IngestParams } from "./types";

// Comfortably under the 1 MiB Workflow params cap once the envelope is added.
const INLINE_PAYLOAD_LIMIT = 900 * 1024;

// Workflow instance ids allow [a-zA-Z0-9_-], up to 100 characters.
const SAFE_ID = /^[A-Za-z0-9_-]{1,90}$/;

export async function ingestInstanceId(deliveryId: string): Promise<string> {
  if (SAFE_ID.test(deliveryId)) return `delivery-${deliveryId}`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(deliveryId)));
  return "delivery-h" + Array.from(digest.subarray(0, 24), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function payloadKey(deliveryId: string): string {
  return `deliveries/${encodeURIComponent(deliveryId)}.json`;
}

export interface AcceptEnv {
  DB: D1Database;
  BLOBS: R2Bucket;
  INGEST: Workflow<IngestParams>;
}

export async function acceptDelivery(
  env: AcceptEnv,
  delivery: Delivery,
  payload: unknown,
  rawBody: Uint8Array,
): Promise<AcceptOutcome> {
  const id = await ingestInstanceId(delivery.id);
  let params: IngestParams;
  if (rawBody.byteLength > INLINE_PAYLOAD_LIMIT) {
    const key = payloadKey(delivery.id);
    await env.BLOBS.put(key, rawBody, { httpMetadata: { contentType: "application/json" } });
    params = { delivery, payloadKey: key };
  } else {
    params = { delivery, payload };
  }
  // The ledger row is what recovery walks; it is written alongside the create
  // and its ON CONFLICT DO NOTHING makes a redelivery a no-op.
  const [created] = await Promise.all([
    createOnce(env.INGEST, id, params),
    recordDelivery(env.DB, { ...delivery, instanceId: id }),
  ]);
  return created ? "accepted" : "duplicate";
}

/** true when this call created the instance, false when it already existed. */
async function createOnce(binding: Workflow<IngestParams>, id: string, params: IngestParams): Promise<boolean> {
  try {
    await binding.create({ id, params });
    return true;
  } catch (error) {
    // The engine reports an existing id only through its message; confirm by
    // looking the instance up instead of matching that text.
    const existing = await binding.get(id).catch(() => null);
    if (existing) return false;
    throw error;
  }
}
