/**
 * What a step may return. Cloudflare Workflows persists every step result and
 * replays it on each later entry into the run, and repoflow shows it on the
 * run page: so it must be plain JSON, and small. The usual slip is returning
 * the Octokit response itself (`github.rest.….create(…)` without `.data`):
 * status, url and every response header, kilobytes per step. That fails the
 * step at once with the fix, rather than being trimmed silently, so what the
 * author's code reads back on replay is exactly what it returned.
 */
import { NonRetryableError } from "./sdk.ts";

/** Cloudflare Workflows' cap on one step's persisted result (1 MiB). */
export const MAX_STEP_RESULT_BYTES = 1024 * 1024;

/** The same result fails the same way on every retry, so it is not retried. */
export class StepResultError extends NonRetryableError {
  override readonly name: string = "StepResultError";
}

function isOctokitResponse(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.status === "number" && typeof v.headers === "object" && v.headers !== null && "data" in v && typeof v.url === "string";
}

export function checkStepResult(step: string, value: unknown): void {
  if (value === undefined) return;
  let json: string | undefined;
  try {
    json = JSON.stringify(value, (key, inner: unknown) => {
      const where = key === "" ? "its result" : `"${key}" in its result`;
      if (isOctokitResponse(inner)) {
        throw new StepResultError(
          `repoflow: step "${step}" returned ${key === "" ? "an Octokit response" : `an Octokit response as ${where}`} (status, url, headers and data); ` +
            `step results are stored and replayed, so return only what the run needs: add \`.then((r) => r.data)\`, or pick the fields you use.`,
        );
      }
      if (typeof inner === "function" || typeof inner === "symbol") {
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
      `repoflow: step "${step}" returned ${(bytes / 1024).toFixed(0)} KB, over Cloudflare Workflows' 1 MiB per step; return only the fields the run needs, or split the work into steps.`,
    );
  }
}
