/**
 * Who may see the dashboard in production: the session cookie, the access
 * middleware on a bare hono app with a fake env, the real app with a
 * production env per request (the project's own bindings are local mode),
 * and the GitHub OAuth sign-in with GitHub's answers stubbed at fetch.
 */
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { recoveryDue } from "../../src/dispatch";
import { createApp } from "../../src/edge";
import { AuthConfigError, openSession, requireViewer, safeNext, SESSION_SECONDS, sealSession, webOrigin, type AuthEnv } from "../../src/edge/auth";
import { insertRun, updateRepositories, upsertInstallation } from "../../src/store";

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

const sessionCookie = async (installationIds: number[], now = Date.now()) =>
  `repoflow_session=${encodeURIComponent(await sealSession(SESSION_SECRET, { login: "octocat", installationIds }, now))}`;

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

beforeAll(async () => {
  // Recovery would settle the seeded runs (they have no engine instance); take this minute's turn.
  recoveryDue(env);
  await seed("run-auth-a", 501);
  await seed("run-auth-mine", 601);
  await seed("run-auth-theirs", 602);
  for (const id of [601, 602]) {
    await upsertInstallation(env.DB, { id, accountLogin: `org${id}`, accountType: "Organization", repositorySelection: "all", suspendedAt: null });
    await updateRepositories(env.DB, id, { added: [{ id: id * 10, fullName: `org${id}/repo`, private: false }], removed: [] });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("bad cookies and local mode (issue 10)", () => {
  it("answers 401, never 500, for any shape of session cookie (a seeded fuzz over lengths, alphabets and dots)", async () => {
    let seed = 20261201;
    const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const alphabets = ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", "+/=", "%25%2e ;\"\\é💥\u0000", "."];
    const sealed = await sealSession(SESSION_SECRET, { login: "octocat", installationIds: [501] });
    const shapes: string[] = ["a", "a.b", ".", "..", "a.", ".a", "abcde.f", "x".repeat(4097), sealed.slice(0, -1), `${sealed.split(".")[0]}.a`, `a.${sealed.split(".")[1]}`];
    for (let i = 0; i < 300; i++) {
      let cookie = "";
      const length = Math.floor(next() * 80);
      for (let j = 0; j < length; j++) {
        const alphabet = Array.from(alphabets[Math.floor(next() * (next() < 0.8 ? 1 : alphabets.length))]!);
        cookie += alphabet[Math.floor(next() * alphabet.length)];
      }
      shapes.push(cookie);
    }
    // Sent encoded as a browser would, and raw (ASCII only, malformed percent-escapes included).
    const raw = ["%E0%A4%A", "%", "%zz.%zz", "a%2.b", ...shapes.filter((shape) => /^[\x21-\x7e]*$/.test(shape) && !shape.includes(";"))];
    for (const cookie of [...shapes.map((shape) => encodeURIComponent(shape)), ...raw]) {
      const res = await app.request("/api/runs", { headers: { cookie: `repoflow_session=${cookie}` } }, production, ctx);
      expect(res.status, JSON.stringify(cookie)).toBe(401);
    }
  });

  it("serves local mode only on loopback, and refuses a Worker deployed with it, saying why", async () => {
    const local = { ...env, REPOFLOW_ENV: "local" };
    expect((await app.request("http://127.0.0.1:8787/api/runs", {}, local, ctx)).status).toBe(200);
    expect((await app.request("http://localhost:8787/api/runs", { headers: { "cf-connecting-ip": "127.0.0.1" } }, local, ctx)).status).toBe(200);
    const deployed = await app.request("https://repoflow.example.workers.dev/api/runs", { headers: { "cf-connecting-ip": "203.0.113.7" } }, local, ctx);
    expect(deployed.status).toBe(403);
    expect(((await deployed.json()) as { message: string }).message).toMatch(/REPOFLOW_ENV is "local".*set REPOFLOW_ENV to "production"/);
    const page = await app.request("https://repoflow.example.workers.dev/", {}, local, ctx);
    expect(page.status).toBe(403);
    // A spoofed Host on a public connection does not pass either.
    expect((await app.request("http://127.0.0.1/api/runs", { headers: { "cf-connecting-ip": "198.51.100.4" } }, local, ctx)).status).toBe(403);
  });
});

describe("session cookie", () => {
  it("opens what it sealed, with the login, installation ids and an expiry", async () => {
    const now = Date.parse("2026-11-25T08:00:00Z");
    const session = await openSession(SESSION_SECRET, await sealSession(SESSION_SECRET, { login: "octocat", installationIds: [1, 2] }, now), now);
    expect(session).toEqual({ login: "octocat", installationIds: [1, 2], exp: now / 1000 + SESSION_SECONDS });
  });

  it("refuses a tampered body, another secret's signature, an expired session and garbage", async () => {
    const now = Date.now();
    const sealed = await sealSession(SESSION_SECRET, { login: "octocat", installationIds: [501] }, now);
    const [, mac] = sealed.split(".");
    const forgedBody = btoa(JSON.stringify({ login: "octocat", installationIds: [502], exp: 9e9 })).replace(/=+$/, "");
    expect(await openSession(SESSION_SECRET, `${forgedBody}.${mac}`, now)).toBeNull();
    expect(await openSession(SESSION_SECRET, await sealSession("another-secret", { login: "x", installationIds: [502] }, now), now)).toBeNull();
    expect(await openSession(SESSION_SECRET, sealed, now + (SESSION_SECONDS + 1) * 1000)).toBeNull();
    for (const garbage of [undefined, "", "abc", "a.b.c", "%%%.%%%", `${sealed}.extra`]) expect(await openSession(SESSION_SECRET, garbage, now)).toBeNull();
  });
});

describe("access middleware", () => {
  const probe = (onMissing: "redirect" | "unauthorized") =>
    new Hono<AuthEnv>().use(requireViewer(onMissing)).get("*", (c) => c.json({ viewer: c.get("viewer") }));
  const fakeProduction = { REPOFLOW_ENV: "production", WEBHOOK_SECRET: "s", APP_ID: "1", PRIVATE_KEY: "k", GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "secret", SESSION_SECRET };

  it("lets everyone in locally, seeing every installation", async () => {
    const res = await probe("unauthorized").request("/api/runs", {}, { REPOFLOW_ENV: "local", WEBHOOK_SECRET: "s" });
    expect(await res.json()).toEqual({ viewer: { login: "local", installationIds: "all" } });
  });

  it("answers 401 JSON or a redirect to sign-in in production without a session, and passes the session's viewer on", async () => {
    const api = await probe("unauthorized").request("/api/runs", {}, fakeProduction);
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: "unauthorized" });
    const page = await probe("redirect").request("/runs/run-1?tab=logs", {}, fakeProduction);
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(`/auth/login?next=${encodeURIComponent("/runs/run-1?tab=logs")}`);
    const signedIn = await probe("unauthorized").request("/api/runs", { headers: { cookie: await sessionCookie([7, 8]) } }, fakeProduction);
    expect(await signedIn.json()).toEqual({ viewer: { login: "octocat", installationIds: [7, 8] } });
  });

  it("refuses to run in production without the OAuth variables, naming them", async () => {
    const { SESSION_SECRET: _dropped, GITHUB_CLIENT_SECRET: _alsoDropped, ...incomplete } = fakeProduction;
    const handler = new Hono<AuthEnv>().use(requireViewer("unauthorized")).get("*", (c) => c.text("data"));
    let thrown: unknown;
    handler.onError((error, c) => ((thrown = error), c.text("failed", 500)));
    await handler.request("/api/runs", {}, incomplete);
    expect(thrown).toBeInstanceOf(AuthConfigError);
    expect((thrown as Error).message).toMatch(/^repoflow: GITHUB_CLIENT_SECRET, SESSION_SECRET are not set, .*npx wrangler secret put/);
    const whole = await app.request("/api/runs", {}, { ...production, SESSION_SECRET: "" }, ctx);
    expect(whole.status).toBe(503);
    expect(await whole.text()).toContain("SESSION_SECRET is not set");
  });
});

