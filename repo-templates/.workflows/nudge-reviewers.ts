import { upsertComment, workflow, type Duration } from "repoflow";

// How long a pull request must be quiet (no push, no review request) before its reviewers are nudged.
const QUIET_PERIOD: Duration = "1 minute";

// When commits are pushed to a pull request, or a review is requested, mention the people whose review it
// waits for: the requested reviewers (and teams), and whoever reviewed an earlier commit. Debounced per pull
// request: ten pushes in a minute nudge once, a minute after the last, about the commit they ended on.
export default workflow({
  name: "Nudge reviewers",
  permissions: { pull_requests: "write" },
  on: { pull_request: ["synchronize", "review_requested"] },
  // A draft is not ready for review yet.
  if: ({ event }) => !event.pull_request.draft,
  // The events of one pull request within QUIET_PERIOD of each other start one run, on the last of them.
  debounce: { key: ({ event }) => String(event.pull_request.number), period: QUIET_PERIOD },
  async run({ event, step, github, repo }) {
    const number = event.pull_request.number;
    const author = event.pull_request.user?.login ?? "";
    // The head the last event saw: the nudge names it, and a repeated run for it edits the same comment.
    const head = event.pull_request.head.sha;

    const wanted = await step.do("find whose review is wanted", async () => {
      // The pull request as it is now: closed or turned into a draft during the quiet period means no nudge.
      const { data: pr } = await github.rest.pulls.get({ ...repo, pull_number: number });
      if (pr.state !== "open" || pr.draft) return [];
      const { data: requested } = await github.rest.pulls.listRequestedReviewers({ ...repo, pull_number: number });
      const reviews = await github.paginate(github.rest.pulls.listReviews, { ...repo, pull_number: number, per_page: 100 });
      // Someone who reviewed an earlier commit has new commits to look at; a review of this head needs no nudge.
      const reviewedBefore = reviews.flatMap((review) =>
        review.user && review.user.type !== "Bot" && review.user.login !== author && review.commit_id !== head ? [review.user.login] : [],
      );
      const reviewedNow = new Set(reviews.flatMap((review) => (review.commit_id === head && review.user ? [review.user.login] : [])));
      const people = [...new Set([...requested.users.map((user) => user.login), ...reviewedBefore])].filter((login) => !reviewedNow.has(login));
      return [...people.sort().map((login) => `@${login}`), ...requested.teams.map((team) => `@${repo.owner}/${team.slug}`)];
    });
    if (wanted.length === 0) return { nudged: [] };

    // One comment per head commit: it notifies the people it mentions, and a repeat edits it instead of
    // posting a second one.
    await step.do("nudge", () =>
      upsertComment(github, {
        ...repo,
        issue_number: number,
        marker: `nudge-reviewers:${head}`,
        body: `${wanted.join(" ")}: this pull request is ready for your review at ${head.slice(0, 7)}.`,
      }),
    );
    return { nudged: wanted, head };
  },
});
