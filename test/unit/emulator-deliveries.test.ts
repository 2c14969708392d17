/**
 * The emulator's delivery log and the App's redelivery API: a delivery the
 * service did not answer 2xx (5xx, timeout, refused connection) is logged as
 * failed, as GitHub logs it, and the App finds it through
 * `GET /app/hook/deliveries` (cursor pages, newest first) and redelivers it
 * through `POST /app/hook/deliveries/{id}/attempts`, with the same GUID.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, schemaCheckedFetch, startReceiver, type Receiver } from "../emulator/testing.ts";

const FULL = "acme/widgets";
const keys = appKeyPair();
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const opened: { close(): Promise<void> }[] = [];
const shapeProblems: string[] = [];

afterEach(async () => {
  for (const server of opened.splice(0).reverse()) await server.close();
  expect(shapeProblems.splice(0)).toEqual([]);
});

async function setUp(receiver: Receiver | { url: string }, timeoutMs?: number): Promise<{ emulator: Emulator; app: Octokit }> {
  const emulator = await startEmulator({ appPublicKey: keys.publicKey, webhooks: { url: receiver.url, secret: "s", ...(timeoutMs ? { timeoutMs } : {}) } });
  opened.push(emulator);
  emulator.addRepo({ fullName: FULL, installationId: 7, files: {} });
  const app = new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey }, request: { fetch: schemaCheckedFetch(shapeProblems) }, log: quiet });
  return { emulator, app };
}

async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const started = await startReceiver(answer);
  opened.push(started);
  return started;
}

describe("the delivery log", () => {
  it("records a delivery answered 503 as failed, lists it for the App, and redelivers it with the same GUID", async () => {
    let calls = 0;
    const flaky = await receiver(() => (++calls === 1 ? 503 : 202));
    const { emulator, app } = await setUp(flaky);
    emulator.openIssue(FULL, { number: 1, title: "Lost" });
    await emulator.webhooksSettled();
    const [failed] = emulator.deliveries();
    expect(failed).toMatchObject({ event: "issues", action: "opened", status: "Invalid HTTP Response: 503", statusCode: 503, redelivery: false, installationId: 7 });

    const { data: listed } = await app.rest.apps.listWebhookDeliveries();
    expect(listed).toEqual([
      {
        id: failed?.id,
        guid: failed?.guid,
        delivered_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        redelivery: false,
        duration: expect.any(Number),
        status: "Invalid HTTP Response: 503",
        status_code: 503,
        event: "issues",
        action: "opened",
        installation_id: 7,
        repository_id: expect.any(Number),
      },
    ]);
    const { data: detail } = await app.rest.apps.getWebhookDelivery({ delivery_id: failed?.id ?? 0 });
    expect(detail.request.payload).toMatchObject({ action: "opened", issue: { number: 1 } });
    expect(detail.request.headers).toMatchObject({ "X-GitHub-Event": "issues", "X-GitHub-Delivery": failed?.guid });
    expect(detail.response.payload).toBe("failed");

    const attempt = await app.rest.apps.redeliverWebhookDelivery({ delivery_id: failed?.id ?? 0 });
    expect(attempt.status).toBe(202);
    await emulator.webhooksSettled();
    expect(flaky.received.map((delivery) => delivery.headers["x-github-delivery"])).toEqual([failed?.guid, failed?.guid]);
    const { data: after } = await app.rest.apps.listWebhookDeliveries();
    expect(after.map(({ guid, redelivery, status }) => ({ guid, redelivery, status }))).toEqual([
      { guid: failed?.guid, redelivery: true, status: "OK" },
      { guid: failed?.guid, redelivery: false, status: "Invalid HTTP Response: 503" },
    ]);
    const { data: failures } = await app.rest.apps.listWebhookDeliveries({ status: "failure" });
    expect(failures.map((delivery) => delivery.id)).toEqual([failed?.id]);
  });

  it("records a receiver that does not answer within the timeout as timed out", async () => {
    const silent = await receiver(() => null);
    const { emulator } = await setUp(silent, 300);
    emulator.openIssue(FULL, { number: 1, title: "Slow" });
    await emulator.webhooksSettled();
    expect(emulator.deliveries()).toMatchObject([{ status: "timed out", statusCode: 0 }]);
    expect(emulator.deliveries()[0]?.duration).toBeGreaterThanOrEqual(0.3);
  });

  it("records a refused connection as failed", async () => {
    const gone = await startReceiver();
    await gone.close();
    const { emulator } = await setUp(gone);
    emulator.openIssue(FULL, { number: 1, title: "Nobody home" });
    await emulator.webhooksSettled();
    expect(emulator.deliveries()).toMatchObject([{ status: expect.stringMatching(/^failed to connect to host/), statusCode: 0 }]);
  });

  it("pages deliveries by cursor with a Link header, so octokit.paginate sees each once", async () => {
    const ok = await receiver();
    const { emulator, app } = await setUp(ok);
    for (let number = 1; number <= 5; number++) emulator.openIssue(FULL, { number, title: `#${number}` });
    await emulator.webhooksSettled();
    const first = await app.rest.apps.listWebhookDeliveries({ per_page: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.headers.link).toMatch(/cursor=\d+/);
    const all = await app.paginate(app.rest.apps.listWebhookDeliveries, { per_page: 2 });
    expect(all.map((delivery) => delivery.id)).toEqual([5, 4, 3, 2, 1]);
  });

  it("answers 404 for redelivering a delivery that does not exist", async () => {
    const { app } = await setUp(await receiver());
    await expect(app.rest.apps.redeliverWebhookDelivery({ delivery_id: 999 })).rejects.toMatchObject({ status: 404 });
  });

  it("refuses the deliveries API to an installation token, as it is the App's", async () => {
    const { emulator } = await setUp(await receiver());
    // @octokit/auth-app would pick the JWT for /app routes itself, so send the installation token by hand.
    const { token } = await createAppAuth({ appId: 1, privateKey: keys.privateKey, request: new Octokit({ baseUrl: emulator.url }).request })({ type: "installation", installationId: 7 });
    const response = await fetch(`${emulator.url}/app/hook/deliveries`, { headers: { authorization: `token ${token}` } });
    expect(response.status).toBe(401);
    expect(emulator.violations).toEqual(["GET /app/hook/deliveries: an installation token was sent to an /app endpoint, which needs the app JWT"]);
  });

  it("serves the log and redelivery to another process on the admin routes", async () => {
    let calls = 0;
    const flaky = await receiver(() => (++calls === 1 ? 500 : 200));
    const { emulator } = await setUp(flaky);
    emulator.openIssue(FULL, { number: 1, title: "Admin" });
    await emulator.webhooksSettled();
    const log = (await (await fetch(`${emulator.url}/_emulator/deliveries`)).json()) as { id: number; status: string }[];
    expect(log).toMatchObject([{ status: "Invalid HTTP Response: 500" }]);
    const attempt = await fetch(`${emulator.url}/_emulator/deliveries/${log[0]?.id}/attempts`, { method: "POST" });
    expect(attempt.status).toBe(202);
    await emulator.webhooksSettled();
    expect(emulator.deliveries().map((delivery) => delivery.status)).toEqual(["Invalid HTTP Response: 500", "OK"]);
  });
});
