/**
 * Author errors on their way out of the tenant isolate. Over RPC only an
 * error's message is sure to survive (its class never does, so the dispatcher
 * recognises a non-retryable failure by name), and authors may throw anything,
 * not only Errors: these turn whatever was thrown into an Error that keeps the
 * author's message and stack.
 */
import { STACK_MARKER } from "./host-protocol.ts";
import { NonRetryableError } from "./sdk.ts";

export interface ErrorReport {
  message: string;
  stack?: string;
}

export function errorReport(thrown: unknown): ErrorReport {
  if (thrown instanceof Error) return typeof thrown.stack === "string" && thrown.stack !== "" ? { message: thrown.message, stack: thrown.stack } : { message: thrown.message };
  if (typeof thrown === "string") return { message: thrown };
  return { message: `a non-Error value was thrown: ${describe(thrown)}; throw new Error("…") to get a stack trace.` };
}

/**
 * An Error for RPC: the author's stack rides in its message after STACK_MARKER; `NonRetryableError`s (and
 * subclasses) keep that name. A step's failure reaches run() already portable (it went out through the
 * dispatcher's step and came back): it passes through as it is.
 */
export function portable(thrown: unknown): Error {
  if (thrown instanceof Error && thrown.message.includes(STACK_MARKER)) return thrown;
  const report = errorReport(thrown);
  const wrapped = new Error(report.stack === undefined ? report.message : `${report.message}${STACK_MARKER}${report.stack}`);
  if (thrown instanceof NonRetryableError || (thrown instanceof Error && thrown.name === "NonRetryableError")) wrapped.name = "NonRetryableError";
  return wrapped;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
