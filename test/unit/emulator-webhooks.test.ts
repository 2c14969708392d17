/**
 * The emulator sends the webhooks GitHub would send for what happens in it:
 * to a receiver on 127.0.0.1, signed with the webhook secret, with GitHub's
 * headers, each payload valid against GitHub's webhook schema
 * (@octokit/openapi-webhooks), the sender being whoever acted.
 */
import { createAppAuth } from "@octokit/auth-app";
import { verify } from "@octokit/webhooks-methods";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readManifest, startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, schemaCheckedFetch, startReceiver, type ReceivedDelivery, type Receiver } from "../emulator/testing.ts";
import { emit } from "../emulator/events.ts";
import { createFaultTable } from "../emulator/faults.ts";
import { addRepo, createWorld, requireRepo } from "../emulator/state.ts";
import { validatePayload } from "../emulator/webhook-schema.ts";
import { createHooks, settled } from "../emulator/webhooks.ts";

const SECRET = "webhook-test-secret";
const APP_ID = "31";
const FULL = "acme/widgets";
const REPO = { owner: "acme", repo: "widgets" };
const keys = appKeyPair();
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

let emulator: Emulator;
let receiver: Receiver;
let octokit: Octokit;
const shapeProblems: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  emulator = await startEmulator({
    appId: APP_ID,
    appPublicKey: keys.publicKey,
    webhooks: { url: receiver.url, secret: SECRET },
    // Merges and commit statuses need more than app.yml asks for; the permission tests cover the default grant.
    permissions: { ...readManifest().permissions, contents: "write", statuses: "write" },
  });
});

afterAll(async () => {
  await emulator?.close();
  await receiver?.close();
});

beforeEach(() => {
  emulator.addRepo({ fullName: FULL, installationId: 7, files: { "README.md": "# widgets\n" }, ownerType: "Organization" });
  emulator.reset();
  receiver.received.length = 0;
  shapeProblems.length = 0;
  octokit = new Octokit({
    baseUrl: emulator.url,
    authStrategy: createAppAuth,
    auth: { appId: APP_ID, privateKey: keys.privateKey, installationId: 7 },
    request: { fetch: schemaCheckedFetch(shapeProblems) },
    log: quiet,
  });
});

afterEach(async () => {
  await emulator.webhooksSettled();
  expect(emulator.violations).toEqual([]);
  expect(shapeProblems).toEqual([]);
});

