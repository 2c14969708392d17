/**
 * The GitHub emulator authenticates like GitHub: app JWTs verified with a
 * real RSA key pair in GitHub's PKCS#1 format, installation tokens bound to
 * an installation, optionally to some of its repositories and permissions.
 */
import { createPrivateKey, createPublicKey, sign } from "node:crypto";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair } from "../emulator/testing.ts";

const keys = appKeyPair();
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let emulator: Emulator;

/** A JWT signed by hand, to control every claim. */
function jwt(claims: Record<string, unknown>, privateKey = keys.privateKey, alg = "RS256"): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg, typ: "JWT" })}.${encode(claims)}`;
  return `${unsigned}.${sign("RSA-SHA256", Buffer.from(unsigned), createPrivateKey(privateKey)).toString("base64url")}`;
}

const now = () => Math.floor(Date.now() / 1000);

async function getApp(bearer: string): Promise<Response> {
  return fetch(`${emulator.url}/app`, { headers: { authorization: `Bearer ${bearer}` } });
}

async function accessToken(body: Record<string, unknown> = {}, installationId = 7): Promise<Response> {
  return fetch(`${emulator.url}/app/installations/${installationId}/access_tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${jwt({ iat: now() - 30, exp: now() + 540, iss: "1" })}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function tokenFor(body: Record<string, unknown> = {}, installationId = 7): Promise<string> {
  const response = await accessToken(body, installationId);
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

function get(path: string, token?: string): Promise<Response> {
  return fetch(`${emulator.url}${path}`, { headers: token ? { authorization: `token ${token}` } : {} });
}

beforeAll(async () => {
  emulator = await startEmulator({ appPublicKey: keys.publicKey, permissions: { metadata: "read", contents: "read", checks: "write", issues: "write" } });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.addRepo({ fullName: "acme/a", installationId: 7, files: { "a.txt": "a" } });
  emulator.addRepo({ fullName: "acme/b", installationId: 7, files: { "b.txt": "b" } });
  emulator.addRepo({ fullName: "acme/public", installationId: 7, files: { "p.txt": "p" }, private: false });
  emulator.addRepo({ fullName: "other/c", installationId: 9, files: { "c.txt": "c" } });
  emulator.reset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("app JWTs", () => {
  it("accepts a JWT that @octokit/auth-app signs with the app's PKCS#1 private key", async () => {
    const octokit = new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey }, log: quiet });
    const { data } = await octokit.rest.apps.getAuthenticated();
    expect(data?.slug).toBe("repoflow");
    expect(emulator.violations).toEqual([]);
  });

  it("accepts the public key as SPKI too", async () => {
    const spki = createPublicKey(keys.publicKey).export({ type: "spki", format: "pem" }).toString();
    const other = await startEmulator({ appPublicKey: spki });
    try {
      const response = await fetch(`${other.url}/app`, { headers: { authorization: `Bearer ${jwt({ iat: now() - 30, exp: now() + 540, iss: "1" })}` } });
      expect(response.status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it("rejects a JWT signed with another key", async () => {
    const stranger = appKeyPair();
    const response = await getApp(jwt({ iat: now() - 30, exp: now() + 540, iss: "1" }, stranger.privateKey));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ message: "A JSON web token could not be decoded" });
    expect(emulator.violations).toEqual(["GET /app: the JWT signature does not verify with the app's public key (signed with another private key?)"]);
  });

  it("rejects a JWT for another app id", async () => {
    const response = await getApp(jwt({ iat: now() - 30, exp: now() + 540, iss: "2" }));
    expect(response.status).toBe(401);
    expect(emulator.violations[0]).toContain(`the JWT's iss is "2", not the app id "1"`);
  });

  it("rejects an expired JWT", async () => {
    const response = await getApp(jwt({ iat: now() - 700, exp: now() - 100, iss: "1" }));
    expect(response.status).toBe(401);
    expect(emulator.violations[0]).toMatch(/^GET \/app: the JWT expired/);
  });

  it("rejects a JWT that expires more than 10 minutes ahead", async () => {
    const response = await getApp(jwt({ iat: now(), exp: now() + 3600, iss: "1" }));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ message: "'Expiration time' claim ('exp') is too far in the future" });
  });

  it("rejects a JWT issued in the future beyond GitHub's clock-drift allowance", async () => {
    const response = await getApp(jwt({ iat: now() + 300, exp: now() + 500, iss: "1" }));
    expect(response.status).toBe(401);
  });

  it("rejects a JWT that is not RS256", async () => {
    const response = await getApp(jwt({ iat: now() - 30, exp: now() + 540, iss: "1" }, keys.privateKey, "HS256"));
    expect(response.status).toBe(401);
    expect(emulator.violations).toEqual(["GET /app: the JWT is signed with HS256; GitHub accepts only RS256"]);
  });

  it("requires credentials on /app endpoints and refuses an installation token there", async () => {
    expect((await fetch(`${emulator.url}/app`)).status).toBe(401);
    expect((await getApp(await tokenFor())).status).toBe(401);
    expect(emulator.violations).toEqual([
      "GET /app: /app endpoints need `Authorization: Bearer <app JWT>`",
      "GET /app: an installation token was sent to an /app endpoint, which needs the app JWT",
    ]);
  });

  it("checks only the shape and claims when it has no public key", async () => {
    const lenient = await startEmulator();
    try {
      const stranger = appKeyPair();
      const signed = await fetch(`${lenient.url}/app`, { headers: { authorization: `Bearer ${jwt({ iat: now() - 30, exp: now() + 540, iss: "1" }, stranger.privateKey)}` } });
      expect(signed.status).toBe(200);
      const garbage = await fetch(`${lenient.url}/app`, { headers: { authorization: "Bearer not-a-jwt" } });
      expect(garbage.status).toBe(401);
    } finally {
      await lenient.close();
    }
  });
});

