/** Sends deliveries to the Worker under test exactly as GitHub signs and frames them. */
import { exports } from "cloudflare:workers";
import { sign } from "../../src/github/webhook-signature";

export const SECRET = "integration-secret";
export const PREVIOUS_SECRET = "integration-secret-previous";

export interface DeliveryOptions {
  event: string;
  payload: unknown;
  id?: string;
  secret?: string;
  headers?: Record<string, string | null>;
  body?: string | Uint8Array;
}

export async function deliver(options: DeliveryOptions): Promise<Response> {
  const body = options.body ?? JSON.stringify(options.payload);
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/repoflow-test",
    "x-github-event": options.event,
    "x-github-delivery": options.id ?? crypto.randomUUID(),
    "x-hub-signature-256": await sign(bytes, options.secret ?? SECRET),
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  return exports.default.fetch("http://repoflow.test/webhooks/github", { method: "POST", headers, body: bytes });
}
