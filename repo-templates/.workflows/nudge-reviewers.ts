import { upsertComment, workflow } from "repoflow";

// A day after a pull request opens (or leaves draft), nudge reviewers if it is still open.
// The run sleeps durably in between: it costs nothing and survives restarts and deploys.
export default workflow({
  name: "Nudge reviewers",
  on: { pull_request: ["opened", "ready_for_review"] },
  if: ({ event }) => !event.pull_request.draft,
  async run({ event, step, github, repo }) {
    await step.sleep("give reviewers a day", "1 day");
    const pr = await step.do("reload the pull request", () =>
      github.rest.pulls.get({ ...repo, pull_number: event.pull_request.number }).then((r) => r.data),
    );
    if (pr.state === "open") {
      await step.do("comment", () =>
        upsertComment(github, { ...repo, issue_number: pr.number, marker: "nudge-reviewers", body: "Friendly nudge 👋 this pull request is waiting for a review." }),
      );
    }
  },
});
