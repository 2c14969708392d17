/**
 * The emulator's GraphQL endpoint meets a scoped installation token as GitHub
 * does: queries are checked against GitHub's published schema, a repository
 * outside the token answers NOT_FOUND (existing or not), and fields need the
 * token's permissions.
 */
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { appKeyPair, QUIET_LOG } from "../emulator/testing.ts";

const keys = appKeyPair();
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ appPublicKey: keys.publicKey });
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.addRepo({ fullName: "acme/widgets", installationId: 7, files: { "a.txt": "a\n" } });
  emulator.addRepo({ fullName: "acme/secrets", installationId: 7, private: true, files: { "b.txt": "b\n" } });
  emulator.addRepo({ fullName: "other/thing", installationId: 8, files: { "c.txt": "c\n" } });
  emulator.openPullRequest("acme/widgets", { number: 1, title: "Change things", head: "change", base: "main" });
  emulator.commit("acme/widgets", { "b.txt": "b\n" }, "Change", "change");
  emulator.reset();
});

/** A token minted the way repoflow's gateway mints one: one repository, declared permissions. */
async function scoped(permissions: Record<string, "read" | "write">): Promise<Octokit> {
  const app = new Octokit({ baseUrl: emulator.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey: keys.privateKey }, log: QUIET_LOG });
  const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: 7, repositories: ["widgets"], permissions });
  return new Octokit({ baseUrl: emulator.url, auth: data.token, log: QUIET_LOG });
}

const PULL = `query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) { nameWithOwner pullRequest(number: $number) { number title state } }
}`;

describe("POST /graphql on the emulator", () => {
  it("answers a query about the token's own repository", async () => {
    const github = await scoped({ pull_requests: "read" });
    const data = await github.graphql<{ repository: { nameWithOwner: string; pullRequest: { number: number; title: string; state: string } } }>(PULL, { owner: "acme", name: "widgets", number: 1 });
    expect(data.repository).toEqual({ nameWithOwner: "acme/widgets", pullRequest: { number: 1, title: "Change things", state: "OPEN" } });
  });

  it("does not resolve another repository of the installation, nor one of another installation, nor a missing one", async () => {
    const github = await scoped({ pull_requests: "read" });
    for (const [owner, name] of [["acme", "secrets"], ["other", "thing"], ["acme", "nope"]] as const) {
      const error = (await github.graphql(`query { repository(owner: "${owner}", name: "${name}") { id } }`).catch((e: unknown) => e)) as { errors?: { type?: string; message: string }[]; data?: unknown };
      expect(error.errors?.[0]).toMatchObject({ type: "NOT_FOUND", message: `Could not resolve to a Repository with the name '${owner}/${name}'.` });
      expect(error.data).toEqual({ repository: null });
    }
  });

  it("refuses a field the token's permissions do not cover", async () => {
    const github = await scoped({ issues: "read" });
    const error = (await github.graphql(PULL, { owner: "acme", name: "widgets", number: 1 }).catch((e: unknown) => e)) as { errors?: { type?: string; message: string }[] };
    expect(error.errors?.[0]).toMatchObject({ type: "FORBIDDEN", message: "Resource not accessible by integration" });
  });

  it("rejects a query GitHub's schema does not allow, and names a field it does not serve", async () => {
    const github = await scoped({ pull_requests: "read" });
    const invalid = (await github.graphql(`query { repository(owner: "acme", name: "widgets") { notAField } }`).catch((e: unknown) => e)) as { errors?: { message: string }[] };
    expect(invalid.errors?.[0]?.message).toMatch(/Cannot query field "notAField" on type "Repository"/);
    const gap = (await github.graphql(`query { repository(owner: "acme", name: "widgets") { stargazerCount } }`).catch((e: unknown) => e)) as { errors?: { message: string }[] };
    expect(gap.errors?.[0]?.message).toMatch(/does not implement Repository.stargazerCount/);
  });

  it("answers 401 without a token", async () => {
    const response = await fetch(`${emulator.url}/graphql`, { method: "POST", body: JSON.stringify({ query: "{ viewer { login } }" }) });
    expect(response.status).toBe(401);
  });
});
