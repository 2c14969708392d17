/**
 * A failed delivery stays visible with a way to try again (invariant 2):
 * listed by the API and on the dashboard, and Redeliver processes it again
 * through its real ingest run in workerd.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ingestInstanceId, recoveryDue, type IngestParams } from "../../src/dispatch";
import { finishDelivery, getDelivery, recordDelivery } from "../../src/store";

const request = (path: string, init?: RequestInit) => exports.default.fetch(`http://127.0.0.1${path}`, init);

async function waitForStatus(id: string, status: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const delivery = await getDelivery(env.DB, id);
    if (delivery?.status === status) return delivery;
    if (Date.now() > deadline) throw new Error(`delivery ${id} did not become ${status} (it is ${delivery?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("failed deliveries (invariant 2)", () => {
  it("lists a failed delivery, shows it with Redeliver, and processes it again through its ingest run", async () => {
    recoveryDue(env);
    const id = `delivery-redeliver-${crypto.randomUUID()}`;
    const params: IngestParams = {
      delivery: { id, event: "ping_like", action: null, installationId: null, repository: null, receivedAt: new Date().toISOString() },
      payload: { zen: "Design for failure." },
    };
    const instanceId = await ingestInstanceId(id);
    await env.INGEST.create({ id: instanceId, params });
    await recordDelivery(env.DB, { ...params.delivery, instanceId });
    await waitForStatus(id, "processed");
    // As after an outage longer than its retries.
    await finishDelivery(env.DB, id, "failed", "repoflow: D1 was unavailable for 3 days");

    const listed = (await (await request("/api/deliveries?status=failed")).json()) as { deliveries: { id: string }[] };
    expect(listed.deliveries.map((d) => d.id)).toContain(id);
    expect(await (await request("/")).text()).toContain(`data-delivery-id="${id}"`);
    const page = await (await request(`/deliveries/${id}`)).text();
    expect(page).toContain("Redeliver");
    expect(page).toContain("D1 was unavailable for 3 days");

    const res = await request(`/api/deliveries/${id}/redeliver`, { method: "POST" });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { delivery: { status: string } }).delivery.status).toBe("accepted");
    expect(await waitForStatus(id, "processed")).toMatchObject({ error: null, lastError: "repoflow: D1 was unavailable for 3 days" });
  });

  it("answers 409 for a delivery that did not fail, and 404 for one that does not exist", async () => {
    const id = `delivery-ok-${crypto.randomUUID()}`;
    await recordDelivery(env.DB, { id, instanceId: `ingest-${id}`, event: "issues", action: "opened", installationId: null, repository: null });
    expect((await request(`/api/deliveries/${id}/redeliver`, { method: "POST" })).status).toBe(409);
    expect((await request(`/api/deliveries/nope-${id}/redeliver`, { method: "POST" })).status).toBe(404);
    expect((await request("/api/deliveries?status=lost")).status).toBe(400);
  });
});
