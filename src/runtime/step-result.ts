/**
 * What a step may return. Cloudflare Workflows persists every step result and
 * replays it on each later entry into the run, and repoflow shows it on the
 * run page: so it must be plain JSON, and small.
 *
 * The common case `step.do("comment", () => github.rest.issues.createComment(…))`
 * returns a whole Octokit response. Its headers are rate-limit counters,
 * request ids and caching hints (the token is added outside this isolate, so
 * none is secret) that mean nothing on replay: they are stored as `{}`, which
 * Octokit's types allow (every header is optional), and status, url and data
 * are kept. The author's code therefore reads the same value on the first pass
 * and on every replay.
 */
import { NonRetryableError } from "./sdk.ts";

/** Cloudflare Workflows' cap on one step's persisted result (1 MiB). */
export const MAX_STEP_RESULT_BYTES = 1024 * 1024;

/** The same result fails the same way on every retry, so it is not retried. */
export class StepResultError extends NonRetryableError {
  override readonly name: string = "StepResultError";
}

function isOctokitResponse(value: unknown): value is { headers: object } {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.status === "number" && typeof v.url === "string" && typeof v.headers === "object" && v.headers !== null && "data" in v;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A copy with every Octokit response's headers emptied; anything else, and any cycle, is left as it is. */
function withoutResponseHeaders(value: unknown, path: Set<object>): unknown {
  if (isOctokitResponse(value)) return { ...value, headers: {} };
  if (typeof value !== "object" || value === null || path.has(value)) return value;
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  path.add(value);
  const copy = Array.isArray(value)
    ? value.map((item) => withoutResponseHeaders(item, path))
    : Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutResponseHeaders(item, path)]));
  path.delete(value);
  return copy;
}

/** The value to persist for a step's result, or a StepResultError saying why it cannot be stored. */
export function storableStepResult(step: string, value: unknown): unknown {
  if (value === undefined) return undefined;
  const storable = withoutResponseHeaders(value, new Set());
  let json: string | undefined;
  try {
    json = JSON.stringify(storable, (key, inner: unknown) => {
      if (typeof inner === "function" || typeof inner === "symbol") {
        const where = key === "" ? "its result" : `"${key}" in its result`;
        throw new StepResultError(`repoflow: step "${step}" returned a ${typeof inner} as ${where}; step results are stored as JSON: return plain data.`);
      }
      return inner;
    });
  } catch (error) {
    if (error instanceof StepResultError) throw error;
    throw new StepResultError(
      `repoflow: step "${step}" returned a value that is not JSON (${error instanceof Error ? error.message : String(error)}); return plain objects, arrays, strings, numbers, booleans or null.`,
    );
  }
  const bytes = new TextEncoder().encode(json ?? "").byteLength;
  if (bytes > MAX_STEP_RESULT_BYTES) {
    throw new StepResultError(
      `repoflow: step "${step}" returned ${(bytes / 1024).toFixed(0)} KB, over Cloudflare Workflows' 1 MiB per step; return only the fields the run needs (an Octokit response's .data, or less), or split the work into steps.`,
    );
  }
  return storable;
}
