/** Posts a delivery to a running service exactly as GitHub frames and signs it. */
import { createHmac, randomUUID } from "node:crypto";

export interface SentDelivery {
  id: string;
  status: number;
  body: Record<string, unknown>;
}

export function signBody(body: string | Buffer, secret: string): string {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

export async function deliver(
  baseUrl: string,
  secret: string,
  event: string,
  payload: unknown,
  options: { id?: string; headers?: Record<string, string> } = {},
): Promise<SentDelivery> {
  const id = options.id ?? randomUUID();
  const body = JSON.stringify(payload);
  const res = await fetch(`${baseUrl}/webhooks/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/repoflow",
      "x-github-event": event,
      "x-github-delivery": id,
      "x-hub-signature-256": signBody(body, secret),
      ...options.headers,
    },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  return { id, status: res.status, body: (await res.json()) as Record<string, unknown> };
}
