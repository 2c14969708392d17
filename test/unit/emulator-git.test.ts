/**
 * The GitHub emulator's git objects are real: blob, tree and commit shas
 * equal what the git CLI computes for the same files, modes included, and
 * the trees, blobs and contents endpoints serve them as GitHub does.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { schemaCheckedFetch } from "../emulator/testing.ts";

const REPO = { owner: "acme", repo: "fixture" };
const SUBMODULE_SHA = "0123456789abcdef0123456789abcdef01234567";

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let emulator: Emulator;
let octokit: Octokit;
let fixture: string;
const shapeProblems: string[] = [];

function git(args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", args, { cwd: fixture, env: { ...process.env, ...env }, encoding: "utf8" }).trim();
}

/** Files whose names exercise git's tree ordering (a subtree sorts as "name/"), modes and non-ASCII bytes. */
function writeFixture(dir: string): void {
  mkdirSync(join(dir, ".workflows/lib"), { recursive: true });
  mkdirSync(join(dir, "a"), { recursive: true });
  writeFileSync(join(dir, ".workflows/deploy.ts"), "export default { on: 'push' };\n");
  writeFileSync(join(dir, ".workflows/lib/util.ts"), "export const x = 1;\n");
  writeFileSync(join(dir, "a/inner.txt"), "inner\n");
  writeFileSync(join(dir, "a.b"), "dot\n");
  writeFileSync(join(dir, "a-b"), "dash\n");
  writeFileSync(join(dir, "ünïcode.md"), "héllo\n");
  writeFileSync(join(dir, "empty"), "");
  writeFileSync(join(dir, "binary.bin"), Buffer.from([0, 1, 2, 255, 254, 0, 10]));
  writeFileSync(join(dir, "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(dir, "run.sh"), 0o755);
  symlinkSync("a/inner.txt", join(dir, "link"));
  symlinkSync("missing/target", join(dir, "dangling"));
  writeFileSync(join(dir, ".gitmodules"), '[submodule "sub"]\n\tpath = vendor/sub\n\turl = https://example.invalid/sub.git\n');
}

beforeAll(async () => {
  fixture = mkdtempSync(join(tmpdir(), "repoflow-emulator-git-"));
  writeFixture(fixture);
  git(["init", "-q"]);
  git(["add", "-A"]);
  git(["update-index", "--add", "--cacheinfo", `160000,${SUBMODULE_SHA},vendor/sub`]);
  emulator = await startEmulator();
  const { sha } = emulator.addRepo({
    fullName: "acme/fixture",
    installationId: 3,
    dir: fixture,
    files: { "vendor/sub": SUBMODULE_SHA },
    modes: { "vendor/sub": "160000" },
  });
  expect(sha).toMatch(/^[0-9a-f]{40}$/);
  const response = await fetch(`${emulator.url}/app/installations/3/access_tokens`, { method: "POST", headers: { authorization: `Bearer ${fakeJwt()}` } });
  const { token } = (await response.json()) as { token: string };
  octokit = new Octokit({ baseUrl: emulator.url, auth: token, request: { fetch: schemaCheckedFetch(shapeProblems) }, log: quiet });
});

afterAll(async () => {
  await emulator.close();
  rmSync(fixture, { recursive: true, force: true });
});

/** Without a configured public key the emulator checks only a JWT's shape and claims. */
function fakeJwt(): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iat: now - 30, exp: now + 540, iss: "1" })}.c2lnbmF0dXJl`;
}

async function rootTree(): Promise<string> {
  const commit = await octokit.rest.repos.getCommit({ ...REPO, ref: "main" });
  return commit.data.commit.tree.sha;
}

describe("git objects", () => {
  it("builds the same root tree sha as git write-tree, for a dir seed with exec bits, symlinks and a submodule", async () => {
    expect(await rootTree()).toBe(git(["write-tree"]));
  });

  it("serves a recursive tree entry for entry as git ls-tree -r -t lists it: order, modes, types and shas", async () => {
    const treeSha = await rootTree();
    const { data } = await octokit.rest.git.getTree({ ...REPO, tree_sha: treeSha, recursive: "1" });
    expect(data.truncated).toBe(false);
    const served = data.tree.map((entry) => `${entry.mode} ${entry.type} ${entry.sha}\t${entry.path}`);
    const expected = git(["-c", "core.quotePath=false", "ls-tree", "-r", "-t", treeSha]).split("\n");
    expect(served).toEqual(expected);
    expect(served).toContain(`100755 blob ${git(["hash-object", "run.sh"])}\trun.sh`);
    expect(served).toContain(`160000 commit ${SUBMODULE_SHA}\tvendor/sub`);
    expect(served.find((line) => line.endsWith("\tlink"))).toMatch(/^120000 blob /);
    expect(shapeProblems).toEqual([]);
  });

  it("lists only the top level without recursive", async () => {
    const { data } = await octokit.rest.git.getTree({ ...REPO, tree_sha: "main" });
    expect(data.tree.some((entry) => entry.path.includes("/"))).toBe(false);
    expect(data.tree.map((entry) => entry.path)).toContain(".workflows");
  });

  it("serves blobs as base64 of the exact bytes, and raw with the raw media type", async () => {
    const sha = git(["hash-object", "binary.bin"]);
    const { data } = await octokit.rest.git.getBlob({ ...REPO, file_sha: sha });
    expect(data).toMatchObject({ sha, size: 7, encoding: "base64" });
    expect([...Buffer.from(data.content, "base64")]).toEqual([0, 1, 2, 255, 254, 0, 10]);
    const raw = await octokit.rest.git.getBlob({ ...REPO, file_sha: git(["hash-object", "run.sh"]), mediaType: { format: "raw" } });
    expect(raw.data).toBe("#!/bin/sh\necho hi\n");
    await expect(octokit.rest.git.getBlob({ ...REPO, file_sha: "f".repeat(40) })).rejects.toMatchObject({ status: 404 });
  });

  it("computes commit shas like git commit-tree, for the initial commit and a child", async () => {
    const initial = emulator.headSha("acme/fixture");
    const next = emulator.commit("acme/fixture", { "a.b": "changed\n", "empty": null }, "Change a.b").sha;
    writeFileSync(join(fixture, "a.b"), "changed\n");
    git(["rm", "-q", "-f", "empty"]);
    git(["add", "a.b"]);
    const nextTree = git(["write-tree"]);
    for (const sha of [initial, next]) {
      const { data } = await octokit.rest.repos.getCommit({ ...REPO, ref: sha });
      const { author, committer, message, tree } = data.commit;
      const parents = data.parents.flatMap((parent) => ["-p", parent.sha]);
      const expected = git(["commit-tree", tree.sha, ...parents, "-m", message], {
        GIT_AUTHOR_NAME: author?.name ?? "",
        GIT_AUTHOR_EMAIL: author?.email ?? "",
        GIT_AUTHOR_DATE: `${Date.parse(author?.date ?? "") / 1000} +0000`,
        GIT_COMMITTER_NAME: committer?.name ?? "",
        GIT_COMMITTER_EMAIL: committer?.email ?? "",
        GIT_COMMITTER_DATE: `${Date.parse(committer?.date ?? "") / 1000} +0000`,
      });
      expect(sha).toBe(expected);
      if (sha === next) expect(tree.sha).toBe(nextTree);
    }
    const files = await octokit.rest.git.getTree({ ...REPO, tree_sha: next, recursive: "1" });
    expect(files.data.tree.find((entry) => entry.path === "run.sh")?.mode).toBe("100755");
    expect(files.data.tree.some((entry) => entry.path === "empty")).toBe(false);
  });
});

describe("contents", () => {
  it("serves a file with its blob sha and base64 content at a ref", async () => {
    const { data } = await octokit.rest.repos.getContent({ ...REPO, path: ".workflows/lib/util.ts", ref: "main" });
    expect(data).toMatchObject({ type: "file", name: "util.ts", path: ".workflows/lib/util.ts", sha: git(["hash-object", ".workflows/lib/util.ts"]), encoding: "base64" });
    expect(Buffer.from((data as { content: string }).content, "base64").toString()).toBe("export const x = 1;\n");
  });

  it("lists a directory", async () => {
    const { data } = await octokit.rest.repos.getContent({ ...REPO, path: ".workflows" });
    expect((data as { name: string; type: string }[]).map((entry) => `${entry.type} ${entry.name}`)).toEqual(["file deploy.ts", "dir lib"]);
  });

  it("follows a symlink to a file and describes a dangling one", async () => {
    const followed = await octokit.rest.repos.getContent({ ...REPO, path: "link" });
    expect(followed.data).toMatchObject({ type: "file", path: "a/inner.txt" });
    const dangling = await octokit.rest.repos.getContent({ ...REPO, path: "dangling" });
    expect(dangling.data).toMatchObject({ type: "symlink", target: "missing/target" });
  });

  it("describes a submodule", async () => {
    const { data } = await octokit.rest.repos.getContent({ ...REPO, path: "vendor/sub" });
    expect(data).toMatchObject({ type: "submodule", sha: SUBMODULE_SHA, submodule_git_url: "https://example.invalid/sub.git" });
  });

  it("serves raw content with the raw media type and 404s a missing path", async () => {
    const raw = await octokit.rest.repos.getContent({ ...REPO, path: "ünïcode.md", mediaType: { format: "raw" } });
    expect(raw.data).toBe("héllo\n");
    await expect(octokit.rest.repos.getContent({ ...REPO, path: "nope.txt" })).rejects.toMatchObject({ status: 404 });
    expect(emulator.violations).toEqual([]);
    expect(shapeProblems).toEqual([]);
  });
});
