import { upsertComment, workflow } from "repoflow";

// Thanks the author of every new pull request, welcomes first-time contributors, and labels it for triage.
export default workflow({
  name: "Welcome",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const pr = event.pull_request;
    const firstTime = pr.author_association === "FIRST_TIME_CONTRIBUTOR" || pr.author_association === "FIRST_TIMER";
    const body = firstTime
      ? `Welcome, @${pr.user.login}, and thank you for your first pull request here! A maintainer will look soon.`
      : `Thanks @${pr.user.login}! A maintainer will look soon.`;
    // upsertComment: a step re-executed after a crash, or a re-run, edits its comment instead of posting it twice.
    await step.do("thank the author", () => upsertComment(github, { ...repo, issue_number: pr.number, marker: "welcome", body }));
    await step.do("label for triage", async () => {
      await github.rest.issues.addLabels({ ...repo, issue_number: pr.number, labels: ["triage"] });
    });
    return { welcomed: pr.number, firstTime };
  },
});
