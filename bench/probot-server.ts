/**
 * The peer: a Probot 14 app on node:http doing what the edge does up to the
 * handoff, verifying X-Hub-Signature-256 with the same secret and routing
 * push and pull_request to handlers. Run as a child process so it has a Node
 * event loop to itself, as it would in production, instead of sharing one
 * with autocannon. Probot does not start inside workerd (pino-http throws at
 * import), so Node 22 is its natural home.
 *
 * Protocol with the parent: env BENCH_WEBHOOK_SECRET in, one IPC message
 * `{ port }` out once listening on 127.0.0.1; it exits when the parent
 * disconnects, so it cannot outlive the bench.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Probot, createNodeMiddleware } from "probot";
import { PROBOT_WEBHOOKS_PATH } from "./probot.ts";

const secret = process.env.BENCH_WEBHOOK_SECRET;
if (!secret || !process.send) {
  console.error("repoflow: bench/probot-server.ts is started by bench/index.ts (IPC channel and BENCH_WEBHOOK_SECRET); run `npm run bench`.");
  process.exit(2);
}

// Probot insists on an App key at construction; nothing here ever signs with it.
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

const probot = new Probot({ appId: 1, privateKey, secret, logLevel: "warn" });
const middleware = await createNodeMiddleware(
  (app) => {
    app.on(["push", "pull_request"], async () => {});
  },
  { probot, webhooksPath: PROBOT_WEBHOOKS_PATH },
);

const server = createServer((request, response) => {
  void middleware(request, response, () => {
    response.writeHead(404).end();
  });
});
server.listen(0, "127.0.0.1", () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});
process.on("disconnect", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
