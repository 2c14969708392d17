/**
 * Invariant 11 end to end: `wrangler dev` in production mode against the
 * GitHub emulator, three people signing in through the real OAuth web flow
 * (service /auth/login → emulator /login/oauth/authorize → /auth/callback →
 * session cookie), in one installation with a public and a private
 * repository: an admin of both, a read-only collaborator on the private one,
 * and an outsider. What each may see and do is what GitHub, asked with their
 * own token, says they may.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../emulator/index.ts";
import type { Emulator } from "../emulator/types.ts";
import { deliver } from "../support/deliver.ts";
import { example, pullRequestOpened, type Target } from "../support/payloads.ts";
import { startService, type Service } from "../support/service.ts";
import { APP_ID, waitFor, WEBHOOK_SECRET } from "../support/stack.ts";

const INSTALLATION = 9711;
const OWNER = "guarded-org";
const PUBLIC: Target = { fullName: `${OWNER}/site`, installationId: INSTALLATION, defaultBranch: "main" };
const PRIVATE: Target = { fullName: `${OWNER}/vault`, installationId: INSTALLATION, defaultBranch: "main" };
const ADMIN = "ada";
const READER = "rhea";
const OUTSIDER = "otto";

const FLOW = `
import { workflow } from "repoflow";
export default workflow({
  name: "Guarded",
  permissions: { issues: "write", pull_requests: "write" },
  on: { pull_request: ["opened"], dispatch: true },
  async run({ step }) {
    await step.do("first", async () => { console.log("guarded log line"); return 1; });
    await step.sleep("a long nap", "1 hour");
  },
});
`;

let emulator: Emulator;
let service: Service;
const cookies: Record<string, string> = {};
const runs: Record<"public" | "private", string> = { public: "", private: "" };
const deliveries: Record<"public" | "private" | "installation", string> = { public: "", private: "", installation: "" };

/** Signs `login` in as a browser would, following each redirect by hand so the test can name who signs in at the emulator. */
async function signIn(login: string): Promise<string> {
  const start = await fetch(`${service.url}/auth/login?next=%2F`, { redirect: "manual" });
  expect(start.status).toBe(302);
  const state = start.headers.getSetCookie().find((c) => c.startsWith("repoflow_oauth_state="))!.split(";")[0]!;
  const authorize = new URL(start.headers.get("location")!);
  expect(authorize.origin + authorize.pathname).toBe(`${emulator.url}/login/oauth/authorize`);
  authorize.searchParams.set("login", login);
  const consent = await fetch(authorize, { redirect: "manual" });
  expect(consent.status).toBe(302);
  const callback = new URL(consent.headers.get("location")!);
  expect(callback.origin + callback.pathname).toBe(`${service.url}/auth/callback`);
  const done = await fetch(callback, { redirect: "manual", headers: { cookie: state } });
  expect(done.status, await done.clone().text()).toBe(302);
  expect(done.headers.get("location")).toBe("/");
  const session = done.headers.getSetCookie().find((c) => c.startsWith("repoflow_session="))!.split(";")[0]!;
  expect(session.length).toBeLessThan(4096);
  return session;
}

