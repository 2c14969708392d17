import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/edge";
import { sealSession } from "../../src/edge/auth";
import { insertRun } from "../../src/store";

const SESSION_SECRET = "integration-session-secret";
const production = {
  ...env,
  REPOFLOW_ENV: "production",
  GITHUB_API_URL: "https://api.github.com",
  APP_ID: "1",
  PRIVATE_KEY: "unused here",
  GITHUB_CLIENT_ID: "Iv1.test",
  GITHUB_CLIENT_SECRET: "test-client-secret",
  SESSION_SECRET,
};
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
const app = createApp();

async function seed(id: string, installationId: number) {
  await insertRun(env.DB, {
    id,
    installationId,
    repository: `org${installationId}/repo`,
    workflowFile: ".workflows/a.ts",
    workflowName: `Workflow of ${installationId}`,
    event: "push",
    action: null,
    deliveryId: `d-${id}`,
    bundleHash: "b".repeat(64),
    commitSha: "c".repeat(40),
    headSha: "c".repeat(40),
  });
}

describe("dashboard access in production", () => {
  it("gives an API request without a session a 401 and no run data", async () => {
    await seed("run-auth-a", 501);
    const res = await app.request("/api/runs", {}, production, ctx);
    expect(res.status).toBe(401);
    const body = await res.text();
    expect(body).not.toContain("run-auth-a");
    expect((await app.request("/api/runs/run-auth-a", {}, production, ctx)).status).toBe(401);
  });

  it("redirects a page request without a session to GitHub sign-in", async () => {
    const res = await app.request("/", {}, production, ctx);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/auth/login?next=%2F");
    const login = await app.request("/auth/login", {}, production, ctx);
    expect(login.status).toBe(302);
    const target = new URL(login.headers.get("location")!);
    expect(target.origin + target.pathname).toBe("https://github.com/login/oauth/authorize");
    expect(target.searchParams.get("client_id")).toBe("Iv1.test");
  });

  it("refuses a forged or tampered session cookie", async () => {
    const sealed = await sealSession(SESSION_SECRET, { login: "octocat", installations: [501] });
    const tampered = sealed.replace(/^[^.]+/, btoa(JSON.stringify({ login: "octocat", installations: [502], exp: 9e9 })));
    for (const cookie of [`repoflow_session=${tampered}`, `repoflow_session=${await sealSession("another-secret", { login: "x", installations: [502] })}`]) {
      expect((await app.request("/api/runs", { headers: { cookie } }, production, ctx)).status).toBe(401);
    }
  });

  it("shows a signed-in person only the runs of installations they can access", async () => {
    await seed("run-auth-mine", 601);
    await seed("run-auth-theirs", 602);
    const cookie = `repoflow_session=${await sealSession(SESSION_SECRET, { login: "octocat", installations: [601] })}`;
    const list = await app.request("/api/runs?limit=200", { headers: { cookie } }, production, ctx);
    expect(list.status).toBe(200);
    const ids = ((await list.json()) as { runs: { id: string }[] }).runs.map((r) => r.id);
    expect(ids).toContain("run-auth-mine");
    expect(ids).not.toContain("run-auth-theirs");
    expect((await app.request("/api/runs/run-auth-theirs", { headers: { cookie } }, production, ctx)).status).toBe(404);
    expect((await app.request("/api/runs/run-auth-theirs/cancel", { method: "POST", headers: { cookie } }, production, ctx)).status).toBe(404);
    const page = await app.request("/", { headers: { cookie } }, production, ctx);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Workflow of 601");
    expect(html).not.toContain("Workflow of 602");
  });
});
