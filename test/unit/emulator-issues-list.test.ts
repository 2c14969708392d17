/**
 * `GET /repos/{owner}/{repo}/issues` as GitHub answers it: open issues by
 * default, pull requests included with a `pull_request` key, filtered by
 * state, labels (all of them), creator, since; sorted by created, updated or
 * comments in either direction; paged with a `Link` header. `updated_at`
 * moves with comments, labels, state changes and edits, and `ageIssue()` (or
 * `POST /_emulator/…/issues/:n/age`) moves an issue into the past for tests
 * of "stale after N days".
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InvalidSeedError, startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, installationOctokit, QUIET_LOG as quiet } from "../emulator/testing.ts";

const FULL = "acme/widgets";
const REPO = { owner: "acme", repo: "widgets" };
const DAY = 24 * 60 * 60 * 1000;
const keys = appKeyPair();
const shapeProblems: string[] = [];
let emulator: Emulator;
let octokit: Octokit;

beforeAll(async () => {
  emulator = await startEmulator({ appPublicKey: keys.publicKey });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.addRepo({ fullName: FULL, installationId: 7, files: { "README.md": "hi\n" } });
  // #1 oldest … #4 newest, so the default order (created, desc) is 4, 3, 2, 1.
  emulator.openIssue(FULL, { number: 1, title: "Old bug", labels: ["bug", "p1"], user: "mona" });
  emulator.openIssue(FULL, { number: 2, title: "Feature", labels: ["enhancement"], body: "cc @hubot" });
  emulator.openPullRequest(FULL, { number: 3, title: "Fix", head: "fix", base: "main", user: "mona" });
  emulator.openIssue(FULL, { number: 4, title: "New bug", labels: ["Bug"] });
  emulator.ageIssue(FULL, 1, { days: 30 });
  emulator.ageIssue(FULL, 2, { days: 20 });
  emulator.ageIssue(FULL, 3, { days: 10 });
  emulator.reset();
  shapeProblems.length = 0;
  octokit = installationOctokit(emulator.url, keys.privateKey, shapeProblems);
});

afterEach(() => {
  expect(emulator.violations).toEqual([]);
  expect(shapeProblems).toEqual([]);
});

async function numbers(query: Omit<Parameters<Octokit["rest"]["issues"]["listForRepo"]>[0] & object, "owner" | "repo"> = {}): Promise<number[]> {
  const { data } = await octokit.rest.issues.listForRepo({ ...REPO, ...query });
  return data.map((item) => item.number);
}

describe("listing a repository's issues", () => {
  it("lists open issues and pull requests, newest first, a pull request marked with pull_request", async () => {
    const { data } = await octokit.rest.issues.listForRepo(REPO);
    expect(data.map((item) => item.number)).toEqual([4, 3, 2, 1]);
    expect(data.find((item) => item.number === 3)?.pull_request).toMatchObject({ url: `${emulator.url}/repos/acme/widgets/pulls/3`, merged_at: null });
    expect(data.find((item) => item.number === 2)).not.toHaveProperty("pull_request");
  });

  it("filters by state: open by default, closed, all", async () => {
    emulator.closeIssue(FULL, 2, { reason: "not_planned" });
    expect(await numbers()).toEqual([4, 3, 1]);
    expect(await numbers({ state: "closed" })).toEqual([2]);
    expect(await numbers({ state: "all" })).toEqual([4, 3, 2, 1]);
  });

  it("keeps only issues carrying every label asked for, in any case", async () => {
    expect(await numbers({ labels: "bug" })).toEqual([4, 1]);
    expect(await numbers({ labels: "bug,p1" })).toEqual([1]);
    expect(await numbers({ labels: "BUG, enhancement" })).toEqual([]);
  });

  it("filters by creator and mentioned; nobody is assigned and nothing has a milestone", async () => {
    expect(await numbers({ creator: "mona" })).toEqual([3, 1]);
    expect(await numbers({ mentioned: "hubot" })).toEqual([2]);
    emulator.comment(FULL, 4, "@hubot please look");
    expect(await numbers({ mentioned: "HUBOT" })).toEqual([4, 2]);
    expect(await numbers({ assignee: "none" })).toEqual([4, 3, 2, 1]);
    expect(await numbers({ assignee: "*" })).toEqual([]);
    expect(await numbers({ milestone: "none" })).toEqual([4, 3, 2, 1]);
    expect(await numbers({ milestone: "*" })).toEqual([]);
  });

  it("sorts by created, updated or comments, in either direction", async () => {
    expect(await numbers({ direction: "asc" })).toEqual([1, 2, 3, 4]);
    // Timestamps are whole seconds: #4, opened just now, would tie with the comment below.
    emulator.ageIssue(FULL, 4, { days: 1 });
    emulator.comment(FULL, 1, "bump");
    expect(await numbers({ sort: "updated" })).toEqual([1, 4, 3, 2]);
    emulator.comment(FULL, 2, "one");
    emulator.comment(FULL, 2, "two");
    expect(await numbers({ sort: "comments" })).toEqual([2, 1, 4, 3]);
    expect(await numbers({ sort: "comments", direction: "asc" })).toEqual([3, 4, 1, 2]);
  });

  it("keeps what was updated at or after since", async () => {
    const since = new Date(Date.now() - 15 * DAY).toISOString();
    expect(await numbers({ since })).toEqual([4, 3]);
    emulator.label(FULL, 1, "triage");
    expect(await numbers({ since })).toEqual([4, 3, 1]);
  });

  it("pages with per_page and page and a Link header octokit.paginate follows", async () => {
    for (let number = 5; number <= 12; number++) emulator.openIssue(FULL, { number, title: `Issue ${number}` });
    const first = await octokit.rest.issues.listForRepo({ ...REPO, per_page: 5 });
    expect(first.data).toHaveLength(5);
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toContain('rel="last"');
    const all = await octokit.paginate(octokit.rest.issues.listForRepo, { ...REPO, per_page: 5 });
    expect(all.map((item) => item.number)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it("answers 422 for a state GitHub does not know", async () => {
    await expect(octokit.rest.issues.listForRepo({ ...REPO, state: "done" as "open" })).rejects.toMatchObject({ status: 422 });
    expect(emulator.violations.splice(0)).toEqual(["GET /repos/acme/widgets/issues: query.state must be one of open, closed, all"]);
  });

  it("is refused (403) to a token without issues: read", async () => {
    const app = new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey }, log: quiet });
    const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: 7, permissions: { checks: "write" } });
    const checksOnly = new Octokit({ baseUrl: emulator.url, auth: data.token, log: quiet });
    await expect(checksOnly.rest.issues.listForRepo(REPO)).rejects.toMatchObject({ status: 403 });
    expect(emulator.violations.splice(0)).toEqual([expect.stringContaining("the token lacks issues:read")]);
  });
});

describe("updated_at", () => {
  const updatedAt = async (issueNumber: number) => Date.parse((await octokit.rest.issues.get({ ...REPO, issue_number: issueNumber })).data.updated_at);
  let firstComment = 0;

  beforeEach(() => {
    firstComment = emulator.comment(FULL, 1, "first").id;
    emulator.ageIssue(FULL, 1, { days: 5 });
  });

  it.each([
    ["a comment", () => emulator.comment(FULL, 1, "hello")],
    ["a label", () => emulator.label(FULL, 1, "triage")],
    ["an unlabel", () => emulator.unlabel(FULL, 1, "bug")],
    ["closing", () => emulator.closeIssue(FULL, 1)],
    ["an edited comment", () => emulator.editComment(FULL, firstComment, "edited")],
  ])("moves to now with %s", async (_what, act) => {
    expect(await updatedAt(1)).toBeLessThan(Date.now() - 4 * DAY);
    act();
    expect(await updatedAt(1)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("ageIssue", () => {
  it("moves created_at, updated_at, closed_at and the issue's comments back by the days given", async () => {
    emulator.comment(FULL, 4, "note");
    emulator.closeIssue(FULL, 4);
    const before = (await octokit.rest.issues.get({ ...REPO, issue_number: 4 })).data;
    emulator.ageIssue(FULL, 4, { days: 2.5 });
    const after = (await octokit.rest.issues.get({ ...REPO, issue_number: 4 })).data;
    for (const field of ["created_at", "updated_at", "closed_at"] as const) {
      expect(Date.parse(before[field] ?? "") - Date.parse(after[field] ?? "")).toBe(2.5 * DAY);
    }
    const [comment] = (await octokit.rest.issues.listComments({ ...REPO, issue_number: 4 })).data;
    expect(Date.now() - Date.parse(comment?.created_at ?? "")).toBeGreaterThanOrEqual(2.5 * DAY);
    expect(after.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("refuses a number of days that is not positive", () => {
    expect(() => emulator.ageIssue(FULL, 1, { days: 0 })).toThrow(InvalidSeedError);
    expect(() => emulator.ageIssue(FULL, 1, { days: Number.NaN })).toThrow(/positive number of days/);
  });

  it("POST /_emulator/repos/:owner/:repo/issues/:n/age ages an issue from another process", async () => {
    const response = await fetch(`${emulator.url}/_emulator/repos/acme/widgets/issues/4/age`, { method: "POST", body: JSON.stringify({ days: 40 }) });
    expect(response.status).toBe(200);
    expect(await numbers({ direction: "asc" })).toEqual([4, 1, 2, 3]);
    const missing = await fetch(`${emulator.url}/_emulator/repos/acme/widgets/issues/99/age`, { method: "POST", body: JSON.stringify({ days: 1 }) });
    expect(missing.status).toBe(404);
  });
});
