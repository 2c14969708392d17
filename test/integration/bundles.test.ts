/**
 * Which compile outcomes may be cached per tree (item: only the author's own
 * errors are). describeBundle runs the bundle in its Dynamic Worker: an
 * infrastructure fault must throw (so the ingest step retries and nothing is
 * saved), while the author's broken bundle is a diagnostic.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { describeBundle } from "../../src/dispatch/bundles";
import { putArtifact } from "../../src/dispatch/artifacts";
import { RUNTIME_MODULES } from "../../src/runtime";

const ref = (bundleHash: string) => ({ installationId: 9901, repository: "bundles-org/repo", bundleHash });

async function store(hash: string, code: string) {
  await putArtifact(env.BLOBS, { hash, modules: { ...RUNTIME_MODULES, "bundle.js": code }, commitSha: "3".repeat(40), createdAt: new Date().toISOString() });
}

describe("describeBundle: only the author's errors become diagnostics", () => {
  it("throws when the bundle's artifact is missing from R2, instead of calling the code broken", async () => {
    await expect(describeBundle(env, ref("e".repeat(64)))).rejects.toThrow(/missing from the BLOBS bucket|bundle/);
  });

  it("throws when the Worker Loader itself fails", async () => {
    const failingLoader = { get: () => { throw new Error("loader: internal error"); } } as unknown as WorkerLoader;
    await expect(describeBundle({ ...env, LOADER: failingLoader }, ref("f".repeat(64)))).rejects.toThrow("loader: internal error");
  });

  it("returns the author's top-level throw as a problem", async () => {
    const hash = `a${crypto.randomUUID().replaceAll("-", "")}`.padEnd(64, "0");
    await store(hash, `throw new Error("the author's top level broke");\nexport const workflows = {};\n`);
    const result = await describeBundle(env, ref(hash));
    expect(result.problems).toEqual([{ file: ".workflows", message: expect.stringContaining("the author's top level broke") }]);
  });
});
