/**
 * The endpoints automations use beyond comments, labels and check runs:
 * creating and updating issues, repository labels, check suites, pull
 * request files, reviews and requested reviewers, commit statuses. Driven by
 * a real Octokit client, every JSON response checked against GitHub's
 * OpenAPI description.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readManifest, startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, schemaCheckedFetch } from "../emulator/testing.ts";

const FULL = "acme/widgets";
const REPO = { owner: "acme", repo: "widgets" };
const keys = appKeyPair();
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const shapeProblems: string[] = [];
let emulator: Emulator;
let octokit: Octokit;

beforeAll(async () => {
  // Commit statuses need statuses: write, more than app.yml asks for; the permission tests cover the default grant.
  emulator = await startEmulator({ appPublicKey: keys.publicKey, permissions: { ...readManifest().permissions, statuses: "write" } });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.addRepo({ fullName: FULL, installationId: 7, files: { "README.md": "one\ntwo\n" } });
  emulator.reset();
  shapeProblems.length = 0;
  octokit = new Octokit({
    baseUrl: emulator.url,
    authStrategy: createAppAuth,
    auth: { appId: 1, privateKey: keys.privateKey, installationId: 7 },
    request: { fetch: schemaCheckedFetch(shapeProblems) },
    log: quiet,
  });
});

afterEach(() => {
  expect(emulator.violations).toEqual([]);
  expect(shapeProblems).toEqual([]);
});

describe("issues", () => {
  it("creates an issue with the next number and its labels", async () => {
    emulator.openIssue(FULL, { number: 4, title: "Existing" });
    const { data } = await octokit.rest.issues.create({ ...REPO, title: "New", body: "text", labels: ["bug", { name: "p1" }] as string[] });
    expect(data).toMatchObject({ number: 5, title: "New", body: "text", state: "open", user: { login: "repoflow[bot]" } });
    expect(data.labels.map((label) => (typeof label === "string" ? label : label.name))).toEqual(["bug", "p1"]);
    expect(emulator.labels(FULL, 5)).toEqual(["bug", "p1"]);
  });

  it("updates title, body, labels and state with its reason", async () => {
    emulator.openIssue(FULL, { number: 1, title: "Old", labels: ["a", "b"] });
    const { data } = await octokit.rest.issues.update({ ...REPO, issue_number: 1, title: "New", body: "B", labels: ["b", "c"], state: "closed", state_reason: "not_planned" });
    expect(data).toMatchObject({ title: "New", body: "B", state: "closed", state_reason: "not_planned", closed_at: expect.any(String) });
    expect(emulator.labels(FULL, 1)).toEqual(["b", "c"]);
    const reopened = await octokit.rest.issues.update({ ...REPO, issue_number: 1, state: "open" });
    expect(reopened.data).toMatchObject({ state: "open", state_reason: "reopened", closed_at: null });
  });

  it("rejects a state GitHub does not know", async () => {
    emulator.openIssue(FULL, { number: 1, title: "Old" });
    await expect(octokit.rest.issues.update({ ...REPO, issue_number: 1, state: "done" as "open" })).rejects.toMatchObject({ status: 422 });
    expect(emulator.violations.splice(0)).toEqual(["PATCH /repos/acme/widgets/issues/1: body.state must be one of open, closed"]);
  });

  it("creates a repository label, and answers 422 already_exists for the same name in another case", async () => {
    const { data } = await octokit.rest.issues.createLabel({ ...REPO, name: "deploy", color: "ff0000", description: "Ship it" });
    expect(data).toMatchObject({ name: "deploy", color: "ff0000", description: "Ship it" });
    await expect(octokit.rest.issues.createLabel({ ...REPO, name: "Deploy" })).rejects.toMatchObject({ status: 422, response: { data: { errors: [{ code: "already_exists" }] } } });
  });
});

describe("check suites", () => {
  it("lists the App's suite for a commit with its aggregate status, and none for a commit without runs", async () => {
    const head = emulator.headSha(FULL);
    const run = await octokit.rest.checks.create({ ...REPO, name: "one", head_sha: head, status: "in_progress" });
    const running = await octokit.rest.checks.listSuitesForRef({ ...REPO, ref: head });
    expect(running.data).toMatchObject({ total_count: 1, check_suites: [{ head_sha: head, status: "in_progress", conclusion: null, app: { slug: "repoflow" } }] });
    await octokit.rest.checks.update({ ...REPO, check_run_id: run.data.id, conclusion: "neutral" });
    const done = await octokit.rest.checks.listSuitesForRef({ ...REPO, ref: "main" });
    expect(done.data.check_suites).toMatchObject([{ status: "completed", conclusion: "neutral", id: running.data.check_suites[0]?.id }]);
    const { sha } = emulator.commit(FULL, { "x.txt": "x" });
    expect((await octokit.rest.checks.listSuitesForRef({ ...REPO, ref: sha })).data).toMatchObject({ total_count: 0, check_suites: [] });
  });
});

describe("pull requests", () => {
  beforeEach(() => {
    emulator.openPullRequest(FULL, { number: 2, title: "Change", head: "change", base: "main", user: "mona" });
    emulator.commit(FULL, { "README.md": "one\n2\nthree\n", "new.txt": "n\n" }, "Change", "change");
  });

  it("lists the files a pull request changes, counted against its merge base", async () => {
    emulator.commit(FULL, { "base-only.txt": "b\n" }, "Moves main on");
    const { data } = await octokit.rest.pulls.listFiles({ ...REPO, pull_number: 2 });
    expect(data.map(({ filename, status, additions, deletions }) => ({ filename, status, additions, deletions }))).toEqual([
      { filename: "README.md", status: "modified", additions: 2, deletions: 1 },
      { filename: "new.txt", status: "added", additions: 1, deletions: 0 },
    ]);
    const pull = await octokit.rest.pulls.get({ ...REPO, pull_number: 2 });
    expect(pull.data).toMatchObject({ additions: 3, deletions: 1, changed_files: 2, commits: 1 });
  });

  it("creates reviews (approve, request changes, comment, pending) and lists the submitted ones", async () => {
    const approved = await octokit.rest.pulls.createReview({ ...REPO, pull_number: 2, event: "APPROVE" });
    expect(approved.data).toMatchObject({ state: "APPROVED", user: { login: "repoflow[bot]" }, commit_id: emulator.headSha(FULL, "change") });
    await octokit.rest.pulls.createReview({ ...REPO, pull_number: 2, event: "REQUEST_CHANGES", body: "Please fix" });
    const pending = await octokit.rest.pulls.createReview({ ...REPO, pull_number: 2, body: "draft" });
    expect(pending.data.state).toBe("PENDING");
    emulator.review(FULL, 2, { state: "COMMENTED", body: "Looks fine", user: "hubot" });
    const { data } = await octokit.rest.pulls.listReviews({ ...REPO, pull_number: 2 });
    expect(data.map((review) => [review.user?.login, review.state])).toEqual([
      ["repoflow[bot]", "APPROVED"],
      ["repoflow[bot]", "CHANGES_REQUESTED"],
      ["repoflow[bot]", "PENDING"],
      ["hubot", "COMMENTED"],
    ]);
  });

  it("answers 422 for a review that requests changes without a body", async () => {
    await expect(octokit.rest.pulls.createReview({ ...REPO, pull_number: 2, event: "REQUEST_CHANGES" })).rejects.toMatchObject({ status: 422 });
    expect(emulator.violations.splice(0)).toEqual(["POST /repos/acme/widgets/pulls/2/reviews: a REQUEST_CHANGES review needs body.body"]);
  });

  it("requests reviewers, lists them, removes one, and refuses the author", async () => {
    const requested = await octokit.rest.pulls.requestReviewers({ ...REPO, pull_number: 2, reviewers: ["alice", "bob"] });
    expect(requested.status).toBe(201);
    expect(requested.data.requested_reviewers?.map((user) => user.login)).toEqual(["alice", "bob"]);
    await octokit.rest.pulls.removeRequestedReviewers({ ...REPO, pull_number: 2, reviewers: ["alice"] });
    const { data } = await octokit.rest.pulls.listRequestedReviewers({ ...REPO, pull_number: 2 });
    expect(data.users.map((user) => user.login)).toEqual(["bob"]);
    await expect(octokit.rest.pulls.requestReviewers({ ...REPO, pull_number: 2, reviewers: ["mona"] })).rejects.toMatchObject({ status: 422 });
  });
});

describe("commit statuses", () => {
  it("creates statuses, lists them newest first, and combines the latest per context", async () => {
    const head = emulator.headSha(FULL);
    const empty = await octokit.rest.repos.getCombinedStatusForRef({ ...REPO, ref: head });
    expect(empty.data).toMatchObject({ state: "pending", total_count: 0 });
    await octokit.rest.repos.createCommitStatus({ ...REPO, sha: head, state: "pending", context: "ci" });
    await octokit.rest.repos.createCommitStatus({ ...REPO, sha: head, state: "success", context: "ci", target_url: "https://ci.invalid/1" });
    await octokit.rest.repos.createCommitStatus({ ...REPO, sha: head, state: "success", context: "lint" });
    const listed = await octokit.rest.repos.listCommitStatusesForRef({ ...REPO, ref: "main" });
    expect(listed.data.map((status) => [status.context, status.state])).toEqual([["lint", "success"], ["ci", "success"], ["ci", "pending"]]);
    const combined = await octokit.rest.repos.getCombinedStatusForRef({ ...REPO, ref: "main" });
    expect(combined.data).toMatchObject({ state: "success", sha: head, total_count: 2 });
    await octokit.rest.repos.createCommitStatus({ ...REPO, sha: head, state: "failure", context: "lint" });
    expect((await octokit.rest.repos.getCombinedStatusForRef({ ...REPO, ref: head })).data.state).toBe("failure");
  });

  it("rejects a status for a commit the repository does not have", async () => {
    await expect(octokit.rest.repos.createCommitStatus({ ...REPO, sha: "f".repeat(40), state: "success" })).rejects.toMatchObject({ status: 422 });
    expect(emulator.violations.splice(0)).toHaveLength(1);
  });
});