describe("dashboard access in production", () => {
  it("gives API requests without a session 401 JSON and no run data", async () => {
    for (const path of ["/api/runs", "/api/runs/run-auth-a", "/api/installations", "/api/deliveries/d-run-auth-a"]) {
      const res = await app.request(path, {}, production, ctx);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/json");
      const body = await res.text();
      expect(body).not.toContain("run-auth-a");
      expect(body).not.toContain("org501");
    }
  });

  it("redirects pages without a session to sign-in, and sign-in to GitHub's authorize URL with a state", async () => {
    for (const path of ["/", "/runs/run-auth-a"]) {
      const res = await app.request(path, {}, production, ctx);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(`/auth/login?next=${encodeURIComponent(path)}`);
      expect(await res.text()).not.toContain("Workflow of");
    }
    const login = await app.request("http://dash.example/auth/login?next=%2Fruns%2Frun-auth-a", {}, production, ctx);
    expect(login.status).toBe(302);
    const target = new URL(login.headers.get("location")!);
    expect(target.origin + target.pathname).toBe("https://github.com/login/oauth/authorize");
    expect(target.searchParams.get("client_id")).toBe("Iv1.test");
    expect(target.searchParams.get("redirect_uri")).toBe("http://dash.example/auth/callback");
    const state = target.searchParams.get("state");
    expect(state).toMatch(/^[0-9a-f-]{36}$/);
    expect(login.headers.get("set-cookie")).toMatch(new RegExp(`^repoflow_oauth_state=${state}%7C%2Fruns%2Frun-auth-a; Max-Age=600; Path=/auth; HttpOnly; Secure; SameSite=Lax`));
  });

  it("shows a signed-in person only the runs and installations they can access", async () => {
    const cookie = await sessionCookie([601]);
    const list = await app.request("/api/runs?limit=200", { headers: { cookie } }, production, ctx);
    expect(list.status).toBe(200);
    const ids = ((await list.json()) as { runs: { id: string }[] }).runs.map((r) => r.id);
    expect(ids).toContain("run-auth-mine");
    expect(ids).not.toContain("run-auth-theirs");
    expect(ids).not.toContain("run-auth-a");
    expect((await app.request("/api/runs/run-auth-mine", { headers: { cookie } }, production, ctx)).status).toBe(200);
    expect((await app.request("/api/runs/run-auth-theirs", { headers: { cookie } }, production, ctx)).status).toBe(404);
    expect((await app.request("/api/runs/run-auth-theirs/cancel", { method: "POST", headers: { cookie } }, production, ctx)).status).toBe(404);
    const installations = (await (await app.request("/api/installations", { headers: { cookie } }, production, ctx)).json()) as { installations: { id: number }[] };
    expect(installations.installations.map((i) => i.id)).toEqual([601]);

    const page = await (await app.request("/", { headers: { cookie } }, production, ctx)).text();
    expect(page).toContain("Workflow of 601");
    expect(page).not.toContain("Workflow of 602");
    expect(page).not.toContain("org602");
    expect(page).toContain("signed in as octocat");
    expect((await app.request("/runs/run-auth-theirs", { headers: { cookie } }, production, ctx)).status).toBe(404);
  });

  it("sees nothing with a session that lists no installation", async () => {
    const cookie = await sessionCookie([]);
    const body = (await (await app.request("/api/runs", { headers: { cookie } }, production, ctx)).json()) as { runs: unknown[] };
    expect(body.runs).toEqual([]);
  });
});

