import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator } from "../emulator/index.ts";
import type { Emulator } from "../emulator/types.ts";
import { createGitHubClient, InstallationTokenCache, renderCheckRunOutput, updateCheckRun, upsertCheckRun, type CheckRunAnnotation, type GitHubClient } from "../../src/github";
import { generateAppKeys } from "./github-keys.ts";

let emulator: Emulator;
let octokit: GitHubClient;
let headSha: string;
let appKey: string;
const owner = "octo";
const repo = "checks";

beforeAll(async () => {
  const keys = await generateAppKeys();
  emulator = await startEmulator({ port: 0, appId: "1", appPublicKey: keys.publicKey });
  appKey = keys.pkcs8;
  headSha = emulator.addRepo({ fullName: "octo/checks", installationId: 41, files: { ".workflows/release.ts": "export {}" } }).sha;
}, 30_000);

// A client per test: the throttling plugin spaces one client's writes by GitHub's recommended second.
beforeEach(() => {
  octokit = createGitHubClient(
    { appId: "1", privateKey: appKey, githubApiUrl: emulator.url },
    { as: { type: "installation", installationId: 41, repository: "octo/checks" }, tokens: new InstallationTokenCache(), retryUnitMs: 10 },
  );
});

afterEach(() => {
  const violations = [...emulator.violations];
  emulator.reset();
  expect(violations).toEqual([]);
});

afterAll(async () => {
  await emulator?.close();
});

const patches = () => emulator.requests.filter((r) => r.method === "PATCH" && r.path.includes("/check-runs/"));
const annotations = (count: number): CheckRunAnnotation[] =>
  Array.from({ length: count }, (_, i) => ({ path: ".workflows/release.ts", start_line: i + 1, end_line: i + 1, annotation_level: "warning", message: `warning ${i}` }));

