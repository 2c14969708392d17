/**
 * The emulator's App manifest flow: the "new App" web page a service's form
 * posts the manifest to, the redirect back with a code, and
 * `POST /app-manifests/{code}/conversions`, which hands over the new App's
 * credentials once, within the hour. The new App is then the emulator's App:
 * JWTs verify with its key, its webhook gets the `ping`, signed with its secret.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CODE_LIFETIME_MS } from "../emulator/app-manifests.ts";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, QUIET_LOG, schemaCheckedFetch, startReceiver, type Receiver } from "../emulator/testing.ts";

const keys = appKeyPair();
const opened: { close(): Promise<void> }[] = [];
const shapeProblems: string[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const server of opened.splice(0).reverse()) await server.close();
  expect(shapeProblems.splice(0)).toEqual([]);
});

async function setUp(): Promise<{ emulator: Emulator; hook: Receiver }> {
  const emulator = await startEmulator({ appPublicKey: keys.publicKey });
  opened.push(emulator);
  const hook = await startReceiver();
  opened.push(hook);
  return { emulator, hook };
}

const manifest = (hookUrl: string, extra: Record<string, unknown> = {}) => ({
  name: "repoflow",
  url: "https://github.com/apps/repoflow",
  hook_attributes: { url: hookUrl },
  redirect_url: "http://127.0.0.1:8787/setup/callback",
  callback_urls: ["http://127.0.0.1:8787/auth/callback"],
  public: false,
  default_events: ["issues", "push"],
  default_permissions: { checks: "write", metadata: "read" },
  ...extra,
});

function post(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString(), redirect: "manual" });
}

/** Posts the manifest as a service's form does, then presses "Create" as the person would; returns the redirect. */
async function createApp(emulator: Emulator, body: object, options: { path?: string; name?: string; state?: string } = {}): Promise<URL> {
  const page = `${emulator.url}${options.path ?? "/settings/apps/new"}?state=${options.state ?? "st-1"}`;
  const shown = await post(page, { manifest: JSON.stringify(body) });
  expect(shown.status).toBe(200);
  expect(await shown.text()).toContain("Create GitHub App");
  const created = await post(page, { manifest: JSON.stringify(body), name: options.name ?? "repoflow", create: "1" });
  expect(created.status).toBe(302);
  return new URL(created.headers.get("location")!);
}

const anonymous = (emulator: Emulator) => new Octokit({ baseUrl: emulator.url, request: { fetch: schemaCheckedFetch(shapeProblems) }, log: QUIET_LOG });

describe("the manifest flow's web page", () => {
  it("shows the App to create, then redirects to redirect_url with a code and the state", async () => {
    const { emulator, hook } = await setUp();
    const back = await createApp(emulator, manifest(hook.url), { state: "abc123" });
    expect(back.origin + back.pathname).toBe("http://127.0.0.1:8787/setup/callback");
    expect(back.searchParams.get("state")).toBe("abc123");
    expect(back.searchParams.get("code")).toMatch(/^[0-9a-f]{20}$/);
    expect(emulator.violations).toEqual([]);
  });

  it("refuses a manifest without url, hook_attributes.url or redirect_url, naming each, and records the violation", async () => {
    const { emulator } = await setUp();
    const res = await post(`${emulator.url}/settings/apps/new?state=s`, { manifest: JSON.stringify({ name: "x" }) });
    expect(res.status).toBe(422);
    const text = await res.text();
    for (const missing of ["url (the App", "hook_attributes.url", "redirect_url"]) expect(text).toContain(missing);
    expect(emulator.violations).toEqual(expect.arrayContaining([expect.stringMatching(/^POST \/settings\/apps\/new: the manifest lacks redirect_url/)]));
  });
});

