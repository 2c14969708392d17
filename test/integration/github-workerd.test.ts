import { createAppAuth } from "@octokit/auth-app";
import { describe, expect, it } from "vitest";
import { createAppJwt, createGitHubClient, InstallationTokenCache } from "../../src/github";
import { generateAppKeys, verifyJwt } from "../unit/github-keys.ts";

// Inside workerd: no node:crypto fallback, only crypto.subtle and fetch.
describe("GitHub App auth inside workerd", () => {
  it("signs an app JWT from GitHub's PKCS#1 PEM that verifies with the App's public key", async () => {
    const keys = await generateAppKeys();
    const now = Date.UTC(2026, 10, 25, 12, 0, 0);
    const { token } = await createAppJwt("4242", keys.pkcs1, now);
    const { header, claims } = await verifyJwt(token, keys.verifyKey);
    expect(header).toEqual({ alg: "RS256", typ: "JWT" });
    expect(claims).toEqual({ iss: "4242", iat: now / 1000 - 60, exp: now / 1000 + 540 });
  });

  it("@octokit/auth-app refuses a PKCS#1 key here, which is why jwt.ts wraps PKCS#1 itself", async () => {
    const keys = await generateAppKeys();
    await expect(createAppAuth({ appId: 1, privateKey: keys.pkcs1 })({ type: "app" })).rejects.toThrow(/PKCS#1 format, but only PKCS#8 is supported/);
  });

  it("builds the Octokit client and calls GitHub as an installation through a mocked fetch", async () => {
    const keys = await generateAppKeys();
    const seen: { method: string; url: string; headers: Headers; body: string }[] = [];
    const fetchMock: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      seen.push({ method: request.method, url: request.url, headers: request.headers, body: await request.text() });
      const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "x-ratelimit-remaining": "4999" } });
      if (request.method === "POST") return json(201, { token: "ghs_workerdtoken", expires_at: "2099-01-01T00:00:00Z", permissions: {}, repository_selection: "selected" });
      return json(200, { full_name: "octo/widgets", default_branch: "main" });
    };
    const octokit = createGitHubClient(
      { appId: "4242", privateKey: keys.pkcs1, githubApiUrl: "https://github.example/api/v3" },
      { as: { type: "installation", installationId: 7, repository: "octo/widgets" }, deliveryId: "delivery-123", fetch: fetchMock, tokens: new InstallationTokenCache() },
    );

    const { data } = await octokit.rest.repos.get({ owner: "octo", repo: "widgets" });

    expect(data.default_branch).toBe("main");
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST https://github.example/api/v3/app/installations/7/access_tokens",
      "GET https://github.example/api/v3/repos/octo/widgets",
    ]);
    const [mint, call] = seen;
    expect(JSON.parse(mint!.body)).toEqual({ repositories: ["widgets"] });
    expect(mint!.headers.get("authorization")).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(call!.headers.get("authorization")).toBe("token ghs_workerdtoken");
    for (const request of seen) {
      expect(request.headers.get("x-github-delivery")).toBe("delivery-123");
      expect(request.headers.get("user-agent")).toMatch(/^repoflow /);
    }
  });
});