describe("installation tokens", () => {
  it("issues a ghs_ token that expires in one hour with the installation's permissions", async () => {
    const response = await accessToken();
    expect(response.status).toBe(201);
    const body = (await response.json()) as { token: string; expires_at: string; permissions: Record<string, string>; repository_selection: string; repositories?: unknown };
    expect(body.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(59 * 60 * 1000);
    expect(Date.parse(body.expires_at) - Date.now()).toBeLessThanOrEqual(60 * 60 * 1000);
    expect(body).toMatchObject({ permissions: { contents: "read", checks: "write" }, repository_selection: "all" });
    expect(body.repositories).toBeUndefined();
  });

  it("refuses a token scoped to repo A on repo B, and serves repo A", async () => {
    const scoped = await accessToken({ repositories: ["a"] });
    const body = (await scoped.json()) as { token: string; repository_selection: string; repositories: { full_name: string }[] };
    expect(body.repository_selection).toBe("selected");
    expect(body.repositories.map((repo) => repo.full_name)).toEqual(["acme/a"]);

    expect((await get("/repos/acme/a", body.token)).status).toBe(200);
    const refused = await get("/repos/acme/b/contents/b.txt", body.token);
    expect(refused.status).toBe(404);
    expect(emulator.violations).toEqual([
      "GET /repos/acme/b/contents/b.txt: the token is scoped to other repositories of installation 7, not acme/b",
    ]);
  });

  it("scopes by repository id as well", async () => {
    const { data } = await new Octokit({ baseUrl: emulator.url, auth: await tokenFor(), log: quiet }).rest.repos.get({ owner: "acme", repo: "b" });
    const token = await tokenFor({ repository_ids: [data.id] });
    expect((await get("/repos/acme/b", token)).status).toBe(200);
    expect((await get("/repos/acme/a", token)).status).toBe(404);
  });

  it("refuses a token of another installation on a private repo with 404", async () => {
    const token = await tokenFor({}, 9);
    const response = await get("/repos/acme/a", token);
    expect(response.status).toBe(404);
    expect(emulator.violations).toEqual(["GET /repos/acme/a: the token belongs to installation 9, but acme/a is in installation 7"]);
  });

  it("lets any token read a public repo but not write to it", async () => {
    const token = await tokenFor({}, 9);
    expect((await get("/repos/acme/public", token)).status).toBe(200);
    const write = await fetch(`${emulator.url}/repos/acme/public/check-runs`, {
      method: "POST",
      headers: { authorization: `token ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "x", head_sha: emulator.headSha("acme/public") }),
    });
    expect(write.status).toBe(403);
    expect(await write.json()).toMatchObject({ message: "Resource not accessible by integration" });
  });

  it("answers 422 for a scope naming a repository the installation does not have", async () => {
    const response = await accessToken({ repositories: ["a", "c"] });
    expect(response.status).toBe(422);
    expect(emulator.violations).toEqual([
      "POST /app/installations/7/access_tokens: repositories c are not in installation 7 (it has a, b, public); pass repository names without the owner, or ids",
    ]);
  });

  it("answers 422 for permissions the installation does not grant", async () => {
    const response = await accessToken({ permissions: { contents: "write" } });
    expect(response.status).toBe(422);
    expect(emulator.violations).toEqual(["POST /app/installations/7/access_tokens: installation 7 does not grant contents:write"]);
  });

  it("refuses an endpoint whose permission the token was narrowed away from", async () => {
    const token = await tokenFor({ permissions: { contents: "read" } });
    const response = await fetch(`${emulator.url}/repos/acme/a/check-runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "x", head_sha: emulator.headSha("acme/a") }),
    });
    expect(response.status).toBe(403);
    expect(emulator.violations).toEqual(["POST /repos/acme/a/check-runs: the token lacks checks:write; request it in the access token's permissions"]);
    expect((await get("/repos/acme/a/contents/a.txt", token)).status).toBe(200);
  });

  it("refuses an expired token with 401", async () => {
    const token = await tokenFor();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 61 * 60 * 1000);
    const response = await get("/repos/acme/a", token);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ message: "Bad credentials" });
    expect(emulator.violations[0]).toMatch(/^GET \/repos\/acme\/a: the installation token expired at /);
  });

  it("refuses a made-up token and an app JWT on repository endpoints", async () => {
    expect((await get("/repos/acme/a", `ghs_${"x".repeat(36)}`)).status).toBe(401);
    expect((await get("/repos/acme/a", jwt({ iat: now() - 30, exp: now() + 540, iss: "1" }))).status).toBe(401);
    expect(emulator.violations).toEqual([
      "GET /repos/acme/a: the token was never issued by this emulator (or reset/restarted since)",
      "GET /repos/acme/a: an app JWT was sent where an installation token is needed; exchange it at POST /app/installations/{installation_id}/access_tokens",
    ]);
  });

  it("refuses an Authorization header in another scheme instead of treating the request as anonymous", async () => {
    const response = await fetch(`${emulator.url}/repos/acme/public`, { headers: { authorization: "Basic b2N0bzpwYXNz" } });
    expect(response.status).toBe(401);
    expect(emulator.violations).toEqual(["GET /repos/acme/public: the Authorization header is neither `token <token>` nor `Bearer <token>`"]);
  });

  it("answers HEAD like GET", async () => {
    const response = await fetch(`${emulator.url}/repos/acme/a`, { method: "HEAD", headers: { authorization: `token ${await tokenFor()}` } });
    expect(response.status).toBe(200);
    expect(emulator.violations).toEqual([]);
  });

  it("hides a private repo from unauthenticated requests and serves a public one", async () => {
    expect((await get("/repos/acme/a")).status).toBe(404);
    const anonymous = await get("/repos/acme/public");
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get("x-ratelimit-limit")).toBe("60");
    expect(emulator.violations).toEqual(["GET /repos/acme/a: no credentials; acme/a is private, so GitHub hides it"]);
  });

  it("lists only the token's repositories on /installation/repositories", async () => {
    const octokit = new Octokit({ baseUrl: emulator.url, auth: await tokenFor({ repositories: ["b"] }), log: quiet });
    const { data } = await octokit.rest.apps.listReposAccessibleToInstallation();
    expect(data.repositories.map((repo) => repo.full_name)).toEqual(["acme/b"]);
    expect(data.repository_selection).toBe("selected");
  });
});