async function as(login: string, path: string, init: RequestInit = {}): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${service.url}${path}`, { redirect: "manual", ...init, headers: { cookie: cookies[login]!, "content-type": "application/json", ...init.headers } });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // a page
  }
  return { status: res.status, json, text };
}

const post = (login: string, path: string, body?: unknown) => as(login, path, { method: "POST", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const page = (login: string, path: string) => as(login, path, { headers: { accept: "text/html" } });

beforeAll(async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  emulator = await startEmulator({ appId: APP_ID, appPublicKey: publicKey.export({ type: "spki", format: "pem" }).toString(), oauthClientSecret: "e2e-client-secret" });
  emulator.addRepo({ ...PUBLIC, private: false, ownerType: "Organization", collaborators: { [ADMIN]: "admin" }, files: { ".workflows/guarded.ts": FLOW } });
  emulator.addRepo({ ...PRIVATE, ownerType: "Organization", collaborators: { [ADMIN]: "admin", [READER]: "read" }, files: { ".workflows/guarded.ts": FLOW } });
  for (const target of [PUBLIC, PRIVATE]) emulator.openPullRequest(target.fullName, { number: 1, title: "PR", head: "feature", base: "main" });
  try {
    service = await startService({
      vars: {
        REPOFLOW_ENV: "production",
        WEBHOOK_SECRET,
        APP_ID,
        PRIVATE_KEY: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
        GITHUB_API_URL: emulator.url,
        GITHUB_CLIENT_ID: emulator.oauthClient.clientId,
        GITHUB_CLIENT_SECRET: emulator.oauthClient.clientSecret,
        SESSION_SECRET: randomBytes(32).toString("hex"),
      },
    });
  } catch (error) {
    await emulator.close();
    throw error;
  }

  // The installation event (about no repository) tells repoflow which repositories it has.
  const installation = example("installation", "created");
  installation.installation = { ...installation.installation, id: INSTALLATION, account: { ...installation.installation.account, login: OWNER, type: "Organization" }, repository_selection: "selected" };
  installation.repositories = [
    { id: 971101, node_id: "R_1", name: "site", full_name: PUBLIC.fullName, private: false },
    { id: 971102, node_id: "R_2", name: "vault", full_name: PRIVATE.fullName, private: true },
  ];
  delete installation.repository;
  deliveries.installation = (await deliver(service.url, WEBHOOK_SECRET, "installation", installation)).id;
  for (const [key, target] of [["public", PUBLIC], ["private", PRIVATE]] as const) {
    deliveries[key] = (await deliver(service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(target, { number: 1, headSha: emulator.headSha(target.fullName, "feature") }))).id;
  }

  for (const login of [ADMIN, READER, OUTSIDER]) cookies[login] = await signIn(login);
  for (const key of ["public", "private"] as const) {
    const run = await waitFor(
      `the ${key} run to sleep`,
      async () => {
        const found = (await as(ADMIN, `/api/deliveries/${deliveries[key]}`)).json?.runs?.[0] as { id: string; status: string; steps: { name: string; status: string }[] } | undefined;
        return found?.steps.some((s) => s.name === "a long nap" && s.status === "sleeping") ? found : null;
      },
      60_000,
    );
    runs[key] = run.id;
  }
  await waitFor("the installation delivery to be processed", async () => (await as(ADMIN, `/api/deliveries/${deliveries.installation}`)).json?.delivery?.status === "processed", 30_000);
}, 180_000);

afterAll(async () => {
  await service?.stop();
  await emulator?.close();
});

afterEach(() => {
  expect(emulator.violations, "requests the real GitHub API would reject").toEqual([]);
});

describe("invariant 11: a person sees and controls a run only if GitHub lets them read or write its repository", () => {
  it("signs each person in through the OAuth web flow, the token kept only in the encrypted cookie", () => {
    const exchanges = emulator.requests.filter((r) => r.path === "/login/oauth/access_token");
    expect(exchanges.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const cookie of Object.values(cookies)) expect(decodeURIComponent(cookie)).not.toMatch(/ghu_/);
    // The service asks GitHub with each person's own user token.
    const asked = emulator.requests.filter((r) => r.path.startsWith("/user/installations"));
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((r) => /^bearer ghu_/i.test(r.headers.authorization ?? ""))).toBe(true);
  });

  it("invariant 11: the admin sees both repositories' runs, logs, deliveries and the installation event", async () => {
    const list = await as(ADMIN, "/api/runs");
    expect(list.json.runs.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([runs.public, runs.private]));
    for (const id of [runs.public, runs.private]) {
      expect((await as(ADMIN, `/api/runs/${id}`)).status).toBe(200);
      expect((await as(ADMIN, `/api/runs/${id}/logs`)).json.lines.map((l: { message: string }) => l.message)).toContain("guarded log line");
    }
    const listed = (await as(ADMIN, "/api/deliveries")).json.deliveries.map((d: { id: string }) => d.id);
    expect(listed).toEqual(expect.arrayContaining([deliveries.public, deliveries.private, deliveries.installation]));
    const installations = (await as(ADMIN, "/api/installations")).json.installations;
    expect(installations.map((i: { id: number; repositories: { fullName: string }[] }) => [i.id, i.repositories.map((r) => r.fullName)])).toEqual([
      [INSTALLATION, [PUBLIC.fullName, PRIVATE.fullName]],
    ]);
    const runPage = await page(ADMIN, `/runs/${runs.private}`);
    expect(runPage.status).toBe(200);
    expect(runPage.text).toContain("Cancel run");
  });

  it("invariant 11: the read-only collaborator sees only their repository, and 404s for the other's ids", async () => {
    const list = (await as(READER, "/api/runs")).json.runs.map((r: { id: string; repository: string }) => r.repository);
    expect(new Set(list)).toEqual(new Set([PRIVATE.fullName]));
    expect((await as(READER, `/api/runs/${runs.private}`)).status).toBe(200);
    expect((await as(READER, `/api/runs/${runs.private}/logs`)).status).toBe(200);
    for (const path of [`/api/runs/${runs.public}`, `/api/runs/${runs.public}/logs`, `/api/deliveries/${deliveries.public}`, `/api/deliveries/${deliveries.installation}`]) {
      const res = await as(READER, path);
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain(PUBLIC.fullName);
    }
    // Exactly what an id that does not exist gets.
    expect((await as(READER, `/api/runs/${runs.public}`)).json.message).toBe((await as(READER, "/api/runs/no-such-run")).json.message.replace("no-such-run", runs.public));
    const listed = (await as(READER, "/api/deliveries")).json.deliveries.map((d: { repository: string | null }) => d.repository);
    expect(new Set(listed)).toEqual(new Set([PRIVATE.fullName]));
    const installations = (await as(READER, "/api/installations")).json.installations;
    expect(installations.map((i: { repositories: { fullName: string }[] }) => i.repositories.map((r) => r.fullName))).toEqual([[PRIVATE.fullName]]);

    const home = await page(READER, "/");
    expect(home.status).toBe(200);
    expect(home.text).toContain(PRIVATE.fullName);
    expect(home.text).not.toContain(PUBLIC.fullName);
    expect((await page(READER, `/runs/${runs.public}`)).status).toBe(404);
  });

  it("invariant 11: the read-only collaborator gets 403 naming the role on every control of their repository, and no buttons", async () => {
    for (const path of [`/api/runs/${runs.private}/cancel`, `/api/runs/${runs.private}/rerun`, `/api/runs/${runs.private}/rerun?from=failed`]) {
      const res = await post(READER, path);
      expect(res.status, path).toBe(403);
      expect(res.json.message).toContain(`needs the write role on ${PRIVATE.fullName}`);
    }
    expect((await post(READER, `/api/repos/${PRIVATE.fullName}/dispatch`, { workflow: "Guarded" })).status).toBe(403);
    expect((await post(READER, `/api/repos/${PRIVATE.fullName}/schedules/fire`, { workflow: "Guarded" })).status).toBe(403);
    expect((await post(READER, `/api/deliveries/${deliveries.private}/redeliver`)).status).toBe(403);
    // The other repository's controls are not found, not forbidden.
    expect((await post(READER, `/api/runs/${runs.public}/cancel`)).status).toBe(404);
    expect((await post(READER, `/api/repos/${PUBLIC.fullName}/dispatch`, { workflow: "Guarded" })).status).toBe(404);

    const runPage = await page(READER, `/runs/${runs.private}`);
    expect(runPage.status).toBe(200);
    expect(runPage.text).not.toContain("Cancel run");
    expect(runPage.text).not.toContain("Run a workflow of");
    expect(runPage.text).toContain("needs the write role");
    expect((await page(READER, `/repos/${PRIVATE.fullName}/run`)).status).toBe(403);
    const form = await as(READER, `/runs/${runs.private}/cancel`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html" } });
    expect(form.status).toBe(403);
    expect((await as(ADMIN, `/api/runs/${runs.private}`)).json.run.cancelRequestedAt).toBeNull();
  });

  it("invariant 11: the outsider sees nothing: empty lists and 404s", async () => {
    expect((await as(OUTSIDER, "/api/runs")).json.runs).toEqual([]);
    expect((await as(OUTSIDER, "/api/deliveries")).json.deliveries).toEqual([]);
    expect((await as(OUTSIDER, "/api/installations")).json.installations).toEqual([]);
    for (const path of [`/api/runs/${runs.public}`, `/api/runs/${runs.private}`, `/api/runs/${runs.private}/logs`, `/api/deliveries/${deliveries.private}`, `/api/deliveries/${deliveries.installation}`]) {
      expect((await as(OUTSIDER, path)).status, path).toBe(404);
    }
    for (const path of [`/api/runs/${runs.public}/cancel`, `/api/runs/${runs.private}/rerun`, `/api/deliveries/${deliveries.private}/redeliver`]) expect((await post(OUTSIDER, path)).status, path).toBe(404);
    expect((await post(OUTSIDER, `/api/repos/${PUBLIC.fullName}/dispatch`, { workflow: "Guarded" })).status).toBe(404);
    const home = await page(OUTSIDER, "/");
    expect(home.status).toBe(200);
    expect(home.text).not.toContain(OWNER);
  });

  it("invariant 11: the admin controls everything: a manual run, a re-run and a cancel", async () => {
    const dispatched = await post(ADMIN, `/api/repos/${PRIVATE.fullName}/dispatch`, { workflow: "Guarded" });
    expect(dispatched.status, dispatched.text).toBe(202);
    const rerun = await post(ADMIN, `/api/runs/${runs.public}/rerun`);
    expect(rerun.status, rerun.text).toBe(202);
    // Authorized, then refused for what the delivery is: it did not fail.
    expect((await post(ADMIN, `/api/deliveries/${deliveries.private}/redeliver`)).status).toBe(409);
    const cancel = await post(ADMIN, `/api/runs/${runs.private}/cancel`);
    expect(cancel.status, cancel.text).toBe(202);
    expect(cancel.json.run.cancelRequestedAt).not.toBeNull();
  });

  it("invariant 11: a signed-out person gets 401 from the API and sign-in from a page", async () => {
    expect((await fetch(`${service.url}/api/runs`)).status).toBe(401);
    const res = await fetch(`${service.url}/runs/${runs.private}`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/auth/login?next=${encodeURIComponent(`/runs/${runs.private}`)}`);
  });
});