/** What every delivery must carry, whatever its event. */
async function expectGitHubDelivery(delivery: ReceivedDelivery): Promise<void> {
  const { headers, payload } = delivery;
  expect(await verify(SECRET, delivery.body, headers["x-hub-signature-256"] ?? "")).toBe(true);
  expect(headers["x-github-delivery"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(headers).toMatchObject({
    "content-type": "application/json",
    "x-github-hook-installation-target-id": APP_ID,
    "x-github-hook-installation-target-type": "integration",
  });
  expect(headers["x-github-hook-id"]).toMatch(/^\d+$/);
  expect(headers["user-agent"]).toMatch(/^GitHub-Hookshot\//);
  const action = typeof payload.action === "string" ? payload.action : undefined;
  expect(validatePayload(delivery.event, action, payload)).toEqual([]);
  expect(payload).toMatchObject({ installation: { id: 7, node_id: expect.any(String) }, repository: { full_name: FULL }, organization: { login: "acme" } });
}

const is = (event: string, action?: string) => (delivery: ReceivedDelivery) => delivery.event === event && (action === undefined || delivery.payload.action === action);

async function received(event: string, action?: string): Promise<ReceivedDelivery> {
  const delivery = await receiver.waitFor(is(event, action));
  await expectGitHubDelivery(delivery);
  return delivery;
}

async function settledEvents(): Promise<string[]> {
  await emulator.webhooksSettled();
  return receiver.received.map((delivery) => [delivery.event, delivery.payload.action].filter(Boolean).join("."));
}

describe("webhooks for what the App does", () => {
  it("sends issue_comment.created for a comment made with an installation token, from the bot and via the App", async () => {
    emulator.openIssue(FULL, { number: 1, title: "Bug" });
    await octokit.rest.issues.createComment({ ...REPO, issue_number: 1, body: "Thanks!" });
    const { payload } = await received("issue_comment", "created");
    expect(payload).toMatchObject({
      sender: { login: "repoflow[bot]", type: "Bot" },
      comment: { body: "Thanks!", user: { login: "repoflow[bot]" }, performed_via_github_app: { id: Number(APP_ID), slug: "repoflow" } },
      issue: { number: 1 },
    });
  });

  it("sends labeled and unlabeled for a pull request's labels as pull_request events", async () => {
    emulator.openPullRequest(FULL, { number: 2, title: "Feature", head: "feature", base: "main" });
    await octokit.rest.issues.addLabels({ ...REPO, issue_number: 2, labels: ["size/S", "triage"] });
    await octokit.rest.issues.removeLabel({ ...REPO, issue_number: 2, name: "triage" });
    expect(await settledEvents()).toEqual(["pull_request.opened", "pull_request.labeled", "pull_request.labeled", "pull_request.unlabeled"]);
    for (const delivery of receiver.received) await expectGitHubDelivery(delivery);
    expect(receiver.received.slice(1).map((delivery) => (delivery.payload.label as { name: string }).name)).toEqual(["size/S", "triage", "triage"]);
    expect(receiver.received[3]?.payload).toMatchObject({ number: 2, sender: { login: "repoflow[bot]" }, pull_request: { labels: [{ name: "size/S" }] } });
  });

  it("sends check_run.created and .completed with the App as check_run.app, then check_suite.completed once every run is done", async () => {
    const head = emulator.headSha(FULL);
    const first = await octokit.rest.checks.create({ ...REPO, name: "one", head_sha: head, status: "in_progress" });
    const second = await octokit.rest.checks.create({ ...REPO, name: "two", head_sha: head, status: "queued" });
    await octokit.rest.checks.update({ ...REPO, check_run_id: first.data.id, conclusion: "success" });
    expect(await settledEvents()).toEqual(["check_run.created", "check_run.created", "check_run.completed"]);
    await octokit.rest.checks.update({ ...REPO, check_run_id: second.data.id, conclusion: "failure" });
    expect(await settledEvents()).toEqual(["check_run.created", "check_run.created", "check_run.completed", "check_run.completed", "check_suite.completed"]);
    for (const delivery of receiver.received) await expectGitHubDelivery(delivery);
    expect(receiver.received[0]?.payload).toMatchObject({
      sender: { login: "repoflow[bot]" },
      check_run: { id: first.data.id, status: "in_progress", head_sha: head, app: { id: Number(APP_ID), slug: "repoflow" }, check_suite: { head_sha: head } },
    });
    expect(receiver.received[4]?.payload).toMatchObject({
      check_suite: { head_sha: head, head_branch: "main", status: "completed", conclusion: "failure", app: { id: Number(APP_ID) }, latest_check_runs_count: 2 },
    });
  });

  it("sends pull_request.closed with merged true and the base branch's push for a merge", async () => {
    emulator.openPullRequest(FULL, { number: 3, title: "Feature", head: "feature", base: "main" });
    emulator.commit(FULL, { "feature.txt": "new\n" }, "Add feature", "feature");
    const { data } = await octokit.rest.pulls.merge({ ...REPO, pull_number: 3 });
    expect(await settledEvents()).toEqual(["pull_request.opened", "push", "pull_request.synchronize", "pull_request.closed", "push"]);
    for (const delivery of receiver.received) await expectGitHubDelivery(delivery);
    expect(receiver.received[3]?.payload).toMatchObject({ pull_request: { merged: true, merge_commit_sha: data.sha, state: "closed" }, sender: { login: "repoflow[bot]" } });
    expect(receiver.received[4]?.payload).toMatchObject({ ref: "refs/heads/main", after: data.sha, head_commit: { id: data.sha } });
  });

  it("sends pull_request.closed with merged false and issues.closed with the state reason for PATCH …/issues/{n}", async () => {
    emulator.openPullRequest(FULL, { number: 4, title: "Abandoned", head: "abandoned", base: "main" });
    emulator.openIssue(FULL, { number: 5, title: "Won't fix" });
    await octokit.rest.issues.update({ ...REPO, issue_number: 4, state: "closed" });
    await octokit.rest.issues.update({ ...REPO, issue_number: 5, state: "closed", state_reason: "not_planned" });
    await octokit.rest.issues.update({ ...REPO, issue_number: 5, state: "open" });
    expect(await settledEvents()).toEqual(["pull_request.opened", "issues.opened", "pull_request.closed", "issues.closed", "issues.reopened"]);
    for (const delivery of receiver.received) await expectGitHubDelivery(delivery);
    expect(receiver.received[2]?.payload).toMatchObject({ pull_request: { merged: false, state: "closed" } });
    expect(receiver.received[3]?.payload).toMatchObject({ issue: { state: "closed", state_reason: "not_planned" } });
  });

  it("sends issues.opened then issues.labeled for an issue created with labels", async () => {
    const { data } = await octokit.rest.issues.create({ ...REPO, title: "Deploy v2", labels: ["deploy"] });
    expect(await settledEvents()).toEqual(["issues.opened", "issues.labeled"]);
    for (const delivery of receiver.received) await expectGitHubDelivery(delivery);
    expect(receiver.received[1]?.payload).toMatchObject({ issue: { number: data.number, labels: [{ name: "deploy" }] }, label: { name: "deploy" } });
  });

  it("sends status for a commit status", async () => {
    const head = emulator.headSha(FULL);
    await octokit.rest.repos.createCommitStatus({ ...REPO, sha: head, state: "pending", context: "repoflow/ci", description: "running" });
    const { payload } = await received("status");
    expect(payload).toMatchObject({ sha: head, state: "pending", context: "repoflow/ci", description: "running", name: FULL, branches: [{ name: "main" }] });
  });
});

describe("webhooks for what a person does", () => {
  it("sends a person's comment from that person, without performed_via_github_app", async () => {
    emulator.openIssue(FULL, { number: 1, title: "Deploy", user: "mona" });
    emulator.comment(FULL, 1, "/approve", { user: "hubot" });
    const { payload } = await received("issue_comment", "created");
    expect(payload).toMatchObject({ sender: { login: "hubot", type: "User" }, comment: { body: "/approve", user: { login: "hubot" }, performed_via_github_app: null } });
    expect((await received("issues", "opened")).payload).toMatchObject({ sender: { login: "mona" }, issue: { user: { login: "mona" } } });
  });

  it("sends labeled, unlabeled, a submitted review, closed and reopened, each from the person", async () => {
    emulator.openPullRequest(FULL, { number: 6, title: "Change", head: "change", base: "main", user: "mona" });
    emulator.label(FULL, 6, "deploy", { user: "hubot" });
    emulator.unlabel(FULL, 6, "deploy", { user: "hubot" });
    emulator.review(FULL, 6, { state: "APPROVED", body: "LGTM", user: "reviewer" });
    emulator.closeIssue(FULL, 6, { user: "mona" });
    emulator.reopenIssue(FULL, 6, { user: "mona" });
    expect(await settledEvents()).toEqual([
      "pull_request.opened",
      "pull_request.labeled",
      "pull_request.unlabeled",
      "pull_request_review.submitted",
      "pull_request.closed",
      "pull_request.reopened",
    ]);
    for (const delivery of receiver.received) await expectGitHubDelivery(delivery);
    expect(receiver.received.map((delivery) => (delivery.payload.sender as { login: string }).login)).toEqual(["mona", "hubot", "hubot", "reviewer", "mona", "mona"]);
    expect(receiver.received[3]?.payload).toMatchObject({ review: { state: "approved", body: "LGTM", user: { login: "reviewer" } }, pull_request: { number: 6 } });
  });

  it("sends push for a commit, listing it, and pull_request.synchronize with the pull request's size", async () => {
    emulator.openPullRequest(FULL, { number: 7, title: "Grow", head: "grow", base: "main" });
    const before = emulator.headSha(FULL, "grow");
    const { sha } = emulator.commit(FULL, { "a.txt": "1\n2\n3\n" }, "Add a", "grow", { user: "mona" });
    expect(await settledEvents()).toEqual(["pull_request.opened", "push", "pull_request.synchronize"]);
    for (const delivery of receiver.received) await expectGitHubDelivery(delivery);
    expect(receiver.received[1]?.payload).toMatchObject({
      ref: "refs/heads/grow",
      before,
      after: sha,
      pusher: { name: "mona" },
      sender: { login: "mona" },
      commits: [{ id: sha, message: "Add a", added: ["a.txt"] }],
    });
    expect(receiver.received[2]?.payload).toMatchObject({ before, after: sha, pull_request: { head: { sha }, additions: 3, deletions: 0, changed_files: 1, commits: 1 } });
  });
});

describe("delivery", () => {
  it("answers the API before the delivery is done", async () => {
    const hanging = await startReceiver(() => null);
    const other = await startEmulator({ webhooks: { url: hanging.url, timeoutMs: 3000 } });
    try {
      other.addRepo({ fullName: FULL, installationId: 7, files: {} });
      other.openIssue(FULL, { number: 1, title: "Slow receiver" });
      await hanging.waitFor(is("issues", "opened"));
      // The receiver holds the delivery open; the API still answers.
      const response = await fetch(`${other.url}/repos/${FULL}`);
      expect(response.status).toBe(404);
      expect(other.deliveries()).toEqual([]);
    } finally {
      await other.close();
      await hanging.close();
    }
  });

  it("delivers one at a time, in the order things happened", async () => {
    emulator.openIssue(FULL, { number: 1, title: "Chatty" });
    for (let index = 0; index < 8; index++) emulator.comment(FULL, 1, `comment ${index}`);
    await emulator.webhooksSettled();
    const bodies = receiver.received.filter(is("issue_comment")).map((delivery) => (delivery.payload.comment as { body: string }).body);
    expect(bodies).toEqual(Array.from({ length: 8 }, (_, index) => `comment ${index}`));
    const ids = emulator.deliveries().map((delivery) => delivery.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it("sends only the events the App subscribes to", async () => {
    const pushOnly = await startReceiver();
    const other = await startEmulator({ webhooks: { url: pushOnly.url, events: ["push"] } });
    try {
      other.addRepo({ fullName: FULL, installationId: 7, files: {} });
      other.openIssue(FULL, { number: 1, title: "Not sent" });
      other.comment(FULL, 1, "Not sent either");
      other.commit(FULL, { "a.txt": "a" });
      await other.webhooksSettled();
      expect(pushOnly.received.map((delivery) => delivery.event)).toEqual(["push"]);
    } finally {
      await other.close();
      await pushOnly.close();
    }
  });

  it("sends nothing and logs nothing without the webhooks option", async () => {
    const other = await startEmulator();
    try {
      other.addRepo({ fullName: FULL, installationId: 7, files: {} });
      other.openIssue(FULL, { number: 1, title: "Quiet" });
      other.commit(FULL, { "a.txt": "a" });
      await other.webhooksSettled();
      expect(other.deliveries()).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it("records a payload that breaks GitHub's webhook schema as a violation, and still sends it", async () => {
    const world = createWorld("1", "repoflow", readManifest().permissions, createFaultTable(1), createHooks("1", { url: receiver.url }, ["issues"]));
    addRepo(world, { fullName: FULL, installationId: 7, files: {} });
    emit({ url: "http://127.0.0.1:1", world }, requireRepo(world, FULL), { login: "mona" }, "issues", "opened", { issue: { number: "one" } });
    await settled(world.hooks);
    expect(world.violations).toContain("webhook issues.opened: payload.issue.number must be integer");
    expect(receiver.received.map((delivery) => delivery.event)).toEqual(["issues"]);
    world.hooks.stop.abort();
  });

  it("omits the signature headers without a secret, as GitHub does", async () => {
    const unsigned = await startReceiver();
    const other = await startEmulator({ webhooks: { url: unsigned.url } });
    try {
      other.addRepo({ fullName: FULL, installationId: 7, files: {} });
      other.openIssue(FULL, { number: 1, title: "Unsigned" });
      const delivery = await unsigned.waitFor(is("issues"));
      expect(delivery.headers["x-hub-signature-256"]).toBeUndefined();
      expect(delivery.headers["x-github-event"]).toBe("issues");
    } finally {
      await other.close();
      await unsigned.close();
    }
  });
});
