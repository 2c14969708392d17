import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../emulator/index.ts";
import type { Emulator } from "../emulator/types.ts";
import {
  AppCredentialsRejectedError,
  createGitHubClient,
  getInstallationToken,
  GitHubRateLimitError,
  GitHubUnavailableError,
  InstallationGoneError,
  InstallationSuspendedError,
  InstallationTokenCache,
  MissingAppCredentialsError,
  RepositoryNotInstalledError,
  PermissionsNotGrantedError,
  type GitHubClientParams,
  type GitHubConfig,
} from "../../src/github";
import { generateAppKeys, type TestAppKeys } from "./github-keys.ts";

let keys: TestAppKeys;
let emulator: Emulator;
let config: GitHubConfig;

beforeAll(async () => {
  keys = await generateAppKeys();
  emulator = await startEmulator({ port: 0, appId: "1", appPublicKey: keys.publicKey });
  emulator.addRepo({ fullName: "octo/alpha", installationId: 11, files: { "README.md": "alpha" } });
  emulator.addRepo({ fullName: "octo/beta", installationId: 11, files: { "README.md": "beta" } });
  emulator.addRepo({ fullName: "elsewhere/gamma", installationId: 22, files: { "README.md": "gamma" } });
  config = { appId: "1", privateKey: keys.pkcs1, githubApiUrl: emulator.url };
}, 30_000);

afterEach(() => {
  const violations = [...emulator.violations];
  emulator.reset();
  expect(violations).toEqual([]);
});

afterAll(async () => {
  await emulator?.close();
});

const alpha = { type: "installation", installationId: 11, repository: "octo/alpha" } as const;
const tokenRequests = () => emulator.requests.filter((r) => r.method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(r.path));
const client = (params: Partial<GitHubClientParams> = {}, overrides: Partial<GitHubConfig> = {}) =>
  createGitHubClient({ ...config, ...overrides }, { as: alpha, tokens: new InstallationTokenCache(), retryUnitMs: 10, ...params });

