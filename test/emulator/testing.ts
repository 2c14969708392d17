/**
 * Helpers for tests that drive the emulator with real clients: an app key
 * pair in the format GitHub hands out (PKCS#1 PEM, "BEGIN RSA PRIVATE KEY"),
 * and a `fetch` for Octokit's `request.fetch` that checks every JSON response
 * against GitHub's OpenAPI description, so a test notices when the emulator
 * answers in a shape GitHub would not.
 */
import { generateKeyPairSync } from "node:crypto";
import { matchRoute, validateResponse } from "./openapi.ts";

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
