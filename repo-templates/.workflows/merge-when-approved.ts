import { upsertComment, workflow } from "repoflow";
import { hasStatus, messageOf } from "./lib/http.ts";

// How the pull request lands on its base branch; the repository must allow this method.
const MERGE_METHOD: "merge" | "squash" | "rebase" = "squash";
const APPROVAL_TIMEOUT = "3 days";

// `/merge-when-approved` on a pull request, by someone with write access: repoflow waits (up to three days,
// asleep, at no cost) for another person with write access to comment `/approve`, then merges.
// A command rather than every pull_request.opened: only the pull requests someone asked for get a waiting
// run and a comment, and the request itself says who wanted the merge.
export default workflow({
  name: "Merge when approved",
  permissions: { contents: "write", pull_requests: "write" },
  on: { command: { name: "/merge-when-approved", usage: "/merge-when-approved, on a pull request" } },
  if: ({ event }) => event.issue.pull_request !== undefined,
  async run({ event, step, github, repo }) {
    const number = event.issue.number;
    const author = event.issue.user?.login ?? "";
    const requester = event.comment.user?.login ?? "someone";

    await step.do("say what happens next", () =>
      upsertComment(github, {
        ...repo,
        issue_number: number,
        marker: "merge-when-approved",
        body: `@${requester} asked to merge this pull request once someone with write access (other than its author) comments \`/approve\`. Waiting up to ${APPROVAL_TIMEOUT}.`,
      }),
    );

    // repoflow checks the commenter's role with GitHub before the event reaches this run: a reader's /approve never arrives.
    const approval = await step.waitFor("approval", {
      events: ["issue_comment.created"],
      for: { number },
      command: "/approve",
      from: "write",
      timeout: APPROVAL_TIMEOUT,
      // As GitHub's own reviews: the author cannot approve their own pull request.
      match: (e) => e.actor !== null && e.actor.toLowerCase() !== author.toLowerCase(),
    });
    if (approval === null) {
      await step.do("say the request expired", () =>
        upsertComment(github, {
          ...repo,
          issue_number: number,
          marker: "merge-when-approved",
          body: `No \`/approve\` within ${APPROVAL_TIMEOUT}; comment \`/merge-when-approved\` to ask again.`,
        }),
      );
      return { merged: false, reason: "no approval" };
    }
    const approver = approval.actor ?? "a maintainer";

    const outcome = await step.do("merge", async (): Promise<{ merged: true; sha: string } | { merged: false; reason: string }> => {
      const { data: pr } = await github.rest.pulls.get({ ...repo, pull_number: number });
      // This step runs at least once: after a crash right after the merge, the pull request is merged already.
      if (pr.merged) return { merged: true, sha: pr.merge_commit_sha ?? "" };
      if (pr.state !== "open") return { merged: false, reason: "it was closed" };
      try {
        // `sha`: merge exactly the head this step saw; a push since then is refused (409) instead of merged unreviewed.
        const { data } = await github.rest.pulls.merge({ ...repo, pull_number: number, sha: pr.head.sha, merge_method: MERGE_METHOD });
        return { merged: true, sha: data.sha };
      } catch (error) {
        // 405: not mergeable (conflicts, a draft, required checks); 409: the head moved. A person has to act, so no retry.
        if (hasStatus(error, 405, 409)) return { merged: false, reason: messageOf(error) };
        throw error;
      }
    });

    await step.do("report", () =>
      upsertComment(github, {
        ...repo,
        issue_number: number,
        marker: "merge-when-approved",
        body: outcome.merged
          ? `Merged after @${approver}'s approval (${outcome.sha.slice(0, 7)}).`
          : `@${approver} approved, but GitHub did not merge: ${outcome.reason}. Fix that and comment \`/merge-when-approved\` again.`,
      }),
    );
    return { ...outcome, approver };
  },
});
