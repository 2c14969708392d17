import { describe, expect, it } from "vitest";
import { forwardToGitHub, refuse } from "../../src/dispatch/gateway";

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
    ["app-level endpoints", "https://api.github.com/app/installations"],
    ["GraphQL", "https://api.github.com/graphql"],
  ])("blocks %s with a 403 and never calls out", async (_label, url) => {
    const calls: Request[] = [];
    const res = await forwardToGitHub(new Request(url), target(calls));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/^repoflow: workflows may only call/);
    expect(calls).toHaveLength(0);
  });

  it("matches the repository case-insensitively, as GitHub does", () => {
    expect(refuse(new URL("https://api.github.com/repos/Octo/Hello/pulls/1"), "GET", "octo/hello")).toBeNull();
  });
});
