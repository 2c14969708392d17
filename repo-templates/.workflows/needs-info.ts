import { upsertComment, workflow, type Duration } from "repoflow";
import { hasStatus } from "./lib/http.ts";

const LABEL = "needs-info";
// How long the author has to answer before the issue is closed.
const REPLY_TIMEOUT: Duration = "14 days";

// When a maintainer labels an issue "needs-info", ask its author for details and wait for their answer.
// An answer from the author takes the label off; no answer in time closes the issue. The run is asleep
// while it waits: no runner, no cost, for the whole two weeks.
export default workflow({
  name: "Needs info",
  permissions: { issues: "write", pull_requests: "write" },
  on: { labeled: LABEL },
  // Issues only: the author of a pull request answers by pushing commits, which is another workflow.
  if: ({ eventName }) => eventName === "issues",
  async run({ event, step, github, repo }) {
    if (!("issue" in event)) return { skipped: "not an issue" };
    const number = event.issue.number;
    const author = event.issue.user?.login;
    if (!author) return { skipped: "the issue has no author" };

    await step.do("ask the author", () =>
      upsertComment(github, {
        ...repo,
        issue_number: number,
        marker: "needs-info:ask",
        body: `@${author}, could you add more details (what you did, what you expected, what happened instead, versions)? Without an answer from you within ${REPLY_TIMEOUT}, this issue will be closed.`,
      }),
    );

    // Only the author's own comment counts: a "+1" from someone else is not the missing information.
    const reply = await step.waitFor("reply", { events: ["issue_comment.created"], for: { number }, from: [author], timeout: REPLY_TIMEOUT });

    if (reply !== null) {
      const replier = reply.actor ?? author;
      await step.do("take the label off", async () => {
        try {
          await github.rest.issues.removeLabel({ ...repo, issue_number: number, name: LABEL });
        } catch (error) {
          // A maintainer removed it already, or this step ran before a crash: either way it is off.
          if (!hasStatus(error, 404)) throw error;
        }
      });
      await step.do("thank the author", () =>
        upsertComment(github, { ...repo, issue_number: number, marker: "needs-info:thanks", body: `Thanks, @${replier}! A maintainer will take another look.` }),
      );
      return { answered: true };
    }

    // Two weeks later: close only if nobody settled it meanwhile (the label taken off, or the issue closed).
    const current = await step.do("check the issue again", async () => {
      const { data } = await github.rest.issues.get({ ...repo, issue_number: number });
      return { open: data.state === "open", labelled: data.labels.some((label) => (typeof label === "string" ? label : label.name) === LABEL) };
    });
    if (!current.open || !current.labelled) return { answered: false, closed: false };

    await step.do("explain the close", () =>
      upsertComment(github, {
        ...repo,
        issue_number: number,
        marker: "needs-info:closed",
        body: `Closing this issue: there was no answer within ${REPLY_TIMEOUT}. @${author}, comment with the details and a maintainer can reopen it.`,
      }),
    );
    // Closing a closed issue changes nothing, so a repeated step is harmless.
    await step.do("close the issue", async () => {
      await github.rest.issues.update({ ...repo, issue_number: number, state: "closed", state_reason: "not_planned" });
    });
    return { answered: false, closed: true };
  },
});
