/**
 * Starts ./prober.ts as a child process for one scenario's probes and brings
 * their samples back onto this process's performance.now() axis. The child
 * is tied to us by its IPC channel, and killed outright by the cleanup
 * registry if it does not go quietly.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { onCleanup } from "../cleanup.ts";
import { TargetAnswerError } from "../errors.ts";
import type { ProberCommand, ProberReply, ProbeSpec } from "./prober.ts";
import type { ProbeSample } from "./report.ts";

export type { ProbeSpec };

export interface Probers {
  /** Stops every loop after its request in flight and answers the samples by probe name. */
  stop(): Promise<Record<string, ProbeSample[]>>;
}

/** A loop's request in flight may take up to its own 10 s timeout to end. */
const REPLY_TIMEOUT_MS = 20_000;

const fromEpoch = (at: number) => at - performance.timeOrigin;

export async function startProbers(label: string, probes: ProbeSpec[], intervalMs: number, maxSamples: number): Promise<Probers> {
  const script = fileURLToPath(new URL("./prober.ts", import.meta.url).href);
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const running = () => child.exitCode === null && child.signalCode === null;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => {
    if (running()) child.kill("SIGKILL");
  };
  const stopChild = onCleanup(
    `probes of ${label}`,
    async () => {
      if (!running()) return;
      const timer = setTimeout(kill, 3_000);
      if (child.connected) child.disconnect();
      await exited;
      clearTimeout(timer);
    },
    kill,
  );
  const next = (what: string) =>
    new Promise<ProberReply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TargetAnswerError(label, `left the probes without ${what} for ${REPLY_TIMEOUT_MS / 1000} s`)), REPLY_TIMEOUT_MS);
      child.once("message", (message: ProberReply) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new TargetAnswerError(label, `lost its probe process (exit ${code ?? signal}) before ${what}`));
      });
    });
  const command = (message: ProberCommand) => child.send(message);
  try {
    const started = next("starting");
    command({ type: "start", probes, intervalMs, maxSamples });
    await started;
  } catch (error) {
    await stopChild();
    throw error;
  }
  return {
    async stop() {
      try {
        const answer = next("an answer");
        command({ type: "stop" });
        const reply = await answer;
        if (reply.type === "failed") throw new TargetAnswerError(label, `broke a probe's connection: ${reply.message}`);
        if (reply.type !== "samples") throw new TargetAnswerError(label, `sent "${reply.type}" instead of the probes' samples`);
        return Object.fromEntries(
          Object.entries(reply.samples).map(([name, samples]) => [
            name,
            samples.map((sample) => ({ ...sample, sentAt: fromEpoch(sample.sentAt), answeredAt: sample.answeredAt === null ? null : fromEpoch(sample.answeredAt) })),
          ]),
        );
      } finally {
        await stopChild();
      }
    },
  };
}
