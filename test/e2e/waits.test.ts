/**
 * Correlated waits, commands and labels end to end: `wrangler dev` and the
 * GitHub emulator, driven only by the webhooks GitHub would send after people
 * act (invariant 10). People: "maintainer" has write access, "reader" read.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startStack, waitFor, type Stack } from "../support/stack.ts";

let stack: Stack;
let nextInstallation = 9400;

beforeAll(async () => {
  stack = await startStack({ webhooks: true, ...(process.env.WAITS_LOG ? { log: (line: string) => process.stderr.write(line + "\n") } : {}) });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expect(stack.emulator.violations, "requests the real GitHub API would reject").toEqual([]);
});

const PEOPLE = { maintainer: "write", reader: "read" } as const;

function newRepo(name: string, workflow: string): string {
  const fullName = `octo-org/${name}`;
  stack.emulator.addRepo({ fullName, installationId: nextInstallation++, collaborators: PEOPLE, files: { "README.md": `# ${name}\n`, ".workflows/flow.ts": workflow } });
  return fullName;
}

function openPr(repo: string, number: number): void {
  stack.emulator.openPullRequest(repo, { number, title: `PR ${number}`, head: `feature-${number}`, base: "main", user: "reader" });
}

const checkRuns = (repo: string, name: string) => stack.emulator.checkRuns(repo).filter((run) => run.name === name);
const comments = (repo: string, number: number) => stack.emulator.comments(repo, number).map((c) => c.body);

interface RunView {
  id: string;
  status: string;
  steps: { name: string; status: string; startedAt: string; finishedAt: string | null }[];
}

async function runOf(repo: string): Promise<RunView | null> {
  const res = await fetch(`${stack.service.url}/api/runs?repo=${encodeURIComponent(repo)}`);
  const { runs } = (await res.json()) as { runs: { id: string }[] };
  if (runs.length === 0) return null;
  const detail = (await (await fetch(`${stack.service.url}/api/runs/${runs[0]!.id}`)).json()) as { run: RunView; steps: RunView["steps"] } & RunView;
  return { ...(detail.run ?? detail), steps: detail.steps ?? [] };
}

const approvalFlow = (options: { timeout: string; check?: "gate" }) => `
import { workflow } from "repoflow";
export default workflow({
  name: "Approve",
  permissions: { pull_requests: "write" },
  on: { pull_request: ["opened"] },
  ${options.check ? `check: "${options.check}",` : ""}
  async run({ event, step, github, repo }) {
    const number = event.pull_request.number;
    const approval = await step.waitFor("approval", {
      events: ["issue_comment.created"], for: { number }, command: "/approve", from: "write", timeout: "${options.timeout}",
    });
    const body = approval ? "approved by " + approval.actor : "no approval in time";
    await step.do("answer", async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: number, body });
    });
    return { approved: approval !== null };
  },
});
`;

describe("step.waitFor through GitHub's webhooks (invariant 10)", () => {
  it("delivers an /approve given the moment the pull request opens, before the wait exists, and ignores a reader's", async () => {
    const repo = newRepo("wait-race", approvalFlow({ timeout: "1 hour" }));
    openPr(repo, 1);
    // Sent right behind pull_request.opened: the run is not even compiled yet, let alone waiting.
    stack.emulator.comment(repo, 1, "/approve", { user: "reader" });
    stack.emulator.comment(repo, 1, "/approve", { user: "maintainer" });
    await waitFor("the run's answer", () => comments(repo, 1).find((body) => body.startsWith("approved by")), 60_000);
    expect(comments(repo, 1).filter((body) => body.startsWith("approved"))).toEqual(["approved by maintainer"]);
    const runs = await waitFor("the check run to complete", () => checkRuns(repo, "repoflow: Approve").find((run) => run.status === "completed"), 30_000);
    expect(runs.conclusion).toBe("success");
    // Taken at once from the buffer: the run never parked, so one check run.
    expect(checkRuns(repo, "repoflow: Approve")).toHaveLength(1);
  });

  it("times out at its deadline while comments on other issues and other comments on its own keep coming", async () => {
    const repo = newRepo("wait-deadline", approvalFlow({ timeout: "15 seconds" }));
    openPr(repo, 1);
    stack.emulator.openIssue(repo, { number: 2, title: "Elsewhere", user: "reader" });
    const waiting = await waitFor("the run to wait", async () => {
      const run = await runOf(repo);
      return run?.steps.find((s) => s.name === "approval" && s.status === "waiting");
    }, 60_000);
    const started = Date.parse(waiting.startedAt);
    for (const [number, body, user] of [[2, "/approve", "maintainer"], [1, "looks good", "maintainer"], [1, "/approve", "reader"]] as const) {
      stack.emulator.comment(repo, number, body, { user });
    }
    await waitFor("the run's answer", () => comments(repo, 1).includes("no approval in time"), 60_000);
    const run = (await runOf(repo))!;
    const approval = run.steps.find((s) => s.name === "approval")!;
    expect(run.steps.map((s) => s.name)).toEqual(["approval", "answer"]);
    const waitedMs = Date.parse(approval.finishedAt!) - started;
    expect(waitedMs).toBeGreaterThanOrEqual(14_000);
    // The broadcast design restarted the timeout on every comment it woke the run for; the deadline holds here.
    expect(waitedMs).toBeLessThan(40_000);
    expect(comments(repo, 2)).toEqual(["/approve"]);
  });

  it("parks a waiting run's check run as neutral so the pull request is not held, and reports the outcome in a new one", async () => {
    const repo = newRepo("wait-park", approvalFlow({ timeout: "1 hour" }));
    openPr(repo, 1);
    const parked = await waitFor("the check run to park", () => checkRuns(repo, "repoflow: Approve").find((run) => run.status === "completed"), 60_000);
    expect(parked.conclusion).toBe("neutral");
    expect(parked.output.title).toMatch(/^Waiting for issue_comment\.created #1 \/approve until /);
    stack.emulator.comment(repo, 1, "/approve", { user: "maintainer" });
    await waitFor("a second check run to complete", () => checkRuns(repo, "repoflow: Approve").filter((run) => run.status === "completed").length === 2, 60_000);
    const [first, second] = checkRuns(repo, "repoflow: Approve").sort((a, b) => a.id - b.id);
    expect(first!.conclusion).toBe("neutral");
    expect(second!.conclusion).toBe("success");
  });

  it("keeps a gate's check run in progress for as long as it waits", async () => {
    const repo = newRepo("wait-gate", approvalFlow({ timeout: "1 hour", check: "gate" }));
    openPr(repo, 1);
    await waitFor("the run to wait", async () => (await runOf(repo))?.steps.some((s) => s.name === "approval" && s.status === "waiting"), 60_000);
    expect(checkRuns(repo, "repoflow: Approve").map((run) => run.status)).toEqual(["in_progress"]);
    stack.emulator.comment(repo, 1, "/approve", { user: "maintainer" });
    await waitFor("the gate to pass", () => checkRuns(repo, "repoflow: Approve").find((run) => run.status === "completed"), 60_000);
    expect(checkRuns(repo, "repoflow: Approve").map((run) => run.conclusion)).toEqual(["success"]);
  });
});

const GREET_COMMAND = `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Greet",
  on: { command: { name: "/greet", args: { min: 1, max: 1 }, usage: "/greet <name>" } },
  async run({ event, command, step, github, repo }) {
    await step.do("greet", async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: event.issue.number, body: "hello " + command!.args[0] });
    });
  },
});
`;

describe("commands and labels", () => {
  it("runs a command for a writer with 👀 then 🚀, and answers a reader or a wrong argument count without running", async () => {
    const repo = newRepo("command-greet", GREET_COMMAND);
    stack.emulator.openIssue(repo, { number: 1, title: "Hi", user: "reader" });
    const byReader = stack.emulator.comment(repo, 1, "/greet bob", { user: "reader" });
    await waitFor("the refusal", () => comments(repo, 1).find((body) => body.includes("needs write access")), 60_000);
    const byWriter = stack.emulator.comment(repo, 1, "please\n/greet bob", { user: "maintainer" });
    await waitFor("the greeting", () => comments(repo, 1).includes("hello bob"), 60_000);
    await waitFor("the 🚀", () => stack.emulator.reactions(repo, { comment: byWriter.id }).includes("rocket"), 30_000);
    expect(stack.emulator.reactions(repo, { comment: byWriter.id }).sort()).toEqual(["eyes", "rocket"]);
    expect(stack.emulator.reactions(repo, { comment: byReader.id })).toEqual(["-1"]);
    stack.emulator.comment(repo, 1, "/greet", { user: "maintainer" });
    await waitFor("the usage", () => comments(repo, 1).find((body) => body.includes("Usage: /greet <name>")), 60_000);
    expect(comments(repo, 1).filter((body) => body.startsWith("hello"))).toEqual(["hello bob"]);
    expect(checkRuns(repo, "repoflow: Greet")).toHaveLength(1);
  });

  it("runs a labeled workflow when its label is added, whatever the case, and not for another label", async () => {
    const repo = newRepo("labeled", `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Ready",
  on: { labeled: "Ready" },
  async run({ event, step, github, repo }) {
    await step.do("note", async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: event.issue?.number ?? event.pull_request!.number, body: "ready: " + event.label!.name });
    });
  },
});
`);
    stack.emulator.openIssue(repo, { number: 1, title: "Work", user: "reader" });
    stack.emulator.label(repo, 1, "other", { user: "maintainer" });
    stack.emulator.label(repo, 1, "ready", { user: "maintainer" });
    await waitFor("the note", () => comments(repo, 1).includes("ready: ready"), 60_000);
    await stack.emulator.webhooksSettled();
    expect(comments(repo, 1)).toEqual(["ready: ready"]);
  });
});

describe("debounce and concurrency", () => {
  const bodies = (repo: string, number: number) => comments(repo, number).filter((body) => !body.startsWith("/") && !body.startsWith("note "));

  it("debounces a burst of comments into one run, on the last, which says what it absorbed", async () => {
    const repo = newRepo("debounced", `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Digest",
  on: { issue_comment: ["created"] },
  if: ({ event }) => event.comment.body.startsWith("note "),
  debounce: { key: ({ event }) => event.issue.number, period: "4 seconds" },
  async run({ event, step, github, repo }) {
    await step.do("digest", async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: event.issue.number, body: "digest after " + event.comment.body });
    });
  },
});
`);
    stack.emulator.openIssue(repo, { number: 1, title: "Busy", user: "reader" });
    for (let i = 1; i <= 5; i++) stack.emulator.comment(repo, 1, `note ${i}`, { user: "maintainer" });
    await waitFor("the digest", () => bodies(repo, 1).length > 0, 60_000);
    await stack.emulator.webhooksSettled();
    // Another period passes: the burst started one run only.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(bodies(repo, 1)).toEqual(["digest after note 5"]);
    const run = (await runOf(repo))!;
    expect((run as unknown as { lineage: string }).lineage).toMatch(/^Debounced: started on the last of 5 events/);
  });

  const laneFlow = (cancelInProgress: boolean) => `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Lane",
  on: { issue_comment: ["created"] },
  if: ({ event }) => event.comment.body.startsWith("go "),
  concurrency: { key: ({ event }) => event.issue.number, cancelInProgress: ${cancelInProgress} },
  async run({ event, step, github, repo }) {
    const say = (body: string) => step.do(body, async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: event.issue.number, body });
    });
    await say("start " + event.comment.body);
    await step.sleep("work", ${cancelInProgress ? '"1 hour"' : '"3 seconds"'});
    await say("done " + event.comment.body);
  },
});
`;

  it("cancels the older run of a lane, whose check run says it was superseded", async () => {
    const repo = newRepo("superseding", laneFlow(true));
    stack.emulator.openIssue(repo, { number: 1, title: "Deploys", user: "reader" });
    stack.emulator.comment(repo, 1, "go 1", { user: "maintainer" });
    await waitFor("the first run to start", () => comments(repo, 1).includes("start go 1"), 60_000);
    stack.emulator.comment(repo, 1, "go 2", { user: "maintainer" });
    await waitFor("the second run to start", () => comments(repo, 1).includes("start go 2"), 60_000);
    const cancelled = await waitFor("the first run's check run to say cancelled", () =>
      checkRuns(repo, "repoflow: Lane").find((run) => run.conclusion === "cancelled"), 60_000);
    expect(cancelled.output.summary).toMatch(/Superseded by run-[0-9a-f]+\./);
    expect(comments(repo, 1).filter((body) => body.startsWith("done"))).toEqual([]);
  });

  it("queues runs of a lane one at a time: the second starts only after the first is done", async () => {
    const repo = newRepo("queued", laneFlow(false));
    stack.emulator.openIssue(repo, { number: 1, title: "Releases", user: "reader" });
    stack.emulator.comment(repo, 1, "go 1", { user: "maintainer" });
    stack.emulator.comment(repo, 1, "go 2", { user: "maintainer" });
    await waitFor("both runs to finish", () => comments(repo, 1).includes("done go 2") && comments(repo, 1).includes("done go 1"), 90_000);
    // Ingest may take the two deliveries in either order; whichever run reached the lane first runs first, alone.
    const sequence = comments(repo, 1).filter((body) => /^(start|done) /.test(body));
    const first = sequence[0]!.slice("start ".length);
    const second = first === "go 1" ? "go 2" : "go 1";
    expect(sequence).toEqual([`start ${first}`, `done ${first}`, `start ${second}`, `done ${second}`]);
  });
});

describe("re-run from the failed step", () => {
  it("resumes a failed run from its failed step from GitHub's button, without repeating what the steps before it did", async () => {
    const repo = newRepo("rerun-failed", `
import { workflow, NonRetryableError } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Deploy",
  on: { issues: ["opened"] },
  async run({ event, step, github, repo }) {
    const issue_number = event.issue.number;
    await step.do("announce", async () => {
      await github.rest.issues.createComment({ ...repo, issue_number, body: "deploying" });
    });
    await step.do("deploy", { retries: { limit: 0, delay: 0 } }, async () => {
      const { data } = await github.rest.issues.listLabelsOnIssue({ ...repo, issue_number });
      if (!data.some((label) => label.name === "unblocked")) throw new NonRetryableError("the target is not reachable");
    });
    await step.do("report", async () => {
      await github.rest.issues.createComment({ ...repo, issue_number, body: "deployed" });
    });
  },
});
`);
    stack.emulator.openIssue(repo, { number: 1, title: "Ship it", user: "maintainer" });
    const failed = await waitFor("the run to fail", () => checkRuns(repo, "repoflow: Deploy").find((run) => run.conclusion === "failure"), 60_000);
    expect(failed.actions.map((action) => action.identifier)).toEqual(["rerun-failed"]);
    stack.emulator.label(repo, 1, "unblocked", { user: "maintainer" });
    stack.emulator.clickCheckRunAction(repo, failed.id, "rerun-failed", { user: "maintainer" });
    await waitFor("the resumed run to succeed", () => checkRuns(repo, "repoflow: Deploy").find((run) => run.conclusion === "success"), 60_000);
    expect(comments(repo, 1)).toEqual(["deploying", "deployed"]);
    const run = (await runOf(repo))!;
    expect(run.status).toBe("succeeded");
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([["announce", "succeeded"], ["deploy", "succeeded"], ["report", "succeeded"]]);
  });
});

describe("a wait's button on the check run", () => {
  it("is satisfied by a writer's click and not by a reader's", async () => {
    const repo = newRepo("button", `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Release",
  on: { pull_request: ["opened"] },
  check: "gate",
  async run({ event, step, github, repo }) {
    const number = event.pull_request.number;
    const approval = await step.waitFor("approval", {
      events: ["issue_comment.created"], for: { number }, command: "/approve", button: "Approve", timeout: "1 hour",
    });
    await step.do("answer", async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: number, body: approval ? "approved by " + approval.actor + " via " + approval.type : "timed out" });
    });
  },
});
`);
    openPr(repo, 1);
    const check = await waitFor("the Approve button", () => checkRuns(repo, "repoflow: Release").find((run) => run.actions.some((action) => action.label === "Approve")), 60_000);
    const approve = check.actions.find((action) => action.label === "Approve")!;
    stack.emulator.clickCheckRunAction(repo, check.id, approve.identifier, { user: "reader" });
    await stack.emulator.webhooksSettled();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(comments(repo, 1)).toEqual([]);
    stack.emulator.clickCheckRunAction(repo, check.id, approve.identifier, { user: "maintainer" });
    await waitFor("the answer", () => comments(repo, 1).length > 0, 60_000);
    expect(comments(repo, 1)).toEqual(["approved by maintainer via check_run"]);
    await waitFor("the gate to pass", () => checkRuns(repo, "repoflow: Release").find((run) => run.conclusion === "success"), 30_000);
  });
});
