import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../emulator/index.ts";
import type { Emulator } from "../emulator/types.ts";
import { createGitHubClient, fetchWorkflowTree, InstallationTokenCache, resolveDefaultBranchHead, type GitHubClient } from "../../src/github";
import { generateAppKeys } from "./github-keys.ts";

let emulator: Emulator;
let appKey: string;

beforeAll(async () => {
  const keys = await generateAppKeys();
  appKey = keys.pkcs1;
  emulator = await startEmulator({ port: 0, appId: "1", appPublicKey: keys.publicKey });
}, 30_000);

afterEach(() => {
  const violations = [...emulator.violations];
  emulator.reset();
  expect(violations).toEqual([]);
});

afterAll(async () => {
  await emulator?.close();
});

let repoCount = 0;
function repoWith(files: Record<string, string>, extra: { modes?: Record<string, "100644" | "100755" | "120000" | "160000">; defaultBranch?: string } = {}) {
  const name = `tree-${++repoCount}`;
  const { sha } = emulator.addRepo({ fullName: `octo/${name}`, installationId: 31, files, ...extra });
  return { owner: "octo", repo: name, sha };
}

function clientFor(repo: string, fetchImpl?: typeof fetch): GitHubClient {
  return createGitHubClient(
    { appId: "1", privateKey: appKey, githubApiUrl: emulator.url },
    { as: { type: "installation", installationId: 31, repository: `octo/${repo}` }, tokens: new InstallationTokenCache(), retryUnitMs: 10, ...(fetchImpl ? { fetch: fetchImpl } : {}) },
  );
}

const blobRequests = () => emulator.requests.filter((r) => r.path.includes("/git/blobs/"));

