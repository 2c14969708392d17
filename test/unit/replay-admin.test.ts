/** The emulator's /_emulator/ admin routes the replay CLI uses across processes, over real HTTP. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { scratchFolders } from "../support/scratch.ts";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.close();
  scratch.removeAll();
});
afterEach(() => {
  expect(emulator.violations).toEqual([]);
});

const scratch = scratchFolders("repoflow-admin-");
const folder = scratch.folder;

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${emulator.url}/_emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe("emulator admin routes", () => {
  it("loads a folder as a new repository's default branch, in the installation of its owner's other repositories", async () => {
    emulator.addRepo({ fullName: "acme/first", installationId: 31, files: { "README.md": "hi" } });
    const loaded = await admin("POST", "/repos", { fullName: "acme/tool", dir: folder({ ".workflows/a.ts": "export default 1;\n", "README.md": "tool" }) });
    expect(loaded.status).toBe(201);
    expect(loaded.body).toMatchObject({ fullName: "acme/tool", installationId: 31, defaultBranch: "main", headSha: loaded.body.sha });
    expect(loaded.body.sha).toBe(emulator.headSha("acme/tool"));
    const fresh = await admin("POST", "/repos", { fullName: "zeta/tool", dir: folder({ "x.txt": "x" }) });
    expect(fresh.body.installationId).not.toBe(31);
  });

  it("commits a folder on top of an existing repository, keeping its pull requests, comments and check runs", async () => {
    const first = await admin("POST", "/repos", { fullName: "acme/keep", dir: folder({ ".workflows/a.ts": "v1" }) });
    const opened = await admin("POST", "/repos/acme/keep/pulls", { number: 3, title: "Change", head: "feature" });
    expect(opened).toEqual({ status: 201, body: { number: 3, headSha: first.body.sha } });
    const second = await admin("POST", "/repos", { fullName: "acme/keep", dir: folder({ ".workflows/a.ts": "v2" }) });
    expect(second.status).toBe(200);
    expect(second.body.sha).not.toBe(first.body.sha);
    expect((await admin("GET", "/repos/acme/keep")).body).toEqual({ fullName: "acme/keep", installationId: first.body.installationId, defaultBranch: "main", headSha: second.body.sha });
    expect(emulator.comments("acme/keep", 3)).toEqual([]);
    // The pull request is still there, on the commit it was opened from.
    expect(await admin("POST", "/repos/acme/keep/pulls", { number: 3, head: "feature" })).toEqual({ status: 200, body: { number: 3, headSha: first.body.sha } });
  });

  it("opens a pull request on a replay branch when the payload's head is the default branch, and keeps an existing issue", async () => {
    await admin("POST", "/repos", { fullName: "acme/prs", dir: folder({ "a.txt": "a" }) });
    expect((await admin("POST", "/repos/acme/prs/pulls", { number: 8, head: "main" })).body.headSha).toBe(emulator.headSha("acme/prs", "replay-8"));
    expect((await admin("POST", "/repos/acme/prs/issues", { number: 9, title: "Bug" })).status).toBe(201);
    expect((await admin("POST", "/repos/acme/prs/issues", { number: 9, title: "Bug" })).status).toBe(200);
    expect(await admin("POST", "/repos/acme/prs/pulls", { number: 9 })).toMatchObject({ status: 422, body: { message: expect.stringMatching(/#9 .* is an issue/) } });
  });

  it("answers 404 with what to do for an unknown repository or route, and is never recorded as a GitHub API request", async () => {
    const before = emulator.requests.length;
    expect(await admin("GET", "/repos/nobody/nothing")).toMatchObject({ status: 404, body: { message: expect.stringMatching(/POST \/_emulator\/repos/) } });
    expect((await admin("DELETE", "/everything")).status).toBe(404);
    expect((await admin("POST", "/repos", { fullName: "acme/x" })).status).toBe(422);
    expect(emulator.requests.length).toBe(before);
  });
});
