/** `npm run replay` against the service and the emulator, run as a user runs it: a child process. */
import { execFile } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { example, retarget } from "../support/payloads.ts";
import { ROOT } from "../support/service.ts";
import { startStack, WEBHOOK_SECRET, type Stack } from "../support/stack.ts";

let stack: Stack;
const scratch: string[] = [];
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => {
  await stack?.close();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  expect(stack.emulator.violations).toEqual([]);
});

function replay(args: string[], timeoutMs = 90_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "scripts/replay.ts"), ...args, "--service", stack.service.url, "--github", stack.emulator.url],
      { cwd: ROOT, env: { ...process.env, WEBHOOK_SECRET, APP_ID: stack.vars.APP_ID }, timeout: timeoutMs },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

function repoDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "repoflow-replay-"));
  scratch.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const commenter = (marker: string, before = "") => `
import { workflow } from "repoflow";
export default workflow({
  name: "Marker",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    ${before}
    await step.do("comment", () =>
      github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: ${JSON.stringify(marker)} }).then(() => true));
  },
});
`;

describe("npm run replay", () => {
  it("replays GitHub's real example for an event against a local folder's uncommitted .workflows, and follows the run", async () => {
    const dir = repoDir({ ".workflows/marker.ts": commenter("from the local folder") });
    const { code, out } = await replay(["pull_request.opened", "--repo", "octo-org/replay-dir", "--dir", dir]);
    expect(out).toMatch(/pull_request\.opened → 202 accepted/);
    expect(out).toMatch(/run run-[0-9a-f]+ {2}Marker/);
    expect(out).toMatch(/✓ comment \(/);
    expect(out).toMatch(/✓ Marker: succeeded/);
    expect(code).toBe(0);
    const number = (example("pull_request", "opened") as { number: number }).number;
    expect(stack.emulator.comments("octo-org/replay-dir", number).map((c) => c.body)).toEqual(["from the local folder"]);
  });

  it("replays a delivery exported from GitHub as-is, re-signed with the local secret", async () => {
    stack.emulator.addRepo({ fullName: "octo-org/replay-export", installationId: 9301, files: { ".workflows/marker.ts": commenter("exported") } });
    stack.emulator.openPullRequest("octo-org/replay-export", { number: 4, title: "x", head: "f4", base: "main" });
    const payload = retarget(example("pull_request", "opened"), { fullName: "octo-org/replay-export", installationId: 9301 });
    payload.number = 4;
    payload.pull_request = { ...payload.pull_request, number: 4, head: { ...payload.pull_request.head, sha: stack.emulator.headSha("octo-org/replay-export", "f4") } };
    const body = JSON.stringify(payload);
    const guid = randomUUID();
    const exported = {
      id: 12345,
      guid,
      event: "pull_request",
      action: "opened",
      request: {
        headers: {
          "X-GitHub-Event": "pull_request",
          "X-GitHub-Delivery": guid,
          "X-GitHub-Hook-ID": "777",
          "X-Hub-Signature-256": "sha256=" + createHmac("sha256", "the-production-secret").update(body).digest("hex"),
          "Content-Type": "application/json",
        },
        payload,
      },
    };
    const file = join(repoDir({}), "delivery.json");
    writeFileSync(file, JSON.stringify(exported));
    const { code, out } = await replay([file]);
    expect(out).toContain(`replaying exported delivery ${guid} as-is, re-signed`);
    expect(out).toContain(`(delivery ${guid})`);
    expect(code).toBe(0);
    expect(stack.emulator.comments("octo-org/replay-export", 4).map((c) => c.body)).toEqual(["exported"]);
  });

  it("turns a 2-day sleep into seconds with --skip-sleeps, and without it the run keeps sleeping", async () => {
    const dir = repoDir({ ".workflows/marker.ts": commenter("woke up", `await step.sleep("wait two days", "2 days");`) });
    const started = Date.now();
    const fast = await replay(["pull_request.opened", "--repo", "octo-org/replay-sleep", "--dir", dir, "--skip-sleeps"]);
    expect(fast.out).toMatch(/✓ wait two days/);
    expect(fast.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);

    const slow = await replay(["pull_request.opened", "--repo", "octo-org/replay-sleep", "--timeout", "6"]);
    expect(slow.code).toBe(1);
    expect(slow.out).toMatch(/still running: Marker \(sleeping\)/);
  });

  it("exits 2 with the usage on a bad command line", async () => {
    const { code, out } = await replay(["--repo"]);
    expect(code).toBe(2);
    expect(out).toMatch(/--repo needs a value/);
  });
});
