/**
 * People's roles on an emulated repository, as `GET …/collaborators/{username}/permission`
 * reports them: the owner is admin, collaborators have the role they were given
 * (`addRepo({ collaborators })`, `setPermission()`, `PUT /_emulator/…/collaborators/:login`),
 * anybody else reads a public repository and nothing of a private one. `permission` is
 * GitHub's legacy base role (maintain → write, triage → read), `role_name` the role itself.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InvalidSeedError, startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, installationOctokit, QUIET_LOG as quiet } from "../emulator/testing.ts";

const FULL = "acme/widgets";
const REPO = { owner: "acme", repo: "widgets" };
const keys = appKeyPair();
const shapeProblems: string[] = [];
let emulator: Emulator;
let octokit: Octokit;

beforeAll(async () => {
  emulator = await startEmulator({ appPublicKey: keys.publicKey });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.addRepo({
    fullName: FULL,
    installationId: 7,
    files: { "README.md": "hi\n" },
    collaborators: { mona: "maintain", hubot: "triage", alice: "write", bob: "read", carol: "admin" },
  });
  emulator.reset();
  shapeProblems.length = 0;
  octokit = installationOctokit(emulator.url, keys.privateKey, shapeProblems);
});

afterEach(() => {
  expect(emulator.violations).toEqual([]);
  expect(shapeProblems).toEqual([]);
});

async function permissionOf(username: string) {
  const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...REPO, username });
  return { permission: data.permission, role_name: data.role_name, login: data.user?.login, permissions: data.user?.permissions };
}

describe("GET /repos/{owner}/{repo}/collaborators/{username}/permission", () => {
  it("maps each role to GitHub's legacy permission and names the role exactly", async () => {
    expect(await permissionOf("acme")).toMatchObject({ permission: "admin", role_name: "admin", login: "acme" });
    expect(await permissionOf("carol")).toMatchObject({ permission: "admin", role_name: "admin" });
    expect(await permissionOf("mona")).toMatchObject({ permission: "write", role_name: "maintain" });
    expect(await permissionOf("alice")).toMatchObject({ permission: "write", role_name: "write" });
    expect(await permissionOf("hubot")).toMatchObject({ permission: "read", role_name: "triage" });
    expect(await permissionOf("bob")).toMatchObject({ permission: "read", role_name: "read" });
  });

  it("gives the user the booleans of every role up to theirs", async () => {
    expect((await permissionOf("mona")).permissions).toEqual({ pull: true, triage: true, push: true, maintain: true, admin: false });
    expect((await permissionOf("hubot")).permissions).toEqual({ pull: true, triage: true, push: false, maintain: false, admin: false });
  });

  it("matches logins case-insensitively, as GitHub does, and shows the login as it was given", async () => {
    expect(await permissionOf("MONA")).toMatchObject({ role_name: "maintain", login: "mona" });
    expect(await permissionOf("ACME")).toMatchObject({ role_name: "admin" });
  });

  it("answers none for anybody else on a private repository and read on a public one", async () => {
    expect(await permissionOf("stranger")).toMatchObject({ permission: "none", role_name: "none", login: "stranger" });
    emulator.addRepo({ fullName: "acme/open", installationId: 7, files: { "a.txt": "a" }, private: false });
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: "acme", repo: "open", username: "stranger" });
    expect(data).toMatchObject({ permission: "read", role_name: "read" });
  });

  it("follows setPermission()", async () => {
    emulator.setPermission(FULL, "stranger", "triage");
    expect(await permissionOf("stranger")).toMatchObject({ permission: "read", role_name: "triage" });
    emulator.setPermission(FULL, "mona", "admin");
    expect(await permissionOf("mona")).toMatchObject({ permission: "admin", role_name: "admin" });
  });

  it("hides a private repository from a token scoped to another one (404)", async () => {
    emulator.addRepo({ fullName: "acme/other", installationId: 7, files: { "a.txt": "a" } });
    const app = new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey }, log: quiet });
    const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: 7, repositories: ["other"] });
    const scoped = new Octokit({ baseUrl: emulator.url, auth: data.token, log: quiet });
    await expect(scoped.rest.repos.getCollaboratorPermissionLevel({ ...REPO, username: "mona" })).rejects.toMatchObject({ status: 404 });
    expect(emulator.violations.splice(0)).toEqual([expect.stringContaining("the token is scoped to other repositories")]);
  });
});

describe("seeding roles", () => {
  it("refuses a role GitHub does not have and the owner as a collaborator", () => {
    expect(() => emulator.setPermission(FULL, "mona", "owner" as "admin")).toThrow(InvalidSeedError);
    expect(() => emulator.setPermission(FULL, "acme", "read")).toThrow(/acme owns acme\/widgets and is always admin/);
    expect(() => emulator.addRepo({ fullName: "acme/x", installationId: 7, collaborators: { ACME: "write" } })).toThrow(/leave the owner out/);
  });

  it("PUT /_emulator/repos/:owner/:repo/collaborators/:login gives a role from another process", async () => {
    const response = await fetch(`${emulator.url}/_emulator/repos/acme/widgets/collaborators/dave`, { method: "PUT", body: JSON.stringify({ role: "write" }) });
    expect(response.status).toBe(200);
    expect(await permissionOf("dave")).toMatchObject({ permission: "write", role_name: "write" });
    const refused = await fetch(`${emulator.url}/_emulator/repos/acme/widgets/collaborators/dave`, { method: "PUT", body: JSON.stringify({ role: "boss" }) });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { message: string }).message).toMatch(/must be one of read, triage, write, maintain, admin/);
  });
});
