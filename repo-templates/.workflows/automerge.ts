import { upsertComment, workflow, type ChecksResult, type Duration } from "repoflow";
import { hasStatus, messageOf } from "./lib/http.ts";

const LABEL = "automerge";
// How long CI may take before the request expires.
const CHECKS_TIMEOUT: Duration = "1 day";
// How the pull request lands on its base branch; the repository must allow this method.
const MERGE_METHOD: "merge" | "squash" | "rebase" = "squash";
const MARKER = "automerge";

type Outcome = { merged: true; sha: string } | { merged: false; reason: string };

// The "automerge" label on a pull request merges it once every check on its head commit has passed. The run
// waits asleep (no runner, no cost) until CI has finished with that commit, and merges only the commit the
// checks passed for, only while the label is still there. Otherwise one status comment says why it did not.
export default workflow({
  name: "Automerge",
  permissions: { contents: "write", pull_requests: "write" },
  on: { labeled: LABEL },
  // Pull requests only: an issue has nothing to merge.
  if: ({ eventName }) => eventName === "pull_request",
  async run({ event, step, github, repo }) {
    if (!("pull_request" in event)) return { skipped: "not a pull request" };
    const number = event.pull_request.number;
    // The head the label was put on: what the checks are for, and the only commit this run merges.
    const head = event.pull_request.head.sha;
    const short = head.slice(0, 7);

    await step.do("say what happens next", () =>
      upsertComment(github, {
        ...repo,
        issue_number: number,
        marker: MARKER,
        body: `Merging ${short} once all of its checks pass (waiting up to ${CHECKS_TIMEOUT}). Remove the \`${LABEL}\` label to cancel.`,
      }),
    );

    // Resolves once every check run and commit status on the commit has completed (repoflow's own are left out),
    // or null at the deadline. It wakes only when GitHub reports a check on this commit.
    const checks = await step.waitForChecks("green", { sha: head, timeout: CHECKS_TIMEOUT });

    const outcome = await step.do("merge", async (): Promise<Outcome> => {
      // The pull request as it is now, not as the label event saw it a day ago.
      const { data: pr } = await github.rest.pulls.get({ ...repo, pull_number: number });
      // This step runs at least once: after a crash right after the merge, the pull request is merged already.
      if (pr.merged) return { merged: true, sha: pr.merge_commit_sha ?? "" };
      if (pr.state !== "open") return { merged: false, reason: "it was closed" };
      if (!pr.labels.some((label) => label.name === LABEL)) return { merged: false, reason: `the \`${LABEL}\` label was removed` };
      if (pr.head.sha !== head) return { merged: false, reason: `new commits were pushed (now ${pr.head.sha.slice(0, 7)}); add the \`${LABEL}\` label again to merge them once their checks pass` };
      if (checks === null) return { merged: false, reason: `the checks on ${short} did not all finish within ${CHECKS_TIMEOUT}` };
      if (checks.conclusion !== "success") return { merged: false, reason: `checks did not pass: ${failing(checks)}` };
      try {
        // `sha`: merge exactly the commit the checks passed for; a push since then is refused (409), not merged untested.
        const { data } = await github.rest.pulls.merge({ ...repo, pull_number: number, sha: head, merge_method: MERGE_METHOD });
        return { merged: true, sha: data.sha };
      } catch (error) {
        // 405: not mergeable (conflicts, a draft, required reviews); 409: the head moved. A person has to act, so no retry.
        if (hasStatus(error, 405, 409)) return { merged: false, reason: `GitHub did not merge: ${messageOf(error)}` };
        throw error;
      }
    });

    await step.do("report", () =>
      upsertComment(github, {
        ...repo,
        issue_number: number,
        marker: MARKER,
        body: outcome.merged ? `Merged ${short} (${outcome.sha.slice(0, 7)}): all checks passed.` : `Not merged: ${outcome.reason}.`,
      }),
    );
    return outcome;
  },
});

/** The checks that did not pass, as a person reads them on the pull request: "build (failure), lint (cancelled)". */
function failing(checks: ChecksResult): string {
  const passing = ["success", "neutral", "skipped"];
  return checks.checks
    .filter((check) => check.conclusion === null || !passing.includes(check.conclusion))
    .map((check) => `${check.name} (${check.conclusion ?? "no conclusion"})`)
    .join(", ");
}