describe("check runs", () => {
  it("creates one check run when upserted twice with the same name and external id", async () => {
    const run = { owner, repo, headSha, name: "repoflow: twice", externalId: "run-twice" };
    const first = await upsertCheckRun(octokit, run);
    const second = await upsertCheckRun(octokit, run);
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false });
    expect(emulator.checkRuns("octo/checks").filter((c) => c.name === "repoflow: twice")).toHaveLength(1);
    expect(emulator.requests.filter((r) => r.method === "POST" && r.path.endsWith("/check-runs"))).toHaveLength(1);
  });

  it("creates a second check run of the same name for another run on the same commit", async () => {
    const first = await upsertCheckRun(octokit, { owner, repo, headSha, name: "repoflow: rerun", externalId: "run-a" });
    const second = await upsertCheckRun(octokit, { owner, repo, headSha, name: "repoflow: rerun", externalId: "run-b" });
    expect(second.id).not.toBe(first.id);
    expect(emulator.checkRuns("octo/checks").filter((c) => c.name === "repoflow: rerun").map((c) => c.external_id)).toEqual(["run-a", "run-b"]);
  });

  it("moves a check run from in_progress to completed with its output", async () => {
    const { id } = await upsertCheckRun(octokit, { owner, repo, headSha, name: "repoflow: lifecycle", externalId: "run-life", status: "in_progress" });
    const output = renderCheckRunOutput({ title: "release", steps: [{ name: "build", status: "succeeded", durationMs: 5, attempts: 1 }] });
    await updateCheckRun(octokit, { owner, repo, checkRunId: id, state: { status: "in_progress" }, output });
    expect(emulator.checkRuns("octo/checks").find((c) => c.id === id)).toMatchObject({ status: "in_progress", conclusion: null });
    await updateCheckRun(octokit, { owner, repo, checkRunId: id, state: { status: "completed", conclusion: "success" }, output });
    expect(emulator.checkRuns("octo/checks").find((c) => c.id === id)).toMatchObject({ status: "completed", conclusion: "success", output: { title: "release", summary: output.summary } });
  });

  it.each(["failure", "cancelled", "skipped"] as const)("completes a check run as %s", async (conclusion) => {
    const { id } = await upsertCheckRun(octokit, { owner, repo, headSha, name: `repoflow: ${conclusion}`, externalId: `run-${conclusion}` });
    await updateCheckRun(octokit, { owner, repo, checkRunId: id, state: { status: "completed", conclusion } });
    expect(emulator.checkRuns("octo/checks").find((c) => c.id === id)).toMatchObject({ status: "completed", conclusion });
  });

  it("sends 120 annotations in three PATCH requests of at most 50, completing with the last", async () => {
    const { id } = await upsertCheckRun(octokit, { owner, repo, headSha, name: "repoflow: annotations", externalId: "run-ann", status: "in_progress" });
    const output = { ...renderCheckRunOutput({ title: "lint", steps: [] }), annotations: annotations(120) };
    await updateCheckRun(octokit, { owner, repo, checkRunId: id, state: { status: "completed", conclusion: "failure" }, output });

    const sent = patches().map((r) => r.body as { status?: string; output: { annotations: unknown[] } });
    expect(sent.map((body) => body.output.annotations.length)).toEqual([50, 50, 20]);
    expect(sent.map((body) => body.status)).toEqual([undefined, undefined, "completed"]);
    const stored = emulator.checkRuns("octo/checks").find((c) => c.id === id)!;
    expect(stored).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(stored.output.annotations.map((a) => a.message)).toEqual(annotations(120).map((a) => a.message));
  });

  it("does not append annotations twice when a retried step sends the same update again", async () => {
    const { id } = await upsertCheckRun(octokit, { owner, repo, headSha, name: "repoflow: retried", externalId: "run-retried" });
    const output = { ...renderCheckRunOutput({ title: "lint", steps: [] }), annotations: annotations(70) };
    await updateCheckRun(octokit, { owner, repo, checkRunId: id, state: { status: "completed", conclusion: "failure" }, output });
    await updateCheckRun(octokit, { owner, repo, checkRunId: id, state: { status: "completed", conclusion: "failure" }, output });
    expect(emulator.checkRuns("octo/checks").find((c) => c.id === id)!.output.annotations).toHaveLength(70);
  });

  it("creates a check run with more than 50 annotations in batches", async () => {
    const output = { ...renderCheckRunOutput({ title: "compile", steps: [] }), annotations: annotations(60) };
    const { id } = await upsertCheckRun(octokit, { owner, repo, headSha, name: "repoflow: born annotated", externalId: "run-born", output });
    expect(emulator.requests.find((r) => r.method === "POST" && r.path.endsWith("/check-runs"))!.body).toMatchObject({ output: { annotations: expect.any(Array) } });
    expect(patches().map((r) => (r.body as { output: { annotations: unknown[] } }).output.annotations.length)).toEqual([10]);
    expect(emulator.checkRuns("octo/checks").find((c) => c.id === id)!.output.annotations).toHaveLength(60);
  });

  it("stores a summary over 65535 characters truncated, with the marker visible", async () => {
    const steps = Array.from({ length: 4000 }, (_, i) => ({ name: `a step with a long name, number ${i}`, status: "succeeded" as const, durationMs: i }));
    const output = renderCheckRunOutput({ title: "huge", steps });
    const { id } = await upsertCheckRun(octokit, { owner, repo, headSha, name: "repoflow: huge", externalId: "run-huge" });
    await updateCheckRun(octokit, { owner, repo, checkRunId: id, state: { status: "completed", conclusion: "success" }, output });
    const summary = emulator.checkRuns("octo/checks").find((c) => c.id === id)!.output.summary!;
    expect(summary.length).toBeLessThanOrEqual(65_535);
    expect(summary).toContain("more characters cut by repoflow to fit GitHub's limit of 65535");
  });

  it("annotates a compile error at its file and line", async () => {
    const output = renderCheckRunOutput({ title: "compile failed", steps: [], error: { message: "Unexpected }", file: ".workflows/release.ts", line: 3, column: 1 } });
    const { id } = await upsertCheckRun(octokit, { owner, repo, headSha, name: "repoflow: compile", externalId: "run-compile" });
    await updateCheckRun(octokit, { owner, repo, checkRunId: id, state: { status: "completed", conclusion: "failure" }, output });
    expect(emulator.checkRuns("octo/checks").find((c) => c.id === id)!.output.annotations).toEqual([
      expect.objectContaining({ path: ".workflows/release.ts", start_line: 3, end_line: 3, annotation_level: "failure", message: "Unexpected }" }),
    ]);
  });
});
