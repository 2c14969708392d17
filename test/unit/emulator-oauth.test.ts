/**
 * The emulator's GitHub sign-in: the OAuth web flow of the App's client
 * (authorize with the `login` the test names → code → token exchange that
 * answers errors as 200 with `error`), user-to-server tokens, the user
 * endpoints that list what a person may see (only installations and
 * repositories they have explicit access to, each with their permissions),
 * and user tokens on repository routes limited to what both the App and the
 * person may do. Every REST answer is checked against GitHub's description.
 */
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, installationOctokit, QUIET_LOG, schemaCheckedFetch } from "../emulator/testing.ts";

const keys = appKeyPair();
const CALLBACK = "http://127.0.0.1:8787/auth/callback";
const shapeProblems: string[] = [];
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ appPublicKey: keys.publicKey, oauthClientSecret: "the-client-secret" });
  emulator.addRepo({ fullName: "acme/site", installationId: 7, private: false, ownerType: "Organization", collaborators: { alice: "admin" } });
  emulator.addRepo({ fullName: "acme/secret", installationId: 7, ownerType: "Organization", collaborators: { alice: "admin", bob: "read" } });
  emulator.addRepo({ fullName: "other/thing", installationId: 8, collaborators: { alice: "write" } });
});

afterAll(async () => {
  await emulator.close();
});

afterEach(() => {
  expect(shapeProblems).toEqual([]);
  shapeProblems.length = 0;
});

async function authorize(login: string | null, query: Record<string, string> = {}): Promise<Response> {
  const url = new URL("/login/oauth/authorize", emulator.url);
  url.searchParams.set("client_id", emulator.oauthClient.clientId);
  url.searchParams.set("redirect_uri", CALLBACK);
  url.searchParams.set("state", "s-1");
  if (login) url.searchParams.set("login", login);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return fetch(url, { redirect: "manual" });
}

async function codeFor(login: string): Promise<string> {
  const res = await authorize(login);
  expect(res.status).toBe(302);
  const target = new URL(res.headers.get("location")!);
  expect(target.origin + target.pathname).toBe(CALLBACK);
  expect(target.searchParams.get("state")).toBe("s-1");
  return target.searchParams.get("code")!;
}

async function exchange(fields: Record<string, string>, accept = "application/json"): Promise<Response> {
  return fetch(new URL("/login/oauth/access_token", emulator.url), {
    method: "POST",
    headers: { "content-type": "application/json", accept },
    body: JSON.stringify({ client_id: emulator.oauthClient.clientId, client_secret: "the-client-secret", redirect_uri: CALLBACK, ...fields }),
  });
}

async function tokenFor(login: string): Promise<string> {
  const body = (await (await exchange({ code: await codeFor(login) })).json()) as { access_token: string };
  return body.access_token;
}

const asUser = (token: string) => new Octokit({ baseUrl: emulator.url, auth: token, request: { fetch: schemaCheckedFetch(shapeProblems) }, log: QUIET_LOG });

describe("the OAuth web flow", () => {
  it("redirects to the callback with a code and the state, and exchanges the code once for an 8-hour ghu_ token", async () => {
    const code = await codeFor("alice");
    expect(code).toMatch(/^[0-9a-f]{20}$/);
    const res = await exchange({ code });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "bearer", expires_in: 28800, scope: "" });
    expect(body.access_token).toMatch(/^ghu_[A-Za-z0-9]{36}$/);
    expect(body.refresh_token).toMatch(/^ghr_/);

    const again = (await (await exchange({ code })).json()) as Record<string, unknown>;
    expect(again).toMatchObject({ error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
    expect(again.access_token).toBeUndefined();
  });

  it("answers 200 with an error for wrong client credentials, an unknown code and another redirect_uri", async () => {
    const wrongSecret = await exchange({ code: await codeFor("alice"), client_secret: "nope" });
    expect(wrongSecret.status).toBe(200);
    expect(await wrongSecret.json()).toMatchObject({ error: "incorrect_client_credentials" });
    expect(await (await exchange({ code: "0".repeat(20) })).json()).toMatchObject({ error: "bad_verification_code" });
    expect(await (await exchange({ code: await codeFor("alice"), redirect_uri: "http://127.0.0.1:9/elsewhere" })).json()).toMatchObject({ error: "redirect_uri_mismatch" });
    expect(emulator.violations.splice(0)).toEqual([
      "POST /login/oauth/access_token: client_id or client_secret is not the App's OAuth client",
      `POST /login/oauth/access_token: redirect_uri http://127.0.0.1:9/elsewhere is not the authorize request's ${CALLBACK}`,
    ]);
  });

  it("answers form-encoded unless the request accepts JSON, and renews a token with its refresh token", async () => {
    const res = await exchange({ code: await codeFor("bob") }, "*/*");
    expect(res.headers.get("content-type")).toContain("application/x-www-form-urlencoded");
    const fields = new URLSearchParams(await res.text());
    expect(fields.get("access_token")).toMatch(/^ghu_/);
    const renewed = (await (await exchange({ grant_type: "refresh_token", refresh_token: fields.get("refresh_token")! })).json()) as Record<string, unknown>;
    expect(renewed.access_token).toMatch(/^ghu_/);
    expect((await asUser(String(renewed.access_token)).rest.users.getAuthenticated()).data.login).toBe("bob");
    expect(await (await exchange({ grant_type: "refresh_token", refresh_token: fields.get("refresh_token")! })).json()).toMatchObject({ error: "bad_refresh_token" });
  });

  it("needs the App's client id and a login to know who signs in", async () => {
    expect((await authorize("alice", { client_id: "Iv1.someone-else" })).status).toBe(404);
    const anonymous = await authorize(null);
    expect(anonymous.status).toBe(400);
    expect(await anonymous.text()).toContain("add login=<who signs in>");
    expect(emulator.violations.splice(0)).toHaveLength(2);
  });
});

