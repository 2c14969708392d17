/**
 * Cancel and re-run, from the dashboard's API and from GitHub's check-run
 * buttons (check_run.requested_action and check_run.rerequested webhooks).
 */
import { describe, expect, it } from "vitest";
import { deliver } from "../support/deliver.ts";
import { example, pullRequestOpened, retarget, type Target } from "../support/payloads.ts";
import { waitFor, WEBHOOK_SECRET } from "../support/stack.ts";
import { useStack } from "../support/use-stack.ts";

const stack = useStack();

interface RunView {
  id: string;
  status: string;
  bundleHash: string;
  checkRunId: number | null;
}

async function runsOf(deliveryId: string): Promise<RunView[]> {
  const res = await fetch(`${stack.service.url}/api/deliveries/${deliveryId}`);
  if (res.status === 404) return [];
  return ((await res.json()) as { runs: RunView[] }).runs;
}

/** The delivery's runs once at least one has this status, for waitFor. */
async function runsWith(deliveryId: string, status: string): Promise<RunView[] | null> {
  const runs = (await runsOf(deliveryId)).filter((r) => r.status === status);
  return runs.length > 0 ? runs : null;
}

const workflow = (name: string, body: string) => `
import { workflow } from "repoflow";
export default workflow({
  name: ${JSON.stringify(name)},
  permissions: { issues: "write", pull_requests: "write" },
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    ${body}
  },
});
`;

function setUp(name: string, installationId: number, files: Record<string, string>): Target {
  const target = { fullName: `octo-org/${name}`, installationId, defaultBranch: "main" };
  stack.emulator.addRepo({ ...target, files });
  stack.emulator.openPullRequest(target.fullName, { number: 1, title: "PR", head: "feature", base: "main" });
  return target;
}

describe("cancel", () => {
  it("stops a sleeping run from the API and marks its check run cancelled", async () => {
    const repo = setUp("cancel-api", 8101, { ".workflows/slow.ts": workflow("Slow", `await step.sleep("a long nap", "1 hour"); await step.do("never", async () => 1);`) });
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 1, headSha: stack.emulator.headSha(repo.fullName, "feature") }));
    const [run] = await waitFor("the run to start", () => runsWith(sent.id, "running"), 60_000);
    await waitFor("the sleep", () => stack.emulator.checkRuns(repo.fullName).find((c) => c.output.summary?.includes("a long nap")), 30_000);

    const res = await fetch(`${stack.service.url}/api/runs/${run!.id}/cancel`, { method: "POST" });
    // Accepted, not yet true: the run says cancelled only once the engine confirms it stopped (invariant 8).
    expect(res.status).toBe(202);
    const asked = ((await res.json()) as { run: RunView & { cancelRequestedAt: string | null } }).run;
    expect(asked).toMatchObject({ status: "running", cancelRequestedAt: expect.any(String) });
    await waitFor("the run to say cancelled", () => runsWith(sent.id, "cancelled"), 60_000);
    // The sleeping run had parked its check run as neutral (report mode); GitHub never changes a completed
    // check run, so the cancel is said by a new one of the same name.
    const check = await waitFor("the cancelled check run", () => stack.emulator.checkRuns(repo.fullName).find((c) => c.conclusion === "cancelled"), 30_000);
    expect(check.actions).toEqual([]);
    expect(stack.emulator.checkRuns(repo.fullName).map((c) => c.conclusion).sort()).toEqual(["cancelled", "neutral"]);
  });

  it("stops a run from the check run's Cancel button", async () => {
    const repo = setUp("cancel-button", 8102, { ".workflows/slow.ts": workflow("Slow", `await step.sleep("a long nap", "1 hour");`) });
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 1, headSha: stack.emulator.headSha(repo.fullName, "feature") }));
    const [run] = await waitFor("the run to start", () => runsWith(sent.id, "running"), 60_000);
    const check = await waitFor("the Cancel button", () => stack.emulator.checkRuns(repo.fullName).find((c) => c.actions.some((a) => a.identifier === "cancel")), 30_000);

    const action = retarget(example("check_run", "requested_action"), repo);
    action.check_run = { ...action.check_run, id: check.id, external_id: run!.id, head_sha: check.head_sha, name: check.name };
    action.requested_action = { identifier: "cancel" };
    expect((await deliver(stack.service.url, WEBHOOK_SECRET, "check_run", action)).status).toBe(202);
    const done = await waitFor("the cancelled check run", () => stack.emulator.checkRuns(repo.fullName).find((c) => c.conclusion === "cancelled"), 30_000);
    expect(done.name).toBe(check.name);
  });
});

describe("re-run", () => {
  it("starts the same event again from scratch on the current default-branch code", async () => {
    const repo = setUp("rerun", 8103, { ".workflows/flaky.ts": workflow("Flaky", `await step.do("check", { retries: { limit: 0, delay: 0 } }, async () => { throw new Error("broken on purpose"); });`) });
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 1, headSha: stack.emulator.headSha(repo.fullName, "feature") }));
    const [failed] = await waitFor("the run to fail", () => runsWith(sent.id, "failed"), 60_000);

    stack.emulator.commit(repo.fullName, { ".workflows/flaky.ts": workflow("Flaky", `await step.do("comment", async () => { await github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: "fixed" }); });`) });
    // A double click (the same Idempotency-Key twice) starts one re-run.
    const click = { method: "POST", headers: { "idempotency-key": "click-1" } };
    const res = await fetch(`${stack.service.url}/api/runs/${failed!.id}/rerun`, click);
    expect(res.status).toBe(202);
    const { deliveryId } = (await res.json()) as { deliveryId: string };
    const again = await fetch(`${stack.service.url}/api/runs/${failed!.id}/rerun`, click);
    expect(((await again.json()) as { deliveryId: string }).deliveryId).toBe(deliveryId);
    const [rerun] = await waitFor("the re-run to succeed", () => runsWith(deliveryId, "succeeded"), 60_000);
    expect(rerun!.id).not.toBe(failed!.id);
    expect(rerun!.bundleHash).not.toBe(failed!.bundleHash);
    expect(stack.emulator.comments(repo.fullName, 1).map((c) => c.body)).toEqual(["fixed"]);
    expect((await runsOf(sent.id))[0]!.status).toBe("failed");
  });

  it("re-runs when GitHub's Re-run button sends check_run.rerequested", async () => {
    const repo = setUp("rerun-button", 8104, { ".workflows/once.ts": workflow("Once", `await step.do("comment", async () => { await github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: "ran" }); });`) });
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 1, headSha: stack.emulator.headSha(repo.fullName, "feature") }));
    const [run] = await waitFor("the run to succeed", () => runsWith(sent.id, "succeeded"), 60_000);
    const check = stack.emulator.checkRuns(repo.fullName).find((c) => c.external_id === run!.id)!;

    const rerequested = retarget(example("check_run", "rerequested"), repo);
    rerequested.check_run = { ...rerequested.check_run, id: check.id, external_id: run!.id, head_sha: check.head_sha, name: check.name };
    expect((await deliver(stack.service.url, WEBHOOK_SECRET, "check_run", rerequested)).status).toBe(202);
    await waitFor("a second comment", () => stack.emulator.comments(repo.fullName, 1).length === 2, 60_000);
    await waitFor("a second completed check run", () => stack.emulator.checkRuns(repo.fullName).filter((c) => c.name === "repoflow: Once" && c.conclusion === "success").length === 2, 30_000);
  });
});
