/**
 * The git data API's writes, as a client builds a commit without a checkout:
 * `POST …/git/trees` (base_tree, content, sha, sha null deleting), `POST …/git/commits`,
 * `GET …/git/commits/{sha}`, then `POST …/git/refs` or `PATCH …/git/refs/{ref}` to
 * point a branch at it. The objects are real (their shas equal what the git CLI
 * computes for the same content and signatures), and moving a branch sends `push`
 * and `pull_request.synchronize` as a commit to it does.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readManifest, startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, installationOctokit, startReceiver, type Receiver } from "../emulator/testing.ts";
import { validatePayload } from "../emulator/webhook-schema.ts";

const FULL = "acme/widgets";
const REPO = { owner: "acme", repo: "widgets" };
const keys = appKeyPair();
const shapeProblems: string[] = [];
let emulator: Emulator;
let receiver: Receiver;
let octokit: Octokit;
let scratch: string;

beforeAll(async () => {
  receiver = await startReceiver();
  // Writing git data needs contents: write, more than app.yml asks for; the last test covers the default grant.
  emulator = await startEmulator({ appPublicKey: keys.publicKey, webhooks: { url: receiver.url }, permissions: { ...readManifest().permissions, contents: "write" } });
  scratch = mkdtempSync(join(tmpdir(), "repoflow-emulator-git-data-"));
});

afterAll(async () => {
  await emulator.close();
  await receiver.close();
  rmSync(scratch, { recursive: true, force: true });
});

beforeEach(async () => {
  emulator.addRepo({ fullName: FULL, installationId: 7, files: { "README.md": "one\n", "src/a.ts": "a\n", "src/b.ts": "b\n" } });
  await emulator.webhooksSettled();
  emulator.reset();
  receiver.received.length = 0;
  shapeProblems.length = 0;
  octokit = installationOctokit(emulator.url, keys.privateKey, shapeProblems);
});

afterEach(async () => {
  await emulator.webhooksSettled();
  expect(emulator.violations).toEqual([]);
  expect(shapeProblems).toEqual([]);
});

/** A fresh git repository under the scratch directory, and a runner for git in it (`input` goes to its stdin). */
function gitRepo(name: string): { dir: string; git: (args: string[], env?: Record<string, string>, input?: string) => string } {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const git = (args: string[], env: Record<string, string> = {}, input?: string) =>
    execFileSync("git", args, { cwd: dir, env: { ...process.env, ...env }, encoding: "utf8", ...(input === undefined ? {} : { input }) }).trim();
  git(["init", "-q"]);
  return { dir, git };
}

async function baseTree(): Promise<string> {
  return (await octokit.rest.git.getCommit({ ...REPO, commit_sha: emulator.headSha(FULL) })).data.tree.sha;
}

