/**
 * A probe loop: one request in flight at a time, a new one every `intervalMs`
 * from the previous one's start (at once when the previous took longer), on
 * its own connection, until stopped or `maxSamples` are taken. A fixed
 * interval with one in flight is what a health checker or GitHub's next
 * delivery sees: it never piles on while the target is slow, so a slow answer
 * shows as a gap instead of a queue.
 */
import { AnswerTimeoutError, type Answer } from "./http.ts";
import type { ProbeSample } from "./report.ts";

export interface ProbeLoop {
  /** Stops after the request in flight (bounded by the request's own timeout) and answers every sample. */
  stop(): Promise<ProbeSample[]>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `probe` sends one request; a timeout is kept as a sample without an answer,
 * any other failure ends the loop and is rethrown by stop(), since the
 * figures would then time a broken connection.
 */
export function startProbeLoop(probe: () => Promise<Answer>, intervalMs: number, maxSamples: number): ProbeLoop {
  const samples: ProbeSample[] = [];
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped && samples.length < maxSamples) {
      const sentAt = performance.now();
      try {
        const answer = await probe();
        samples.push({ sentAt, answeredAt: sentAt + answer.ms, ms: answer.ms, status: answer.status });
      } catch (error) {
        if (!(error instanceof AnswerTimeoutError)) throw error;
        samples.push({ sentAt, answeredAt: null, ms: null, status: null });
      }
      const wait = sentAt + intervalMs - performance.now();
      if (wait > 0 && !stopped) await Promise.race([sleep(wait), new Promise<void>((resolve) => (wake = resolve))]);
    }
  })();
  // Held until stop() so a broken connection mid-burst is reported once the burst is over, not as an unhandled rejection.
  const ended = loop.then(
    () => null,
    (error: unknown) => error,
  );
  return {
    async stop() {
      stopped = true;
      wake?.();
      const failure = await ended;
      if (failure !== null) throw failure;
      return samples;
    },
  };
}
