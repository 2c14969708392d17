/**
 * A push GitHub delivers late, end to end (src/dispatch/inbox-kept.ts): with
 * `wrangler dev` and the GitHub emulator, whose pushes this test delivers
 * itself, after the comment made behind them, as when a push's webhook failed
 * and was redelivered. The inbox ignored the comment against the code it knew;
 * the late push has it decided again, and the new code answers it.
 */
import { describe, expect, it } from "vitest";
import { deliver } from "../support/deliver.ts";
import { pushTo } from "../support/payloads.ts";
import { WEBHOOK_SECRET, waitFor } from "../support/stack.ts";
import { useStack } from "../support/use-stack.ts";

const EVENTS_BUT_PUSH = ["check_run", "check_suite", "issue_comment", "issues", "pull_request", "status"];
const stack = useStack({ webhooks: true, webhookEvents: EVENTS_BUT_PUSH });

const workflowOn = (on: string, tag: string, name = "Answer") => `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write" },
  name: "${name}",
  on: { ${on} },
  async run({ event, step, github, repo }) {
    await step.do("answer", () => github.rest.issues.createComment({ ...repo, issue_number: event.issue.number, body: "${tag}" }));
  },
});
`;

interface DeliveryAnswer {
  delivery: { status: string; instanceId: string; outcome: { started: string[]; ignored?: string } | null };
}

/** The guid of the webhook the emulator sent for the comment with this body on this repository. */
function commentDelivery(fullName: string, body: string): string | undefined {
  return stack.emulator.deliveries().find((d) => {
    const payload = d.request.payload as { comment?: { body?: string }; repository?: { full_name?: string } };
    return d.event === "issue_comment" && payload.repository?.full_name === fullName && payload.comment?.body === body;
  })?.guid;
}

async function ledger(guid: string): Promise<DeliveryAnswer | false> {
  const res = await fetch(`${stack.service.url}/api/deliveries/${guid}`);
  return res.status === 200 ? ((await res.json()) as DeliveryAnswer) : false;
}

describe("a push GitHub delivers late", () => {
  it("has the comment made after it, ignored meanwhile by the old code, answered by the new code", async () => {
    const fullName = "octo-org/late-push";
    const installationId = 8200;
    const { sha: first } = stack.emulator.addRepo({ fullName, installationId, defaultBranch: "main", files: { "README.md": "# late\n", ".workflows/answer.ts": workflowOn(`issues: ["opened"]`, "v1 opened") } });
    const answers = () => stack.emulator.comments(fullName, 1).filter((c) => c.body.startsWith("v"));

    // The first event builds the repository's index (ingest reads HEAD from GitHub and compiles).
    stack.emulator.openIssue(fullName, { number: 1, title: "Index me" });
    await waitFor("the v1 answer to the opened issue", () => answers().some((c) => c.body === "v1 opened"), 60_000);

    // The push that makes the workflow answer comments happens now; its webhook does not arrive.
    const pushedAt = Math.floor(Date.now() / 1000);
    const { sha: second } = stack.emulator.commit(fullName, { ".workflows/answer.ts": workflowOn(`issue_comment: ["created"]`, "v2 commented") }, "Answer comments");

    // A comment made after it: the inbox still knows v1, which answers no comment.
    stack.emulator.comment(fullName, 1, "made after the push");
    const guid = await waitFor("the comment's webhook", () => commentDelivery(fullName, "made after the push"));
    const ignored = await waitFor("the comment decided against v1", async () => {
      const answer = await ledger(guid);
      return answer && answer.delivery.status === "processed" ? answer : false;
    }, 30_000);
    expect(ignored.delivery.outcome).toMatchObject({ started: [], ignored: expect.stringContaining("no workflow is triggered by issue_comment.created") });

    // Now the push arrives, saying when GitHub made it.
    const push = pushTo({ fullName, installationId, defaultBranch: "main" }, { before: first, after: second, paths: [".workflows/answer.ts"] });
    push.repository.pushed_at = pushedAt;
    expect((await deliver(stack.service.url, WEBHOOK_SECRET, "push", push)).status).toBe(202);

    await waitFor("the v2 answer to the comment made after the push", () => answers().some((c) => c.body === "v2 commented"), 60_000);
    const decidedAgain = await waitFor("the comment's delivery processed again", async () => {
      const answer = await ledger(guid);
      return answer && answer.delivery.status === "processed" && (answer.delivery.outcome?.started.length ?? 0) > 0 ? answer : false;
    }, 30_000);
    expect(decidedAgain.delivery.outcome?.ignored).toBeUndefined();
    expect(answers().map((c) => c.body)).toEqual(["v1 opened", "v2 commented"]);
  });

  it("starts only what the new code adds for an event the old code already answered, and the ledger lists both runs", async () => {
    const fullName = "octo-org/late-push-more";
    const installationId = 8201;
    const { sha: first } = stack.emulator.addRepo({ fullName, installationId, defaultBranch: "main", files: { "README.md": "# late\n", ".workflows/answer.ts": workflowOn(`issue_comment: ["created"]`, "v1 answer") } });
    const answers = () => stack.emulator.comments(fullName, 1).filter((c) => c.body.startsWith("v"));
    stack.emulator.openIssue(fullName, { number: 1, title: "Index me" });
    // The first comment builds the index; v1 answers it.
    stack.emulator.comment(fullName, 1, "build the index");
    await waitFor("the v1 answer to the first comment", () => answers().length === 1, 60_000);

    // The push adds a second workflow on comments; its webhook does not arrive yet.
    const pushedAt = Math.floor(Date.now() / 1000);
    const { sha: second } = stack.emulator.commit(fullName, { ".workflows/thanks.ts": workflowOn(`issue_comment: ["created"]`, "v2 thanks", "Thanks") }, "Say thanks too");
    stack.emulator.comment(fullName, 1, "made after the push");
    const guid = await waitFor("the comment's webhook", () => commentDelivery(fullName, "made after the push"));
    // The old code (v1 alone) answers it.
    await waitFor("v1's answer to the comment made after the push", () => answers().length === 2, 60_000);
    const before = await waitFor("the comment's runs recorded", async () => {
      const answer = await ledger(guid);
      return answer && answer.delivery.status === "processed" && answer.delivery.outcome?.started.length === 1 ? answer : false;
    }, 30_000);

    const push = pushTo({ fullName, installationId, defaultBranch: "main" }, { before: first, after: second, paths: [".workflows/thanks.ts"] });
    push.repository.pushed_at = pushedAt;
    expect((await deliver(stack.service.url, WEBHOOK_SECRET, "push", push)).status).toBe(202);

    await waitFor("v2's thanks for the comment made after the push", () => answers().some((c) => c.body === "v2 thanks"), 60_000);
    const after = await waitFor("the ledger listing both runs", async () => {
      const answer = await ledger(guid);
      return answer && (answer.delivery.outcome?.started.length ?? 0) === 2 ? answer : false;
    }, 30_000);
    expect(after.delivery.outcome?.started).toEqual(expect.arrayContaining(before.delivery.outcome!.started));
    expect(after.delivery.status).toBe("processed");
    // v1 answered the comment once, not again.
    expect(answers().map((c) => c.body).sort()).toEqual(["v1 answer", "v1 answer", "v2 thanks"]);
  });
});