describe("POST /repos/{owner}/{repo}/git/trees", () => {
  it("writes a tree from content, with modes, whose sha equals git write-tree's", async () => {
    const { status, data } = await octokit.rest.git.createTree({
      ...REPO,
      tree: [
        { path: "docs/guide/intro.md", mode: "100644", type: "blob", content: "hello\n" },
        { path: "run.sh", mode: "100755", type: "blob", content: "#!/bin/sh\necho hi\n" },
        { path: "link", mode: "120000", type: "blob", content: "run.sh" },
        { path: "a.b", content: "dot\n" },
      ],
    });
    expect(status).toBe(201);
    const { dir, git } = gitRepo("content");
    mkdirSync(join(dir, "docs/guide"), { recursive: true });
    writeFileSync(join(dir, "docs/guide/intro.md"), "hello\n");
    writeFileSync(join(dir, "run.sh"), "#!/bin/sh\necho hi\n");
    chmodSync(join(dir, "run.sh"), 0o755);
    symlinkSync("run.sh", join(dir, "link"));
    writeFileSync(join(dir, "a.b"), "dot\n");
    git(["add", "-A"]);
    expect(data.sha).toBe(git(["write-tree"]));
    expect(data.tree.map((entry) => [entry.path, entry.mode, entry.type])).toEqual([
      ["a.b", "100644", "blob"],
      ["docs", "040000", "tree"],
      ["link", "120000", "blob"],
      ["run.sh", "100755", "blob"],
    ]);
    expect(data.truncated).toBe(false);
  });

  it("starts from base_tree: entries replace paths, sha reuses objects, sha null deletes a file or a directory", async () => {
    const base = await baseTree();
    const readme = (await octokit.rest.git.getTree({ ...REPO, tree_sha: base })).data.tree.find((entry) => entry.path === "README.md");
    const src = (await octokit.rest.git.getTree({ ...REPO, tree_sha: base })).data.tree.find((entry) => entry.path === "src");
    const { data } = await octokit.rest.git.createTree({
      ...REPO,
      base_tree: base,
      tree: [
        { path: "src/a.ts", mode: "100644", type: "blob", content: "a2\n" },
        { path: "src/b.ts", mode: "100644", type: "blob", sha: null },
        { path: "copy/README.md", mode: "100644", type: "blob", sha: readme?.sha ?? "" },
        { path: "vendored", mode: "040000", type: "tree", sha: src?.sha ?? "" },
      ],
    });
    const listed = await octokit.rest.git.getTree({ ...REPO, tree_sha: data.sha, recursive: "1" });
    expect(listed.data.tree.filter((entry) => entry.type === "blob").map((entry) => entry.path)).toEqual(["README.md", "copy/README.md", "src/a.ts", "vendored/a.ts", "vendored/b.ts"]);
    const removed = await octokit.rest.git.createTree({ ...REPO, base_tree: data.sha, tree: [{ path: "vendored", mode: "040000", type: "tree", sha: null }] });
    const after = await octokit.rest.git.getTree({ ...REPO, tree_sha: removed.data.sha });
    expect(after.data.tree.map((entry) => entry.path)).toEqual(["README.md", "copy", "src"]);
  });

  it("answers 422 for deleting a path the tree lacks, sha and content together, and an unknown sha", async () => {
    const base = await baseTree();
    await expect(octokit.rest.git.createTree({ ...REPO, base_tree: base, tree: [{ path: "nope.txt", mode: "100644", type: "blob", sha: null }] })).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.git.createTree({ ...REPO, tree: [{ path: "x", mode: "100644", type: "blob", sha: "f".repeat(40), content: "x" }] })).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.git.createTree({ ...REPO, tree: [{ path: "x", mode: "100644", type: "blob", sha: "f".repeat(40) }] })).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.git.createTree({ ...REPO, tree: [{ path: "../x", content: "x" }] })).rejects.toMatchObject({ status: 422 });
    expect(emulator.violations.splice(0)).toEqual([
      expect.stringContaining('deletes "nope.txt", which the tree does not have'),
      expect.stringContaining("has both sha and content"),
      expect.stringContaining(`is not a blob of ${FULL}`),
      expect.stringContaining('path "../x" must be a relative path'),
    ]);
  });
});

