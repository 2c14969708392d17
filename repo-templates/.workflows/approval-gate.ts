import { workflow } from "repoflow";

// Who may approve: GitHub's author_association of the comment's author.
const APPROVERS = ["OWNER", "MEMBER", "COLLABORATOR"];

// An issue labelled "deploy" or titled "Deploy …" waits up to three days for a maintainer to comment /approve.
// While it waits, the run is asleep: no runner, no cost.
export default workflow({
  name: "Approval gate",
  on: { issues: ["opened"] },
  if: ({ event }) => /^deploy\b/i.test(event.issue.title) || (event.issue.labels ?? []).some((label) => label.name === "deploy"),
  async run({ event, step, github, repo }) {
    const issue = event.issue.number;
    await step.do("ask for approval", () =>
      github.rest.issues.createComment({ ...repo, issue_number: issue, body: "Waiting for a maintainer to comment `/approve` (3 days)." }).then((r) => r.data.id),
    );
    let approver: string;
    try {
      const approval = await step.waitForEvent("approval", {
        type: "issue_comment",
        timeout: "3 days",
        match: (e) =>
          e.action === "created" &&
          e.payload.issue.number === issue &&
          e.payload.comment.body.trim() === "/approve" &&
          APPROVERS.includes(e.payload.comment.author_association),
      });
      const user = approval.payload.comment.user;
      approver = user ? `@${user.login}` : "a maintainer";
    } catch {
      // waitForEvent throws once its timeout passes without a matching comment.
      await step.do("expire", () =>
        github.rest.issues.createComment({ ...repo, issue_number: issue, body: "No approval within 3 days; open a new issue to try again." }).then((r) => r.data.id),
      );
      return { approved: false };
    }
    await step.do("confirm", () =>
      github.rest.issues.createComment({ ...repo, issue_number: issue, body: `Approved by ${approver}. Deploying.` }).then((r) => r.data.id),
    );
    return { approved: true, approver };
  },
});
