/**
 * The harness's two ways of breaking things: SIGKILL of the whole service
 * (wrangler and workerd, `Service.kill()`), then a restart on the same state
 * and the one request that starts recovery in the new process (local
 * `wrangler dev` only recovers on traffic: src/dispatch/recovery-schedule.ts);
 * and GitHub requests failing through the emulator's fault injection.
 */
import { createServer } from "node:net";
import type { FaultSpec } from "../../test/emulator/faults.ts";
import type { Stack } from "../../test/support/stack.ts";

export interface Restart {
  /** When the new process answered its first request. */
  readyAt: number;
  /** Kill to first answer. */
  downMs: number;
  /** Starts that failed because the port was still taken (a dying workerd, or another process that picked it meanwhile). */
  portRetries: number;
}

export async function killAndRestart(stack: Stack, afterMs: number): Promise<Restart> {
  await new Promise((r) => setTimeout(r, afterMs));
  const killedAt = Date.now();
  await stack.service.kill();
  const port = stack.service.port;
  let portRetries = 0;
  for (;;) {
    // kill() returns once wrangler has exited; workerd, killed with it, may hold the socket a moment longer.
    await waitForFreePort(port, 15_000);
    try {
      await stack.restart();
      break;
    } catch (error) {
      if (!String(error).includes("Address already in use") || ++portRetries > 3) throw error;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  const res = await fetch(`${stack.service.url}/healthz`, { signal: AbortSignal.timeout(15_000) });
  if (!res.ok) throw new Error(`chaos: the restarted service answered /healthz with ${res.status}`);
  await res.body?.cancel();
  const readyAt = Date.now();
  return { readyAt, downMs: readyAt - killedAt, portRetries };
}

async function waitForFreePort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portFree(port))) {
    if (Date.now() > deadline) throw new Error(`chaos: port ${port} still taken ${timeoutMs} ms after the kill`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * Shares of the faulted fraction by kind: server errors, GitHub's secondary
 * rate limit as 403 and as 429 with a short `retry-after`, slow answers and
 * reset connections. Nothing here is GitHub's primary rate limit, whose reset
 * is minutes away and would only measure waiting.
 */
const MIX: { share: number; fault: FaultSpec }[] = [
  { share: 0.2, fault: { kind: "status", status: 500 } },
  { share: 0.15, fault: { kind: "status", status: 502 } },
  { share: 0.15, fault: { kind: "secondary-rate-limit", status: 403, retryAfterSeconds: 1 } },
  { share: 0.15, fault: { kind: "secondary-rate-limit", status: 429, retryAfterSeconds: 2 } },
  { share: 0.15, fault: { kind: "delay", ms: 2_000 } },
  { share: 0.2, fault: { kind: "reset" } },
];

/**
 * Faults for every GitHub request, `rate` of them in all. The emulator tries
 * faults in order and the first that hits wins, so each kind's own rate is
 * its share of what the earlier kinds left: share·rate / (1 − rate taken so far).
 */
export function faultMix(rate: number, seed: number): FaultSpec[] {
  if (!(rate > 0 && rate < 1)) throw new Error(`chaos: --faults must be between 0 and 1 (exclusive) to inject, got ${rate}`);
  const specs: FaultSpec[] = [];
  let taken = 0;
  MIX.forEach(({ share, fault }, i) => {
    const part = share * rate;
    specs.push({ ...fault, rate: Math.min(1, part / (1 - taken)), seed: (seed + i * 7919) >>> 0 });
    taken += part;
  });
  return specs;
}

export function injectFaults(stack: Stack, rate: number, seed: number): number[] {
  return faultMix(rate, seed).map((spec) => stack.emulator.inject(spec));
}

/** How many requests the injected faults have hit so far, all kinds together. */
export async function faultHits(stack: Stack): Promise<number> {
  const res = await fetch(`${stack.emulator.url}/_emulator/faults`, { signal: AbortSignal.timeout(5_000) });
  const faults = (await res.json()) as { hits: number }[];
  return faults.reduce((sum, fault) => sum + fault.hits, 0);
}
