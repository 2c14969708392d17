/**
 * `POST /repos/{owner}/{repo}/pulls` as GitHub answers it: a pull request from
 * an existing head branch into the base, numbered after the repository's
 * issues, sent as `pull_request.opened` from the App's bot; 422 "Validation
 * Failed" for a missing branch, a head with nothing new, or an open pull
 * request for the same branches; 403 without pull_requests: write.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readManifest, startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, installationOctokit, QUIET_LOG as quiet, startReceiver, type Receiver } from "../emulator/testing.ts";
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
  // Creating a branch needs contents: write, more than app.yml asks for.
  emulator = await startEmulator({ appPublicKey: keys.publicKey, webhooks: { url: receiver.url, secret: "s" }, permissions: { ...readManifest().permissions, contents: "write" } });
});

afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

beforeEach(async () => {
  emulator.addRepo({ fullName: FULL, installationId: 7, files: { "README.md": "one\n" } });
  emulator.openIssue(FULL, { number: 3, title: "Existing issue" });
  emulator.commit(FULL, { "feature.txt": "new\n" }, "Add feature", "feature");
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

describe("creating a pull request", () => {
  it("opens it with the next number, authored by the App's bot, with its diff counted", async () => {
    const { status, data, headers } = await octokit.rest.pulls.create({ ...REPO, title: "Feature", head: "feature", base: "main", body: "Adds it", draft: true });
    expect(status).toBe(201);
    expect(headers.location).toBe(`${emulator.url}/repos/acme/widgets/pulls/4`);
    expect(data).toMatchObject({
      number: 4,
      state: "open",
      title: "Feature",
      body: "Adds it",
      draft: true,
      user: { login: "repoflow[bot]" },
      head: { ref: "feature", sha: emulator.headSha(FULL, "feature") },
      base: { ref: "main", sha: emulator.headSha(FULL) },
      commits: 1,
      changed_files: 1,
    });
    const fetched = await octokit.rest.pulls.get({ ...REPO, pull_number: 4 });
    expect(fetched.data.title).toBe("Feature");
  });

  it("sends pull_request.opened with the App as sender", async () => {
    await octokit.rest.pulls.create({ ...REPO, title: "Feature", head: "feature", base: "main" });
    const delivery = await receiver.waitFor((item) => item.event === "pull_request");
    expect(delivery.payload).toMatchObject({ action: "opened", number: 4, sender: { login: "repoflow[bot]", type: "Bot" }, pull_request: { head: { ref: "feature" } } });
    expect(validatePayload("pull_request", "opened", delivery.payload)).toEqual([]);
  });

  it("takes the head as owner:branch, as GitHub allows for the same repository", async () => {
    const { data } = await octokit.rest.pulls.create({ ...REPO, title: "Feature", head: "acme:feature", base: "main" });
    expect(data.head.ref).toBe("feature");
  });

  it("answers 422 for a head branch that does not exist, recorded as a violation", async () => {
    const error = await octokit.rest.pulls.create({ ...REPO, title: "Nope", head: "missing", base: "main" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 422, response: { data: { message: "Validation Failed", errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] } } });
    expect(emulator.violations.splice(0)).toEqual([expect.stringContaining('has no branch "missing"')]);
  });

  it("answers 422 for a base branch that does not exist", async () => {
    await expect(octokit.rest.pulls.create({ ...REPO, title: "Nope", head: "feature", base: "release" })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ field: "base", code: "invalid" }] } },
    });
    expect(emulator.violations.splice(0)).toHaveLength(1);
  });

  it("answers 422 when the head has no commits the base lacks (not a violation: correct clients meet it)", async () => {
    const start = emulator.headSha(FULL);
    emulator.commit(FULL, { "README.md": "one\ntwo\n" }, "Main moves on");
    await expect(octokit.rest.pulls.create({ ...REPO, title: "Nothing", head: "main", base: "main" })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ code: "custom", message: "No commits between main and main" }] } },
    });
    // A branch behind its base has nothing to pull either.
    await octokit.rest.git.createRef({ ...REPO, ref: "refs/heads/old", sha: start });
    await expect(octokit.rest.pulls.create({ ...REPO, title: "Old", head: "old", base: "main" })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ message: "No commits between main and old" }] } },
    });
  });

  it("answers 422 when an open pull request for the same head and base exists, and allows one once it is closed", async () => {
    await octokit.rest.pulls.create({ ...REPO, title: "First", head: "feature", base: "main" });
    await expect(octokit.rest.pulls.create({ ...REPO, title: "Second", head: "feature", base: "main" })).rejects.toMatchObject({
      status: 422,
      response: { data: { errors: [{ code: "custom", message: "A pull request already exists for acme:feature." }] } },
    });
    emulator.closeIssue(FULL, 4);
    const { data } = await octokit.rest.pulls.create({ ...REPO, title: "Again", head: "feature", base: "main" });
    expect(data.number).toBe(5);
  });

  it("answers 422 without a title (the emulator does not convert issues)", async () => {
    await expect(octokit.rest.pulls.create({ ...REPO, head: "feature", base: "main" })).rejects.toMatchObject({ status: 422, response: { data: { errors: [{ field: "title", code: "missing_field" }] } } });
    await expect(octokit.rest.pulls.create({ ...REPO, head: "feature", base: "main", issue: 3 })).rejects.toMatchObject({ status: 422 });
    expect(emulator.violations.splice(0)).toEqual([expect.stringContaining("body.title is required"), expect.stringContaining("does not convert issues")]);
  });

  it("is refused (403) to a token without pull_requests: write", async () => {
    const app = new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey }, log: quiet });
    const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: 7, permissions: { pull_requests: "read", contents: "write" } });
    const reader = new Octokit({ baseUrl: emulator.url, auth: data.token, log: quiet });
    await expect(reader.rest.pulls.create({ ...REPO, title: "No", head: "feature", base: "main" })).rejects.toMatchObject({
      status: 403,
      response: { data: { message: "Resource not accessible by integration" } },
    });
    expect(emulator.violations.splice(0)).toEqual([expect.stringContaining("the token lacks pull_requests:write")]);
  });
});
