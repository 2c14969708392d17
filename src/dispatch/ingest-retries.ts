/**
 * How long an accepted delivery is retried (invariant 2). GitHub keeps a
 * delivery for redelivery for 3 days, and an outage of GitHub or D1 can last
 * hours; the engine's default retries (about 5 minutes) would turn such an
 * outage into a lost event. Each ingest step is retried with a delay that
 * doubles from 10 s to an hourly cap, for a little over 3 days in all; after
 * that the ingest run fails and the delivery shows as failed, with Redeliver.
 *
 * Each failed attempt leaves its error on the delivery's ledger row, so a
 * delivery that is still being retried says why (when D1 itself is down, the
 * note is skipped: the retry matters more than the note).
 */
import { noteDeliveryAttempt } from "../store";

export const INGEST_RETRY_LIMIT = 80;
const FIRST_DELAY_MS = 10_000;
const MAX_DELAY_MS = 3_600_000;

export function ingestRetryDelayMs(attempt: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** Math.max(0, attempt - 1), MAX_DELAY_MS);
}

/** The step config of every ingest step: the delay function is Cloudflare's dynamic retry delay (2026-07). */
export const INGEST_STEP_CONFIG = {
  retries: { limit: INGEST_RETRY_LIMIT, backoff: "constant", delay: ({ ctx }: { ctx: { attempt: number } }) => ingestRetryDelayMs(ctx.attempt) },
  timeout: "5 minutes",
} as const;

/** The engine's step as ingest receives it, typed structurally. */
export interface EngineIngestStep {
  do<T>(name: string, config: typeof INGEST_STEP_CONFIG, callback: (ctx?: unknown) => Promise<T>): Promise<T>;
}

/** What the ingest code calls: a step name and its body; the config and the notes are added here. */
export interface StepLike {
  do<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export function patientSteps(step: EngineIngestStep, db: D1Database, deliveryId: string): StepLike {
  return {
    do<T>(name: string, callback: () => Promise<T>): Promise<T> {
      return step.do(name, INGEST_STEP_CONFIG, async (ctx?: unknown) => {
        try {
          return await callback();
        } catch (error) {
          const attempt = (ctx as { attempt?: number } | undefined)?.attempt ?? 1;
          const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          await noteDeliveryAttempt(db, deliveryId, attempt, `${name}: ${message}`).catch(() => undefined);
          throw error;
        }
      });
    },
  };
}