describe("GitHub sign-in", () => {
  const stateCookie = "repoflow_oauth_state=" + encodeURIComponent("state-123|/runs/run-auth-mine");

  function stubGitHub(answers: { token?: Response; pages?: { id: number }[][]; login?: string }) {
    const calls: { url: string; method: string; authorization: string | null; body: string | null }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      calls.push({ url: request.url, method: request.method, authorization: request.headers.get("authorization"), body: request.method === "POST" ? await request.text() : null });
      const url = new URL(request.url);
      if (url.pathname === "/login/oauth/access_token") return answers.token?.clone() ?? Response.json({ access_token: "gho_user_token", token_type: "bearer" });
      if (url.pathname === "/user") return Response.json({ login: answers.login ?? "octocat" });
      if (url.pathname === "/user/installations") {
        const pages = answers.pages ?? [[{ id: 601 }]];
        const page = Number(url.searchParams.get("page"));
        return Response.json({ total_count: pages.flat().length, installations: pages[page - 1] ?? [] });
      }
      return new Response("unexpected", { status: 500 });
    });
    return calls;
  }

  it("exchanges the code, learns the user's installations across pages and signs them into a session cookie", async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => ({ id: 10_000 + i }));
    const calls = stubGitHub({ pages: [hundred, [{ id: 601 }]] });
    const res = await app.request("http://dash.example/auth/callback?code=the-code&state=state-123", { headers: { cookie: stateCookie } }, production, ctx);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/runs/run-auth-mine");

    const exchange = calls.find((c) => c.url === "https://github.com/login/oauth/access_token");
    expect(exchange?.method).toBe("POST");
    expect(JSON.parse(exchange?.body ?? "{}")).toEqual({ client_id: "Iv1.test", client_secret: "test-client-secret", code: "the-code", redirect_uri: "http://dash.example/auth/callback" });
    expect(calls.filter((c) => c.url.startsWith("https://api.github.com/user/installations")).map((c) => [new URL(c.url).searchParams.get("page"), c.authorization])).toEqual([
      ["1", "Bearer gho_user_token"],
      ["2", "Bearer gho_user_token"],
    ]);

    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith("repoflow_session="));
    expect(session).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax/);
    expect(cookies.some((c) => c.startsWith("repoflow_oauth_state=;"))).toBe(true);
    const value = decodeURIComponent(session!.split(";")[0]!.slice("repoflow_session=".length));
    expect(value).not.toContain("gho_user_token");
    const opened = await openSession(SESSION_SECRET, value);
    expect(opened?.login).toBe("octocat");
    expect(opened?.installationIds).toEqual([...hundred.map((i) => i.id), 601]);

    const page = await app.request("/runs/run-auth-mine", { headers: { cookie: session!.split(";")[0]! } }, production, ctx);
    expect(page.status).toBe(200);
  });

  it("refuses a callback whose state does not match the one it sent", async () => {
    const calls = stubGitHub({});
    for (const headers of [{ cookie: stateCookie.replace("state-123", "state-999") }, {}] as Record<string, string>[]) {
      const res = await app.request("/auth/callback?code=the-code&state=state-123", { headers }, production, ctx);
      expect(res.status).toBe(400);
      expect(await res.text()).toBe("repoflow: this sign-in expired or did not start here; start again at /auth/login.");
      expect(res.headers.getSetCookie().some((c) => c.startsWith("repoflow_session="))).toBe(false);
    }
    expect(calls).toEqual([]);
  });

  it("answers 502 with the fix when GitHub refuses the code", async () => {
    stubGitHub({ token: Response.json({ error: "bad_verification_code", error_description: "The code passed is incorrect or expired." }) });
    const res = await app.request("/auth/callback?code=used&state=state-123", { headers: { cookie: stateCookie } }, production, ctx);
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).toContain("bad_verification_code: The code passed is incorrect or expired.");
    expect(text).toContain("check that GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET belong to this GitHub App");
    expect(res.headers.getSetCookie().some((c) => c.startsWith("repoflow_session="))).toBe(false);
  });

  it("never sends a signed-in person off this site after sign-in", () => {
    for (const hostile of ["//evil.example/x", "/\\evil.example", "https://evil.example/", "evil", "/ok\nLocation: x", undefined]) expect(safeNext(hostile)).toBe("/");
    expect(safeNext("/runs/run-1?x=1")).toBe("/runs/run-1?x=1");
  });

  it("derives GitHub's web host from GITHUB_API_URL", () => {
    expect(webOrigin("https://api.github.com")).toBe("https://github.com");
    expect(webOrigin("https://ghe.example.com/api/v3")).toBe("https://ghe.example.com");
  });

  it("signs out by clearing the session cookie", async () => {
    const res = await app.request("/auth/logout", { method: "POST", headers: { cookie: await sessionCookie([601]) } }, production, ctx);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/auth/signed-out");
    expect(res.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^repoflow_session=; Max-Age=0; Path=\//));
  });
});
