/**
 * The local stack used by end-to-end tests and the demo: the GitHub API
 * emulator with a freshly generated App key, and `wrangler dev` configured to
 * talk to it. Nothing here reaches the real GitHub.
 *
 * `webhooks: true` makes the emulator deliver what happens in it to the
 * service's webhook route, signed with the stack's secret, as GitHub would.
 * It is off by default because most e2e tests send their deliveries
 * themselves, and the emulator's own (a `pull_request.opened` for each PR a
 * test seeds) would start second runs there.
 */
import { generateKeyPairSync } from "node:crypto";
import { startEmulator } from "../emulator/index.ts";
import type { Emulator, EmulatorOptions } from "../emulator/types.ts";
import { freePort, startService, type Service, type ServiceOptions } from "./service.ts";

export const APP_ID = "4242";
export const WEBHOOK_SECRET = "local-stack-secret";

export interface Stack {
  emulator: Emulator;
  service: Service;
  vars: Record<string, string>;
  /** Start the service again on the same state (after stop() or kill()). */
  restart(): Promise<Service>;
  close(): Promise<void>;
}

export interface StackOptions {
  log?: ServiceOptions["log"];
  persistDir?: string;
  onRequest?: EmulatorOptions["onRequest"];
  /** Deliver the emulator's webhooks to the service (default false: see the file comment). */
  webhooks?: boolean;
  /** With webhooks: the events the emulator sends (default app.yml's); a test sends the others itself, late or out of order. */
  webhookEvents?: string[];
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  // The webhook URL names the service's port, so the port is chosen before either starts.
  const port = options.webhooks ? await freePort() : undefined;
  const emulator = await startEmulator({
    appId: APP_ID,
    appPublicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    ...(port === undefined ? {} : { webhooks: { url: `http://127.0.0.1:${port}/webhooks/github`, secret: WEBHOOK_SECRET, ...(options.webhookEvents ? { events: options.webhookEvents } : {}) } }),
  });
  const vars = {
    REPOFLOW_ENV: "local",
    WEBHOOK_SECRET,
    APP_ID,
    // GitHub hands out PKCS#1 keys; use the same format here.
    PRIVATE_KEY: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    GITHUB_API_URL: emulator.url,
  };
  let service: Service;
  try {
    service = await startService({
      vars,
      ...(port === undefined ? {} : { port }),
      ...(options.persistDir ? { persistDir: options.persistDir } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  const stack: Stack = {
    emulator,
    service,
    vars,
    async restart() {
      stack.service = await startService({ vars, persistDir: stack.service.persistDir, port: stack.service.port, ...(options.log ? { log: options.log } : {}) });
      return stack.service;
    },
    async close() {
      await stack.service.stop().catch(() => undefined);
      await emulator.close();
    },
  };
  return stack;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
