import { describe, expect, it } from "vitest";
import { forwardToGitHub, graphqlUrl, refuse } from "../../src/dispatch/gateway";
import { PermissionsNotGrantedError } from "../../src/github/errors";

const target = (calls: Request[]) => ({
  repository: "octo/hello",
  apiUrl: "http://127.0.0.1:1234",
  token: async () => "ghs_secret",
  fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push(new Request(input, init));
    return Response.json({ ok: true });
  }) as typeof fetch,
});

describe("GitHub gateway", () => {
  it("forwards the run's own repository to the configured API with the installation token", async () => {
    const calls: Request[] = [];
    const res = await forwardToGitHub(
      new Request("https://api.github.com/repos/octo/hello/issues/1/comments?per_page=5", {
        method: "POST",
        headers: { authorization: "token stolen", "content-type": "application/json", cookie: "x=1" },
        body: JSON.stringify({ body: "hi" }),
      }),
      target(calls),
    );
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe("http://127.0.0.1:1234/repos/octo/hello/issues/1/comments?per_page=5");
    expect(calls[0]!.headers.get("authorization")).toBe("token ghs_secret");
    expect(calls[0]!.headers.get("cookie")).toBeNull();
    expect(await calls[0]!.json()).toEqual({ body: "hi" });
  });

  it.each([
    ["another host", "https://example.com/"],
    ["another repository", "https://api.github.com/repos/octo/other/issues"],
    ["a repository whose name extends ours", "https://api.github.com/repos/octo/hello-private/contents/x"],
    ["a path escaping the repository", "https://api.github.com/repos/octo/hello/../other/issues"],
    ["an encoded escape", "https://api.github.com/repos/octo/hello/%2e%2e/other"],
    ["an encoded slash and escape", "https://api.github.com/repos/octo/hello/contents%2F..%2F..%2Fother"],
    ["app-level endpoints", "https://api.github.com/app/installations"],
  ])("blocks %s with a 403 and never calls out", async (_label, url) => {
    const calls: Request[] = [];
    const res = await forwardToGitHub(new Request(url), target(calls));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/^repoflow: workflows may only call/);
    expect(calls).toHaveLength(0);
  });

  it("lets a compare of base...head through: three dots inside a segment climb nowhere", () => {
    expect(refuse(new URL("https://api.github.com/repos/octo/hello/compare/main...release%2F1.x"), "GET", "octo/hello")).toBeNull();
  });

  it("matches the repository case-insensitively, as GitHub does", () => {
    expect(refuse(new URL("https://api.github.com/repos/Octo/Hello/pulls/1"), "GET", "octo/hello")).toBeNull();
  });
});

