/**
 * /setup and what a misconfigured Worker answers, inside workerd with the
 * real app: production envs are passed per request (the project's own
 * bindings are local mode), GitHub's answers are stubbed at fetch.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/edge";
import { APP_YML } from "../../src/edge/generated/app-manifest";

const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
const app = createApp();
const API = "https://api.github.com";

const unconfigured = () => ({ ...env, REPOFLOW_ENV: "production", GITHUB_API_URL: API, APP_ID: "", PRIVATE_KEY: "", WEBHOOK_SECRET: "", WEBHOOK_SECRET_PREVIOUS: "" });

async function pkcs8Pem(): Promise<string> {
  const pair = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const body = btoa(String.fromCharCode(...der)).replace(/(.{64})/g, "$1\n");
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

type Stub = (url: URL, init: RequestInit | undefined) => Response | Promise<Response>;
function stubGitHub(answer: Stub): string[] {
  const calls: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    calls.push(`${request.method} ${url.pathname}`);
    return answer(url, { method: request.method });
  });
  return calls;
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a misconfigured production Worker", () => {
  it("answers the webhook, the API and the dashboard with 503 naming APP_ID, PRIVATE_KEY and WEBHOOK_SECRET and pointing to /setup", async () => {
    const e = unconfigured();
    for (const [path, init] of [
      ["/webhooks/github", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }],
      ["/api/runs", {}],
      ["/runs/some-run", {}],
    ] as const) {
      const res = await app.request(path, init, e, ctx);
      expect(res.status, path).toBe(503);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = (await res.json()) as { error: string; variables: string[]; message: string; setup: string };
      expect(body).toMatchObject({ error: "misconfigured", variables: ["WEBHOOK_SECRET", "APP_ID", "PRIVATE_KEY"], setup: "/setup" });
      expect(body.message).toMatch(/WEBHOOK_SECRET is not set.*APP_ID is not set.*PRIVATE_KEY is not set.*Open \/setup/);
    }
  });

  it("shows a browser an HTML page naming the variables with a link to /setup", async () => {
    const res = await app.request("/", { headers: { accept: "text/html,application/xhtml+xml" } }, unconfigured(), ctx);
    expect(res.status).toBe(503);
    const page = await res.text();
    expect(page).toContain('href="/setup"');
    for (const name of ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET"]) expect(page).toContain(`data-variable="${name}"`);
  });

  it("names PRIVATE_KEY when the key is set but is no usable PEM", async () => {
    const res = await app.request("/api/runs", {}, { ...unconfigured(), APP_ID: "12", WEBHOOK_SECRET: "s", PRIVATE_KEY: "not a key" }, ctx);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ variables: ["PRIVATE_KEY"], message: expect.stringContaining("PRIVATE_KEY is not a PEM file") });
  });

  it("keeps /healthz up, saying it is not configured and what is missing", async () => {
    const res = await app.request("/healthz", {}, unconfigured(), ctx);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, mode: "production", configured: false, variables: ["WEBHOOK_SECRET", "APP_ID", "PRIVATE_KEY"], setup: "/setup" });
  });
});

describe("/setup on a fresh production Worker", () => {
  it("offers GitHub's manifest form built from app.yml with this origin's URLs, a state cookie, and no caching", async () => {
    const res = await app.request("https://repoflow.example/setup", {}, unconfigured(), ctx);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const state = /^repoflow_setup_state=([0-9a-f-]{36}); Max-Age=3600; Path=\/setup; HttpOnly; Secure; SameSite=Lax$/.exec(res.headers.get("set-cookie") ?? "")?.[1];
    expect(state).toBeDefined();
    const page = await res.text();
    const action = /<form method="post" action="([^"]+)">/.exec(page)?.[1]?.replace(/&amp;/g, "&");
    expect(action).toBe(`https://github.com/settings/apps/new?state=${state}`);
    const manifest = JSON.parse((/name="manifest" value="([^"]+)"/.exec(page)?.[1] ?? "").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&")) as Record<string, unknown>;
    expect(manifest).toEqual({
      name: APP_YML.name,
      url: APP_YML.url,
      description: APP_YML.description,
      public: false,
      hook_attributes: { url: "https://repoflow.example/webhooks/github", active: true },
      redirect_url: "https://repoflow.example/setup/callback",
      callback_urls: ["https://repoflow.example/auth/callback"],
      setup_url: "https://repoflow.example/",
      default_events: APP_YML.default_events,
      default_permissions: APP_YML.default_permissions,
    });
  });

  it("sends the form to an organization's new-App page when one is named", async () => {
    const page = await (await app.request("https://repoflow.example/setup?organization=octo-org", {}, unconfigured(), ctx)).text();
    expect(page).toMatch(/action="https:\/\/github\.com\/organizations\/octo-org\/settings\/apps\/new\?state=[0-9a-f-]{36}"/);
  });

  it("refuses a callback whose state is not this browser's, exchanging nothing", async () => {
    const calls = stubGitHub(() => json({}, 500));
    const res = await app.request("https://repoflow.example/setup/callback?code=abc&state=forged", { headers: { cookie: "repoflow_setup_state=mine" } }, unconfigured(), ctx);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("does not match");
    expect(calls).toEqual([]);
  });

  it("exchanges the code once and shows the credentials with the wrangler secret put commands, uncached", async () => {
    const calls = stubGitHub((url) =>
      url.pathname === "/app-manifests/the-code/conversions"
        ? json({ id: 77, slug: "repoflow-acme", name: "repoflow-acme", html_url: "https://github.com/apps/repoflow-acme", owner: { login: "acme" }, client_id: "Iv23liAbc", client_secret: "cs-123", webhook_secret: "wh-456", pem: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n" }, 201)
        : json({ message: "Not Found" }, 404),
    );
    const res = await app.request("https://repoflow.example/setup/callback?code=the-code&state=st", { headers: { cookie: "repoflow_setup_state=st" } }, unconfigured(), ctx);
    expect(res.status).toBe(200);
    expect(calls).toEqual(["POST /app-manifests/the-code/conversions"]);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("set-cookie")).toMatch(/^repoflow_setup_state=; Max-Age=0; Path=\/setup/);
    const page = await res.text();
    for (const command of ["npx wrangler secret put APP_ID", "npx wrangler secret put WEBHOOK_SECRET", "npx wrangler secret put PRIVATE_KEY &lt; repoflow-acme.private-key.pem", "npx wrangler secret put GITHUB_CLIENT_ID", "npx wrangler secret put GITHUB_CLIENT_SECRET", "npx wrangler secret put SESSION_SECRET"]) {
      expect(page).toContain(command);
    }
    for (const [name, value] of [["APP_ID", "77"], ["WEBHOOK_SECRET", "wh-456"], ["GITHUB_CLIENT_ID", "Iv23liAbc"], ["GITHUB_CLIENT_SECRET", "cs-123"]]) {
      expect(page).toContain(`<code data-variable="${name}">${value}</code>`);
    }
    expect(page).toMatch(/<code data-variable="SESSION_SECRET">[A-Za-z0-9_-]{43}<\/code>/);
    expect(page).toContain("-----BEGIN RSA PRIVATE KEY-----");
    expect(page).toContain("https://github.com/apps/repoflow-acme/installations/new");
    // Production shows no .dev.vars block.
    expect(page).not.toContain('id="dev-vars"');
  });

  it("says the code was refused when GitHub answers 404 (used, or older than an hour)", async () => {
    stubGitHub(() => json({ message: "Not Found" }, 404));
    const res = await app.request("https://repoflow.example/setup/callback?code=old&state=st", { headers: { cookie: "repoflow_setup_state=st" } }, unconfigured(), ctx);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("A code works once and for one hour");
  });
});

describe("/setup once configured", () => {
  it("needs sign-in in production and no longer offers a registration", async () => {
    const configured = { ...unconfigured(), APP_ID: "77", PRIVATE_KEY: await pkcs8Pem(), WEBHOOK_SECRET: "wh", GITHUB_CLIENT_ID: "Iv1.x", GITHUB_CLIENT_SECRET: "cs", SESSION_SECRET: "session-secret" };
    const page = await app.request("https://repoflow.example/setup", {}, configured, ctx);
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(`/auth/login?next=${encodeURIComponent("/setup")}`);
    const callback = await app.request("https://repoflow.example/setup/callback?code=c&state=s", { headers: { cookie: "repoflow_setup_state=s" } }, configured, ctx);
    expect(callback.status).toBe(302);
  });

  it("checks in local mode that the key signs a JWT GitHub accepts and that GitHub's redelivered ping verified", async () => {
    const local = { ...env, REPOFLOW_ENV: "local", GITHUB_API_URL: API, APP_ID: "77", PRIVATE_KEY: await pkcs8Pem(), WEBHOOK_SECRET: "wh" };
    const log = [{ id: 1, guid: "ping-guid", delivered_at: new Date().toISOString(), redelivery: false, status: "Invalid HTTP Response: 503", status_code: 503, event: "ping", action: null }];
    const calls = stubGitHub((url, init) => {
      if (url.pathname === "/app") return json({ id: 77, slug: "repoflow-acme", name: "repoflow-acme", html_url: "https://github.com/apps/repoflow-acme", owner: { login: "acme" }, events: [] });
      if (url.pathname === "/app/hook/deliveries") return json([...log].reverse());
      if (url.pathname === "/app/hook/deliveries/1/attempts" && init?.method === "POST") {
        log.push({ ...log[0]!, id: 2, redelivery: true, status: "OK", status_code: 202 });
        return json({}, 202);
      }
      return json({ message: "Not Found" }, 404);
    });
    const shown = await (await app.request("http://127.0.0.1:8787/setup", {}, local, ctx)).text();
    expect(shown).toContain('data-check="key" class="unknown"');
    // Local mode always offers registration too.
    expect(shown).toContain('name="manifest"');
    const res = await app.request("http://127.0.0.1:8787/setup", { method: "POST" }, local, ctx);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toMatch(/data-check="key" class="ok"><strong>App key:<\/strong> ✓ works\. PRIVATE_KEY signs a JWT GitHub accepts for APP_ID 77: the App is repoflow-acme/);
    expect(page).toMatch(/data-check="webhook" class="ok"><strong>Webhook secret:<\/strong> ✓ works\. GitHub redelivered the App&#39;s ping; this Worker verified its signature with WEBHOOK_SECRET and answered 202/);
    expect(calls).toEqual(["GET /app", "GET /app/hook/deliveries", "POST /app/hook/deliveries/1/attempts", "GET /app/hook/deliveries"]);
  });

  it("names WEBHOOK_SECRET when this Worker answered the redelivered ping 401", async () => {
    const local = { ...env, REPOFLOW_ENV: "local", GITHUB_API_URL: API, APP_ID: "77", PRIVATE_KEY: await pkcs8Pem(), WEBHOOK_SECRET: "wrong" };
    const log = [{ id: 1, guid: "g", delivered_at: new Date().toISOString(), redelivery: false, status: "OK", status_code: 202, event: "ping", action: null }];
    stubGitHub((url) => {
      if (url.pathname === "/app") return json({ id: 77, slug: "a", name: "a", html_url: "https://github.com/apps/a", owner: { login: "acme" } });
      if (url.pathname === "/app/hook/deliveries") return json([...log].reverse());
      log.push({ ...log[0]!, id: 2, redelivery: true, status: "Invalid HTTP Response: 401", status_code: 401 });
      return json({}, 202);
    });
    const page = await (await app.request("http://127.0.0.1:8787/setup", { method: "POST" }, local, ctx)).text();
    expect(page).toMatch(/data-check="webhook" class="bad"><strong>Webhook secret:<\/strong> ✗ fails \(fix WEBHOOK_SECRET\)\. GitHub redelivered the App&#39;s ping; this Worker answered 401/);
  });

  it("names APP_ID and PRIVATE_KEY when GitHub refuses the JWT, and does not ask for a redelivery", async () => {
    const local = { ...env, REPOFLOW_ENV: "local", GITHUB_API_URL: API, APP_ID: "77", PRIVATE_KEY: await pkcs8Pem(), WEBHOOK_SECRET: "wh" };
    const calls = stubGitHub(() => json({ message: "A JSON web token could not be decoded" }, 401));
    const page = await (await app.request("http://127.0.0.1:8787/setup", { method: "POST" }, local, ctx)).text();
    expect(page).toMatch(/data-check="key" class="bad"><strong>App key:<\/strong> ✗ fails \(fix APP_ID and PRIVATE_KEY\)\. GitHub refused the App&#39;s JWT \(401/);
    expect(calls).toEqual(["GET /app"]);
  });
});
