/**
 * `GET /repos/{owner}/{repo}/compare/{base}...{head}` as GitHub answers it:
 * `status` identical, ahead, behind or diverged, counted against the merge
 * base (`ahead_by`, `behind_by`), the head's commits the base lacks oldest
 * first, and the files changed since the merge base. (In the description the
 * `{basehead}` form is `repos/compare-commits-with-basehead`; Octokit's
 * `compareCommits` calls the same URL.)
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, installationOctokit, QUIET_LOG as quiet } from "../emulator/testing.ts";

const FULL = "acme/widgets";
const REPO = { owner: "acme", repo: "widgets" };
const keys = appKeyPair();
const shapeProblems: string[] = [];
let emulator: Emulator;
let octokit: Octokit;
let start: string;

beforeAll(async () => {
  emulator = await startEmulator({ appPublicKey: keys.publicKey });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  start = emulator.addRepo({ fullName: FULL, installationId: 7, files: { "README.md": "one\ntwo\n", "old.txt": "old\n" } }).sha;
  emulator.reset();
  shapeProblems.length = 0;
  octokit = installationOctokit(emulator.url, keys.privateKey, shapeProblems);
});

afterEach(() => {
  expect(emulator.violations).toEqual([]);
  expect(shapeProblems).toEqual([]);
});

async function compare(basehead: string) {
  return (await octokit.rest.repos.compareCommitsWithBasehead({ ...REPO, basehead })).data;
}

describe("comparing two commits", () => {
  it("is identical for the same commit, with no commits and no files", async () => {
    const same = await compare(`main...${start}`);
    expect(same).toMatchObject({ status: "identical", ahead_by: 0, behind_by: 0, total_commits: 0, commits: [], files: [] });
    expect(same.merge_base_commit.sha).toBe(start);
  });

  it("is ahead when the head has commits the base lacks, listing them oldest first and the files they change", async () => {
    const first = emulator.commit(FULL, { "README.md": "one\n2\n", "new.txt": "n\n" }, "First", "feature").sha;
    const second = emulator.commit(FULL, { "old.txt": null }, "Second", "feature").sha;
    const data = await compare("main...feature");
    expect(data).toMatchObject({ status: "ahead", ahead_by: 2, behind_by: 0, total_commits: 2, base_commit: { sha: start }, merge_base_commit: { sha: start } });
    expect(data.commits.map((commit) => commit.sha)).toEqual([first, second]);
    expect(data.files?.map(({ filename, status, additions, deletions }) => ({ filename, status, additions, deletions }))).toEqual([
      { filename: "README.md", status: "modified", additions: 1, deletions: 1 },
      { filename: "new.txt", status: "added", additions: 1, deletions: 0 },
      { filename: "old.txt", status: "removed", additions: 0, deletions: 1 },
    ]);
    expect(data.html_url).toBe(`${emulator.url}/acme/widgets/compare/main...feature`);
  });

  it("is behind when only the base moved on, and diverged when both did", async () => {
    emulator.commit(FULL, {}, "Branch point", "feature");
    const base = await octokit.rest.repos.compareCommits({ ...REPO, base: "main", head: "feature" });
    expect(base.data.status).toBe("ahead");
    emulator.commit(FULL, { "main.txt": "m\n" }, "Main 1");
    emulator.commit(FULL, { "main2.txt": "m\n" }, "Main 2");
    expect(await compare(`main...${start}`)).toMatchObject({ status: "behind", ahead_by: 0, behind_by: 2, commits: [] });
    const diverged = await compare("main...feature");
    expect(diverged).toMatchObject({ status: "diverged", ahead_by: 1, behind_by: 2, merge_base_commit: { sha: start } });
    // Three dots: what the head changed since the merge base, not the base's own changes.
    expect(diverged.files).toEqual([]);
  });

  it("takes shas, abbreviated shas and owner:branch", async () => {
    const head = emulator.commit(FULL, { "x.txt": "x\n" }, "X", "feature").sha;
    expect((await compare(`${start.slice(0, 7)}...${head}`)).status).toBe("ahead");
    expect((await compare("acme:main...acme:feature")).ahead_by).toBe(1);
  });

  it("pages the commits with per_page and page (files only on page 1), with a Link header", async () => {
    for (let i = 1; i <= 5; i++) emulator.commit(FULL, { [`f${i}.txt`]: `${i}\n` }, `Commit ${i}`, "feature");
    const first = await octokit.rest.repos.compareCommitsWithBasehead({ ...REPO, basehead: "main...feature", per_page: 2 });
    expect(first.data.commits.map((commit) => commit.commit.message)).toEqual(["Commit 1", "Commit 2"]);
    expect(first.data.files).toHaveLength(5);
    expect(first.headers.link).toContain('rel="next"');
    const last = await octokit.rest.repos.compareCommitsWithBasehead({ ...REPO, basehead: "main...feature", per_page: 2, page: 3 });
    expect(last.data.commits.map((commit) => commit.commit.message)).toEqual(["Commit 5"]);
    expect(last.data.files).toBeUndefined();
    expect(last.data.ahead_by).toBe(5);
  });

  it("answers 404 for a ref the repository does not have, or without three dots", async () => {
    await expect(compare("main...nope")).rejects.toMatchObject({ status: 404 });
    await expect(compare("main..main")).rejects.toMatchObject({ status: 404 });
  });

  it("is refused (403) to a token without contents: read", async () => {
    const app = new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey }, log: quiet });
    const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: 7, permissions: { issues: "write" } });
    const client = new Octokit({ baseUrl: emulator.url, auth: data.token, log: quiet });
    await expect(client.rest.repos.compareCommitsWithBasehead({ ...REPO, basehead: "main...main" })).rejects.toMatchObject({ status: 403 });
    expect(emulator.violations.splice(0)).toEqual([expect.stringContaining("the token lacks contents:read")]);
  });
});
