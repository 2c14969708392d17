import { upsertComment, workflow } from "repoflow";

// Welcomes people on their first issue or pull request here, and labels every new one for triage.
export default workflow({
  name: "Welcome",
  permissions: { issues: "write", pull_requests: "write" },
  // reopened too: a reopened item needs triage again, and upsertComment keeps the welcome to one comment.
  on: { pull_request: ["opened", "reopened"], issues: ["opened", "reopened"] },
  // Bots (Dependabot, Renovate, …) are not people to welcome.
  if: ({ event }) => ("pull_request" in event ? event.pull_request.user : event.issue.user)?.type !== "Bot",
  async run({ event, step, github, repo }) {
    const item = "pull_request" in event ? event.pull_request : event.issue;
    const author = item.user?.login;
    if (!author) return { welcomed: false };
    // "First" means no other issue or pull request by them in this repository. GitHub's author_association
    // says FIRST_TIME_CONTRIBUTOR only on pull requests (and only until a commit lands), so it cannot tell for issues.
    const firstTime = await step.do("is this their first issue or pull request here?", async () => {
      // Pull requests are issues to this endpoint; two results are enough to know there is another one.
      const { data } = await github.rest.issues.listForRepo({ ...repo, creator: author, state: "all", per_page: 2 });
      return data.every((other) => other.number === item.number);
    });
    if (firstTime) {
      const what = "pull_request" in event ? "pull request" : "issue";
      // upsertComment: a step re-executed after a crash, a re-run or a reopen edits this one comment instead of posting another.
      await step.do("welcome the author", () =>
        upsertComment(github, {
          ...repo,
          issue_number: item.number,
          marker: "welcome",
          body: `Welcome, @${author}, and thank you for your first ${what} here! A maintainer will look soon.`,
        }),
      );
    }
    // Adding a label it already has changes nothing, so this step may run any number of times.
    await step.do("label for triage", async () => {
      await github.rest.issues.addLabels({ ...repo, issue_number: item.number, labels: ["triage"] });
    });
    return { welcomed: firstTime, number: item.number };
  },
});