describe("user endpoints", () => {
  it("names the signed-in person at GET /user", async () => {
    const { data } = await asUser(await tokenFor("alice")).rest.users.getAuthenticated();
    expect(data).toMatchObject({ login: "alice", type: "User" });
  });

  it("lists only the installations a person has explicit access to", async () => {
    const installationsOf = async (login: string) => (await asUser(await tokenFor(login)).rest.apps.listInstallationsForAuthenticatedUser()).data.installations.map((i) => i.id);
    expect(await installationsOf("alice")).toEqual([7, 8]);
    expect(await installationsOf("bob")).toEqual([7]);
    // eve may read acme/site because it is public, but has no explicit access anywhere.
    expect(await installationsOf("eve")).toEqual([]);
  });

  it("lists an installation's repositories the person can access, each with their permissions, and 404s an installation they have none of", async () => {
    const bob = asUser(await tokenFor("bob"));
    const { data } = await bob.rest.apps.listInstallationReposForAuthenticatedUser({ installation_id: 7 });
    expect(data.total_count).toBe(1);
    expect(data.repositories.map((r) => [r.full_name, r.permissions])).toEqual([["acme/secret", { pull: true, triage: false, push: false, maintain: false, admin: false }]]);
    await expect(bob.rest.apps.listInstallationReposForAuthenticatedUser({ installation_id: 8 })).rejects.toMatchObject({ status: 404 });

    const alice = asUser(await tokenFor("alice"));
    const mine = await alice.rest.apps.listInstallationReposForAuthenticatedUser({ installation_id: 7 });
    expect(mine.data.repositories.map((r) => [r.full_name, r.permissions?.admin])).toEqual([
      ["acme/site", true],
      ["acme/secret", true],
    ]);
  });

  it("refuses /user routes without a user token: 401 without credentials, 403 for an installation token", async () => {
    const anonymous = new Octokit({ baseUrl: emulator.url, request: { fetch: schemaCheckedFetch(shapeProblems) }, log: QUIET_LOG });
    await expect(anonymous.rest.users.getAuthenticated()).rejects.toMatchObject({ status: 401 });
    const installation = installationOctokit(emulator.url, keys.privateKey, shapeProblems);
    await expect(installation.rest.apps.listInstallationsForAuthenticatedUser()).rejects.toMatchObject({ status: 403 });
    await expect(asUser("ghu_" + "x".repeat(36)).rest.users.getAuthenticated()).rejects.toMatchObject({ status: 401 });
    expect(emulator.violations.splice(0)).toHaveLength(3);
  });
});

describe("user tokens on repository routes", () => {
  it("read what both the App and the person may read, and 404 a private repository the person cannot see", async () => {
    const bob = asUser(await tokenFor("bob"));
    expect((await bob.rest.repos.get({ owner: "acme", repo: "secret" })).data.full_name).toBe("acme/secret");
    expect((await bob.rest.repos.get({ owner: "acme", repo: "site" })).data.full_name).toBe("acme/site");
    await expect(bob.rest.repos.get({ owner: "other", repo: "thing" })).rejects.toMatchObject({ status: 404 });
    expect(emulator.violations.splice(0)).toEqual(["GET /repos/other/thing: bob has no access to the private repository other/thing"]);
  });

  it("write only where the person's role allows it, and never check runs", async () => {
    const bob = asUser(await tokenFor("bob"));
    await expect(bob.rest.issues.create({ owner: "acme", repo: "secret", title: "hi" })).rejects.toMatchObject({ status: 403 });
    const alice = asUser(await tokenFor("alice"));
    expect((await alice.rest.issues.create({ owner: "acme", repo: "secret", title: "hi" })).status).toBe(201);
    await expect(alice.rest.checks.create({ owner: "acme", repo: "secret", name: "x", head_sha: emulator.headSha("acme/secret") })).rejects.toMatchObject({ status: 403 });
    expect(emulator.violations.splice(0)).toEqual([
      "POST /repos/acme/secret/issues: bob has the read role on acme/secret, which does not allow writing",
      "POST /repos/acme/secret/check-runs: check runs are created and updated with an installation token only",
    ]);
  });
});
