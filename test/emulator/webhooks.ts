/**
 * Webhook delivery as GitHub's hookshot does it for an App: one POST per
 * event to the App's webhook URL, the raw JSON body signed with the webhook
 * secret (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256>`), GitHub's headers,
 * a GUID per delivery, and a log of every attempt that the App's deliveries
 * API (`GET /app/hook/deliveries`, redelivery through `…/attempts`) reads.
 *
 * Deliveries leave after the API answer that caused them, one at a time in
 * the order the events happened (a per-emulator queue), each bounded by
 * GitHub's timeout: "GitHub will abort the request if it does not receive a
 * response within 10 seconds" (docs.github.com, "Best practices for using
 * webhooks"). An answer other than 2xx, a refused connection or a timeout is
 * recorded as a failed delivery and never retried by itself, as on GitHub:
 * the App has to redeliver it.
 */
import { createHmac, randomUUID } from "node:crypto";

export interface WebhookOptions {
  /** Where deliveries go, e.g. `http://127.0.0.1:8787/webhooks/github`. */
  url: string;
  /** Signs every delivery; without it GitHub sends no signature headers. */
  secret?: string;
  /** Default 10000, GitHub's. */
  timeoutMs?: number;
  /** The events the App subscribes to; others are not sent. Default: `default_events` of app.yml. */
  events?: string[];
}

/** One attempt, as the deliveries API reports it, plus what was sent and received. */
export interface Delivery {
  id: number;
  guid: string;
  deliveredAt: string;
  redelivery: boolean;
  /** Seconds, as GitHub reports it. */
  duration: number;
  /** "OK", "Invalid HTTP Response: 503", "timed out", "failed to connect to host". */
  status: string;
  /** 0 when nothing answered. */
  statusCode: number;
  event: string;
  action: string | null;
  installationId: number | null;
  repositoryId: number | null;
  url: string;
  request: { headers: Record<string, string>; payload: Record<string, unknown> };
  response: { headers: Record<string, string>; payload: string | null };
}

export interface Outgoing {
  event: string;
  action: string | null;
  installationId: number | null;
  repositoryId: number | null;
  payload: Record<string, unknown>;
}

export interface Hooks {
  config: Required<Omit<WebhookOptions, "secret" | "events">> & { secret: string | undefined } | null;
  /** The events the App subscribes to, kept with webhooks off too: `GET /app` lists them either way. */
  events: string[];
  /** The App's hook id (`X-GitHub-Hook-ID`), and the App id as the hook's target. */
  hookId: number;
  appId: string;
  deliveries: Delivery[];
  nextId: number;
  tail: Promise<void>;
  /** Aborted by close(), so a delivery in flight does not hold the process. */
  stop: AbortController;
  onDelivery: ((delivery: Delivery) => void) | undefined;
  /** Every delivery queued, in order, as soon as it is queued (the log above fills in when each is attempted): what an admin action caused. */
  queued: { guid: string; event: string; action: string | null }[];
}

export const GITHUB_TIMEOUT_MS = 10_000;
const USER_AGENT = "GitHub-Hookshot/emulator";

export function createHooks(appId: string, config: WebhookOptions | undefined, defaultEvents: string[], onDelivery?: (delivery: Delivery) => void): Hooks {
  return {
    config: config ? { url: config.url, secret: config.secret, timeoutMs: config.timeoutMs ?? GITHUB_TIMEOUT_MS } : null,
    events: config?.events ?? defaultEvents,
    // A stable number per app; GitHub's hook ids are opaque integers.
    hookId: 100_000 + (Number(appId) || 0),
    appId,
    deliveries: [],
    nextId: 1,
    tail: Promise.resolve(),
    stop: new AbortController(),
    onDelivery,
    queued: [],
  };
}

/** True when an event of this name would be delivered at all. */
export function subscribed(hooks: Hooks, event: string): boolean {
  return hooks.config !== null && hooks.events.includes(event);
}

