/**
 * The cost bench's counters: one module-level record per isolate.
 *
 * Shaped by how local workerd runs the service: the fetch handler, every
 * Durable Object of this Worker and the Workflow classes the engine calls
 * back into share one isolate, so one module's state sees them all (the
 * runner checks this on every run: the counts it reads through the fetch
 * handler must include increments made inside a Durable Object's alarm and
 * inside Workflow runs; bench/README.md). On Cloudflare they would not share
 * an isolate; this is a local measuring device only.
 */
import type { Counts } from "../../costs/api.ts";

let counts: Counts = {};
let armed = false;
let atFirstAuthorCall: Counts | null = null;

export function count(name: string, by = 1): void {
  counts[name] = (counts[name] ?? 0) + by;
}

export function snapshot(): Counts {
  return { ...counts };
}

/** Zeroes everything and arms the snapshot taken at the next first author call. */
export function reset(): void {
  counts = {};
  armed = true;
  atFirstAuthorCall = null;
}

/** Called as a tenant's GitHub call enters the gateway: the first one after a reset fixes "up to the first author step". */
export function markAuthorCall(): void {
  if (!armed) return;
  armed = false;
  atFirstAuthorCall = snapshot();
}

export function firstAuthorCall(): Counts | null {
  return atFirstAuthorCall;
}

/** JSON's length of a value the engine stores; undefined stores nothing. */
export function storedBytes(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}
