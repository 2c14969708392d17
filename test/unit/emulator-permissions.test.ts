/**
 * Installations grant what app.yml declares and no more: a token without the
 * permission an endpoint needs gets GitHub's 403 "Resource not accessible by
 * integration", recorded as a violation, so a workflow or service call that
 * needs more than the manifest asks for fails here first.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HANDLERS, REQUIRED_PERMISSIONS } from "../emulator/handlers.ts";
import { readManifest, startEmulator, type Emulator } from "../emulator/index.ts";
import { parseManifest } from "../emulator/manifest.ts";
import { operationById } from "../emulator/openapi.ts";
import { appKeyPair } from "../emulator/testing.ts";

const FULL = "acme/widgets";
const REPO = { owner: "acme", repo: "widgets" };
const keys = appKeyPair();
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
let emulator: Emulator;
let octokit: Octokit;

beforeAll(async () => {
  emulator = await startEmulator({ appPublicKey: keys.publicKey });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.addRepo({ fullName: FULL, installationId: 7, files: { "a.txt": "a\n" } });
  emulator.openPullRequest(FULL, { number: 1, title: "Change", head: "change", base: "main" });
  emulator.commit(FULL, { "b.txt": "b\n" }, "Change", "change");
  emulator.reset();
  octokit = new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey, installationId: 7 }, log: quiet });
});

describe("the default grant is app.yml's default_permissions", () => {
  it("grants an installation token exactly what app.yml declares", async () => {
    const auth = createAppAuth({ appId: 1, privateKey: keys.privateKey, request: octokit.request });
    const { permissions } = (await auth({ type: "installation", installationId: 7 })) as { permissions: Record<string, string> };
    expect(permissions).toEqual(readManifest().permissions);
  });

  it.each([
    ["creating a commit status", "statuses:write", () => octokit.rest.repos.createCommitStatus({ ...REPO, sha: emulator.headSha(FULL), state: "success" })],
  ])("answers 403 Resource not accessible by integration for %s, which app.yml does not grant", async (_what, needed, call) => {
    await expect(call()).rejects.toMatchObject({ status: 403, response: { data: { message: "Resource not accessible by integration" } } });
    expect(emulator.violations).toEqual([expect.stringContaining(`the token lacks ${needed}`)]);
  });

  it("allows what app.yml grants: check runs, comments, labels, reading statuses, merging", async () => {
    await octokit.rest.checks.create({ ...REPO, name: "ok", head_sha: emulator.headSha(FULL) });
    await octokit.rest.issues.createComment({ ...REPO, issue_number: 1, body: "ok" });
    await octokit.rest.issues.addLabels({ ...REPO, issue_number: 1, labels: ["ok"] });
    await octokit.rest.repos.getCombinedStatusForRef({ ...REPO, ref: "main" });
    await octokit.rest.pulls.merge({ ...REPO, pull_number: 1 });
    expect(emulator.violations).toEqual([]);
  });

  it("answers 403 for check runs when a token is scoped down without checks", async () => {
    const scoped = new Octokit({ baseUrl: emulator.url, auth: await scopedToken({ metadata: "read", issues: "write" }), log: quiet });
    await expect(scoped.rest.checks.create({ ...REPO, name: "no", head_sha: emulator.headSha(FULL) })).rejects.toMatchObject({ status: 403 });
    await expect(scoped.rest.issues.createComment({ ...REPO, issue_number: 1, body: "fine" })).resolves.toMatchObject({ status: 201 });
    expect(emulator.violations).toEqual([expect.stringContaining("the token lacks checks:write")]);
  });
});

async function scopedToken(permissions: Record<string, "read" | "write">): Promise<string> {
  const app = new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey }, log: quiet });
  const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: 7, permissions });
  return data.token;
}

describe("every repository endpoint names the permission it needs", () => {
  it("has an entry in REQUIRED_PERMISSIONS for each handled /repos operation", () => {
    const repoOperations = Object.keys(HANDLERS).filter((id) => operationById(id)?.template.startsWith("/repos/"));
    expect(repoOperations.length).toBeGreaterThan(30);
    expect(repoOperations.filter((id) => (REQUIRED_PERMISSIONS[id] ?? []).length === 0)).toEqual([]);
  });
});

describe("reading app.yml", () => {
  it("reads default_permissions and default_events, ignoring comments and other keys", () => {
    const manifest = parseManifest(
      ["name: x", "hook_attributes:", "  url: https://example.invalid # c", "default_events:", "  # why", "  - push", "  - issues", "default_permissions:", "  checks: write", "  contents: read # read only"].join("\n"),
    );
    expect(manifest).toEqual({ permissions: { checks: "write", contents: "read" }, events: ["push", "issues"] });
  });

  it("refuses a permission level it does not know, naming the line", () => {
    expect(() => parseManifest("default_permissions:\n  checks: admin\n")).toThrow(/default_permissions has "checks: admin"/);
  });

  it("refuses a manifest without permissions", () => {
    expect(() => parseManifest("name: x\n")).toThrow(/declares no default_permissions/);
  });
});
