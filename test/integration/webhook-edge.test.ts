import { env } from "cloudflare:workers";
import { introspectWorkflowInstance } from "cloudflare:test";
import examples from "@octokit/webhooks-examples/api.github.com/index.json";
import { describe, expect, it, vi } from "vitest";
import { ingestInstanceId } from "../../src/dispatch";
import { getDelivery, listInstallations, listRepositories } from "../../src/store";
import { sign } from "../../src/github/webhook-signature";
import { deliver, PREVIOUS_SECRET, SECRET } from "./helpers";

const pushExample = examples.find((e) => e.name === "push")!.examples[0] as { head_commit: Record<string, unknown> } & Record<string, unknown>;

async function ingestExists(deliveryId: string): Promise<boolean> {
  return env.INGEST.get(await ingestInstanceId(deliveryId)).then(
    () => true,
    () => false,
  );
}

describe("webhook edge", () => {
  it("accepts every example payload GitHub publishes, never answering 5xx", async () => {
    const statuses: Record<string, number> = {};
    for (const group of examples) {
      for (const [i, payload] of group.examples.entries()) {
        const res = await deliver({ event: group.name, payload });
        statuses[`${group.name}#${i}`] = res.status;
        expect(res.status, `${group.name} example ${i}: ${await res.clone().text()}`).toBe(202);
      }
    }
    expect(Object.keys(statuses).length).toBeGreaterThan(300);
  });

  it("records a delivery that can start nothing as processed, saying why, without any ingest run", async () => {
    // GitHub's example push names no installation: no workflow can run for it.
    expect(pushExample.installation).toBeUndefined();
    const id = crypto.randomUUID();
    const res = await deliver({ event: "push", payload: pushExample, id });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ delivery: id, status: "accepted" });
    await vi.waitFor(async () => expect(await getDelivery(env.DB, id)).toMatchObject({ status: "processed" }), { timeout: 10_000, interval: 50 });
    const record = await getDelivery(env.DB, id);
    expect(record).toMatchObject({ id, event: "push", status: "processed", repository: "Codertocat/Hello-World" });
    expect(record?.outcome?.ignored).toMatch(/names no repository/);
    expect(await ingestExists(id)).toBe(false);
  });

  it("processes a delivery sent twice once (invariant 2)", async () => {
    const id = crypto.randomUUID();
    const first = await deliver({ event: "push", payload: pushExample, id });
    const second = await deliver({ event: "push", payload: pushExample, id });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(await first.json()).toMatchObject({ status: "accepted" });
    expect(await second.json()).toMatchObject({ status: "duplicate" });
    // The inbox drains on its alarm: wait for the ledger, then make sure one row is all there is.
    await vi.waitFor(async () => expect(await getDelivery(env.DB, id)).not.toBeNull(), { timeout: 10_000, interval: 50 });
    const { results } = await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE id = ?").bind(id).all<{ n: number }>();
    expect(results[0]?.n).toBe(1);
  });

  it("accepts a delivery signed with the previous secret during rotation", async () => {
    const res = await deliver({ event: "push", payload: pushExample, secret: PREVIOUS_SECRET });
    expect(res.status).toBe(202);
  });

  describe("rejects a bad signature with 401 and stores nothing", () => {
    const body = JSON.stringify(pushExample);
    const cases: [string, (signature: string) => string | null][] = [
      ["missing", () => null],
      ["empty", () => ""],
      ["sha1= only", () => "sha1=0a4d55a8d778e5022fab701977c5d840bbc486d0"],
      ["non-hex", () => "sha256=" + "xy".repeat(32)],
      ["odd length", (s) => s.slice(0, -1)],
      ["uppercase prefix", (s) => s.replace("sha256=", "SHA256=")],
    ];
    it.each(cases)("%s", async (_label, mutate) => {
      const id = crypto.randomUUID();
      const signature = await sign(body, SECRET);
      const res = await deliver({ event: "push", payload: pushExample, id, body, headers: { "x-hub-signature-256": mutate(signature) } });
      expect(res.status).toBe(401);
      expect(await getDelivery(env.DB, id)).toBeNull();
      expect(await ingestExists(id)).toBe(false);
    });

    it("body changed after signing", async () => {
      const id = crypto.randomUUID();
      const signature = await sign(body, SECRET);
      const res = await deliver({ event: "push", payload: pushExample, id, body: body.replace("Codertocat", "Codertocaz"), headers: { "x-hub-signature-256": signature } });
      expect(res.status).toBe(401);
      expect(await getDelivery(env.DB, id)).toBeNull();
    });

    it("wrong secret", async () => {
      const res = await deliver({ event: "push", payload: pushExample, secret: "not-the-secret" });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "signature_mismatch" });
    });
  });

  it("answers 413 for a body over 25 MB declared by Content-Length", async () => {
    const body = new Uint8Array(25 * 1024 * 1024 + 1).fill(0x20);
    const res = await deliver({ event: "push", payload: null, body });
    expect(res.status).toBe(413);
  });

  it("answers 413 for a streamed body that grows past 25 MB", async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 26) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const { exports } = await import("cloudflare:workers");
    const res = await exports.default.fetch("http://repoflow.test/webhooks/github", {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": crypto.randomUUID(), "x-hub-signature-256": "sha256=" + "00".repeat(32) },
      body: stream,
    });
    expect(res.status).toBe(413);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const res = await deliver({ event: "push", payload: null, body: "{not json" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_json" });
  });

  it("answers 400 for JSON that is not an object", async () => {
    const res = await deliver({ event: "push", payload: null, body: "[1,2,3]" });
    expect(res.status).toBe(400);
  });

  it("answers 400 when X-GitHub-Event is missing", async () => {
    const res = await deliver({ event: "push", payload: pushExample, headers: { "x-github-event": null } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "bad_event_header" });
  });

  it("answers 400 when X-GitHub-Delivery is missing", async () => {
    const res = await deliver({ event: "push", payload: pushExample, headers: { "x-github-delivery": null } });
    expect(res.status).toBe(400);
  });

  it("answers 415 for a form-encoded webhook", async () => {
    const res = await deliver({ event: "push", payload: pushExample, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(415);
  });

  it("accepts and ignores an unknown event type without starting ingest", async () => {
    const id = crypto.randomUUID();
    const res = await deliver({ event: "some_future_event", payload: { action: "happened" }, id });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: "ignored" });
    expect(await ingestExists(id)).toBe(false);
  });

  it("carries a payload over the Workflow params cap through R2", async () => {
    const id = crypto.randomUUID();
    const payload = { ...pushExample, head_commit: { ...pushExample.head_commit, message: "x".repeat(2 * 1024 * 1024) } };
    await using instance = await introspectWorkflowInstance(env.INGEST, await ingestInstanceId(id));
    const res = await deliver({ event: "push", payload, id });
    expect(res.status).toBe(202);
    await instance.waitForStatus("complete");
    expect(await getDelivery(env.DB, id)).toMatchObject({ status: "processed" });
  });

  it("keeps installations and repositories current from installation events", async () => {
    const example = examples.find((e) => e.name === "installation")!.examples.find((p) => (p as { action: string }).action === "created") as {
      installation: { id: number; account: { login: string } };
      repositories: { full_name: string }[];
    };
    // A fresh installation id: the all-examples test above already taught the store about the example's one.
    const created = { ...example, installation: { ...example.installation, id: 990_001 } };
    const id = crypto.randomUUID();
    await using instance = await introspectWorkflowInstance(env.INGEST, await ingestInstanceId(id));
    expect((await deliver({ event: "installation", payload: created, id })).status).toBe(202);
    await instance.waitForStatus("complete");
    const installations = await listInstallations(env.DB);
    expect(installations.map((i) => i.id)).toContain(created.installation.id);
    const repos = await listRepositories(env.DB, created.installation.id);
    expect(repos.map((r) => r.fullName).sort()).toEqual(created.repositories.map((r) => r.full_name).sort());

    const removedId = crypto.randomUUID();
    const removed = {
      action: "removed",
      installation: created.installation,
      repository_selection: "selected",
      repositories_added: [],
      repositories_removed: [created.repositories[0]],
      sender: { login: "octocat" },
    };
    await using removal = await introspectWorkflowInstance(env.INGEST, await ingestInstanceId(removedId));
    expect((await deliver({ event: "installation_repositories", payload: removed, id: removedId })).status).toBe(202);
    await removal.waitForStatus("complete");
    const after = await listRepositories(env.DB, created.installation.id);
    expect(after.map((r) => r.fullName)).not.toContain(created.repositories[0]!.full_name);

    const deletedId = crypto.randomUUID();
    await using deletion = await introspectWorkflowInstance(env.INGEST, await ingestInstanceId(deletedId));
    expect((await deliver({ event: "installation", payload: { ...created, action: "deleted" }, id: deletedId })).status).toBe(202);
    await deletion.waitForStatus("complete");
    expect((await listInstallations(env.DB)).map((i) => i.id)).not.toContain(created.installation.id);
    expect(await listRepositories(env.DB, created.installation.id)).toEqual([]);
  });
});
