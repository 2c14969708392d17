/**
 * Recovery makes a finished run's check run say its outcome (invariant 8),
 * when the close that followed the row's last write was cut short: against
 * the GitHub emulator, the store on Node's SQLite and a fake engine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../emulator/index.ts";
import type { Emulator } from "../emulator/types.ts";
import { recoverStranded } from "../../src/dispatch/recovery.ts";
import { cancelInstanceId } from "../../src/dispatch/controls.ts";
import { openCheckRun } from "../../src/dispatch/run-checks.ts";
import { finishRun, getRun, insertRun, markRunStarted } from "../../src/store/index.ts";
import { sqliteD1 } from "../support/sqlite-d1.ts";
import { fakeEngine, type FakeEngine } from "../integration/fake-engine.ts";
import { generateAppKeys } from "./github-keys.ts";

let emulator: Emulator;
let headSha: string;
let env: { REPOFLOW_ENV: string; WEBHOOK_SECRET: string; APP_ID: string; PRIVATE_KEY: string; GITHUB_API_URL: string; DB: D1Database };
const REPO = "octo/recovery-checks";

// The inbox shards recovery re-arms; none holds anything here.
const inbox = { idFromName: (name: string) => name, get: () => ({ rearm: async () => 0 }) } as unknown as DurableObjectNamespace;

beforeAll(async () => {
  const keys = await generateAppKeys();
  emulator = await startEmulator({ port: 0, appId: "1", appPublicKey: keys.publicKey });
  headSha = emulator.addRepo({ fullName: REPO, installationId: 61, files: { "README.md": "hi" } }).sha;
  env = { REPOFLOW_ENV: "local", WEBHOOK_SECRET: "s", APP_ID: "1", PRIVATE_KEY: keys.pkcs8, GITHUB_API_URL: emulator.url, DB: sqliteD1() };
}, 30_000);

afterAll(async () => {
  expect(emulator.violations).toEqual([]);
  await emulator?.close();
});

/** A run whose row says `status` and whose check run GitHub still shows in progress: the close was cut short. */
async function finishedWithOpenCheck(id: string, status: "succeeded" | "cancelled") {
  await insertRun(env.DB, {
    id, installationId: 61, repository: REPO, workflowFile: ".workflows/a.ts", workflowName: `Recovery ${id}`,
    event: "pull_request", action: "opened", deliveryId: `delivery-${id}`, bundleHash: "ab".repeat(32), commitSha: headSha, headSha,
  });
  const opening = await openCheckRun(env, { runId: id, installationId: 61, repository: REPO, headSha, workflowName: `Recovery ${id}`, deliveryId: `delivery-${id}` });
  await markRunStarted(env.DB, id, opening.id);
  await finishRun(env.DB, id, status, status === "cancelled" ? "Cancelled by a person." : undefined);
}

const check = (id: string) => emulator.checkRuns(REPO).find((c) => c.external_id === id);

function recover(runs: FakeEngine, controls: FakeEngine, kick: boolean) {
  return recoverStranded(
    { ...env, BLOBS: {} as R2Bucket, INBOX: inbox, INGEST: fakeEngine().binding, WORKFLOWS: runs.binding, CONTROLS: controls.binding },
    { kick, quietMs: 0, includeSleeping: true, now: new Date(Date.now() + 60_000) },
  );
}

describe("recovery closes check runs a process death left open (invariant 8)", () => {
  it("kicks the run still stranded in its close, locally, and leaves it to the engine in production", async () => {
    await finishedWithOpenCheck("run-rc-stranded", "succeeded");
    const runs = fakeEngine({ "run-rc-stranded": { status: "running" } });
    expect((await recover(runs, fakeEngine(), false)).kicked).toEqual([]);
    expect((await recover(runs, fakeEngine(), true)).kicked).toEqual(["run-rc-stranded"]);
    expect(check("run-rc-stranded")?.status).toBe("in_progress");
  });

  it("closes the check run itself when the run's instance is over, with the row's outcome", async () => {
    await finishedWithOpenCheck("run-rc-over", "succeeded");
    const report = await recover(fakeEngine({ "run-rc-over": { status: "complete" } }), fakeEngine(), true);
    expect(report.closed).toContain("run-rc-over");
    expect(check("run-rc-over")).toMatchObject({ status: "completed", conclusion: "success", actions: [] });
    // Closed once: a later pass leaves it alone.
    expect((await recover(fakeEngine({ "run-rc-over": { status: "complete" } }), fakeEngine(), true)).closed).not.toContain("run-rc-over");
  });

  it("closes a cancelled run's check run when its control run is gone, and kicks a control run still live", async () => {
    await finishedWithOpenCheck("run-rc-cancelled", "cancelled");
    const controls = fakeEngine({ [cancelInstanceId("run-rc-cancelled")]: { status: "running" } });
    expect((await recover(fakeEngine(), controls, true)).kicked).toEqual([cancelInstanceId("run-rc-cancelled")]);
    controls.set(cancelInstanceId("run-rc-cancelled"), { status: "complete" });
    expect((await recover(fakeEngine(), controls, true)).closed).toContain("run-rc-cancelled");
    expect(check("run-rc-cancelled")).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(await getRun(env.DB, "run-rc-cancelled")).toMatchObject({ status: "cancelled" });
  });
});
