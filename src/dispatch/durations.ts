/**
 * Cloudflare Workflows' duration strings ("10 seconds", "1 day") in milliseconds,
 * so the dispatcher can hold tenant sleeps and timeouts to its caps before the
 * engine persists them.
 */

const UNIT_MS: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_592_000_000,
  year: 31_536_000_000,
};

export class InvalidDurationError extends Error {
  override readonly name = "InvalidDurationError";
}

export function durationMs(duration: unknown): number {
  if (typeof duration === "number" && Number.isFinite(duration) && duration >= 0) return duration;
  if (typeof duration === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$/i.exec(duration);
    const unit = match?.[2]?.toLowerCase();
    if (match && unit && unit in UNIT_MS) return Number(match[1]) * UNIT_MS[unit]!;
  }
  throw new InvalidDurationError(
    `repoflow: ${JSON.stringify(duration)} is not a duration. Use milliseconds or a string like "30 seconds", "2 hours", "1 day".`,
  );
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}
