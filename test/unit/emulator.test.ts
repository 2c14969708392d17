/**
 * The GitHub emulator's contract checks and endpoint semantics, driven over
 * HTTP by a real @octokit/rest client (and raw fetch where a client would
 * hide the response), with every JSON response checked against GitHub's
 * OpenAPI description.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readManifest, startEmulator, type Emulator } from "../emulator/index.ts";
import { checkRunProblems } from "../emulator/limits.ts";
import { appKeyPair, schemaCheckedFetch } from "../emulator/testing.ts";

const REPO = { owner: "acme", repo: "widgets" };
const FULL = "acme/widgets";
const INSTALLATION = 7;
const keys = appKeyPair();

let emulator: Emulator;
let octokit: Octokit;
let head: string;
const shapeProblems: string[] = [];

function installationClient(installationId = INSTALLATION): Octokit {
  return new Octokit({
    baseUrl: emulator.url,
    authStrategy: createAppAuth,
    auth: { appId: 1, privateKey: keys.privateKey, installationId },
    request: { fetch: schemaCheckedFetch(shapeProblems) },
    log: quiet,
  });
}

// Octokit logs every non-2xx response; these tests provoke them on purpose.
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** An installation token for raw requests. */
async function token(body: Record<string, unknown> = {}): Promise<string> {
  const auth = createAppAuth({ appId: 1, privateKey: keys.privateKey });
  const { token: jwt } = await auth({ type: "app" });
  const response = await fetch(`${emulator.url}/app/installations/${INSTALLATION}/access_tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

async function raw(method: string, path: string, body?: unknown, bearer?: string): Promise<Response> {
  const headers: Record<string, string> = { authorization: `token ${bearer ?? (await token())}`, accept: "application/vnd.github+json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(`${emulator.url}${path}`, { method, headers, body: body === undefined ? null : typeof body === "string" ? body : JSON.stringify(body) });
}

beforeAll(async () => {
  // The merge tests need contents: write, more than app.yml asks for (the default grant).
  emulator = await startEmulator({ appPublicKey: keys.publicKey, permissions: { ...readManifest().permissions, contents: "write" } });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  head = emulator.addRepo({ fullName: FULL, installationId: INSTALLATION, files: { "README.md": "# widgets\n", ".workflows/hello.ts": "export default {};\n" } }).sha;
  emulator.reset();
  shapeProblems.length = 0;
  octokit = installationClient();
});

afterEach(() => {
  expect(shapeProblems).toEqual([]);
});

describe("check runs", () => {
  it("accepts a valid create and update and records no violation", async () => {
    const created = await octokit.rest.checks.create({
      ...REPO,
      name: "repoflow: hello",
      head_sha: head,
      status: "in_progress",
      external_id: "run-1",
      output: { title: "Running", summary: "1 step", annotations: [{ path: ".workflows/hello.ts", start_line: 1, end_line: 1, annotation_level: "warning", message: "slow" }] },
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ name: "repoflow: hello", head_sha: head, status: "in_progress", conclusion: null, external_id: "run-1" });

    const updated = await octokit.rest.checks.update({
      ...REPO,
      check_run_id: created.data.id,
      conclusion: "failure",
      output: { title: "Failed", summary: "step 2 threw", annotations: [{ path: ".workflows/hello.ts", start_line: 3, end_line: 3, annotation_level: "failure", message: "boom" }] },
    });
    expect(updated.data).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(updated.data.completed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(updated.data.output.annotations_count).toBe(2);

    const [state] = emulator.checkRuns(FULL);
    expect(state?.output.summary).toBe("step 2 threw");
    expect(state?.output.annotations.map((annotation) => annotation.message)).toEqual(["slow", "boom"]);
    expect(emulator.violations).toEqual([]);
  });

  it("rejects status \"done\" with GitHub's 422 and records the violation", async () => {
    const response = await raw("POST", "/repos/acme/widgets/check-runs", { name: "x", head_sha: head, status: "done" });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { message: string; documentation_url: string };
    expect(body.message).toContain("body.status must be one of queued, in_progress, completed");
    expect(body.documentation_url).toMatch(/^https:\/\/docs\.github\.com\//);
    expect(emulator.violations).toEqual(["POST /repos/acme/widgets/check-runs: body.status must be one of queued, in_progress, completed"]);
    expect(emulator.checkRuns(FULL)).toEqual([]);
  });

  it("rejects an update to an unknown status through Octokit as a RequestError 422", async () => {
    const { data } = await octokit.rest.checks.create({ ...REPO, name: "x", head_sha: head });
    // Octokit's types already forbid "done"; the emulator must catch what slips past them at runtime.
    const invalid = { ...REPO, check_run_id: data.id, status: "done" } as unknown as { owner: string; repo: string; check_run_id: number };
    await expect(octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", invalid)).rejects.toMatchObject({ status: 422 });
    expect(emulator.violations).toHaveLength(1);
    expect(emulator.violations[0]).toMatch(/^PATCH \/repos\/acme\/widgets\/check-runs\/\d+: body\.status must be one of queued, in_progress, completed/);
  });

  it("rejects a summary over 65535 characters", async () => {
    const response = await raw("POST", "/repos/acme/widgets/check-runs", { name: "x", head_sha: head, output: { title: "t", summary: "a".repeat(65536) } });
    expect(response.status).toBe(422);
    expect(emulator.violations).toEqual(["POST /repos/acme/widgets/check-runs: body.output.summary must be at most 65535 characters"]);
  });

  it("accepts a summary of exactly 65535 characters", async () => {
    const response = await raw("POST", "/repos/acme/widgets/check-runs", { name: "x", head_sha: head, output: { title: "t", summary: "a".repeat(65535) } });
    expect(response.status).toBe(201);
    expect(emulator.violations).toEqual([]);
  });

  it("rejects 51 annotations in one request but appends 50 + 1 across updates", async () => {
    const annotation = { path: "a.ts", start_line: 1, end_line: 1, annotation_level: "notice", message: "m" };
    const tooMany = await raw("POST", "/repos/acme/widgets/check-runs", {
      name: "x",
      head_sha: head,
      output: { title: "t", summary: "s", annotations: Array.from({ length: 51 }, () => annotation) },
    });
    expect(tooMany.status).toBe(422);
    expect(emulator.violations).toEqual(["POST /repos/acme/widgets/check-runs: body.output.annotations must have at most 50 items"]);

    emulator.reset();
    const { data } = await octokit.rest.checks.create({ ...REPO, name: "x", head_sha: head, output: { title: "t", summary: "s", annotations: Array.from({ length: 50 }, () => ({ ...annotation, annotation_level: "notice" as const })) } });
    await octokit.rest.checks.update({ ...REPO, check_run_id: data.id, output: { title: "t", summary: "s", annotations: [{ ...annotation, annotation_level: "notice" }] } });
    expect(emulator.checkRuns(FULL)[0]?.output.annotations).toHaveLength(51);
    expect(emulator.violations).toEqual([]);
  });

  it("rejects completing a run without a conclusion", async () => {
    const response = await raw("POST", "/repos/acme/widgets/check-runs", { name: "x", head_sha: head, status: "completed" });
    expect(response.status).toBe(422);
    expect(emulator.violations).toEqual(["POST /repos/acme/widgets/check-runs: body.conclusion is required when status is completed or completed_at is given"]);
  });

  it("rejects a check run for a commit the repository does not have", async () => {
    const response = await raw("POST", "/repos/acme/widgets/check-runs", { name: "x", head_sha: "f".repeat(40) });
    expect(response.status).toBe(422);
    expect(emulator.violations[0]).toMatch(/^POST \/repos\/acme\/widgets\/check-runs: body\.head_sha f{40} is not a commit of acme\/widgets/);
  });

  it("lists check runs for a ref with the latest per name, filtered by name and status", async () => {
    const first = await octokit.rest.checks.create({ ...REPO, name: "a", head_sha: head, status: "completed", conclusion: "success" });
    const rerun = await octokit.rest.checks.create({ ...REPO, name: "a", head_sha: head, status: "in_progress" });
    await octokit.rest.checks.create({ ...REPO, name: "b", head_sha: head });

    const latest = await octokit.rest.checks.listForRef({ ...REPO, ref: "main" });
    expect(latest.data.total_count).toBe(2);
    expect(latest.data.check_runs.map((run) => run.id)).not.toContain(first.data.id);

    const all = await octokit.rest.checks.listForRef({ ...REPO, ref: head, filter: "all" });
    expect(all.data.total_count).toBe(3);

    const named = await octokit.rest.checks.listForRef({ ...REPO, ref: head, check_name: "a", status: "in_progress" });
    expect(named.data.check_runs.map((run) => run.id)).toEqual([rerun.data.id]);
    expect(emulator.violations).toEqual([]);
  });

  it("answers 404 for a check run path parameter that is not a number, and records it", async () => {
    const response = await raw("GET", "/repos/acme/widgets/check-runs/abc");
    expect(response.status).toBe(404);
    expect(emulator.violations).toEqual(["GET /repos/acme/widgets/check-runs/abc: path.check_run_id must be integer"]);
  });
});

describe("the contract", () => {
  it("answers 404 for an endpoint GitHub does not have and records it", async () => {
    const response = await raw("GET", "/repos/acme/widgets/check-run");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ message: "Not Found" });
    expect(emulator.violations).toEqual(["GET /repos/acme/widgets/check-run: GitHub's REST API has no such endpoint (check the path against docs.github.com/rest)"]);
  });

  it("answers 404 for a real path with the wrong method and says so", async () => {
    const response = await raw("DELETE", "/repos/acme/widgets/check-runs");
    expect(response.status).toBe(404);
    expect(emulator.violations).toEqual(["DELETE /repos/acme/widgets/check-runs: GitHub serves this path, but not with DELETE"]);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const response = await raw("POST", "/repos/acme/widgets/check-runs", "{name:");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: "Problems parsing JSON" });
    expect(emulator.violations).toEqual(["POST /repos/acme/widgets/check-runs: the body is not valid JSON"]);
  });

  it("answers 501 for a real endpoint it does not emulate, naming the gap", async () => {
    const response = await raw("GET", "/repos/acme/widgets/releases");
    expect(response.status).toBe(501);
    expect(emulator.violations[0]).toMatch(/repos\/list-releases is a real GitHub endpoint the emulator does not implement yet/);
  });

  it("records every request in order with its operation and status", async () => {
    await octokit.rest.repos.get(REPO);
    await raw("GET", "/nope");
    const summary = emulator.requests.map((request) => `${request.method} ${request.path} ${request.status} ${request.operationId}`);
    expect(summary).toEqual([
      "POST /app/installations/7/access_tokens 201 apps/create-installation-access-token",
      "GET /repos/acme/widgets 200 repos/get",
      "POST /app/installations/7/access_tokens 201 apps/create-installation-access-token",
      "GET /nope 404 null",
    ]);
    expect(emulator.requests[1]?.headers.authorization).toMatch(/^token ghs_[A-Za-z0-9]{36}$/);
  });

  it("forgets requests and violations on reset but keeps repositories", async () => {
    await raw("GET", "/nope");
    emulator.reset();
    expect(emulator.requests).toEqual([]);
    expect(emulator.violations).toEqual([]);
    expect((await octokit.rest.repos.get(REPO)).data.full_name).toBe(FULL);
  });

  it("sends rate-limit headers that count down per token", async () => {
    const bearer = await token();
    const first = await raw("GET", "/repos/acme/widgets", undefined, bearer);
    const second = await raw("GET", "/repos/acme/widgets", undefined, bearer);
    expect(first.headers.get("x-ratelimit-limit")).toBe("5000");
    expect(first.headers.get("x-ratelimit-resource")).toBe("core");
    expect(Number(first.headers.get("x-ratelimit-remaining")) - Number(second.headers.get("x-ratelimit-remaining"))).toBe(1);
    expect(Number(second.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
  });
});

describe("failNext", () => {
  it("returns the injected 503 once, then recovers", async () => {
    const bearer = await token();
    emulator.failNext({ method: "GET", path: "/repos/acme/widgets" }, { status: 503 });
    const failed = await raw("GET", "/repos/acme/widgets", undefined, bearer);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ message: "Service Unavailable" });
    const recovered = await raw("GET", "/repos/acme/widgets", undefined, bearer);
    expect(recovered.status).toBe(200);
    expect(emulator.violations).toEqual([]);
  });

  it("returns an injected 429 with retry-after the given number of times, matching a RegExp", async () => {
    emulator.failNext({ path: /\/check-runs$/ }, { status: 429, headers: { "retry-after": "7" }, body: { message: "You have exceeded a secondary rate limit." } }, 2);
    const bearer = await token();
    for (let attempt = 0; attempt < 2; attempt++) {
      const limited = await raw("POST", "/repos/acme/widgets/check-runs", { name: "x", head_sha: head }, bearer);
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toBe("7");
      expect(await limited.json()).toEqual({ message: "You have exceeded a secondary rate limit." });
    }
    const created = await raw("POST", "/repos/acme/widgets/check-runs", { name: "x", head_sha: head }, bearer);
    expect(created.status).toBe(201);
    expect(emulator.requests.map((request) => request.status)).toEqual([201, 429, 429, 201]);
  });

  it("surfaces an injected 403 rate limit to Octokit with its headers", async () => {
    emulator.failNext({ method: "GET", path: "/repos/acme/widgets" }, { status: 403, headers: { "x-ratelimit-remaining": "0" }, body: { message: "API rate limit exceeded" } });
    await expect(octokit.rest.repos.get(REPO)).rejects.toMatchObject({ status: 403, response: { headers: { "x-ratelimit-remaining": "0" } } });
    expect((await octokit.rest.repos.get(REPO)).status).toBe(200);
  });
});

describe("issues, comments, labels, reactions and pull requests", () => {
  beforeEach(() => {
    emulator.openIssue(FULL, { number: 1, title: "Bug", labels: ["triage"] });
    emulator.openPullRequest(FULL, { number: 2, title: "Add thing", head: "feature", base: "main" });
  });

  it("creates, edits and lists comments as the app's bot user", async () => {
    const { data } = await octokit.rest.issues.createComment({ ...REPO, issue_number: 2, body: "Queued" });
    expect(data.user?.login).toBe("repoflow[bot]");
    await octokit.rest.issues.updateComment({ ...REPO, comment_id: data.id, body: "Done" });
    const listed = await octokit.rest.issues.listComments({ ...REPO, issue_number: 2 });
    expect(listed.data.map((comment) => comment.body)).toEqual(["Done"]);
    expect(emulator.comments(FULL, 2)).toEqual([{ id: data.id, body: "Done", user: "repoflow[bot]" }]);
    expect(emulator.violations).toEqual([]);
  });

  it("pages lists with GitHub's Link header, so octokit.paginate sees every item", async () => {
    for (let i = 1; i <= 35; i++) await octokit.rest.issues.createComment({ ...REPO, issue_number: 1, body: `comment ${i}` });
    const first = await octokit.rest.issues.listComments({ ...REPO, issue_number: 1 });
    expect(first.data).toHaveLength(30);
    expect(first.headers.link).toContain('page=2>; rel="next"');
    const all = await octokit.paginate(octokit.rest.issues.listComments, { ...REPO, issue_number: 1, per_page: 10 });
    expect(all.map((comment) => comment.body)).toEqual(Array.from({ length: 35 }, (_, i) => `comment ${i + 1}`));
  });

  it("answers 404 for a comment on an issue that does not exist, without calling it a violation", async () => {
    await expect(octokit.rest.issues.createComment({ ...REPO, issue_number: 99, body: "x" })).rejects.toMatchObject({ status: 404 });
    expect(emulator.violations).toEqual([]);
  });

  it("adds labels (creating new ones), removes one, and 404s removing a missing one", async () => {
    const added = await octokit.rest.issues.addLabels({ ...REPO, issue_number: 1, labels: ["bug", "Triage"] });
    expect(added.data.map((found) => found.name)).toEqual(["triage", "bug"]);
    const removed = await octokit.rest.issues.removeLabel({ ...REPO, issue_number: 1, name: "triage" });
    expect(removed.data.map((found) => found.name)).toEqual(["bug"]);
    await expect(octokit.rest.issues.removeLabel({ ...REPO, issue_number: 1, name: "triage" })).rejects.toMatchObject({ status: 404 });
    expect((await octokit.rest.issues.listLabelsOnIssue({ ...REPO, issue_number: 1 })).data.map((found) => found.name)).toEqual(["bug"]);
    expect(emulator.labels(FULL, 1)).toEqual(["bug"]);
  });

  it("rejects labels sent as an empty list", async () => {
    const response = await raw("POST", "/repos/acme/widgets/issues/1/labels", { labels: [] });
    expect(response.status).toBe(422);
    expect(emulator.violations).toEqual(["POST /repos/acme/widgets/issues/1/labels: body matches none of the allowed shapes: body.labels must have at least 1 items"]);
  });

  it("creates a reaction once and answers 200 with the same reaction when repeated", async () => {
    const comment = await octokit.rest.issues.createComment({ ...REPO, issue_number: 1, body: "/approve" });
    const first = await octokit.rest.reactions.createForIssueComment({ ...REPO, comment_id: comment.data.id, content: "eyes" });
    const again = await octokit.rest.reactions.createForIssueComment({ ...REPO, comment_id: comment.data.id, content: "eyes" });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.data.id).toBe(first.data.id);
    await octokit.rest.reactions.createForIssue({ ...REPO, issue_number: 1, content: "rocket" });
    expect(emulator.reactions(FULL, { comment: comment.data.id })).toEqual(["eyes"]);
    expect(emulator.reactions(FULL, { issue: 1 })).toEqual(["rocket"]);
  });

  it("rejects a reaction GitHub does not know", async () => {
    const response = await raw("POST", "/repos/acme/widgets/issues/1/reactions", { content: "thumbsup" });
    expect(response.status).toBe(422);
    expect(emulator.violations).toEqual(["POST /repos/acme/widgets/issues/1/reactions: body.content must be one of +1, -1, laugh, confused, heart, hooray, rocket, eyes"]);
  });

  it("serves an issue and a pull request, and the pull request's issue view links back", async () => {
    const issue = await octokit.rest.issues.get({ ...REPO, issue_number: 1 });
    expect(issue.data).toMatchObject({ number: 1, title: "Bug", state: "open" });
    expect(issue.data.pull_request).toBeUndefined();
    const prAsIssue = await octokit.rest.issues.get({ ...REPO, issue_number: 2 });
    expect(prAsIssue.data.pull_request?.url).toBe(`${emulator.url}/repos/acme/widgets/pulls/2`);
    const pull = await octokit.rest.pulls.get({ ...REPO, pull_number: 2 });
    expect(pull.data).toMatchObject({ number: 2, state: "open", merged: false, draft: false, head: { ref: "feature", sha: head }, base: { ref: "main", sha: head } });
    await expect(octokit.rest.pulls.get({ ...REPO, pull_number: 1 })).rejects.toMatchObject({ status: 404 });
  });

  it("merges a pull request into its base with a merge commit, then refuses a second merge", async () => {
    const feature = emulator.commit(FULL, { "src/thing.ts": "export const thing = 1;\n" }, "Add thing", "feature").sha;
    const mainMoved = emulator.commit(FULL, { "README.md": "# widgets!\n" }, "Touch README").sha;
    const merged = await octokit.rest.pulls.merge({ ...REPO, pull_number: 2, sha: feature });
    expect(merged.data).toMatchObject({ merged: true, message: "Pull Request successfully merged" });
    expect(emulator.headSha(FULL)).toBe(merged.data.sha);

    const commit = await octokit.rest.repos.getCommit({ ...REPO, ref: merged.data.sha });
    expect(commit.data.parents.map((parent) => parent.sha)).toEqual([mainMoved, feature]);
    const readme = await octokit.rest.repos.getContent({ ...REPO, path: "README.md" });
    const thing = await octokit.rest.repos.getContent({ ...REPO, path: "src/thing.ts" });
    expect(Buffer.from((readme.data as { content: string }).content, "base64").toString()).toBe("# widgets!\n");
    expect(Buffer.from((thing.data as { content: string }).content, "base64").toString()).toBe("export const thing = 1;\n");

    const pull = await octokit.rest.pulls.get({ ...REPO, pull_number: 2 });
    expect(pull.data).toMatchObject({ state: "closed", merged: true, merge_commit_sha: merged.data.sha });
    await expect(octokit.rest.pulls.merge({ ...REPO, pull_number: 2 })).rejects.toMatchObject({ status: 405 });
  });

  it("refuses a merge whose expected head sha is stale with 409", async () => {
    emulator.commit(FULL, { "a.txt": "1" }, "one", "feature");
    await expect(octokit.rest.pulls.merge({ ...REPO, pull_number: 2, sha: head })).rejects.toMatchObject({ status: 409 });
  });

  it("refuses a squash merge when both branches changed the same file differently", async () => {
    emulator.commit(FULL, { "README.md": "feature\n" }, "f", "feature");
    emulator.commit(FULL, { "README.md": "main\n" }, "m");
    await expect(octokit.rest.pulls.merge({ ...REPO, pull_number: 2, merge_method: "squash" })).rejects.toMatchObject({ status: 405 });
  });
});

describe("repository endpoints", () => {
  it("serves the repository, its branch, a commit with changed files, and the ref", async () => {
    const next = emulator.commit(FULL, { ".workflows/hello.ts": "export default { v: 2 };\n", "README.md": null }, "v2").sha;
    const repo = await octokit.rest.repos.get(REPO);
    expect(repo.data).toMatchObject({ full_name: FULL, default_branch: "main", private: true, owner: { login: "acme" } });
    const branch = await octokit.rest.repos.getBranch({ ...REPO, branch: "main" });
    expect(branch.data.commit.sha).toBe(next);
    const commit = await octokit.rest.repos.getCommit({ ...REPO, ref: next });
    expect(commit.data.commit.message).toBe("v2");
    expect(commit.data.files?.map((file) => [file.filename, file.status, file.additions, file.deletions])).toEqual([
      [".workflows/hello.ts", "modified", 1, 1],
      ["README.md", "removed", 0, 1],
    ]);
    const ref = await octokit.rest.git.getRef({ ...REPO, ref: "heads/main" });
    expect(ref.data).toMatchObject({ ref: "refs/heads/main", object: { type: "commit", sha: next } });
    await expect(octokit.rest.git.getRef({ ...REPO, ref: "heads/nope" })).rejects.toMatchObject({ status: 404 });
    expect(emulator.violations).toEqual([]);
  });

  it("resolves a branch name and an abbreviated sha for commits", async () => {
    expect((await octokit.rest.repos.getCommit({ ...REPO, ref: "main" })).data.sha).toBe(head);
    expect((await octokit.rest.repos.getCommit({ ...REPO, ref: head.slice(0, 7) })).data.sha).toBe(head);
    await expect(octokit.rest.repos.getCommit({ ...REPO, ref: "nope" })).rejects.toMatchObject({ status: 422 });
  });

  it("serves the app and its installations in GitHub's shapes to an app-authenticated client", async () => {
    emulator.addRepo({ fullName: "other/thing", installationId: 8 });
    const app = new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey }, request: { fetch: schemaCheckedFetch(shapeProblems) }, log: quiet });
    expect((await app.rest.apps.getAuthenticated()).data).toMatchObject({ id: 1, slug: "repoflow" });
    const installations = await app.rest.apps.listInstallations();
    expect(installations.data.map((found) => [found.id, found.account && "login" in found.account ? found.account.login : null])).toEqual([
      [7, "acme"],
      [8, "other"],
    ]);
    expect((await app.rest.apps.getInstallation({ installation_id: 8 })).data.app_id).toBe(1);
    await expect(app.rest.apps.getInstallation({ installation_id: 99 })).rejects.toMatchObject({ status: 404 });
    expect(emulator.violations).toEqual([]);
  });

  it("lists the installation's repositories for an installation token", async () => {
    emulator.addRepo({ fullName: "acme/gadgets", installationId: INSTALLATION });
    emulator.addRepo({ fullName: "other/thing", installationId: 8 });
    const { data } = await octokit.rest.apps.listReposAccessibleToInstallation();
    expect(data.repositories.map((repo) => repo.full_name).sort()).toEqual(["acme/gadgets", "acme/widgets"]);
    expect(data.total_count).toBe(2);
  });
});

describe("check-run limits beyond the schema", () => {
  it("states GitHub's documented limits itself, so they hold whatever the description version says", () => {
    const annotation = { path: "a.ts", start_line: 1, end_line: 1, annotation_level: "notice", message: "m" };
    expect(checkRunProblems({ name: "x", output: { title: "t", summary: "s".repeat(65536), text: "t".repeat(65536), annotations: Array.from({ length: 51 }, () => annotation) } }, "checks/update")).toEqual([
      "body.output.summary must be at most 65535 characters",
      "body.output.text must be at most 65535 characters",
      "body.output.annotations must have at most 50 items",
    ]);
    expect(checkRunProblems({ name: "x", output: { title: "t", summary: "😀".repeat(65535), annotations: Array.from({ length: 50 }, () => annotation) } }, "checks/update")).toEqual([]);
    expect(checkRunProblems({ name: "x", completed_at: "2026-01-01T00:00:00Z" }, "checks/create")).toEqual(["body.conclusion is required when status is completed or completed_at is given"]);
    expect(checkRunProblems({ conclusion: "stale" }, "checks/update")).toEqual(["body.conclusion cannot be stale (only GitHub sets it)"]);
  });
});
