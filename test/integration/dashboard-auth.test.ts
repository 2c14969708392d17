/**
 * Who may see the dashboard in production: the encrypted session cookie, the
 * access middleware on a bare hono app with a fake env, the real app with a
 * production env per request (the project's own bindings are local mode),
 * per-repository access (invariant 11) and the GitHub OAuth sign-in, with
 * GitHub's answers stubbed at fetch. Each test signs in with its own token:
 * what GitHub answered for a token is cached for 60 s in the isolate.
 */
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { recoveryDue } from "../../src/dispatch";
import { createApp } from "../../src/edge";
import { AuthConfigError, openSession, requireViewer, safeNext, SESSION_SECONDS, sealSession, webOrigin, type AuthEnv } from "../../src/edge/auth";
import { getRun, insertRun, recordDelivery, updateRepositories, upsertInstallation } from "../../src/store";

const SESSION_SECRET = "integration-session-secret";
const production = {
  ...env,
  REPOFLOW_ENV: "production",
  GITHUB_API_URL: "https://api.github.com",
  APP_ID: "1",
  // A real key (made in beforeAll): a Worker whose PRIVATE_KEY is not one answers 503 before any route.
  PRIVATE_KEY: "",
  GITHUB_CLIENT_ID: "Iv1.test",
  GITHUB_CLIENT_SECRET: "test-client-secret",
  SESSION_SECRET,
};
const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
const app = createApp();

const sessionCookie = async (token: string, now = Date.now(), login = "octocat") => `repoflow_session=${encodeURIComponent(await sealSession(SESSION_SECRET, { login, token }, now))}`;

type Permissions = { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean };
const READ: Permissions = { admin: false, maintain: false, push: false, triage: false, pull: true };
const WRITE: Permissions = { ...READ, triage: true, push: true };
const MAINTAIN: Permissions = { ...WRITE, maintain: true };
const ADMIN: Permissions = { ...MAINTAIN, admin: true };

/** What GitHub lets each token see: installation id → repository full name → the person's permissions. */
type Grants = Record<string, Record<number, Record<string, Permissions>>>;

interface Call {
  url: string;
  method: string;
  authorization: string | null;
  body: string | null;
}

/**
 * GitHub at fetch: the user endpoints answer from `grants` (401 for a token it
 * does not know), `/login/oauth/access_token` and `/user` as given.
 */
function stubGitHub(grants: Grants, answers: { token?: Response; login?: string; status?: number } = {}): Call[] {
  const calls: Call[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    calls.push({ url: request.url, method: request.method, authorization: request.headers.get("authorization"), body: request.method === "POST" ? await request.text() : null });
    const url = new URL(request.url);
    if (url.pathname === "/login/oauth/access_token") return answers.token?.clone() ?? Response.json({ access_token: "ghu_signed_in", token_type: "bearer", expires_in: 28800 });
    if (answers.status) return new Response("unavailable", { status: answers.status });
    const token = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
    if (url.pathname === "/user") return Response.json({ login: answers.login ?? "octocat" });
    const mine = grants[token];
    if (!mine) return Response.json({ message: "Bad credentials" }, { status: 401 });
    const page = Number(url.searchParams.get("page") ?? 1);
    const perPage = Number(url.searchParams.get("per_page") ?? 30);
    const slice = <T,>(items: T[]) => items.slice((page - 1) * perPage, page * perPage);
    if (url.pathname === "/user/installations") {
      const ids = Object.keys(mine).map(Number);
      return Response.json({ total_count: ids.length, installations: slice(ids.map((id) => ({ id }))) });
    }
    const repos = /^\/user\/installations\/(\d+)\/repositories$/.exec(url.pathname);
    if (repos) {
      const list = mine[Number(repos[1])];
      if (!list) return Response.json({ message: "Not Found" }, { status: 404 });
      const entries = Object.entries(list).map(([full_name, permissions]) => ({ full_name, permissions }));
      return Response.json({ total_count: entries.length, repositories: slice(entries) });
    }
    return new Response("unexpected", { status: 500 });
  });
  return calls;
}

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

