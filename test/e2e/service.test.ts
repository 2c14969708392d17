import examples from "@octokit/webhooks-examples/api.github.com/index.json";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver } from "../support/deliver";
import { startService, type Service } from "../support/service";

const SECRET = "e2e-secret";

describe("the service under wrangler dev", () => {
  let service: Service;
  beforeAll(async () => {
    service = await startService({ vars: { REPOFLOW_ENV: "local", WEBHOOK_SECRET: SECRET, APP_ID: "1", GITHUB_API_URL: "http://127.0.0.1:9" } });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it("answers /healthz", async () => {
    const res = await fetch(`${service.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, mode: "local" });
  });

  it("accepts a signed push and refuses the same body with a wrong signature", async () => {
    const push = examples.find((e) => e.name === "push")!.examples[0];
    const accepted = await deliver(service.url, SECRET, "push", push);
    expect(accepted).toMatchObject({ status: 202, body: { status: "accepted" } });
    const again = await deliver(service.url, SECRET, "push", push, { id: accepted.id });
    expect(again).toMatchObject({ status: 202, body: { status: "duplicate" } });
    const forged = await deliver(service.url, "wrong-secret", "push", push);
    expect(forged.status).toBe(401);
  });
});