describe("fetchWorkflowTree", () => {
  it("returns every file under .workflows/ at the commit, and nothing outside it", async () => {
    const { owner, repo, sha } = repoWith({
      "README.md": "# hi",
      "src/.workflows/nested.ts": "not ours",
      ".workflows/release.ts": "export default 1;\n",
      ".workflows/lib/util.ts": "export const x = 'é';\n",
    });
    const tree = await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: sha });
    expect(tree.sha).toBe(sha);
    expect(tree.problems).toEqual([]);
    expect(tree.files.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: ".workflows/lib/util.ts", content: "export const x = 'é';\n" },
      { path: ".workflows/release.ts", content: "export default 1;\n" },
    ]);
  });

  it("reads the commit a branch name points to, and not later ones", async () => {
    const { owner, repo, sha } = repoWith({ ".workflows/a.ts": "v1" });
    const tree = await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: "main" });
    expect(tree).toEqual({ sha, treeSha: expect.stringMatching(/^[0-9a-f]{40}$/), files: [{ path: ".workflows/a.ts", content: "v1" }], problems: [] });
    const second = emulator.commit(`octo/${repo}`, { ".workflows/a.ts": "v2" });
    expect((await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: sha })).files).toEqual([{ path: ".workflows/a.ts", content: "v1" }]);
    expect((await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: second.sha })).files).toEqual([{ path: ".workflows/a.ts", content: "v2" }]);
  });

  it("skips every blob download when the caller already knows the .workflows tree, and names the tree by its git sha", async () => {
    const { owner, repo, sha } = repoWith({ ".workflows/a.ts": "v1", ".workflows/lib/b.ts": "v1" });
    const first = await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: sha });
    emulator.reset();
    const asked: string[] = [];
    const again = await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: sha }, undefined, {
      alreadyKnown: async (treeSha) => (asked.push(treeSha), true),
    });
    expect(asked).toEqual([first.treeSha]);
    expect(again).toEqual({ sha, treeSha: first.treeSha, files: [], problems: [], skipped: true });
    expect(emulator.requests.filter((r) => r.path.includes("/git/blobs/"))).toEqual([]);
    // Another commit with the same .workflows/ content has the same tree sha.
    const next = emulator.commit(`octo/${repo}`, { "README.md": "changed elsewhere" });
    expect((await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: next.sha })).treeSha).toBe(first.treeSha);
  });

  it("returns no files and no problems for a repository without .workflows/", async () => {
    const { owner, repo, sha } = repoWith({ "README.md": "nothing here" });
    expect(await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: sha })).toEqual({ sha, treeSha: null, files: [], problems: [] });
  });

  it("does not follow a symlink or a submodule, and reports both", async () => {
    const { owner, repo, sha } = repoWith(
      { ".workflows/a.ts": "ok", ".workflows/link.ts": "../secrets.ts", ".workflows/vendor": "0123456789abcdef0123456789abcdef01234567", "secrets.ts": "no" },
      { modes: { ".workflows/link.ts": "120000", ".workflows/vendor": "160000" } },
    );
    const tree = await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: sha });
    expect(tree.files).toEqual([{ path: ".workflows/a.ts", content: "ok" }]);
    expect(tree.problems).toEqual([
      { path: ".workflows/link.ts", message: expect.stringMatching(/symbolic link/) },
      { path: ".workflows/vendor", message: expect.stringMatching(/submodule/) },
    ]);
    expect(blobRequests()).toHaveLength(1);
  });

  it("reports a .workflows that is itself a symlink", async () => {
    const { owner, repo, sha } = repoWith({ ".workflows": "elsewhere", "elsewhere/a.ts": "x" }, { modes: { ".workflows": "120000" } });
    expect(await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: sha })).toEqual({ sha, treeSha: null, files: [], problems: [{ path: ".workflows", message: expect.stringMatching(/symbolic link/) }] });
  });

  it("skips a file over the per-file limit without downloading it", async () => {
    const { owner, repo, sha } = repoWith({ ".workflows/a.ts": "small", ".workflows/big.ts": "x".repeat(2048) });
    const tree = await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: sha }, { maxFiles: 200, maxFileBytes: 1024, maxTotalBytes: 1 << 20 });
    expect(tree.files).toEqual([{ path: ".workflows/a.ts", content: "small" }]);
    expect(tree.problems).toEqual([{ path: ".workflows/big.ts", message: expect.stringMatching(/is 2 KiB; the limit per file is 1 KiB/) }]);
    expect(blobRequests()).toHaveLength(1);
  });

  it("downloads nothing when .workflows/ has too many files", async () => {
    const { owner, repo, sha } = repoWith(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`.workflows/w${i}.ts`, `export const n = ${i};`])));
    const tree = await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: sha }, { maxFiles: 4, maxFileBytes: 1024, maxTotalBytes: 1 << 20 });
    expect(tree.files).toEqual([]);
    expect(tree.problems).toEqual([{ path: ".workflows", message: expect.stringMatching(/holds 5 files; the limit is 4/) }]);
    expect(blobRequests()).toHaveLength(0);
  });

  it("downloads nothing when .workflows/ is over the total size limit", async () => {
    const { owner, repo, sha } = repoWith({ ".workflows/a.ts": "a".repeat(600), ".workflows/b.ts": "b".repeat(600) });
    const tree = await fetchWorkflowTree(clientFor(repo), { owner, repo, ref: sha }, { maxFiles: 200, maxFileBytes: 1024, maxTotalBytes: 1024 });
    expect(tree.files).toEqual([]);
    expect(tree.problems).toEqual([{ path: ".workflows", message: expect.stringMatching(/holds 1\.2 KiB; the limit is 1 KiB in total/) }]);
    expect(blobRequests()).toHaveLength(0);
  });

  it("reports a listing GitHub truncated instead of compiling part of it", async () => {
    const { owner, repo, sha } = repoWith({ ".workflows/a.ts": "a" });
    const patched: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!new Request(input, init).url.includes("recursive=1")) return response;
      return Response.json({ ...((await response.json()) as object), truncated: true }, { status: response.status, headers: response.headers });
    };
    const tree = await fetchWorkflowTree(clientFor(repo, patched), { owner, repo, ref: sha });
    expect(tree).toEqual({ sha, treeSha: expect.stringMatching(/^[0-9a-f]{40}$/), files: [], problems: [{ path: ".workflows", message: expect.stringMatching(/GitHub truncated the listing/) }] });
  });

  it("downloads blobs concurrently, at most 6 at a time", async () => {
    const { owner, repo, sha } = repoWith(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`.workflows/w${i}.ts`, `export const n = ${i};`])));
    let inFlight = 0;
    let peak = 0;
    const counting: typeof fetch = async (input, init) => {
      const isBlob = new Request(input, init).url.includes("/git/blobs/");
      if (isBlob) peak = Math.max(peak, ++inFlight);
      try {
        // Hold each blob response a moment, so overlapping downloads overlap however fast the emulator answers.
        if (isBlob) await new Promise((r) => setTimeout(r, 30));
        return await fetch(input, init);
      } finally {
        if (isBlob) inFlight--;
      }
    };
    const tree = await fetchWorkflowTree(clientFor(repo, counting), { owner, repo, ref: sha });
    expect(tree.files).toHaveLength(20);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(6);
  });
});

describe("resolveDefaultBranchHead", () => {
  it("returns the default branch and the commit it points to", async () => {
    const { owner, repo } = repoWith({ "README.md": "x" }, { defaultBranch: "trunk" });
    const next = emulator.commit(`octo/${repo}`, { "README.md": "y" });
    expect(await resolveDefaultBranchHead(clientFor(repo), { owner, repo })).toEqual({ branch: "trunk", sha: next.sha });
  });
});
