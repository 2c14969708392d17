/**
 * The authoring SDK's values at run time: what workflow() makes, NonRetryableError,
 * and the GitHub client, whose requests go to api.github.com without any token (the
 * dispatcher's gateway adds it outside the tenant isolate).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createGitHub, isWorkflow, NonRetryableError, workflow } from "../../src/runtime/sdk.ts";

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("workflow()", () => {
  it("returns a frozen definition the host recognises, with the author's fields unchanged", () => {
    const run = async () => "done";
    const made = workflow({ name: "W", on: { push: "*" }, run });
    expect(made).toMatchObject({ name: "W", on: { push: "*" }, run });
    expect(Object.isFrozen(made)).toBe(true);
    expect(isWorkflow(made)).toBe(true);
  });

  it("is the only way to make a workflow: a look-alike object is not one", () => {
    expect(isWorkflow({ name: "W", on: { push: "*" }, run: () => undefined })).toBe(false);
    expect(isWorkflow(null)).toBe(false);
    expect(isWorkflow("workflow")).toBe(false);
  });
});

describe("NonRetryableError", () => {
  it("is an Error named NonRetryableError, the name the dispatcher looks for", () => {
    const error = new NonRetryableError("give up");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("NonRetryableError");
    expect(error.message).toBe("give up");
  });
});

describe("createGitHub", () => {
  function recordRequests(status: number, body: unknown): Request[] {
    const requests: Request[] = [];
    vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push(new Request(input, init));
      return Response.json(body, { status });
    });
    return requests;
  }

  it("sends REST calls to api.github.com with no authorization header", async () => {
    const requests = recordRequests(200, { number: 1, title: "hi" });
    const { data } = await createGitHub("run-1").rest.issues.get({ owner: "octo-org", repo: "demo", issue_number: 1 });
    expect(data).toEqual({ number: 1, title: "hi" });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe("https://api.github.com/repos/octo-org/demo/issues/1");
    expect(requests[0]!.headers.get("authorization")).toBeNull();
    expect(requests[0]!.headers.get("user-agent")).toMatch(/^repoflow-workflow /);
  });

  it("gives each run its own limiter: one run's write does not wait out another run's write spacing", async () => {
    // plugin-throttling spaces writes that notify (comments) 3 s apart per limiter. Virtual time makes the
    // spacing observable without a timed assertion: 100 virtual ms after two comments from two runs, both
    // requests must have been sent.
    vi.useFakeTimers();
    try {
      const calls: string[] = [];
      vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
        calls.push(new Request(input, init).url);
        return Response.json({ id: calls.length }, { status: 201 });
      });
      const comment = (runId: string, issue: number) =>
        createGitHub(runId).rest.issues.createComment({ owner: "octo-org", repo: "demo", issue_number: issue, body: "hello" });
      const both = Promise.all([comment("run-a", 1), comment("run-b", 2)]);
      await vi.advanceTimersByTimeAsync(100);
      expect(calls.map((url) => new URL(url).pathname).sort()).toEqual(["/repos/octo-org/demo/issues/1/comments", "/repos/octo-org/demo/issues/2/comments"]);
      await vi.advanceTimersByTimeAsync(10_000);
      await both;
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not retry a 404: the step's own retries decide", async () => {
    const requests = recordRequests(404, { message: "Not Found" });
    await expect(createGitHub("run-1").rest.issues.get({ owner: "octo-org", repo: "demo", issue_number: 9 })).rejects.toMatchObject({ status: 404 });
    expect(requests).toHaveLength(1);
  });
});