describe("GitHub App authentication", () => {
  it.each(["pkcs1", "pkcs8"] as const)("mints an installation token with a JWT signed by a %s key and calls the API with it", async (format) => {
    const octokit = client({}, { privateKey: keys[format] });
    const { data } = await octokit.rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(data.full_name).toBe("octo/alpha");
    expect(tokenRequests()).toHaveLength(1);
    expect(tokenRequests()[0]).toMatchObject({ path: "/app/installations/11/access_tokens", status: 201, body: { repositories: ["alpha"] } });
    expect(tokenRequests()[0]!.headers.authorization).toMatch(/^bearer /);
    expect(emulator.requests.at(-1)).toMatchObject({ method: "GET", path: "/repos/octo/alpha", status: 200 });
    expect(emulator.requests.at(-1)!.headers.authorization).toMatch(/^token ghs_/);
  });

  it("reuses the cached token: two calls make one token request", async () => {
    const tokens = new InstallationTokenCache();
    await client({ tokens }).rest.repos.get({ owner: "octo", repo: "alpha" });
    await client({ tokens }).rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(tokenRequests()).toHaveLength(1);
    expect(emulator.requests.filter((r) => r.path === "/repos/octo/alpha")).toHaveLength(2);
  });

  it("shares one token request between concurrent calls", async () => {
    const octokit = client();
    await Promise.all([1, 2, 3].map(() => octokit.rest.repos.get({ owner: "octo", repo: "alpha" })));
    expect(tokenRequests()).toHaveLength(1);
  });

  it("keeps a cached token until 5 minutes before it expires, then mints a new one", async () => {
    const tokens = new InstallationTokenCache();
    const start = Date.now();
    let now = start;
    const octokit = client({ tokens, now: () => now });
    await octokit.rest.repos.get({ owner: "octo", repo: "alpha" });
    now = start + 54 * 60_000; // GitHub's tokens live an hour: 6 minutes left
    await octokit.rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(tokenRequests()).toHaveLength(1);
    now = start + 56 * 60_000; // 4 minutes left
    await octokit.rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(tokenRequests()).toHaveLength(2);
    const [first, second] = emulator.requests.filter((r) => r.path === "/repos/octo/alpha").map((r) => r.headers.authorization);
    expect(emulator.requests.filter((r) => r.path === "/repos/octo/alpha").at(-1)!.headers.authorization).not.toBe(first);
    expect(second).toBe(first);
  });

  it("scopes each token to one repository: the token for alpha is refused on beta", async () => {
    const tokens = new InstallationTokenCache();
    const token = await getInstallationToken(config, { installationId: 11, repository: "octo/alpha" }, { tokens });
    const onBeta = await fetch(`${emulator.url}/repos/octo/beta`, { headers: { authorization: `token ${token.reveal()}`, "user-agent": "repoflow-test", accept: "application/vnd.github+json" } });
    expect(onBeta.status).toBe(404);
    const onAlpha = await fetch(`${emulator.url}/repos/octo/alpha`, { headers: { authorization: `token ${token.reveal()}`, "user-agent": "repoflow-test", accept: "application/vnd.github+json" } });
    expect(onAlpha.status).toBe(200);
    await client({ tokens, as: { type: "installation", installationId: 11, repository: "octo/beta" } }).rest.repos.get({ owner: "octo", repo: "beta" });
    expect(tokenRequests().map((r) => r.body)).toEqual([{ repositories: ["alpha"] }, { repositories: ["beta"] }]);
    expect(emulator.violations).toEqual(["GET /repos/octo/beta: the token is scoped to other repositories of installation 11, not octo/beta"]);
    emulator.reset();
  });

  it("never exposes the token through JSON, structured clone or string conversion", async () => {
    const token = await getInstallationToken(config, { installationId: 11, repository: "octo/alpha" }, { tokens: new InstallationTokenCache() });
    const secret = token.reveal();
    expect(secret).toMatch(/^ghs_/);
    expect(JSON.stringify({ token })).not.toContain(secret);
    expect(JSON.stringify(structuredClone(token))).not.toContain(secret);
    expect(String(token)).not.toContain(secret);
    expect(`${token}`).toBe("[repoflow installation token]");
    expect(JSON.parse(JSON.stringify(token))).toEqual({ installationId: 11, repository: "octo/alpha", expiresAt: token.expiresAt });
  });

  it("names an installation that no longer exists", async () => {
    const octokit = client({ as: { type: "installation", installationId: 999, repository: "octo/alpha" } });
    await expect(octokit.rest.repos.get({ owner: "octo", repo: "alpha" })).rejects.toThrow(InstallationGoneError);
  });

  it("names a suspended installation", async () => {
    emulator.failNext(
      { method: "POST", path: "/app/installations/11/access_tokens" },
      { status: 403, body: { message: "This installation has been suspended", documentation_url: "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app" } },
    );
    const failure = client().rest.repos.get({ owner: "octo", repo: "alpha" });
    await expect(failure).rejects.toThrow(InstallationSuspendedError);
    await expect(failure).rejects.toThrow(/^repoflow: installation 11 is suspended\. Unsuspend/);
  });

  it("names a repository the installation does not hold", async () => {
    const octokit = client({ as: { type: "installation", installationId: 11, repository: "elsewhere/gamma" } });
    const failure = octokit.rest.repos.get({ owner: "elsewhere", repo: "gamma" });
    await expect(failure).rejects.toThrow(RepositoryNotInstalledError);
    await expect(failure).rejects.toThrow(/elsewhere\/gamma is not accessible to installation 11/);
    expect(emulator.violations).toEqual([expect.stringMatching(/^POST \/app\/installations\/11\/access_tokens: repositories gamma are not in installation 11/)]);
    emulator.reset();
  });

  it("mints one token per permission set, asking GitHub for exactly that set, and GitHub refuses beyond it (invariant 11)", async () => {
    const tokens = new InstallationTokenCache();
    const reader = client({ tokens, as: { ...alpha, permissions: { contents: "read", metadata: "read" } } });
    const writer = client({ tokens, as: { ...alpha, permissions: { issues: "write", metadata: "read" } } });
    await reader.rest.repos.get({ owner: "octo", repo: "alpha" });
    await reader.rest.repos.get({ owner: "octo", repo: "alpha" });
    await writer.rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(tokenRequests().map((r) => r.body)).toEqual([
      { repositories: ["alpha"], permissions: { contents: "read", metadata: "read" } },
      { repositories: ["alpha"], permissions: { issues: "write", metadata: "read" } },
    ]);
    await expect(reader.rest.issues.createComment({ owner: "octo", repo: "alpha", issue_number: 1, body: "x" })).rejects.toMatchObject({ status: 403 });
    emulator.reset();
  });

  it("names permissions the installation does not grant", async () => {
    const octokit = client({ as: { ...alpha, permissions: { administration: "write" } } });
    const failure = octokit.rest.repos.get({ owner: "octo", repo: "alpha" });
    await expect(failure).rejects.toThrow(PermissionsNotGrantedError);
    await expect(failure).rejects.toThrow(/^repoflow: installation 11 does not grant all the permissions this workflow declares on octo\/alpha \(administration: write;/);
    emulator.reset();
  });

  it("names a private key that belongs to another App", async () => {
    const other = await generateAppKeys();
    await expect(client({}, { privateKey: other.pkcs1 }).rest.repos.get({ owner: "octo", repo: "alpha" })).rejects.toThrow(AppCredentialsRejectedError);
    expect(emulator.violations).toEqual([expect.stringMatching(/JWT signature does not verify with the app's public key/)]);
    emulator.reset();
  });

  it("names missing App credentials before any request", () => {
    expect(() => client({}, { privateKey: undefined })).toThrow(MissingAppCredentialsError);
    expect(() => client({}, { privateKey: undefined })).toThrow(/PRIVATE_KEY is not set/);
    expect(emulator.requests).toEqual([]);
  });

  it("drops a token GitHub answers 401 to, and mints a fresh one for the next call", async () => {
    const tokens = new InstallationTokenCache();
    const octokit = client({ tokens });
    await octokit.rest.repos.get({ owner: "octo", repo: "alpha" });
    emulator.failNext({ method: "GET", path: "/repos/octo/alpha" }, { status: 401, body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" } });
    await expect(octokit.rest.repos.get({ owner: "octo", repo: "alpha" })).rejects.toMatchObject({ status: 401 });
    await octokit.rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(tokenRequests()).toHaveLength(2);
  });

  it("calls /app endpoints as the App with a JWT", async () => {
    const app = createGitHubClient(config, { as: { type: "app" } });
    const { data } = await app.rest.apps.getAuthenticated();
    expect(data?.id).toBe(1);
    expect(emulator.requests.at(-1)!.headers.authorization).toMatch(/^bearer /);
  });
});

describe("GitHub client behaviour", () => {
  it("sends the delivery id and repoflow's user agent on every request, the token request included", async () => {
    await client({ deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958" }).rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(emulator.requests).toHaveLength(2);
    for (const request of emulator.requests) {
      expect(request.headers["x-github-delivery"]).toBe("72d3162e-cc78-11e3-81ab-4c9367dc0958");
      expect(request.headers["user-agent"]).toMatch(/^repoflow /);
    }
  });

  it("uses githubApiUrl as the base URL", async () => {
    const seen: string[] = [];
    const octokit = client({ fetch: (input, init) => (seen.push(new Request(input, init).url), fetch(input, init)) });
    await octokit.rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(seen.every((url) => url.startsWith(`${emulator.url}/`))).toBe(true);
  });

  it("retries a 502 and succeeds", async () => {
    emulator.failNext({ method: "GET", path: "/repos/octo/alpha" }, { status: 502, body: { message: "Server Error" } });
    const { data } = await client().rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(data.full_name).toBe("octo/alpha");
    expect(emulator.requests.filter((r) => r.path === "/repos/octo/alpha").map((r) => r.status)).toEqual([502, 200]);
  });

  it("waits for retry-after on a 429 secondary rate limit, then succeeds", async () => {
    emulator.failNext(
      { method: "GET", path: "/repos/octo/alpha" },
      { status: 429, headers: { "retry-after": "1" }, body: { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" } },
    );
    const octokit = client({ retryUnitMs: 1000 });
    const started = Date.now();
    const { data } = await octokit.rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(data.full_name).toBe("octo/alpha");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(emulator.requests.filter((r) => r.path === "/repos/octo/alpha").map((r) => r.status)).toEqual([429, 200]);
  });

  it("waits for x-ratelimit-reset on a 403 primary rate limit, then succeeds", async () => {
    const reset = Math.floor(Date.now() / 1000) + 1;
    emulator.failNext(
      { method: "GET", path: "/repos/octo/alpha" },
      { status: 403, headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) }, body: { message: "API rate limit exceeded for installation ID 11.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" } },
    );
    const { data } = await client().rest.repos.get({ owner: "octo", repo: "alpha" });
    expect(data.full_name).toBe("octo/alpha");
    expect(emulator.requests.filter((r) => r.path === "/repos/octo/alpha").map((r) => r.status)).toEqual([403, 200]);
  });

  it("surfaces a rate limit that lifts later than a step should wait as GitHubRateLimitError, without waiting", async () => {
    emulator.failNext(
      { method: "GET", path: "/repos/octo/alpha" },
      { status: 429, headers: { "retry-after": "3600" }, body: { message: "You have exceeded a secondary rate limit.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" } },
    );
    const failure = client({ retryUnitMs: 1000 }).rest.repos.get({ owner: "octo", repo: "alpha" });
    await expect(failure).rejects.toThrow(GitHubRateLimitError);
    await expect(failure).rejects.toMatchObject({ retryAfterSeconds: 3600 });
    expect(emulator.requests.filter((r) => r.path === "/repos/octo/alpha")).toHaveLength(1);
  });

  it("stops retrying a rate limit that persists after two waits", async () => {
    emulator.failNext(
      { method: "GET", path: "/repos/octo/alpha" },
      { status: 429, headers: { "retry-after": "1" }, body: { message: "You have exceeded a secondary rate limit.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api" } },
      3,
    );
    await expect(client().rest.repos.get({ owner: "octo", repo: "alpha" })).rejects.toThrow(GitHubRateLimitError);
    expect(emulator.requests.filter((r) => r.path === "/repos/octo/alpha")).toHaveLength(3);
  });

  it("gives up on a persistent 500 after four attempts with a clear error", async () => {
    emulator.failNext({ method: "GET", path: "/repos/octo/alpha" }, { status: 500, body: { message: "Server Error" } }, 4);
    const failure = client().rest.repos.get({ owner: "octo", repo: "alpha" });
    await expect(failure).rejects.toThrow(GitHubUnavailableError);
    await expect(failure).rejects.toThrow(/^repoflow: GitHub answered 500 to GET \/repos\/octo\/alpha on all 4 attempts\./);
    expect(emulator.requests.filter((r) => r.path === "/repos/octo/alpha")).toHaveLength(4);
  });

  it("does not retry a 404", async () => {
    await expect(client().rest.repos.get({ owner: "octo", repo: "missing" })).rejects.toMatchObject({ status: 404 });
    expect(emulator.requests.filter((r) => r.path === "/repos/octo/missing")).toHaveLength(1);
  });
});
