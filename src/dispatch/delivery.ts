/**
 * The durable handoff of an accepted delivery. Once acceptDelivery resolves,
 * the delivery is stored in its inbox shard (a SQLite Durable Object), which
 * also answers whether this X-GitHub-Delivery was seen before; the inbox
 * turns it into an ingest Workflow instance whose id is derived from the
 * delivery id, so a redelivery starts nothing new (see inbox.ts).
 */
import type { AcceptOutcome, Arrival, Delivery } from "./types";

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

/** The event of a delivery that started runs, kept for re-runs and the dashboard: a re-run replays it. */
export async function keepPayload(blobs: R2Bucket, deliveryId: string, payload: unknown): Promise<void> {
  const key = payloadKey(deliveryId);
  if (await blobs.head(key)) return;
  await blobs.put(key, JSON.stringify(payload), { httpMetadata: { contentType: "application/json" } });
}

/** The inbox Durable Object's RPC surface, as the edge calls it. */
export interface InboxStub {
  accept(arrival: Arrival): Promise<AcceptOutcome>;
}

export interface AcceptEnv {
  BLOBS: R2Bucket;
  INBOX: DurableObjectNamespace;
}

/** `body`: the payload's bytes and their text, which the caller has parsed as a JSON object. */
export async function acceptDelivery(env: AcceptEnv, delivery: Delivery, body: { bytes: Uint8Array; text: string }, shard: string): Promise<AcceptOutcome> {
  let arrival: Arrival;
  if (body.bytes.byteLength > INLINE_PAYLOAD_LIMIT) {
    const key = payloadKey(delivery.id);
    await env.BLOBS.put(key, body.bytes, { httpMetadata: { contentType: "application/json" } });
    arrival = { delivery, payloadKey: key };
  } else {
    arrival = { delivery, payloadText: body.text };
  }
  const inbox = env.INBOX.get(env.INBOX.idFromName(shard)) as unknown as InboxStub;
  return inbox.accept(arrival);
}
