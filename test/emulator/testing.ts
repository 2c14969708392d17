/**
 * Helpers for tests that drive the emulator with real clients: an app key
 * pair in the format GitHub hands out (PKCS#1 PEM, "BEGIN RSA PRIVATE KEY"),
 * and a `fetch` for Octokit's `request.fetch` that checks every JSON response
 * against GitHub's OpenAPI description, so a test notices when the emulator
 * answers in a shape GitHub would not; and a webhook receiver that records
 * what the emulator delivers; and an installation's Octokit built from them.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { matchRoute, validateResponse } from "./openapi.ts";

/** Octokit's logger, silenced: tests assert on what the emulator answered, not on what Octokit logs about it. */
export const QUIET_LOG = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** App 1's client for one installation, every response checked against GitHub's description into `problems`. */
export function installationOctokit(baseUrl: string, privateKey: string, problems: string[], installationId = 7): Octokit {
  return new Octokit({
    baseUrl,
    authStrategy: createAppAuth,
    auth: { appId: 1, privateKey, installationId },
    request: { fetch: schemaCheckedFetch(problems) },
    log: QUIET_LOG,
  });
}

export interface AppKeyPair {
  /** PKCS#1 PEM, like the private key GitHub lets an app owner download. */
  privateKey: string;
  /** PKCS#1 PEM of the public half, for `startEmulator({ appPublicKey })`. */
  publicKey: string;
}

export function appKeyPair(): AppKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "pkcs1", format: "pem" }).toString(),
  };
}

/** A fetch that appends to `problems` every response that breaks the description's schema for its operation and status. */
export function schemaCheckedFetch(problems: string[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    const route = matchRoute(method, url.pathname);
    if (route && response.headers.get("content-type")?.startsWith("application/json")) {
      const text = await response.clone().text();
      if (text !== "") {
        for (const problem of validateResponse(route.operation.operationId, response.status, JSON.parse(text))) {
          problems.push(`${method} ${url.pathname} ${response.status} (${route.operation.operationId}): ${problem}`);
        }
      }
    }
    return response;
  };
}

export interface ReceivedDelivery {
  /** Lowercased names. */
  headers: Record<string, string>;
  /** The raw body, as signed. */
  body: string;
  event: string;
  payload: Record<string, unknown>;
}

export interface Receiver {
  url: string;
  received: ReceivedDelivery[];
  /** Resolves with the first delivery matching, waiting at most `timeoutMs` (default 5000). */
  waitFor(match: (delivery: ReceivedDelivery) => boolean, timeoutMs?: number): Promise<ReceivedDelivery>;
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1 for tests: records every delivery and
 * answers `answer(delivery)` (a status; default 202), or never answers when
 * it returns null, for timeouts.
 */
export async function startReceiver(answer: (delivery: ReceivedDelivery) => number | null = () => 202): Promise<Receiver> {
  const received: ReceivedDelivery[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]));
      const delivery = { headers, body, event: headers["x-github-event"] ?? "", payload: JSON.parse(body) as Record<string, unknown> };
      received.push(delivery);
      for (const wake of waiters) wake();
      const status = answer(delivery);
      if (status === null) return;
      response.writeHead(status, { "content-type": "text/plain" });
      response.end(status < 300 ? "accepted" : "failed");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/github`;
  return {
    url,
    received,
    waitFor: (match, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = received.find(match);
          if (!found) return false;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching webhook within ${timeoutMs} ms; received: ${received.map((item) => `${item.event}.${String(item.payload.action ?? "")}`).join(", ") || "nothing"}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
