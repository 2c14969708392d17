/**
 * The deliveries the bench sends: real payloads from @octokit/webhooks-examples,
 * serialized compactly as GitHub sends them and signed once, because
 * X-Hub-Signature-256 covers only the body (the delivery id header can vary
 * per request without re-signing).
 */
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export interface Payload {
  /** The X-GitHub-Event header. */
  event: string;
  /** Which example was picked, for the report. */
  source: string;
  body: Buffer;
  signature: string;
}

interface ExampleGroup {
  name: string;
  examples: Record<string, unknown>[];
}

const require = createRequire(import.meta.url);

export function loadExamples(): ExampleGroup[] {
  const path = require.resolve("@octokit/webhooks-examples/api.github.com/index.json");
  return JSON.parse(readFileSync(path, "utf8")) as ExampleGroup[];
}

export function sign(body: Buffer, secret: string): string {
  return "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
}

/**
 * The largest example of `event`, so the figures are an upper bound on the
 * per-request cost of verifying and parsing that event (the largest
 * pull_request example is ≈ 27 KB, inside the 25–60 KB the issue asks for).
 */
export function largestExample(groups: readonly ExampleGroup[], event: string, secret: string): Payload {
  const group = groups.find((candidate) => candidate.name === event);
  if (!group || group.examples.length === 0) throw new Error(`@octokit/webhooks-examples has no ${event} example`);
  let best: { index: number; body: Buffer } | undefined;
  group.examples.forEach((example, index) => {
    const body = Buffer.from(JSON.stringify(example));
    if (!best || body.byteLength > best.body.byteLength) best = { index, body };
  });
  const { index, body } = best!;
  const action = group.examples[index]?.action;
  const label = typeof action === "string" ? `${event}.${action}` : event;
  return {
    event,
    source: `${label} (example #${index} of ${group.examples.length}, ${(body.byteLength / 1024).toFixed(1)} KB)`,
    body,
    signature: sign(body, secret),
  };
}
