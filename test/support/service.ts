/**
 * Starts the real service with `wrangler dev` for end-to-end tests and the
 * demo: its own port, its own state directory, bound to 127.0.0.1, in its own
 * process group so stop() (or kill()) takes wrangler and workerd down together.
 * (Stopping wrangler by npm's pid alone leaves workerd serving.)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url).href);

export interface ServiceOptions {
  vars: Record<string, string>;
  /** Reuse a state directory across restarts (the pinned-code test does). */
  persistDir?: string;
  port?: number;
  readyTimeoutMs?: number;
  /** Where wrangler's output goes; kept in memory for failure messages otherwise. */
  log?: (line: string) => void;
}

export interface Service {
  url: string;
  port: number;
  persistDir: string;
  output(): string;
  /** Graceful stop: SIGTERM to the process group, SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** A crash: SIGKILL to the whole process group, no cleanup. */
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const port = options.port ?? (await freePort());
  const persistDir = options.persistDir ?? tempDir("repoflow-state-");
  const envDir = tempDir("repoflow-env-");
  const envFile = join(envDir, ".env");
  writeFileSync(envFile, Object.entries(options.vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n") + "\n");

  const child = spawn(
    "npx",
    [
      "wrangler", "dev",
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--inspector-port", String(await freePort()),
      "--persist-to", persistDir,
      "--env-file", envFile,
      "--show-interactive-dev-session=false",
      "--log-level", "info",
    ],
    { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", FORCE_COLOR: "0" } },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
    if (options.log) for (const line of text.split("\n")) if (line.trim()) options.log(line);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const service: Service = {
    url,
    port,
    persistDir,
    output: () => output,
    stop: () => terminate(child, exited, "SIGTERM").finally(() => rmSync(envDir, { recursive: true, force: true })),
    kill: () => terminate(child, exited, "SIGKILL").finally(() => rmSync(envDir, { recursive: true, force: true })),
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`wrangler dev exited with ${exitCode} before it was ready:\n${output.slice(-4000)}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return service;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await service.kill();
  throw new Error(`wrangler dev was not ready within ${options.readyTimeoutMs ?? 90_000} ms:\n${output.slice(-4000)}`);
}

async function terminate(child: ChildProcess, exited: Promise<unknown>, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const group = -child.pid;
  try {
    process.kill(group, signal);
  } catch {
    return;
  }
  const timeout = new Promise((r) => setTimeout(r, signal === "SIGKILL" ? 5000 : 8000, "timeout"));
  if ((await Promise.race([exited, timeout])) === "timeout") {
    try {
      process.kill(group, "SIGKILL");
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
  // workerd may outlive wrangler for a moment; make sure nothing of the group remains.
  try {
    process.kill(group, "SIGKILL");
  } catch {
    // the group is gone
  }
}