describe("GitHub gateway hardening", () => {
  const answering = (calls: Request[], response: () => Response, apiUrl = "http://127.0.0.1:1234") => ({
    ...target(calls),
    apiUrl,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push(new Request(input, init));
      return response();
    }) as typeof fetch,
  });

  it("answers a malformed percent-encoding with 403 instead of throwing", async () => {
    const calls: Request[] = [];
    const res = await forwardToGitHub(new Request("https://api.github.com/repos/octo/hello/issues/%E0%A4%A"), target(calls));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/^repoflow: workflows may only call the GitHub API with well-formed paths/);
    expect(calls).toHaveLength(0);
  });

  it("does not follow redirects itself, and refuses one that leaves the API", async () => {
    const calls: Request[] = [];
    const res = await forwardToGitHub(
      new Request("https://api.github.com/repos/octo/hello/tarball/main"),
      answering(calls, () => new Response(null, { status: 302, headers: { location: "https://codeload.example.com/octo/hello/tar.gz/main" } })),
    );
    expect(calls[0]!.redirect).toBe("manual");
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/redirected .* away from the GitHub API/);
  });

  it("hands back a redirect within the API addressed to the gateway, so the tenant's retry passes the same checks", async () => {
    const calls: Request[] = [];
    const res = await forwardToGitHub(
      new Request("https://api.github.com/repos/octo/hello/issues/1"),
      answering(calls, () => new Response(null, { status: 301, headers: { location: "http://127.0.0.1:1234/repositories/42/issues/1" } })),
    );
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("https://api.github.com/repositories/42/issues/1");
  });

  it("rewrites Link headers to the tenant's origin, so github.paginate asks for page 2 through the gateway (GHES base path too)", async () => {
    const calls: Request[] = [];
    const link = '<https://ghe.example/api/v3/repos/octo/hello/labels?per_page=100&page=2>; rel="next", <https://ghe.example/api/v3/repos/octo/hello/labels?per_page=100&page=3>; rel="last"';
    const res = await forwardToGitHub(
      new Request("https://api.github.com/repos/octo/hello/labels?per_page=100"),
      answering(calls, () => Response.json([], { headers: { link } }), "https://ghe.example/api/v3"),
    );
    expect(calls[0]!.url).toBe("https://ghe.example/api/v3/repos/octo/hello/labels?per_page=100");
    expect(res.headers.get("link")).toBe(
      '<https://api.github.com/repos/octo/hello/labels?per_page=100&page=2>; rel="next", <https://api.github.com/repos/octo/hello/labels?per_page=100&page=3>; rel="last"',
    );
  });

  it("passes POST /graphql to GitHub's GraphQL endpoint (GHES's /api/graphql too), and only POST", async () => {
    const calls: Request[] = [];
    const query = JSON.stringify({ query: "{ repository(owner: \"octo\", name: \"hello\") { id } }" });
    const scoped = { ...target(calls), permissions: { pull_requests: "read" as const, metadata: "read" as const } };
    expect((await forwardToGitHub(new Request("https://api.github.com/graphql", { method: "POST", body: query }), scoped)).status).toBe(200);
    expect(calls[0]!.url).toBe("http://127.0.0.1:1234/graphql");
    expect(calls[0]!.headers.get("authorization")).toBe("token ghs_secret");
    expect(graphqlUrl("https://ghe.example.com/api/v3")).toBe("https://ghe.example.com/api/graphql");
    expect(graphqlUrl("https://api.github.com")).toBe("https://api.github.com/graphql");
    const get = await forwardToGitHub(new Request("https://api.github.com/graphql"), scoped);
    expect(get.status).toBe(403);
    expect(calls).toHaveLength(1);
  });

  it.each(["POST /repos/octo/hello/check-runs", "PATCH /repos/octo/hello/check-runs/7", "POST /repos/octo/hello/check-suites/3/rerequest", "PATCH /repos/OCTO/Hello/check-runs/7"])(
    "refuses %s: check runs are repoflow's own (invariant 11)",
    async (line) => {
      const [method, path] = line.split(" ") as [string, string];
      const calls: Request[] = [];
      const res = await forwardToGitHub(new Request(`https://api.github.com${path}`, { method, body: "{}" }), target(calls));
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toMatch(/check runs and suites are repoflow's own/);
      expect(calls).toHaveLength(0);
    },
  );

  it("lets a workflow read check runs", () => {
    expect(refuse(new URL("https://api.github.com/repos/octo/hello/commits/abc/check-runs"), "GET", "octo/hello")).toBeNull();
  });

  it("gives the control entrypoint (if, lane keys) no egress at all", async () => {
    const calls: Request[] = [];
    const res = await forwardToGitHub(new Request("https://api.github.com/repos/octo/hello"), { ...target(calls), permissions: null });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/only inside run\(\)/);
    expect(calls).toHaveLength(0);
  });

  it("explains GitHub's 403 'not accessible by integration' with the token's permissions, and leaves a rate limit's 403 alone", async () => {
    const answering = (body: unknown) => ({
      ...target([]),
      permissions: { issues: "write" as const, metadata: "read" as const },
      fetch: (async () => Response.json(body, { status: 403 })) as typeof fetch,
    });
    const refused = await forwardToGitHub(new Request("https://api.github.com/repos/octo/hello/pulls/1/merge", { method: "PUT", body: "{}" }), answering({ message: "Resource not accessible by integration" }));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toBe(
      'Resource not accessible by integration (PUT /repos/octo/hello/pulls/1/merge): this workflow\'s token holds only issues: write, metadata: read. Declare what the request needs in workflow({ permissions }), e.g. { pull_requests: "write" }; see docs/authors.md#permissions.',
    );
    const limited = await forwardToGitHub(new Request("https://api.github.com/repos/octo/hello"), answering({ message: "API rate limit exceeded for installation ID 7." }));
    expect(((await limited.json()) as { message: string }).message).toBe("API rate limit exceeded for installation ID 7.");
  });

  it("answers 403 with the fix when the installation does not grant the declared permissions", async () => {
    const calls: Request[] = [];
    const res = await forwardToGitHub(new Request("https://api.github.com/repos/octo/hello/issues/1/labels", { method: "POST", body: "{}" }), {
      ...target(calls),
      permissions: { administration: "write" },
      token: async () => {
        throw new PermissionsNotGrantedError(7, "octo/hello", { administration: "write" }, "The permissions requested are not granted to this installation.");
      },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/^repoflow: installation 7 does not grant all the permissions this workflow declares on octo\/hello \(administration: write;/);
    expect(calls).toHaveLength(0);
  });

  it("refuses an empty path segment, which would slip past the repository and check-run rules, but not a trailing slash", () => {
    expect(refuse(new URL("https://api.github.com/repos/octo/hello//check-runs/1"), "PATCH", "octo/hello")).toMatch(/own repository/);
    expect(refuse(new URL("https://api.github.com/repos/octo/hello/contents/"), "GET", "octo/hello")).toBeNull();
  });

  it("passes GraphQL only for a run whose token is scoped to declared permissions", async () => {
    const calls: Request[] = [];
    const legacy = { ...target(calls) };
    const res = await forwardToGitHub(new Request("https://api.github.com/graphql", { method: "POST", body: "{}" }), legacy);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/GraphQL needs a token scoped to declared permissions/);
    expect(calls).toHaveLength(0);
  });
});
