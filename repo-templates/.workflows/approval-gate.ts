import { workflow } from "repoflow";

// An issue titled "Deploy …" waits for a maintainer to comment /approve, for up to three days.
// While it waits, the run is asleep: no runner, no cost.
export default workflow({
  name: "Approval gate",
  on: { issues: ["opened"] },
  if: ({ event }) => /^deploy\b/i.test(event.issue.title),
  async run({ event, step, github, repo }) {
    const issue = event.issue.number;
    await step.do("ask for approval", () =>
      github.rest.issues.createComment({ ...repo, issue_number: issue, body: "Waiting for a maintainer to comment `/approve` (3 days)." }).then(() => true),
    );
    try {
      const approval = await step.waitForEvent("approval", {
        type: "issue_comment",
        timeout: "3 days",
        match: (e) => e.payload.issue?.number === issue && e.payload.comment?.body?.trim() === "/approve",
      });
      await step.do("confirm", () =>
        github.rest.issues.createComment({ ...repo, issue_number: issue, body: `Approved by @${approval.payload.comment.user.login}. Deploying.` }).then(() => true),
      );
      return { approved: true };
    } catch {
      await step.do("expire", () =>
        github.rest.issues.createComment({ ...repo, issue_number: issue, body: "No approval within 3 days; open a new issue to try again." }).then(() => true),
      );
      return { approved: false };
    }
  },
});