describe("POST and GET /repos/{owner}/{repo}/git/commits", () => {
  it("writes a commit whose sha equals git commit-tree's for the same tree, parents, signatures and time zones", async () => {
    const tree = await octokit.rest.git.createTree({ ...REPO, tree: [{ path: "f.txt", content: "f\n" }] });
    const parent = emulator.headSha(FULL);
    const { status, data } = await octokit.rest.git.createCommit({
      ...REPO,
      message: "Write f",
      tree: tree.data.sha,
      parents: [parent],
      author: { name: "Mona Lisa", email: "mona@example.invalid", date: "2014-08-09T08:02:04+12:00" },
      committer: { name: "Hubot", email: "hubot@example.invalid", date: "2014-08-10T01:00:00Z" },
    });
    expect(status).toBe(201);
    const { dir, git } = gitRepo("commit");
    writeFileSync(join(dir, "f.txt"), "f\n");
    git(["add", "f.txt"]);
    expect(git(["write-tree"])).toBe(tree.data.sha);
    // git commit-tree needs the parent in its own object database, so the commit with a parent is hashed from its text as git writes it.
    const text = [`tree ${tree.data.sha}`, `parent ${parent}`, "author Mona Lisa <mona@example.invalid> 1407528124 +1200", "committer Hubot <hubot@example.invalid> 1407632400 +0000", "", "Write f", ""].join("\n");
    expect(data.sha).toBe(git(["hash-object", "-t", "commit", "--stdin", "--literally"], {}, text));
    const standalone = await octokit.rest.git.createCommit({
      ...REPO,
      message: "Root",
      tree: tree.data.sha,
      author: { name: "Mona Lisa", email: "mona@example.invalid", date: "2014-08-09T08:02:04+12:00" },
    });
    const viaCli = git(["commit-tree", tree.data.sha, "-m", "Root"], {
      GIT_AUTHOR_NAME: "Mona Lisa",
      GIT_AUTHOR_EMAIL: "mona@example.invalid",
      GIT_AUTHOR_DATE: "@1407528124 +1200",
      GIT_COMMITTER_NAME: "Mona Lisa",
      GIT_COMMITTER_EMAIL: "mona@example.invalid",
      GIT_COMMITTER_DATE: "@1407528124 +1200",
    });
    expect(standalone.data.sha).toBe(viaCli);
    expect(standalone.data).toMatchObject({ parents: [], committer: { name: "Mona Lisa" }, message: "Root" });
  });

  it("serves the commit back, authored by the App's bot when no author is given", async () => {
    const tree = await baseTree();
    const before = Math.floor(Date.now() / 1000);
    const { data } = await octokit.rest.git.createCommit({ ...REPO, message: "Bot commit", tree, parents: [emulator.headSha(FULL)] });
    const fetched = await octokit.rest.git.getCommit({ ...REPO, commit_sha: data.sha });
    expect(fetched.data).toMatchObject({ sha: data.sha, message: "Bot commit", tree: { sha: tree }, author: { name: "repoflow[bot]" }, committer: { name: "repoflow[bot]" }, parents: [{ sha: emulator.headSha(FULL) }] });
    expect(Date.parse(fetched.data.author.date) / 1000).toBeGreaterThanOrEqual(before);
    await expect(octokit.rest.git.getCommit({ ...REPO, commit_sha: "0".repeat(40) })).rejects.toMatchObject({ status: 404 });
  });

  it("answers 422 for a tree or parent the repository does not have", async () => {
    await expect(octokit.rest.git.createCommit({ ...REPO, message: "x", tree: "f".repeat(40) })).rejects.toMatchObject({ status: 422, response: { data: { message: "Tree SHA does not exist" } } });
    await expect(octokit.rest.git.createCommit({ ...REPO, message: "x", tree: await baseTree(), parents: ["e".repeat(40)] })).rejects.toMatchObject({ status: 422 });
    expect(emulator.violations.splice(0)).toHaveLength(2);
  });
});

/** A new commit on top of `parent` that changes one file, through the API. */
async function commitOnTop(parent: string, path: string, content: string): Promise<string> {
  const parentTree = (await octokit.rest.git.getCommit({ ...REPO, commit_sha: parent })).data.tree.sha;
  const tree = await octokit.rest.git.createTree({ ...REPO, base_tree: parentTree, tree: [{ path, mode: "100644", type: "blob", content }] });
  return (await octokit.rest.git.createCommit({ ...REPO, message: `Change ${path}`, tree: tree.data.sha, parents: [parent] })).data.sha;
}

const pushes = () => receiver.received.filter((delivery) => delivery.event === "push").map((delivery) => delivery.payload);

describe("POST /repos/{owner}/{repo}/git/refs", () => {
  it("creates a branch and sends push with created: true", async () => {
    const sha = await commitOnTop(emulator.headSha(FULL), "new.txt", "n\n");
    const { status, data, headers } = await octokit.rest.git.createRef({ ...REPO, ref: "refs/heads/topic", sha });
    expect(status).toBe(201);
    expect(data).toMatchObject({ ref: "refs/heads/topic", object: { type: "commit", sha } });
    expect(headers.location).toBe(`${emulator.url}/repos/acme/widgets/git/refs/heads/topic`);
    expect(emulator.headSha(FULL, "topic")).toBe(sha);
    await emulator.webhooksSettled();
    expect(pushes()).toMatchObject([{ ref: "refs/heads/topic", before: "0".repeat(40), after: sha, created: true, forced: false, sender: { login: "repoflow[bot]" }, commits: [{ id: sha, added: ["new.txt"] }] }]);
    expect(validatePayload("push", undefined, pushes()[0])).toEqual([]);
  });

  it("answers 422 Reference already exists without a violation (a client may create a branch twice)", async () => {
    await expect(octokit.rest.git.createRef({ ...REPO, ref: "refs/heads/main", sha: emulator.headSha(FULL) })).rejects.toMatchObject({ status: 422, response: { data: { message: "Reference already exists" } } });
  });

  it("answers 422 for a name that is not a full ref, an invalid name, a tag, and a sha that is no commit", async () => {
    const head = emulator.headSha(FULL);
    for (const ref of ["heads/topic", "refs/heads/a..b", "refs/heads/x.lock", "refs/heads/sp ace"]) {
      await expect(octokit.rest.git.createRef({ ...REPO, ref, sha: head })).rejects.toMatchObject({ status: 422 });
    }
    await expect(octokit.rest.git.createRef({ ...REPO, ref: "refs/tags/v1", sha: head })).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.git.createRef({ ...REPO, ref: "refs/heads/topic", sha: "d".repeat(40) })).rejects.toMatchObject({ status: 422, response: { data: { message: "Object does not exist" } } });
    const problems = emulator.violations.splice(0);
    expect(problems).toHaveLength(6);
    expect(problems[4]).toContain("the emulator keeps branches only");
  });
});

