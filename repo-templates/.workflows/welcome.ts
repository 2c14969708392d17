import { workflow } from "repoflow";

// Thanks the author of every new pull request and labels it for triage.
export default workflow({
  name: "Welcome",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const number = event.pull_request.number;
    await step.do("thank the author", async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: number, body: `Thanks @${event.pull_request.user.login}! A maintainer will look soon.` });
    });
    await step.do("label for triage", async () => {
      await github.rest.issues.addLabels({ ...repo, issue_number: number, labels: ["triage"] });
    });
    return { welcomed: number };
  },
});
