/**
 * The service driven only by the webhooks the emulator sends, as GitHub
 * would after each action: a person's comment, the comment repoflow posts
 * back, the check runs it creates, and a service that was down while
 * GitHub tried to deliver.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startStack, waitFor, type Stack } from "../support/stack.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ webhooks: true });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expect(stack.emulator.violations, "requests the real GitHub API would reject").toEqual([]);
});

interface DeliveryView {
  delivery: { id: string; status: string };
  runs: { id: string; status: string; workflowName: string }[];
}

async function deliveryView(guid: string): Promise<DeliveryView | null> {
  const res = await fetch(`${stack.service.url}/api/deliveries/${guid}`);
  return res.status === 200 ? ((await res.json()) as DeliveryView) : null;
}

const processed = (guid: string) => async () => {
  const view = await deliveryView(guid);
  return view?.delivery.status === "processed" ? view : null;
};

const ECHO = `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Echo",
  on: { issue_comment: ["created"] },
  async run({ event, step, github, repo }) {
    await step.do("answer", async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: event.issue.number, body: "echo: " + event.comment.body });
    });
  },
});
`;

describe("webhooks GitHub sends after what happens", () => {
  it("runs a workflow on issue_comment.created that comments exactly once: its own comment and check runs start nothing (invariant 9)", async () => {
    const repo = "octo-org/echo";
    stack.emulator.addRepo({ fullName: repo, installationId: 9101, files: { ".workflows/echo.ts": ECHO } });
    stack.emulator.openIssue(repo, { number: 1, title: "Say something", user: "octocat" });
    await stack.emulator.webhooksSettled();

    stack.emulator.comment(repo, 1, "hello", { user: "octocat" });
    const person = await waitFor("the person's comment delivered", () => stack.emulator.deliveries().find((d) => d.event === "issue_comment" && (d.request.payload.sender as { login: string }).login === "octocat"), 30_000);
    await waitFor("the run to succeed", async () => (await deliveryView(person.guid))?.runs.find((r) => r.status === "succeeded"), 60_000);

    // repoflow's own comment comes back as a webhook; once it has been processed, it must have started nothing.
    const echo = await waitFor("repoflow's comment delivered back", () => stack.emulator.deliveries().find((d) => d.event === "issue_comment" && (d.request.payload.sender as { login: string }).login === "repoflow[bot]"), 30_000);
    expect((await waitFor("the echo processed", processed(echo.guid), 60_000)).runs).toEqual([]);
    // So do the check run events of the run.
    await stack.emulator.webhooksSettled();
    for (const check of stack.emulator.deliveries().filter((d) => d.event === "check_run")) {
      expect((await waitFor(`check_run.${check.action} processed`, processed(check.guid), 60_000)).runs).toEqual([]);
    }
    expect(stack.emulator.comments(repo, 1).map((c) => c.body)).toEqual(["hello", "echo: hello"]);
    expect(stack.emulator.checkRuns(repo).filter((c) => c.name === "repoflow: Echo")).toHaveLength(1);
  });

  it("runs each of three events sent while the service was down exactly once after it starts (invariant 2)", async () => {
    const repo = "octo-org/while-down";
    stack.emulator.addRepo({ fullName: repo, installationId: 9102, files: { ".workflows/echo.ts": ECHO } });
    stack.emulator.openIssue(repo, { number: 1, title: "Down", user: "octocat" });
    await stack.emulator.webhooksSettled();

    await stack.service.stop();
    const before = stack.emulator.deliveries().length;
    for (const body of ["one", "two", "three"]) stack.emulator.comment(repo, 1, body, { user: "octocat" });
    await stack.emulator.webhooksSettled();
    const missed = stack.emulator.deliveries().slice(before);
    expect(missed.map((d) => d.statusCode)).toEqual([0, 0, 0]);

    await stack.restart();
    // The first request of the new process runs recovery, which asks GitHub to redeliver what it could not hand over.
    await fetch(`${stack.service.url}/healthz`);
    for (const { guid } of missed) {
      const view = await waitFor(`delivery ${guid} to run`, async () => (await deliveryView(guid))?.runs.find((r) => r.status === "succeeded") && deliveryView(guid), 90_000);
      expect(view!.runs).toHaveLength(1);
    }
    await waitFor("three answers", () => stack.emulator.comments(repo, 1).length === 6, 60_000);
    expect(stack.emulator.comments(repo, 1).map((c) => c.body).sort()).toEqual(["echo: one", "echo: three", "echo: two", "one", "three", "two"]);
  });
});
