/**
 * The probe loops in a process of their own, driven over IPC by
 * ./probers.ts: `start` with the probes, `stop` to get their samples back.
 *
 * Shaped by what the burst does to the runner: sending to the bare Worker as
 * fast as ten connections allow keeps the runner's event loop busy (it
 * answers ≈ 5,000 requests a second), and a probe timed in that loop would
 * time the loop's backlog rather than the target. Here the probes keep their
 * own clock. Times cross the process boundary as epoch milliseconds
 * (performance.timeOrigin + now), which both processes share.
 */
import { pool, send } from "./http.ts";
import { startProbeLoop, type ProbeLoop } from "./probes.ts";
import type { ProbeSample } from "./report.ts";

export interface ProbeSpec {
  name: string;
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  /** Base64, since IPC carries JSON. */
  body?: string;
}

export type ProberCommand = { type: "start"; probes: ProbeSpec[]; intervalMs: number; maxSamples: number } | { type: "stop" };

export type ProberReply = { type: "started" } | { type: "samples"; samples: Record<string, ProbeSample[]> } | { type: "failed"; message: string };

const toEpoch = (at: number) => performance.timeOrigin + at;

let loops: { name: string; loop: ProbeLoop }[] = [];

function reply(message: ProberReply): void {
  process.send?.(message);
}

process.on("message", (command: ProberCommand) => {
  if (command.type === "start") {
    loops = command.probes.map((probe) => {
      const agent = pool(1);
      const url = new URL(probe.url);
      const init = { method: probe.method, ...(probe.headers ? { headers: probe.headers } : {}), ...(probe.body ? { body: Buffer.from(probe.body, "base64") } : {}) };
      return { name: probe.name, loop: startProbeLoop(() => send(agent, url, init), command.intervalMs, command.maxSamples) };
    });
    reply({ type: "started" });
    return;
  }
  void Promise.all(loops.map(async ({ name, loop }) => [name, await loop.stop()] as const)).then(
    (stopped) => {
      const samples = Object.fromEntries(
        stopped.map(([name, list]) => [name, list.map((sample) => ({ ...sample, sentAt: toEpoch(sample.sentAt), answeredAt: sample.answeredAt === null ? null : toEpoch(sample.answeredAt) }))]),
      );
      reply({ type: "samples", samples });
      process.disconnect();
    },
    (error: unknown) => {
      reply({ type: "failed", message: error instanceof Error ? error.message : String(error) });
      process.disconnect();
    },
  );
});

// The runner gone (a crash, Ctrl-C) means nobody will ask for the samples.
process.on("disconnect", () => process.exit(0));
