/**
 * POST /webhooks/github. The order follows octokit/webhooks.js: size, then the
 * signature over the raw bytes, then the headers, only then JSON.parse.
 * Nothing here compiles or calls GitHub: GitHub gives up on a delivery after
 * 10 s (https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks#respond-within-10-seconds),
 * so the request only hands the delivery to a durable ingest run and answers 202.
 */
import type { Context } from "hono";
import { readConfig } from "../config";
import { acceptDelivery, inboxName, type Delivery } from "../dispatch";
import { KNOWN_EVENTS, verifySignature } from "../github";
import { BodyTooLargeError, readCappedBody } from "./body";

// GitHub caps webhook payloads at 25 MB (https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap).
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

const EVENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;

type Env = { Bindings: Cloudflare.Env };

function problem(c: Context<Env>, status: 400 | 401 | 413 | 415 | 503, error: string, message: string) {
  return c.json({ error, message }, status);
}

export async function handleWebhook(c: Context<Env>): Promise<Response> {
  const config = readConfig(c.env);
  const contentType = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(contentType)) {
    return problem(c, 415, "unsupported_media_type", "Set the GitHub App's webhook content type to application/json.");
  }

  let body: Uint8Array;
  try {
    body = await readCappedBody(c.req.raw, MAX_WEBHOOK_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      return problem(c, 413, "payload_too_large", `Webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes, as on GitHub.`);
    }
    throw error;
  }

  const signature = await verifySignature(body, c.req.header("x-hub-signature-256"), config.webhookSecrets);
  if (!signature.ok) {
    const why = {
      missing: "The X-Hub-Signature-256 header is missing.",
      malformed: "X-Hub-Signature-256 must be sha256= followed by 64 lowercase hex digits.",
      mismatch: "X-Hub-Signature-256 does not match the body for the configured WEBHOOK_SECRET.",
    }[signature.reason];
    return problem(c, 401, `signature_${signature.reason}`, why);
  }

  const event = c.req.header("x-github-event");
  const deliveryId = c.req.header("x-github-delivery");
  if (!event || !EVENT_NAME.test(event)) return problem(c, 400, "bad_event_header", "X-GitHub-Event is missing or not an event name.");
  if (!deliveryId || deliveryId.length > 200) return problem(c, 400, "bad_delivery_header", "X-GitHub-Delivery is missing or longer than 200 characters.");

  let payload: unknown;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body);
    payload = JSON.parse(text);
  } catch {
    return problem(c, 400, "invalid_json", "The body is not valid UTF-8 JSON.");
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    return problem(c, 400, "invalid_payload", "A webhook payload must be a JSON object.");
  }

  // ping arrives when the webhook is set up; unknown events are new GitHub features we don't act on yet.
  if (event === "ping" || !KNOWN_EVENTS.has(event)) {
    return c.json({ delivery: deliveryId, status: "ignored", event }, 202);
  }

  const delivery = describeDelivery(deliveryId, event, payload as Record<string, unknown>);
  if (c.req.header("x-repoflow-skip-sleeps") === "1") {
    // Time travel is a local authoring aid; GitHub never sends this header.
    if (config.mode !== "local") return problem(c, 400, "time_travel_is_local", "X-Repoflow-Skip-Sleeps is honoured only in local mode.");
    delivery.skipSleeps = true;
  }
  try {
    const status = await acceptDelivery(c.env, delivery, { bytes: body, text }, inboxName(delivery));
    return c.json({ delivery: deliveryId, status }, 202);
  } catch (error) {
    // The durable handoff failed, so GitHub must see a failure and keep the delivery for redelivery.
    console.error(`repoflow: could not hand delivery ${deliveryId} to ingest`, error);
    return problem(c, 503, "ingest_unavailable", "The delivery could not be stored durably; GitHub can redeliver it.");
  }
}

function describeDelivery(id: string, event: string, payload: Record<string, unknown>): Delivery {
  const action = typeof payload.action === "string" ? payload.action : null;
  const installation = payload.installation as { id?: unknown } | undefined;
  const repository = payload.repository as { full_name?: unknown } | undefined;
  return {
    id,
    event,
    action,
    installationId: typeof installation?.id === "number" ? installation.id : null,
    repository: typeof repository?.full_name === "string" ? repository.full_name : null,
    receivedAt: new Date().toISOString(),
  };
}
