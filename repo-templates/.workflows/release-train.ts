import { NonRetryableError, workflow, type GitHub } from "repoflow";
import { hasStatus } from "./lib/http.ts";
import { commitsSince, releasedCommits } from "./lib/commits.ts";
import { isoWeek } from "./lib/iso-week.ts";

// Where work lands day to day; the release pull request goes into the repository's default branch.
const DEVELOP = "develop";
const TIMEZONE = "Europe/Berlin";
// The description lists at most this many commits (each one API call to read).
const MAX_LISTED = 100;

type Repo = { owner: string; repo: string };
type Train = { base: string; head: string } | { base: string; head: null };

// A weekly release train. Every Monday at 09:00 in Berlin (or by hand: the Run button, `/run release-train`),
// `release/<ISO week>` (e.g. release/2026-W49) is cut from develop's head, and a pull request "Release 2026-W49"
// from it into the default branch lists the commits since the last release. Merging it is the release. The
// branch is cut once per week and never moved by this workflow: develop keeps moving, while fixes for this
// release are pushed to the release branch, and each run rewrites the description from the branch as it is.
// Another run in the same week changes nothing; a week in which develop has nothing new gets no train.
// Merge the release pull request with a merge commit (not squash), so the default branch contains develop's
// commits and the next train lists only what came after them.
export default workflow({
  name: "Release train",
  permissions: { contents: "write", pull_requests: "write", issues: "read" },
  on: { schedule: { cron: "0 9 * * 1", timezone: TIMEZONE }, dispatch: true },
  async run({ event, step, github, repo }) {
    // The week of the tick a scheduled run is for; a manual run reads the clock in a step, so replays agree.
    const at = "tick" in event ? Date.parse(event.tick) : await step.do("read the clock", () => Date.now());
    const week = isoWeek(at, TIMEZONE);
    const branch = `release/${week}`;
    const title = `Release ${week}`;

    const train = await step.do(`cut ${branch}`, () => cut(github, repo, branch));
    if (train.head === null) return { week, released: false, reason: `${DEVELOP} has nothing ${train.base} lacks` };
    const { base, head } = train;

    const body = await step.do("list the commits", () => describeTrain(github, repo, { base, head, branch, week }));

    // This week's pull request was created this week, so the issues updated in the 8 days before `at` include it.
    const since = new Date(at - 8 * 24 * 60 * 60 * 1000).toISOString();
    const pull = await step.do("open or update the pull request", async () => {
      const found = await findTrainPull(github, repo, { branch, title, since });
      if (found === null) {
        try {
          const { data } = await github.rest.pulls.create({ ...repo, head: branch, base, title, body });
          return { number: data.number, state: "open", changed: true };
        } catch (error) {
          // "A pull request already exists": this step ran before a crash, or a run at the same time opened it.
          if (!hasStatus(error, 422)) throw error;
          const again = await findTrainPull(github, repo, { branch, title, since });
          if (again === null) throw error;
          return { number: again.number, state: again.state, changed: false };
        }
      }
      // A merged or closed train is this week's decision: leave it alone.
      if (found.state !== "open" || found.body === body) return { number: found.number, state: found.state, changed: false };
      // The issues endpoint edits a pull request's description too.
      await github.rest.issues.update({ ...repo, issue_number: found.number, body });
      return { number: found.number, state: found.state, changed: true };
    });
    return { week, released: true, pull: pull.number, changed: pull.changed };
  },
});

/** This week's branch: found where an earlier run cut it, or cut now from develop's head if develop has anything new. */
async function cut(github: GitHub, repo: Repo, branch: string): Promise<Train> {
  const { data: repository } = await github.rest.repos.get(repo);
  const base = repository.default_branch;
  try {
    const { data } = await github.rest.git.getRef({ ...repo, ref: `heads/${branch}` });
    return { base, head: data.object.sha };
  } catch (error) {
    if (!hasStatus(error, 404)) throw error;
  }
  let develop: { commit: { sha: string } };
  try {
    ({ data: develop } = await github.rest.repos.getBranch({ ...repo, branch: DEVELOP }));
  } catch (error) {
    if (!hasStatus(error, 404)) throw error;
    // A person has to act: fail the run at once, with the fix on its check run.
    throw new NonRetryableError(`Release train: there is no branch \`${DEVELOP}\` in ${repo.owner}/${repo.repo}; create it from \`${base}\`, or set DEVELOP to the branch you integrate on.`);
  }
  const { data: tip } = await github.rest.repos.getBranch({ ...repo, branch: base });
  if ((await releasedCommits(github, repo, tip.commit.sha)).has(develop.commit.sha)) return { base, head: null };
  try {
    await github.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: develop.commit.sha });
    return { base, head: develop.commit.sha };
  } catch (error) {
    // "Reference already exists": cut by this step before a crash, or by a run at the same time. Take it as it is.
    if (!hasStatus(error, 422)) throw error;
    const { data } = await github.rest.git.getRef({ ...repo, ref: `heads/${branch}` });
    return { base, head: data.object.sha };
  }
}

/** The pull request's description, from the branch as it is now: the same branch gives the same text. */
async function describeTrain(github: GitHub, repo: Repo, train: { base: string; head: string; branch: string; week: string }): Promise<string> {
  const { data: tip } = await github.rest.repos.getBranch({ ...repo, branch: train.base });
  const { commits, complete } = await commitsSince(github, repo, train.head, await releasedCommits(github, repo, tip.commit.sha), MAX_LISTED);
  const count = `${commits.length}${complete ? "" : "+"} commit${commits.length === 1 && complete ? "" : "s"}`;
  return [
    `The release train for ${train.week}: \`${train.branch}\`, cut from \`${DEVELOP}\`. Merging this pull request (with a merge commit) releases it.`,
    "",
    `${count} since the last release:`,
    "",
    ...commits.map((commit) => `- ${commit.sha.slice(0, 7)} ${commit.subject} (${commit.author})`),
    ...(complete ? [] : [`- … and more: see the Commits tab`]),
    "",
    `Fixes for this release go to \`${train.branch}\`; this description follows that branch. The next train leaves next Monday.`,
  ].join("\n");
}

/**
 * This week's pull request in any state: among the issues updated since `since` (pull requests are issues to
 * this endpoint), the one with the train's title and head branch, so a pull request a person titled the same
 * way is not taken.
 */
async function findTrainPull(
  github: GitHub,
  repo: Repo,
  { branch, title, since }: { branch: string; title: string; since: string },
): Promise<{ number: number; state: string; body: string | null } | null> {
  const items = await github.paginate(github.rest.issues.listForRepo, { ...repo, state: "all", since, per_page: 100 });
  for (const item of items) {
    if (item.pull_request === undefined || item.title !== title) continue;
    const { data: pr } = await github.rest.pulls.get({ ...repo, pull_number: item.number });
    if (pr.head.ref === branch) return { number: pr.number, state: pr.merged ? "merged" : pr.state, body: pr.body };
  }
  return null;
}
