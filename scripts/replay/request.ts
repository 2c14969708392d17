/**
 * The HTTP request GitHub would send for a delivery, signed with the local
 * secret. Header names and values follow what GitHub's App webhooks carry
 * (https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers);
 * the signature is HMAC-SHA256 over the exact body bytes sent, so the body is
 * serialized once, here, and never again. Pure, so tests check it directly.
 */
import { createHmac } from "node:crypto";

export interface DeliveryRequest {
  event: string;
  guid: string;
  payload: Record<string, unknown>;
  /** Headers a delivery already carried (an export from GitHub); they win over the defaults below, except the event, delivery and signature. */
  original?: Record<string, string>;
  appId: string;
  secret: string;
  skipSleeps: boolean;
}

export function signedRequest(request: DeliveryRequest): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify(request.payload);
  const headers: Record<string, string> = {
    "user-agent": "GitHub-Hookshot/repoflow-replay",
    "x-github-hook-id": "1",
    "x-github-hook-installation-target-type": "integration",
    "x-github-hook-installation-target-id": request.appId,
    ...request.original,
    "content-type": "application/json",
    "x-github-event": request.event,
    "x-github-delivery": request.guid,
    "x-hub-signature-256": `sha256=${createHmac("sha256", request.secret).update(body).digest("hex")}`,
  };
  if (request.skipSleeps) headers["x-repoflow-skip-sleeps"] = "1";
  return { headers, body };
}

/** `NAME=value` from a dotenv-style file (`.dev.vars`), quotes removed; undefined when absent. */
export function readVar(text: string, name: string): string | undefined {
  const line = text.split(/\r?\n/).find((l) => l.startsWith(`${name}=`));
  return line === undefined ? undefined : line.slice(name.length + 1).replace(/^"(.*)"$/, "$1");
}