/** Queues one delivery with a new GUID; returns immediately. A `ping` goes to every active hook, subscribed or not, as on GitHub. */
export function enqueue(hooks: Hooks, outgoing: Outgoing): void {
  if (outgoing.event === "ping" ? hooks.config === null : !subscribed(hooks, outgoing.event)) return;
  schedule(hooks, outgoing, randomUUID(), false);
}

/** Sends a logged delivery again with the same GUID and `redelivery: true`; false when no such delivery exists. */
export function redeliver(hooks: Hooks, id: number): boolean {
  const original = hooks.deliveries.find((delivery) => delivery.id === id);
  if (!original || hooks.config === null) return false;
  const { event, action, installationId, repositoryId } = original;
  schedule(hooks, { event, action, installationId, repositoryId, payload: original.request.payload }, original.guid, true);
  return true;
}

/** Resolves once every queued delivery has been attempted. */
export function settled(hooks: Hooks): Promise<void> {
  return hooks.tail;
}

function schedule(hooks: Hooks, outgoing: Outgoing, guid: string, redelivery: boolean): void {
  if (!redelivery) {
    hooks.queued.push({ guid, event: outgoing.event, action: outgoing.action ?? null });
    if (hooks.queued.length > 1000) hooks.queued.splice(0, hooks.queued.length - 1000);
  }
  // A crash in one attempt (an onDelivery callback that throws) must not stop the deliveries queued after it.
  hooks.tail = hooks.tail
    .then(() => attempt(hooks, outgoing, guid, redelivery))
    .catch((error: unknown) => {
      process.stderr.write(`repoflow emulator: delivering ${outgoing.event} ${guid} crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    });
}

async function attempt(hooks: Hooks, outgoing: Outgoing, guid: string, redelivery: boolean): Promise<void> {
  const config = hooks.config;
  if (!config || hooks.stop.signal.aborted) return;
  const body = JSON.stringify(outgoing.payload);
  const headers: Record<string, string> = {
    "Accept": "*/*",
    "Content-Type": "application/json",
    "User-Agent": USER_AGENT,
    "X-GitHub-Delivery": guid,
    "X-GitHub-Event": outgoing.event,
    "X-GitHub-Hook-ID": String(hooks.hookId),
    "X-GitHub-Hook-Installation-Target-ID": hooks.appId,
    "X-GitHub-Hook-Installation-Target-Type": "integration",
  };
  if (config.secret !== undefined) {
    headers["X-Hub-Signature"] = `sha1=${createHmac("sha1", config.secret).update(body).digest("hex")}`;
    headers["X-Hub-Signature-256"] = `sha256=${createHmac("sha256", config.secret).update(body).digest("hex")}`;
  }
  const started = Date.now();
  const result = await post(config.url, headers, body, config.timeoutMs, hooks.stop.signal);
  if (hooks.stop.signal.aborted) return;
  const delivery: Delivery = {
    id: hooks.nextId++,
    guid,
    deliveredAt: new Date(started).toISOString().replace(/\.\d{3}Z$/, "Z"),
    redelivery,
    duration: (Date.now() - started) / 1000,
    status: result.status,
    statusCode: result.statusCode,
    event: outgoing.event,
    action: outgoing.action,
    installationId: outgoing.installationId,
    repositoryId: outgoing.repositoryId,
    url: config.url,
    request: { headers, payload: outgoing.payload },
    response: { headers: result.headers, payload: result.payload },
  };
  hooks.deliveries.push(delivery);
  hooks.onDelivery?.(delivery);
}

interface Answer {
  status: string;
  statusCode: number;
  headers: Record<string, string>;
  payload: string | null;
}

async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, stop: AbortSignal): Promise<Answer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.any([timeout, stop]) });
    const payload = await response.text();
    const ok = response.status >= 200 && response.status < 300;
    return { status: ok ? "OK" : `Invalid HTTP Response: ${response.status}`, statusCode: response.status, headers: Object.fromEntries(response.headers), payload };
  } catch (error) {
    if (timeout.aborted) return { status: "timed out", statusCode: 0, headers: {}, payload: null };
    return { status: `failed to connect to host (${describe(error)})`, statusCode: 0, headers: {}, payload: null };
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? cause.code : error instanceof Error ? error.message : String(error);
}
