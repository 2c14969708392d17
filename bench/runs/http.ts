/**
 * One timed request to a bench Worker, with a bounded wait and a named failure
 * when it answers anything but 2xx (the figures would then time an error path).
 */
import { TargetAnswerError } from "../errors.ts";

const REQUEST_TIMEOUT_MS = 60_000;

export async function timed<T>(label: string, url: URL, init: RequestInit = {}): Promise<{ ms: number; body: T }> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (!response.ok) throw new TargetAnswerError(label, `answered ${url.pathname} with ${response.status}: ${text.slice(0, 500)}`);
  return { ms: elapsed, body: JSON.parse(text) as T };
}
