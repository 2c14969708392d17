import { describe, expect, it } from "vitest";
import { DEFAULT_WORKFLOW_TREE_LIMITS } from "../../src/github";
import { decodeBlob, planDownloads, type TreeEntry } from "../../src/github/tree.ts";

const blob = (path: string, size: number): TreeEntry => ({ path, mode: "100644", type: "blob", sha: `sha-${path}`, size });
const limits = { maxFiles: 3, maxFileBytes: 100, maxTotalBytes: 250 };
const base64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));

describe("workflow tree download plan", () => {
  it("downloads every blob within the limits and skips directories", () => {
    const plan = planDownloads([blob(".workflows/a.ts", 10), { path: ".workflows/lib", mode: "040000", type: "tree", sha: "t" }, blob(".workflows/lib/b.ts", 20)], limits);
    expect(plan.blobs.map((b) => b.path)).toEqual([".workflows/a.ts", ".workflows/lib/b.ts"]);
    expect(plan.problems).toEqual([]);
  });

  it("turns symlinks and submodules into problems without following them", () => {
    const plan = planDownloads(
      [blob(".workflows/a.ts", 10), { path: ".workflows/link.ts", mode: "120000", type: "blob", sha: "l", size: 9 }, { path: ".workflows/vendor", mode: "160000", type: "commit", sha: "c" }],
      limits,
    );
    expect(plan.blobs.map((b) => b.path)).toEqual([".workflows/a.ts"]);
    expect(plan.problems).toEqual([
      { path: ".workflows/link.ts", message: expect.stringMatching(/symbolic link; repoflow does not follow links/) },
      { path: ".workflows/vendor", message: expect.stringMatching(/git submodule; repoflow does not follow submodules/) },
    ]);
  });

  it("skips a file over the per-file limit and keeps the others", () => {
    const plan = planDownloads([blob(".workflows/a.ts", 10), blob(".workflows/big.ts", 101)], limits);
    expect(plan.blobs.map((b) => b.path)).toEqual([".workflows/a.ts"]);
    expect(plan.problems).toEqual([{ path: ".workflows/big.ts", message: ".workflows/big.ts is 101 bytes; the limit per file is 100 bytes. Split it or move data out of .workflows/." }]);
  });

  it("downloads nothing when there are too many files", () => {
    const plan = planDownloads([1, 2, 3, 4].map((i) => blob(`.workflows/${i}.ts`, 1)), limits);
    expect(plan.blobs).toEqual([]);
    expect(plan.problems).toEqual([{ path: ".workflows", message: expect.stringMatching(/^\.workflows\/ holds 4 files; the limit is 3\./) }]);
  });

  it("downloads nothing when the total is over the limit", () => {
    const plan = planDownloads([blob(".workflows/a.ts", 100), blob(".workflows/b.ts", 100), blob(".workflows/c.ts", 51)], limits);
    expect(plan.blobs).toEqual([]);
    expect(plan.problems).toEqual([{ path: ".workflows", message: expect.stringMatching(/holds 251 bytes; the limit is 250 bytes in total/) }]);
  });

  it("states the default limits in the units a user reads", () => {
    const plan = planDownloads([blob(".workflows/big.ts", 300 * 1024)], DEFAULT_WORKFLOW_TREE_LIMITS);
    expect(plan.problems[0]?.message).toMatch(/is 300 KiB; the limit per file is 256 KiB/);
  });
});

describe("blob decoding", () => {
  it("decodes base64 UTF-8 text, dropping a byte-order mark", () => {
    expect(decodeBlob(".workflows/a.ts", base64([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("é = 1")]), "base64", limits)).toEqual({ path: ".workflows/a.ts", content: "é = 1" });
  });

  it("reports bytes that are not UTF-8", () => {
    expect(decodeBlob(".workflows/a.ts", base64([0x63, 0x61, 0x66, 0xe9]), "base64", limits)).toEqual({ path: ".workflows/a.ts", message: ".workflows/a.ts is not UTF-8 text. Save it as UTF-8, or move binary files out of .workflows/." });
  });

  it("checks the size of the bytes, not only of the listing", () => {
    expect(decodeBlob(".workflows/a.ts", base64(Array(101).fill(0x61)), "base64", limits)).toEqual({ path: ".workflows/a.ts", message: expect.stringMatching(/is 101 bytes; the limit per file is 100 bytes/) });
  });
});
