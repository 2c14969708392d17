/**
 * Regression tests built from defects measured on earlier builds, each in the
 * scenario that found it (issue 8): a run that hung for good after catching
 * a wait timeout beside a second run, and runs stranded or failed by
 * process deaths mid-step.
 */
import { describe, expect, it } from "vitest";
import { deliver } from "../support/deliver.ts";
import { pullRequestOpened, type Target } from "../support/payloads.ts";
import { waitFor, WEBHOOK_SECRET } from "../support/stack.ts";
import { useStack } from "../support/use-stack.ts";
import type { FaultSpec } from "../emulator/faults.ts";

const stack = useStack();
let nextInstallation = 7600;

function newRepo(name: string, files: Record<string, string>): Target {
  const target = { fullName: `octo-org/${name}`, installationId: nextInstallation++, defaultBranch: "main" };
  stack.emulator.addRepo({ ...target, files });
  stack.emulator.openPullRequest(target.fullName, { number: 1, title: "PR", head: "feature", base: "main" });
  return target;
}

const completedChecks = (repo: Target) => stack.emulator.checkRuns(repo.fullName).filter((c) => c.status === "completed");

async function faultsPending(): Promise<number> {
  const res = await fetch(`${stack.emulator.url}/_emulator/faults`);
  return ((await res.json()) as unknown[]).length;
}

/** Arms one fault and waits until a request has taken it: the step body is then inside that request. */
async function armAndWait(fault: FaultSpec, what: string) {
  stack.emulator.inject({ ...fault, times: 1 });
  await waitFor(what, async () => (await faultsPending()) === 0, 90_000);
}

describe("regressions", () => {
  it("finishes both runs of one delivery when one catches a wait timeout and the other ends first", async () => {
    const gate = `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Gate",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    await step.do("ask", async () => { await github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: "approve?" }); });
    try {
      await step.waitForEvent("approval", { type: "issue_comment", timeout: "1 second" });
    } catch {
      await step.do("expire", async () => { await github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: "expired" }); });
    }
  },
});
`;
    const other = `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Other",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    await step.do("greet", async () => { await github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: "hello" }); });
    await step.do("label", async () => { await github.rest.issues.addLabels({ ...repo, issue_number: event.pull_request.number, labels: ["seen"] }); });
  },
});
`;
    const repo = newRepo("gate-and-other", { ".workflows/gate.ts": gate, ".workflows/other.ts": other });
    await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 1, headSha: stack.emulator.headSha(repo.fullName, "feature") }));
    // Before the fix, "expire" waited on a throttling limiter shared with the other run, and stayed running.
    await waitFor("both check runs to complete", () => completedChecks(repo).length === 2, 60_000);
    expect(completedChecks(repo).map((c) => [c.name, c.conclusion]).sort()).toEqual([["repoflow: Gate", "success"], ["repoflow: Other", "success"]]);
    expect(stack.emulator.comments(repo.fullName, 1).map((c) => c.body).sort()).toEqual(["approve?", "expired", "hello"]);
  });

  it("resumes a run killed mid-step twice at once, and a real failure after the crashes still has its retry", async () => {
    const flaky = `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Flaky comment",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    await step.do("comment", { retries: { limit: 1, delay: "1 second" } }, async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: "done" });
    });
  },
});
`;
    const repo = newRepo("killed-mid-step", { ".workflows/flaky.ts": flaky });
    const comments = new RegExp(`^/repos/${repo.fullName}/issues/1/comments$`);
    const slow: FaultSpec = { kind: "delay", ms: 60_000, method: "POST", path: comments };

    stack.emulator.inject({ ...slow, times: 1 });
    await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 1, headSha: stack.emulator.headSha(repo.fullName, "feature") }));
    await waitFor("the step to be inside its request", async () => (await faultsPending()) === 0, 90_000);
    await stack.service.kill();
    await stack.restart();
    await fetch(`${stack.service.url}/healthz`);

    await armAndWait(slow, "the step's next attempt inside its request");
    await stack.service.kill();
    // After two crashes the engine had used up the author's one retry: this 422 used to be final.
    stack.emulator.inject({ kind: "status", status: 422, method: "POST", path: comments, times: 1, body: { message: "Validation Failed" } });
    await stack.restart();
    await fetch(`${stack.service.url}/healthz`);

    const check = await waitFor("the run to complete", () => completedChecks(repo)[0], 90_000);
    expect(check.conclusion).toBe("success");
    expect(stack.emulator.comments(repo.fullName, 1).map((c) => c.body)).toContain("done");
  });
});