async function pkcs8Pem(): Promise<string> {
  const { privateKey } = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", privateKey)) as ArrayBuffer);
  const base64 = btoa(String.fromCharCode(...der));
  return `-----BEGIN PRIVATE KEY-----\n${base64.match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

beforeAll(async () => {
  production.PRIVATE_KEY = await pkcs8Pem();
  // Recovery would settle the seeded runs (they have no engine instance); take this minute's turn.
  recoveryDue(env);
  await seed("run-auth-a", 501);
  await seed("run-auth-mine", 601);
  await seed("run-auth-theirs", 602);
  for (const id of [601, 602]) {
    await upsertInstallation(env.DB, { id, accountLogin: `org${id}`, accountType: "Organization", repositorySelection: "all", suspendedAt: null });
    await updateRepositories(env.DB, id, { added: [{ id: id * 10, fullName: `org${id}/repo`, private: false }], removed: [] });
  }
  // An installation event of 601: about no repository.
  await recordDelivery(env.DB, { id: "d-installation-601", instanceId: "d-installation-601", event: "installation_repositories", action: "added", installationId: 601, repository: null });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("bad cookies and local mode (issue 10)", () => {
  it("answers 401, never 500, for any shape of session cookie (a seeded fuzz over lengths, alphabets and dots)", async () => {
    let seed = 20261201;
    const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const alphabets = ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", "+/=", "%25%2e ;\"\\é💥\u0000", "."];
    const sealed = await sealSession(SESSION_SECRET, { login: "octocat", token: "ghu_fuzz" });
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
  it("opens what it sealed, with the login, the token and an expiry no later than the token's", async () => {
    const now = Date.parse("2026-11-25T08:00:00Z");
    const session = await openSession(SESSION_SECRET, await sealSession(SESSION_SECRET, { login: "octocat", token: "ghu_abc" }, now), now);
    expect(session).toEqual({ login: "octocat", token: "ghu_abc", exp: now / 1000 + SESSION_SECONDS });
    const short = await openSession(SESSION_SECRET, await sealSession(SESSION_SECRET, { login: "octocat", token: "ghu_abc", expiresIn: 600 }, now), now);
    expect(short?.exp).toBe(now / 1000 + 600);
  });

  it("invariant 11: encrypts the GitHub token, so the cookie neither shows it nor can be changed, and stays far below 4 KB", async () => {
    const token = "ghu_" + "A".repeat(36);
    const sealed = await sealSession(SESSION_SECRET, { login: "a-rather-long-login-name-of-39-chars-xx", token });
    expect(sealed).toMatch(/^v2\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(token);
    expect(atob(sealed.split(".")[2]!.replace(/-/g, "+").replace(/_/g, "/"))).not.toContain("ghu_");
    expect(sealed.length).toBeLessThan(400);
    // Two seals of the same session differ (a fresh IV each time).
    expect(await sealSession(SESSION_SECRET, { login: "x", token })).not.toBe(await sealSession(SESSION_SECRET, { login: "x", token }));
  });

  it("refuses a changed byte, another secret's cookie, an expired session, a signed-only (v1) cookie and garbage", async () => {
    const now = Date.now();
    const sealed = await sealSession(SESSION_SECRET, { login: "octocat", token: "ghu_abc" }, now);
    const [version, iv, body] = sealed.split(".") as [string, string, string];
    const flipped = body.slice(0, 10) + (body[10] === "A" ? "B" : "A") + body.slice(11);
    expect(await openSession(SESSION_SECRET, `${version}.${iv}.${flipped}`, now)).toBeNull();
    expect(await openSession(SESSION_SECRET, await sealSession("another-secret", { login: "x", token: "ghu_abc" }, now), now)).toBeNull();
    expect(await openSession(SESSION_SECRET, sealed, now + (SESSION_SECONDS + 1) * 1000)).toBeNull();
    const v1 = `${btoa(JSON.stringify({ login: "octocat", installationIds: [601], exp: 9e9 })).replace(/=+$/, "")}.bWFj`;
    for (const garbage of [undefined, "", "abc", "a.b.c", "%%%.%%%", `${sealed}.extra`, v1, `v1.${iv}.${body}`]) expect(await openSession(SESSION_SECRET, garbage, now)).toBeNull();
  });
});

describe("access middleware", () => {
  const probe = (onMissing: "redirect" | "unauthorized") =>
    new Hono<AuthEnv>().use(requireViewer(onMissing)).get("*", (c) => c.json({ viewer: c.get("viewer") }));
  const fakeProduction = { REPOFLOW_ENV: "production", WEBHOOK_SECRET: "s", APP_ID: "1", PRIVATE_KEY: "k", GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "secret", SESSION_SECRET };

  it("lets everyone in locally, as admin everywhere", async () => {
    const res = await probe("unauthorized").request("/api/runs", {}, { REPOFLOW_ENV: "local", WEBHOOK_SECRET: "s" });
    expect(await res.json()).toEqual({ viewer: { login: "local", access: "all" } });
  });

  it("answers 401 JSON or a redirect to sign-in in production without a session, and passes the session's viewer on", async () => {
    const api = await probe("unauthorized").request("/api/runs", {}, fakeProduction);
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: "unauthorized" });
    const page = await probe("redirect").request("/runs/run-1?tab=logs", {}, fakeProduction);
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(`/auth/login?next=${encodeURIComponent("/runs/run-1?tab=logs")}`);
    stubGitHub({ ghu_middleware: { 7: { "acme/one": READ }, 8: { "Acme/Two": ADMIN } } });
    const signedIn = await probe("unauthorized").request("/api/runs", { headers: { cookie: await sessionCookie("ghu_middleware") } }, fakeProduction);
    const { viewer } = (await signedIn.json()) as { viewer: { login: string; access: { installationIds: number[] } } };
    expect(viewer.login).toBe("octocat");
    expect(viewer.access.installationIds).toEqual([7, 8]);
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

  it("invariant 11: shows a signed-in person only the runs and installations of repositories they can read", async () => {
    stubGitHub({ ghu_reads_601: { 601: { "org601/repo": READ } } });
    const cookie = await sessionCookie("ghu_reads_601");
    const list = await app.request("/api/runs?limit=200", { headers: { cookie } }, production, ctx);
    expect(list.status).toBe(200);
    const ids = ((await list.json()) as { runs: { id: string }[] }).runs.map((r) => r.id);
    expect(ids).toContain("run-auth-mine");
    expect(ids).not.toContain("run-auth-theirs");
    expect(ids).not.toContain("run-auth-a");
    expect((await app.request("/api/runs/run-auth-mine", { headers: { cookie } }, production, ctx)).status).toBe(200);
    expect((await app.request("/api/runs/run-auth-theirs", { headers: { cookie } }, production, ctx)).status).toBe(404);
    expect((await app.request("/api/runs/run-auth-theirs/cancel", { method: "POST", headers: { cookie } }, production, ctx)).status).toBe(404);
    expect((await app.request("/api/runs/run-auth-theirs/logs", { headers: { cookie } }, production, ctx)).status).toBe(404);
    const installations = (await (await app.request("/api/installations", { headers: { cookie } }, production, ctx)).json()) as { installations: { id: number }[] };
    expect(installations.installations.map((i) => i.id)).toEqual([601]);

    const page = await (await app.request("/", { headers: { cookie } }, production, ctx)).text();
    expect(page).toContain("Workflow of 601");
    expect(page).not.toContain("Workflow of 602");
    expect(page).not.toContain("org602");
    expect(page).toContain("signed in as octocat");
    expect((await app.request("/runs/run-auth-theirs", { headers: { cookie } }, production, ctx)).status).toBe(404);
  });

  it("invariant 11: sees nothing when GitHub lists no installation for the person", async () => {
    stubGitHub({ ghu_outsider: {} });
    const cookie = await sessionCookie("ghu_outsider");
    const body = (await (await app.request("/api/runs", { headers: { cookie } }, production, ctx)).json()) as { runs: unknown[] };
    expect(body.runs).toEqual([]);
    expect(((await (await app.request("/api/deliveries", { headers: { cookie } }, production, ctx)).json()) as { deliveries: unknown[] }).deliveries).toEqual([]);
    expect(((await (await app.request("/api/installations", { headers: { cookie } }, production, ctx)).json()) as { installations: unknown[] }).installations).toEqual([]);
  });
});

describe("invariant 11: per-repository access with GitHub stubbed", () => {
  const post = (path: string, cookie: string, body?: unknown) =>
    app.request(path, { method: "POST", headers: { cookie, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }, production, ctx);

  it("refuses a reader's controls with 403 naming the role, before anything is done, and hides the buttons", async () => {
    stubGitHub({ ghu_reader_controls: { 601: { "org601/repo": READ } } });
    const cookie = await sessionCookie("ghu_reader_controls");
    for (const path of ["/api/runs/run-auth-mine/cancel", "/api/runs/run-auth-mine/rerun", "/api/runs/run-auth-mine/rerun?from=failed"]) {
      const res = await post(path, cookie);
      expect(res.status, path).toBe(403);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe("forbidden");
      expect(body.message).toMatch(/needs the write role on org601\/repo \(the CONTROL_ROLE setting\); GitHub gives you read access there/);
    }
    expect((await post("/api/repos/org601/repo/dispatch", cookie, { workflow: "x" })).status).toBe(403);
    expect((await post("/api/repos/org601/repo/schedules/fire", cookie, { workflow: "x" })).status).toBe(403);
    expect((await getRun(env.DB, "run-auth-mine"))?.cancelRequestedAt).toBeNull();

    const page = await (await app.request("/runs/run-auth-mine", { headers: { cookie } }, production, ctx)).text();
    expect(page).not.toContain("Cancel run");
    expect(page).not.toContain(">Re-run<");
    expect(page).toContain("needs the write role on org601/repo");
    const form = await app.request("/runs/run-auth-mine/cancel", { method: "POST", headers: { cookie } }, production, ctx);
    expect(form.status).toBe(403);
    expect(await form.text()).toContain("cancelling a run needs the write role on org601/repo");
    expect((await app.request("/repos/org601/repo/run", { headers: { cookie } }, production, ctx)).status).toBe(403);
  });

  it("answers 404, not 403, for controls on a repository the person may not read", async () => {
    stubGitHub({ ghu_reader_elsewhere: { 601: { "org601/repo": READ } } });
    const cookie = await sessionCookie("ghu_reader_elsewhere");
    expect((await post("/api/runs/run-auth-theirs/rerun", cookie)).status).toBe(404);
    const dispatch = await post("/api/repos/org602/repo/dispatch", cookie, { workflow: "x" });
    expect(dispatch.status).toBe(404);
    expect(((await dispatch.json()) as { message: string }).message).toBe("repoflow: no repository org602/repo is known here, or you may not see it.");
    expect((await app.request("/repos/org602/repo/run", { headers: { cookie } }, production, ctx)).status).toBe(404);
  });

  it("lets a writer control, and raises the bar with CONTROL_ROLE", async () => {
    stubGitHub({ ghu_writer: { 601: { "org601/repo": WRITE } } });
    const cookie = await sessionCookie("ghu_writer");
    const page = await (await app.request("/runs/run-auth-mine", { headers: { cookie } }, production, ctx)).text();
    expect(page).toContain(">Re-run<");
    // The manual run gets past authorization: the repository has no compiled workflow, so it is not runnable.
    expect((await post("/api/repos/org601/repo/dispatch", cookie, { workflow: "x" })).status).not.toBe(403);

    const maintainOnly = { ...production, CONTROL_ROLE: "maintain" };
    const refused = await app.request("/api/runs/run-auth-mine/cancel", { method: "POST", headers: { cookie } }, maintainOnly, ctx);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toContain("needs the maintain role on org601/repo");
    expect((await app.request("/api/runs", {}, { ...production, CONTROL_ROLE: "owner" }, ctx)).status).toBe(503);
  });

  it("shows a delivery about no repository to the installation's admins only", async () => {
    stubGitHub({ ghu_admin_601: { 601: { "org601/repo": ADMIN } }, ghu_maintainer_601: { 601: { "org601/repo": MAINTAIN } } });
    const admin = await sessionCookie("ghu_admin_601");
    const maintainer = await sessionCookie("ghu_maintainer_601");
    const ids = async (cookie: string) => ((await (await app.request("/api/deliveries", { headers: { cookie } }, production, ctx)).json()) as { deliveries: { id: string }[] }).deliveries.map((d) => d.id);
    expect(await ids(admin)).toContain("d-installation-601");
    expect(await ids(maintainer)).not.toContain("d-installation-601");
    expect((await app.request("/api/deliveries/d-installation-601", { headers: { cookie: admin } }, production, ctx)).status).toBe(200);
    expect((await app.request("/api/deliveries/d-installation-601", { headers: { cookie: maintainer } }, production, ctx)).status).toBe(404);
  });

  it("asks GitHub once a minute per person, matches repository names in any case, and treats a refused token as signed out", async () => {
    const calls = stubGitHub({ ghu_cached: { 601: { "ORG601/Repo": READ } } });
    const cookie = await sessionCookie("ghu_cached");
    for (let i = 0; i < 3; i++) expect((await app.request("/api/runs/run-auth-mine", { headers: { cookie } }, production, ctx)).status).toBe(200);
    expect(calls.map((c) => new URL(c.url).pathname)).toEqual(["/user/installations", "/user/installations/601/repositories"]);

    const revoked = await app.request("/api/runs", { headers: { cookie: await sessionCookie("ghu_revoked") } }, production, ctx);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^repoflow_session=; Max-Age=0/));
    const page = await app.request("/", { headers: { cookie: await sessionCookie("ghu_revoked") } }, production, ctx);
    expect(page.status).toBe(302);
  });

  it("shows nothing and answers 502 when GitHub cannot be asked", async () => {
    stubGitHub({}, { status: 503 });
    const res = await app.request("/api/runs", { headers: { cookie: await sessionCookie("ghu_github_down") } }, production, ctx);
    expect(res.status).toBe(502);
    const body = await res.text();
    expect(body).toContain("could not ask GitHub which repositories you may see");
    expect(body).not.toContain("run-auth");
  });

  it("follows GitHub's pages of installations and repositories", async () => {
    const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`org601/other-${i}`, READ]));
    const installations: Record<number, Record<string, Permissions>> = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [20_000 + i, {}]));
    installations[601] = { ...many, "org601/repo": READ };
    const calls = stubGitHub({ ghu_paged: installations });
    const cookie = await sessionCookie("ghu_paged");
    expect((await app.request("/api/runs/run-auth-mine", { headers: { cookie } }, production, ctx)).status).toBe(200);
    const asked = calls.map((c) => `${new URL(c.url).pathname}?${new URL(c.url).searchParams.get("page")}`);
    expect(asked).toContain("/user/installations?2");
    expect(asked).toContain("/user/installations/601/repositories?2");
    expect(calls.every((c) => c.authorization === "Bearer ghu_paged")).toBe(true);
  });
});

describe("GitHub sign-in", () => {
  const stateCookie = "repoflow_oauth_state=" + encodeURIComponent("state-123|/runs/run-auth-mine");

  it("exchanges the code, learns who signed in and keeps the token in the encrypted session cookie", async () => {
    const calls = stubGitHub({ ghu_signed_in: { 601: { "org601/repo": READ } } });
    const res = await app.request("http://dash.example/auth/callback?code=the-code&state=state-123", { headers: { cookie: stateCookie } }, production, ctx);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/runs/run-auth-mine");

    const exchange = calls.find((c) => c.url === "https://github.com/login/oauth/access_token");
    expect(exchange?.method).toBe("POST");
    expect(JSON.parse(exchange?.body ?? "{}")).toEqual({ client_id: "Iv1.test", client_secret: "test-client-secret", code: "the-code", redirect_uri: "http://dash.example/auth/callback" });
    expect(calls.find((c) => c.url === "https://api.github.com/user")?.authorization).toBe("Bearer ghu_signed_in");

    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith("repoflow_session="));
    expect(session).toMatch(/; Max-Age=28800; Path=\/; HttpOnly; Secure; SameSite=Lax/);
    expect(cookies.some((c) => c.startsWith("repoflow_oauth_state=;"))).toBe(true);
    const value = decodeURIComponent(session!.split(";")[0]!.slice("repoflow_session=".length));
    expect(value).not.toContain("ghu_signed_in");
    const opened = await openSession(SESSION_SECRET, value);
    expect(opened).toMatchObject({ login: "octocat", token: "ghu_signed_in" });

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
    stubGitHub({}, { token: Response.json({ error: "bad_verification_code", error_description: "The code passed is incorrect or expired." }) });
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
    const res = await app.request("/auth/logout", { method: "POST", headers: { cookie: await sessionCookie("ghu_logout") } }, production, ctx);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/auth/signed-out");
    expect(res.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^repoflow_session=; Max-Age=0; Path=\//));
  });
});