describe("PATCH /repos/{owner}/{repo}/git/refs/{ref}", () => {
  beforeEach(async () => {
    emulator.openPullRequest(FULL, { number: 1, title: "Topic", head: "topic", base: "main" });
    await emulator.webhooksSettled();
    receiver.received.length = 0;
  });

  it("fast-forwards a branch: push, then pull_request.synchronize for the pull request from it", async () => {
    const before = emulator.headSha(FULL, "topic");
    const sha = await commitOnTop(before, "t.txt", "t\n");
    const { data } = await octokit.rest.git.updateRef({ ...REPO, ref: "heads/topic", sha });
    expect(data.object.sha).toBe(sha);
    await emulator.webhooksSettled();
    expect(receiver.received.map((delivery) => [delivery.event, delivery.payload.action].filter(Boolean).join("."))).toEqual(["push", "pull_request.synchronize"]);
    expect(receiver.received[0]?.payload).toMatchObject({ ref: "refs/heads/topic", before, after: sha, created: false, forced: false });
    expect(receiver.received[1]?.payload).toMatchObject({ number: 1, before, after: sha, pull_request: { head: { sha } }, sender: { login: "repoflow[bot]" } });
  });

  it("answers 422 for a move that is not a fast-forward, without a violation, and moves it with force: true (push forced)", async () => {
    const start = emulator.headSha(FULL, "topic");
    const ahead = await commitOnTop(start, "one.txt", "1\n");
    await octokit.rest.git.updateRef({ ...REPO, ref: "heads/topic", sha: ahead });
    const sideways = await commitOnTop(start, "two.txt", "2\n");
    await expect(octokit.rest.git.updateRef({ ...REPO, ref: "heads/topic", sha: sideways })).rejects.toMatchObject({ status: 422, response: { data: { message: "Update is not a fast forward" } } });
    expect(emulator.headSha(FULL, "topic")).toBe(ahead);
    await octokit.rest.git.updateRef({ ...REPO, ref: "heads/topic", sha: sideways, force: true });
    expect(emulator.headSha(FULL, "topic")).toBe(sideways);
    await emulator.webhooksSettled();
    expect(pushes().map((push) => [push.after, push.forced])).toEqual([[ahead, false], [sideways, true]]);
  });

  it("answers 422 for a branch that does not exist and a sha that is no commit", async () => {
    await expect(octokit.rest.git.updateRef({ ...REPO, ref: "heads/nope", sha: emulator.headSha(FULL) })).rejects.toMatchObject({ status: 422, response: { data: { message: "Reference does not exist" } } });
    await expect(octokit.rest.git.updateRef({ ...REPO, ref: "heads/topic", sha: "c".repeat(40) })).rejects.toMatchObject({ status: 422 });
    expect(emulator.violations.splice(0)).toEqual([expect.stringContaining("is not a commit of acme/widgets")]);
  });
});

describe("permissions", () => {
  it("refuses git writes (403) to an installation that grants contents: read, and allows reading commits", async () => {
    const reader = await startEmulator({ appPublicKey: keys.publicKey, permissions: { ...readManifest().permissions, contents: "read" } });
    try {
      reader.addRepo({ fullName: FULL, installationId: 7, files: { "a.txt": "a\n" } });
      const client = installationOctokit(reader.url, keys.privateKey, shapeProblems);
      await expect(client.rest.git.createTree({ ...REPO, tree: [{ path: "b.txt", content: "b" }] })).rejects.toMatchObject({ status: 403 });
      await expect(client.rest.git.createRef({ ...REPO, ref: "refs/heads/x", sha: reader.headSha(FULL) })).rejects.toMatchObject({ status: 403 });
      await expect(client.rest.git.getCommit({ ...REPO, commit_sha: reader.headSha(FULL) })).resolves.toMatchObject({ status: 200 });
      expect(reader.violations).toEqual([expect.stringContaining("the token lacks contents:write"), expect.stringContaining("the token lacks contents:write")]);
    } finally {
      await reader.close();
    }
  });
});
