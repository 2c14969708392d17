/**
 * People acting on what the App made, and the webhooks GitHub sends for it:
 * editing a comment (`issue_comment.edited` with the old body in
 * `changes.body.from`, from the API too), clicking a check run's button
 * (`check_run.requested_action` naming its identifier) and asking for a
 * re-run (`check_run.rerequested`), each with the person as `sender`; the same
 * from another process through `/_emulator/`. And `GET /app` lists the events
 * the App subscribes to.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readManifest, startEmulator, UnknownCheckRunActionError, UnknownCheckRunError, UnknownCommentError, type Emulator } from "../emulator/index.ts";
import { appKeyPair, installationOctokit, QUIET_LOG as quiet, schemaCheckedFetch, startReceiver, type ReceivedDelivery, type Receiver } from "../emulator/testing.ts";
import { validatePayload } from "../emulator/webhook-schema.ts";

const FULL = "acme/widgets";
const REPO = { owner: "acme", repo: "widgets" };
const keys = appKeyPair();
const shapeProblems: string[] = [];
let emulator: Emulator;
let receiver: Receiver;
let octokit: Octokit;

beforeAll(async () => {
  receiver = await startReceiver();
  emulator = await startEmulator({ appPublicKey: keys.publicKey, webhooks: { url: receiver.url, secret: "s" } });
});

afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

beforeEach(async () => {
  emulator.addRepo({ fullName: FULL, installationId: 7, files: { "README.md": "hi\n" } });
  emulator.openIssue(FULL, { number: 1, title: "Deploy" });
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

async function only(event: string, action: string): Promise<ReceivedDelivery> {
  await emulator.webhooksSettled();
  const matching = receiver.received.filter((delivery) => delivery.event === event && delivery.payload.action === action);
  expect(matching).toHaveLength(1);
  const [delivery] = matching;
  if (!delivery) throw new Error(`no ${event}.${action}`);
  expect(validatePayload(event, action, delivery.payload)).toEqual([]);
  return delivery;
}

describe("editing a comment", () => {
  it("sends issue_comment.edited with the old body, from the comment's author by default", async () => {
    const { id } = emulator.comment(FULL, 1, "/deploy staging", { user: "mona" });
    emulator.editComment(FULL, id, "/deploy production");
    const { payload } = await only("issue_comment", "edited");
    expect(payload).toMatchObject({ changes: { body: { from: "/deploy staging" } }, comment: { id, body: "/deploy production", user: { login: "mona" } }, issue: { number: 1 }, sender: { login: "mona" } });
    expect(emulator.comments(FULL, 1)).toEqual([{ id, body: "/deploy production", user: "mona" }]);
  });

  it("names whoever else edited it as the sender", async () => {
    const { id } = emulator.comment(FULL, 1, "typo", { user: "mona" });
    emulator.editComment(FULL, id, "fixed", { user: "hubot" });
    expect((await only("issue_comment", "edited")).payload).toMatchObject({ sender: { login: "hubot" }, comment: { user: { login: "mona" } } });
  });

  it("sends issue_comment.edited from the App's bot for PATCH …/issues/comments/{id}", async () => {
    const { data } = await octokit.rest.issues.createComment({ ...REPO, issue_number: 1, body: "Queued" });
    await octokit.rest.issues.updateComment({ ...REPO, comment_id: data.id, body: "Done" });
    const { payload } = await only("issue_comment", "edited");
    expect(payload).toMatchObject({ changes: { body: { from: "Queued" } }, sender: { login: "repoflow[bot]" }, comment: { body: "Done", performed_via_github_app: { slug: "repoflow" } } });
  });

  it("throws UnknownCommentError for an id the repository does not have", () => {
    expect(() => emulator.editComment(FULL, 999_999, "x")).toThrow(UnknownCommentError);
  });
});

describe("check run buttons", () => {
  let runId = 0;

  beforeEach(async () => {
    const { data } = await octokit.rest.checks.create({
      ...REPO,
      name: "deploy",
      head_sha: emulator.headSha(FULL),
      status: "in_progress",
      actions: [{ label: "Cancel", description: "Stop the run", identifier: "cancel" }],
    });
    runId = data.id;
    await emulator.webhooksSettled();
    receiver.received.length = 0;
  });

  it("clickCheckRunAction sends check_run.requested_action with the identifier, the person as sender", async () => {
    emulator.clickCheckRunAction(FULL, runId, "cancel", { user: "mona" });
    const { payload } = await only("check_run", "requested_action");
    expect(payload).toMatchObject({ requested_action: { identifier: "cancel" }, sender: { login: "mona", type: "User" }, check_run: { id: runId, status: "in_progress", app: { slug: "repoflow" } } });
    expect(emulator.checkRuns(FULL)[0]?.status).toBe("in_progress");
  });

  it("refuses a button the check run does not offer, and a check run that does not exist", () => {
    expect(() => emulator.clickCheckRunAction(FULL, runId, "deploy", { user: "mona" })).toThrow(UnknownCheckRunActionError);
    expect(() => emulator.clickCheckRunAction(FULL, runId, "deploy")).toThrow(/offers no button "deploy" \(it has "cancel"\)/);
    expect(() => emulator.rerequestCheckRun(FULL, 424242)).toThrow(UnknownCheckRunError);
  });

  it("rerequestCheckRun sends check_run.rerequested and leaves the run as it was", async () => {
    await octokit.rest.checks.update({ ...REPO, check_run_id: runId, conclusion: "failure" });
    await emulator.webhooksSettled();
    receiver.received.length = 0;
    emulator.rerequestCheckRun(FULL, runId, { user: "hubot" });
    const { payload } = await only("check_run", "rerequested");
    expect(payload).toMatchObject({ sender: { login: "hubot" }, check_run: { id: runId, conclusion: "failure" } });
    expect(emulator.checkRuns(FULL)).toHaveLength(1);
  });

  it("POST /_emulator/repos/:owner/:repo/check-runs/:id/actions clicks from another process", async () => {
    const clicked = await fetch(`${emulator.url}/_emulator/repos/acme/widgets/check-runs/${runId}/actions`, { method: "POST", body: JSON.stringify({ identifier: "cancel", user: "mona" }) });
    expect(clicked.status).toBe(202);
    expect((await only("check_run", "requested_action")).payload).toMatchObject({ requested_action: { identifier: "cancel" }, sender: { login: "mona" } });
    const unknownButton = await fetch(`${emulator.url}/_emulator/repos/acme/widgets/check-runs/${runId}/actions`, { method: "POST", body: JSON.stringify({ identifier: "nope" }) });
    expect(unknownButton.status).toBe(422);
    const unknownRun = await fetch(`${emulator.url}/_emulator/repos/acme/widgets/check-runs/424242/actions`, { method: "POST", body: JSON.stringify({ identifier: "cancel" }) });
    expect(unknownRun.status).toBe(404);
  });
});

describe("GET /app", () => {
  const appEvents = async (target: Emulator) => {
    const app = new Octokit({ baseUrl: target.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey }, request: { fetch: schemaCheckedFetch(shapeProblems) }, log: quiet });
    return (await app.rest.apps.getAuthenticated()).data?.events;
  };

  it("lists app.yml's default_events, webhooks or not", async () => {
    expect(await appEvents(emulator)).toEqual(readManifest().events);
    const quietOne = await startEmulator({ appPublicKey: keys.publicKey });
    try {
      expect(await appEvents(quietOne)).toEqual(readManifest().events);
    } finally {
      await quietOne.close();
    }
  });

  it("lists the webhooks.events option when it is given", async () => {
    const pushOnly = await startEmulator({ appPublicKey: keys.publicKey, webhooks: { url: receiver.url, events: ["push", "check_run"] } });
    try {
      expect(await appEvents(pushOnly)).toEqual(["push", "check_run"]);
    } finally {
      await pushOnly.close();
    }
  });
});
