import { upsertComment, workflow } from "repoflow";

// Who may approve: GitHub's author_association of the comment's author.
const APPROVERS = ["OWNER", "MEMBER", "COLLABORATOR"];

// An issue labelled "deploy" or titled "Deploy …" waits up to three days for a maintainer to comment /approve.
// While it waits, the run is asleep: no runner, no cost.
export default workflow({
  name: "Approval gate",
  permissions: { issues: "write" },
  on: { issues: ["opened"] },
  if: ({ event }) => /^deploy\b/i.test(event.issue.title) || (event.issue.labels ?? []).some((label) => label.name === "deploy"),
  async run({ event, step, github, repo }) {
    const issue = event.issue.number;
    await step.do("ask for approval", () =>
      upsertComment(github, { ...repo, issue_number: issue, marker: "approval-gate:ask", body: "Waiting for a maintainer to comment `/approve` (3 days)." }),
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
        upsertComment(github, { ...repo, issue_number: issue, marker: "approval-gate:expired", body: "No approval within 3 days; open a new issue to try again." }),
      );
      return { approved: false };
    }
    await step.do("confirm", () =>
      upsertComment(github, { ...repo, issue_number: issue, marker: "approval-gate:approved", body: `Approved by ${approver}. Deploying.` }),
    );
    return { approved: true, approver };
  },
});
