/**
 * The inbox's decision end to end (src/dispatch/triage.ts), with `wrangler
 * dev` and the GitHub emulator sending GitHub's webhooks in order: an event
 * nothing is triggered by is recorded as ignored, with why, without any
 * GitHub call; a push that changes a trigger takes effect for the very next
 * event, although the index that decided the events before it said no.
 */
import { describe, expect, it } from "vitest";
import { waitFor } from "../support/stack.ts";
import { useStack } from "../support/use-stack.ts";

// The emulator sends GitHub's webhooks for what happens on it, in order, as GitHub would.
const stack = useStack({ webhooks: true });

const workflowOn = (on: string, tag: string) => `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write" },
  name: "Answer",
  on: { ${on} },
  async run({ event, step, github, repo }) {
    await step.do("answer", () => github.rest.issues.createComment({ ...repo, issue_number: event.issue.number, body: "${tag}" }));
  },
});
`;

interface DeliveryAnswer {
  delivery: { status: string; outcome: { started: string[]; ignored?: string } | null };
  runs: unknown[];
}

async function processed(guid: string): Promise<DeliveryAnswer | false> {
  const res = await fetch(`${stack.service.url}/api/deliveries/${guid}`);
  if (res.status !== 200) return false;
  const answer = (await res.json()) as DeliveryAnswer;
  return answer.delivery.status === "processed" ? answer : false;
}

/** The guid of the webhook the emulator sent for the comment with this body. */
function commentDelivery(body: string): string | undefined {
  return stack.emulator.deliveries().find((d) => d.event === "issue_comment" && (d.request.payload as { comment?: { body?: string } }).comment?.body === body)?.guid;
}

describe("the inbox decides before creating a Workflow", () => {
  it("ignores a comment nothing is triggered by, then lets a push that changes the trigger take effect for the very next comment", async () => {
    const fullName = "octo-org/triage-retrigger";
    stack.emulator.addRepo({ fullName, installationId: 8100, defaultBranch: "main", files: { "README.md": "# triage\n", ".workflows/answer.ts": workflowOn(`issues: ["opened"]`, "v1 opened") } });
    const answers = () => stack.emulator.comments(fullName, 1).filter((c) => c.body.startsWith("v"));

    // The first event builds the repository's index (ingest resolves HEAD and compiles).
    stack.emulator.openIssue(fullName, { number: 1, title: "Index me" });
    await waitFor("the v1 answer to the opened issue", () => answers().some((c) => c.body === "v1 opened"), 60_000);
    await waitFor("the v1 run's check run to complete", () => stack.emulator.checkRuns(fullName).find((run) => run.name === "repoflow: Answer" && run.status === "completed"), 60_000);

    // A comment v1 is not triggered by: decided in the inbox, no GitHub call made for it.
    const callsBefore = stack.emulator.requests.length;
    stack.emulator.comment(fullName, 1, "a plain comment");
    const ignoredGuid = await waitFor("the comment's webhook", () => commentDelivery("a plain comment"));
    const ignored = await waitFor("the comment's delivery to be processed", () => processed(ignoredGuid), 30_000);
    expect(ignored.delivery.outcome).toMatchObject({ started: [], ignored: "no workflow is triggered by issue_comment.created (1 workflow looked at)" });
    expect(ignored.runs).toEqual([]);
    expect(stack.emulator.requests.slice(callsBefore).filter((r) => r.path.startsWith(`/repos/${fullName}/`) || r.path === "/app/installations/8100/access_tokens")).toEqual([]);

    // The push makes the workflow answer comments; the comment right behind it must start a run.
    stack.emulator.commit(fullName, { ".workflows/answer.ts": workflowOn(`issue_comment: ["created"]`, "v2 commented") }, "Answer comments");
    stack.emulator.comment(fullName, 1, "the very next comment");
    await waitFor("the v2 answer to the very next comment", () => answers().some((c) => c.body === "v2 commented"), 60_000);
    const nextGuid = commentDelivery("the very next comment")!;
    const next = await waitFor("the next comment's delivery to be processed", () => processed(nextGuid), 30_000);
    expect(next.delivery.outcome?.started).toHaveLength(1);
  });
});