describe("POST /app-manifests/{code}/conversions", () => {
  it("hands over the new App's id, slug, pem, webhook secret and OAuth client, in GitHub's shape, without authentication", async () => {
    const { emulator, hook } = await setUp();
    const code = (await createApp(emulator, manifest(hook.url), { name: "Repoflow E2E" })).searchParams.get("code")!;
    const { status, data } = await anonymous(emulator).rest.apps.createFromManifest({ code });
    expect(status).toBe(201);
    expect(data).toMatchObject({ id: 2, slug: "repoflow-e2e", name: "Repoflow E2E", owner: { login: "octocat" }, permissions: { checks: "write", metadata: "read" }, events: ["issues", "push"] });
    expect(data.pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(data.webhook_secret).toMatch(/^[0-9a-f]{40}$/);
    expect(data.client_secret).toMatch(/^[0-9a-f]{40}$/);
    expect(data.client_id).toEqual(expect.any(String));
    expect(emulator.violations).toEqual([]);
  });

  it("works once: a second exchange of the same code is 404", async () => {
    const { emulator, hook } = await setUp();
    const code = (await createApp(emulator, manifest(hook.url))).searchParams.get("code")!;
    await anonymous(emulator).rest.apps.createFromManifest({ code });
    await expect(anonymous(emulator).rest.apps.createFromManifest({ code })).rejects.toMatchObject({ status: 404 });
  });

  it("expires a code after an hour", async () => {
    const { emulator, hook } = await setUp();
    const code = (await createApp(emulator, manifest(hook.url))).searchParams.get("code")!;
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + CODE_LIFETIME_MS + 1000);
    await expect(anonymous(emulator).rest.apps.createFromManifest({ code })).rejects.toMatchObject({ status: 404 });
  });

  it("names the organization as the owner when the form went to /organizations/ORG/settings/apps/new", async () => {
    const { emulator, hook } = await setUp();
    const code = (await createApp(emulator, manifest(hook.url), { path: "/organizations/octo-org/settings/apps/new" })).searchParams.get("code")!;
    const { data } = await anonymous(emulator).rest.apps.createFromManifest({ code });
    expect(data.owner).toMatchObject({ login: "octo-org", type: "Organization" });
  });
});

describe("the App created from a manifest", () => {
  it("is the App JWTs must now be signed for: its key and id pass GET /app, the old key no longer does", async () => {
    const { emulator, hook } = await setUp();
    const code = (await createApp(emulator, manifest(hook.url))).searchParams.get("code")!;
    const { data } = await anonymous(emulator).rest.apps.createFromManifest({ code });
    const as = (appId: number, privateKey: string) =>
      new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId, privateKey }, request: { fetch: schemaCheckedFetch(shapeProblems) }, log: QUIET_LOG });
    const { data: me } = await as(data.id, data.pem).rest.apps.getAuthenticated();
    expect(me).toMatchObject({ id: data.id, slug: "repoflow", client_id: data.client_id });
    await expect(as(1, keys.privateKey).rest.apps.getAuthenticated()).rejects.toMatchObject({ status: 401 });
  });

  it("sends its webhook a ping signed with the new secret, and logs it for the deliveries API", async () => {
    const { emulator, hook } = await setUp();
    const code = (await createApp(emulator, manifest(hook.url))).searchParams.get("code")!;
    const { data } = await anonymous(emulator).rest.apps.createFromManifest({ code });
    const ping = await hook.waitFor((delivery) => delivery.event === "ping");
    expect(ping.headers["x-hub-signature-256"]).toBe(`sha256=${createHmac("sha256", data.webhook_secret!).update(ping.body).digest("hex")}`);
    expect(ping.headers["x-github-hook-installation-target-id"]).toBe(String(data.id));
    expect(ping.payload).toMatchObject({ hook: { type: "App", app_id: data.id, config: { url: hook.url, content_type: "json" }, events: ["issues", "push"] } });
    await emulator.webhooksSettled();
    expect(emulator.deliveries().map((delivery) => [delivery.event, delivery.statusCode])).toEqual([["ping", 202]]);
    expect(emulator.violations).toEqual([]);
  });
});
