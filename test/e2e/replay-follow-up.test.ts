/**
 * Follow-ups with `npm run replay`: a person acts in the emulator (a comment, a label, a review), the
 * emulator sends the webhook GitHub would, and replay follows that delivery, the waiting run it resumed
 * included. The emulator delivers its webhooks to the service here, as under `npm run dev`.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/service.ts";
import { WEBHOOK_SECRET } from "../support/stack.ts";
import { scratchFolders } from "../support/scratch.ts";
import { useStack } from "../support/use-stack.ts";

const stack = useStack({ webhooks: true });
const scratch = scratchFolders("repoflow-replay-follow-");
afterAll(() => scratch.removeAll());
const repoDir = scratch.folder;

function replay(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "scripts/replay.ts"), ...args, "--service", stack.service.url, "--github", stack.emulator.url, "--timeout", "60"],
      { cwd: ROOT, env: { ...process.env, WEBHOOK_SECRET, APP_ID: stack.vars.APP_ID }, timeout: 90_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe("replay follow-ups", () => {
  it("follows up on the same pull request: --comment has a person comment in the emulator, and replay reports the waiting run it resumed", async () => {
    const approver = `
import { workflow } from "repoflow";
export default workflow({
  name: "Approver",
  permissions: { pull_requests: "write" },
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const number = event.pull_request.number;
    const approval = await step.waitFor("approval", { events: ["issue_comment.created"], for: { number }, command: "/approve", timeout: "1 hour" });
    await step.do("thank", () => github.rest.issues.createComment({ ...repo, issue_number: number, body: "approved by " + approval?.actor }).then(() => true));
  },
});
`;
    const dir = repoDir({ ".workflows/approver.ts": approver });
    const opened = await replay(["pull_request.opened", "--repo", "octo-org/replay-follow", "--dir", dir, "--number", "9"]);
    expect(opened.out).toMatch(/… Approver: waiting at "approval"/);
    expect(opened.out).toContain('e.g. npm run replay -- --repo octo-org/replay-follow --number 9 --comment "/approve"');
    expect(opened.code).toBe(0);

    const approved = await replay(["--repo", "octo-org/replay-follow", "--number", "9", "--comment", "/approve", "--sender", "maintainer"]);
    expect(approved.out).toContain(`maintainer added a comment "/approve" on octo-org/replay-follow#9 in the emulator`);
    expect(approved.out).toMatch(/issue_comment\.created → sent by the emulator/);
    expect(approved.out).toMatch(/resumed run \S+ {2}Approver at wait "approval"/);
    expect(approved.out).toMatch(/✓ Approver › thank|✓ thank/);
    expect(approved.out).toMatch(/✓ Approver: succeeded/);
    expect(approved.code).toBe(0);
    expect(stack.emulator.comments("octo-org/replay-follow", 9).map((c) => c.body)).toContain("approved by maintainer");
  });


  it("says why a waiting run did not take a comment from someone without the role its wait asks for, and resumes on the owner's (the default sender)", async () => {
    const gated = `
import { workflow } from "repoflow";
export default workflow({
  name: "Gated",
  permissions: { pull_requests: "write" },
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const number = event.pull_request.number;
    const approval = await step.waitFor("approval", { events: ["issue_comment.created"], for: { number }, command: "/approve", from: "write", timeout: "1 hour" });
    await step.do("thank", () => github.rest.issues.createComment({ ...repo, issue_number: number, body: "approved by " + approval?.actor }).then(() => true));
  },
});
`;
    const dir = repoDir({ ".workflows/gated.ts": gated });
    await replay(["pull_request.opened", "--repo", "octo-org/replay-gated", "--dir", dir, "--number", "4"]);
    const stranger = await replay(["--repo", "octo-org/replay-gated", "--number", "4", "--comment", "/approve", "--sender", "stranger"]);
    expect(stranger.out).toMatch(/its wait "approval" needs write access, which @stranger does not have, so it goes on waiting/);
    const owner = await replay(["--repo", "octo-org/replay-gated", "--number", "4", "--comment", "/approve"]);
    expect(owner.out).toContain('octo-org added a comment "/approve" on octo-org/replay-gated#4 in the emulator');
    expect(owner.out).toMatch(/✓ Gated: succeeded/);
    expect(owner.code).toBe(0);
  });

  it("follows a label and then CI's green status on the same pull request into a run waiting for checks", async () => {
    const automerge = `
import { workflow } from "repoflow";
export default workflow({
  name: "Green",
  permissions: { pull_requests: "write" },
  on: { labeled: "automerge" },
  async run({ event, step, github, repo }) {
    const pr = "pull_request" in event ? event.pull_request : null;
    if (!pr) return;
    const checks = await step.waitForChecks("green", { sha: pr.head.sha, timeout: "1 hour" });
    await step.do("report", () => github.rest.issues.createComment({ ...repo, issue_number: pr.number, body: "checks: " + checks?.conclusion }).then(() => true));
  },
});
`;
    const dir = repoDir({ ".workflows/green.ts": automerge });
    const opened = await replay(["pull_request.opened", "--repo", "octo-org/replay-green", "--dir", dir, "--number", "12"]);
    expect(opened.out).toMatch(/nothing ran for pull_request\.opened/);
    const labelled = await replay(["--repo", "octo-org/replay-green", "--number", "12", "--label", "automerge"]);
    expect(labelled.out).toMatch(/pull_request\.labeled → sent by the emulator/);
    expect(labelled.out).toMatch(/… Green: waiting at "green"/);
    expect(labelled.out).toContain("e.g. npm run replay -- --repo octo-org/replay-green --number 12 --status success");
    expect(labelled.code).toBe(0);
    const green = await replay(["--repo", "octo-org/replay-green", "--number", "12", "--status", "success"]);
    expect(green.out).toContain("ci-bot reported the commit status ci: success on the head on octo-org/replay-green#12 in the emulator");
    expect(green.out).toMatch(/status → sent by the emulator/);
    expect(green.out).toMatch(/resumed run \S+ {2}Green at wait "green"/);
    expect(green.out).toMatch(/✓ Green: succeeded/);
    expect(green.code).toBe(0);
    expect(stack.emulator.comments("octo-org/replay-green", 12).map((c) => c.body)).toEqual(["checks: success"]);
  });

  it("says what to open first when the number names nothing, and exits 2", async () => {
    const { code, out } = await replay(["--repo", "octo-org/replay-follow", "--number", "404", "--label", "automerge"]);
    expect(out).toMatch(/has no #404 in the emulator; open it first, e\.g\. npm run replay -- pull_request\.opened --number 404/);
    expect(code).toBe(2);
  });
});
