/**
 * Starts bench/probot-server.ts as a child process and waits, bounded, for
 * the port it reports. The child is tied to us by its IPC channel, and killed
 * outright by the cleanup registry if it does not go quietly.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { onCleanup } from "./cleanup.ts";
import { TargetStartError } from "./errors.ts";

/** Probot's default path, passed explicitly so the bench does not depend on the default. */
export const PROBOT_WEBHOOKS_PATH = "/api/github/webhooks";

export interface ProbotTarget {
  url: URL;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

export async function startProbot(secret: string): Promise<ProbotTarget> {
  const script = fileURLToPath(new URL("./probot-server.ts", import.meta.url).href);
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, BENCH_WEBHOOK_SECRET: secret },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = onCleanup(
    "Probot server",
    async () => {
      if (!running()) return;
      child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    },
    () => {
      if (running()) child.kill("SIGKILL");
    },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no port reported within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      child.once("message", (message: { port?: unknown }) => {
        clearTimeout(timer);
        if (typeof message.port === "number") resolve(message.port);
        else reject(new Error(`unexpected message ${JSON.stringify(message)}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited early with ${code ?? signal}`));
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return { url: new URL(`http://127.0.0.1:${port}/`), stop };
  } catch (error) {
    await stop();
    throw new TargetStartError("Probot 14 on Node 22", error instanceof Error ? error.message : String(error));
  }
}
