/**
 * The authoring SDK's values at run time: what workflow() makes, NonRetryableError,
 * and the GitHub client, whose requests go to api.github.com without any token (the
 * dispatcher's gateway adds it outside the tenant isolate).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createGitHub, isWorkflow, NonRetryableError, upsertComment, workflow } from "../../src/runtime/sdk.ts";
import { startEmulator } from "../emulator/index.ts";
import { getInstallationToken, InstallationTokenCache } from "../../src/github";
import { generateAppKeys } from "./github-keys.ts";

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

describe("upsertComment", () => {
  it("posts once per marker and edits that comment on a repeat, as a step re-executed after a crash does", async () => {
    const keys = await generateAppKeys();
    const emulator = await startEmulator({ port: 0, appId: "1", appPublicKey: keys.publicKey });
    try {
      emulator.addRepo({ fullName: "octo-org/upsert", installationId: 3, files: { "README.md": "hi" } });
      emulator.openIssue("octo-org/upsert", { number: 1, title: "An issue", user: "octocat" });
      // A person quoting the marker is never edited.
      emulator.comment("octo-org/upsert", 1, "see <!-- repoflow:nudge -->", { user: "octocat" });
      const token = await getInstallationToken(
        { appId: "1", privateKey: keys.pkcs8, githubApiUrl: emulator.url },
        { installationId: 3, repository: "octo-org/upsert" },
        { tokens: new InstallationTokenCache() },
      );
      // The tenant's client carries no token and names api.github.com; the dispatcher's gateway adds the
      // token and sends it on. Here a fetch stub plays the gateway, toward the emulator.
      const realFetch = globalThis.fetch;
      vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init);
        const url = new URL(request.url);
        const headers = new Headers(request.headers);
        headers.set("authorization", `token ${token.reveal()}`);
        const body = request.method === "GET" ? undefined : await request.text();
        return realFetch(`${emulator.url}${url.pathname}${url.search}`, { method: request.method, headers, ...(body === undefined ? {} : { body }) });
      });
      const github = createGitHub("run-upsert");
      const params = { owner: "octo-org", repo: "upsert", issue_number: 1, marker: "nudge" };
      const first = await upsertComment(github, { ...params, body: "Friendly nudge" });
      const again = await upsertComment(github, { ...params, body: "Friendly nudge, again" });
      expect(first.created).toBe(true);
      expect(again).toEqual({ id: first.id, created: false });
      expect(emulator.comments("octo-org/upsert", 1).map((c) => [c.user, c.body])).toEqual([
        ["octocat", "see <!-- repoflow:nudge -->"],
        ["repoflow[bot]", "Friendly nudge, again\n\n<!-- repoflow:nudge -->"],
      ]);
      await expect(upsertComment(github, { ...params, marker: "no spaces", body: "x" })).rejects.toMatchObject({ name: "MarkerError" });
      expect(emulator.violations).toEqual([]);
    } finally {
      vi.unstubAllGlobals();
      await emulator.close();
    }
  });
});
