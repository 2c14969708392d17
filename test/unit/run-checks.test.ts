/**
 * A run's check run is never silently missing (invariant 8): against the
 * GitHub emulator, with the store on Node's SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../emulator/index.ts";
import type { Emulator } from "../emulator/types.ts";
import { closeCheckRun, CheckRunProgress, openCheckRun, recordOpening, type CheckRunTarget } from "../../src/dispatch/run-checks.ts";
import { getRun, insertRun } from "../../src/store/index.ts";
import { sqliteD1 } from "../support/sqlite-d1.ts";
import { generateAppKeys } from "./github-keys.ts";

let emulator: Emulator;
let headSha: string;
let env: { REPOFLOW_ENV: string; WEBHOOK_SECRET: string; APP_ID: string; PRIVATE_KEY: string; GITHUB_API_URL: string; DB: D1Database };
const REPO = "octo/run-checks";

beforeAll(async () => {
  const keys = await generateAppKeys();
  emulator = await startEmulator({ port: 0, appId: "1", appPublicKey: keys.publicKey });
  headSha = emulator.addRepo({ fullName: REPO, installationId: 51, files: { "README.md": "hi" } }).sha;
  env = { REPOFLOW_ENV: "local", WEBHOOK_SECRET: "s", APP_ID: "1", PRIVATE_KEY: keys.pkcs8, GITHUB_API_URL: emulator.url, DB: sqliteD1() };
}, 30_000);

afterAll(async () => {
  expect(emulator.violations).toEqual([]);
  await emulator?.close();
});

async function seed(runId: string, sha: string): Promise<CheckRunTarget> {
  await insertRun(env.DB, {
    id: runId, installationId: 51, repository: REPO, workflowFile: ".workflows/a.ts", workflowName: `Checks ${runId}`,
    event: "pull_request", action: "opened", deliveryId: `delivery-${runId}`, bundleHash: "ab".repeat(32), commitSha: sha, headSha: sha,
  });
  return { runId, installationId: 51, repository: REPO, headSha: sha, workflowName: `Checks ${runId}`, deliveryId: `delivery-${runId}` };
}

describe("run check runs (invariant 8)", () => {
  it("creates a check run on the next update when the open at the start failed", async () => {
    const target = await seed("run-checks-late", headSha);
    // GitHub rate-limits the start for longer than a step waits: the open fails for now.
    emulator.failNext({ path: /\/check-runs$/ }, { status: 429, headers: { "retry-after": "600" }, body: { message: "API rate limit exceeded" } });
    const opening = await openCheckRun(env, target);
    expect(opening).toMatchObject({ id: null, failed: expect.any(String) });
    expect(emulator.checkRuns(REPO).filter((c) => c.external_id === target.runId)).toEqual([]);

    await new CheckRunProgress(env, target, opening).progress([]);
    const created = emulator.checkRuns(REPO).filter((c) => c.external_id === target.runId);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ status: "in_progress", head_sha: headSha });
    expect((await getRun(env.DB, target.runId))?.checkRunId).toBe(created[0]!.id);
  });

  it("links the run's dashboard page as the check run's details_url when PUBLIC_URL says where the dashboard is", async () => {
    const headSha = emulator.headSha(REPO);
    const target = await seed("run-checks-details", headSha);
    await openCheckRun({ ...env, PUBLIC_URL: "https://repoflow.example.dev/" }, target);
    const created = emulator.checkRuns(REPO).find((c) => c.external_id === target.runId);
    expect(created?.details_url).toBe("https://repoflow.example.dev/runs/run-checks-details");
  });

  it("records a check run GitHub refuses on the run instead of dropping it, and the close does not retry it", async () => {
    const target = await seed("run-checks-refused", "f".repeat(40));
    const opening = await openCheckRun(env, target);
    expect(opening).toMatchObject({ id: null, refused: expect.stringContaining("422") });
    await recordOpening(env.DB, target.runId, opening);
    expect((await getRun(env.DB, target.runId))?.problem).toMatch(/^GitHub refused the check run \(422\): .*No commit found/);

    const before = emulator.requests.length;
    await closeCheckRun(env, target, null, { conclusion: "success" }, []);
    // One more attempt to open (the list for the ref is refused too), nothing else.
    expect(emulator.requests.slice(before).every((r) => r.status === 422 || r.path.endsWith("/access_tokens"))).toBe(true);
  });

  it("closes a run whose check run never opened by creating it completed", async () => {
    const target = await seed("run-checks-close", headSha);
    await closeCheckRun(env, target, null, { conclusion: "failure", error: { message: "boom" } }, []);
    const [check] = emulator.checkRuns(REPO).filter((c) => c.external_id === target.runId);
    expect(check).toMatchObject({ status: "completed", conclusion: "failure", actions: [] });
  });
});
