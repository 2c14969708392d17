import { upsertComment, workflow, type GitHub } from "repoflow";
import { hasStatus } from "./lib/http.ts";

const STALE_LABEL = "stale";
// Issues with any of these labels are never marked stale, and lose the stale label if it is there.
const EXEMPT_LABELS = ["pinned"];
// No update for this long marks an open issue stale; after that, this long without a comment closes it.
const STALE_AFTER_DAYS = 30;
const CLOSE_AFTER_DAYS = 7;
// Work per sweep is bounded (every issue is a few API calls and steps); the rest waits for the next sweep.
const MAX_PER_SWEEP = 50;

const DAY_MS = 24 * 60 * 60 * 1000;
// Each notice has its own marker, dated: marking an issue stale again months later posts a new comment (which
// notifies people) instead of editing the old one, and the newest notice says when this stale spell began.
const NOTICE = "stale-notice:";

type Repo = { owner: string; repo: string };
type Review = { number: number; action: "close" | "unstale" | "notify" | "wait" };

// Every morning (and on demand: the dashboard's Run button, or `/run stale-sweep` by a writer): open issues
// nobody updated for 30 days get the "stale" label and a comment; a stale issue nobody commented on for 7 more
// days is closed as not planned. A comment by a person takes the label off, and the 30 days start again.
export default workflow({
  name: "Stale sweep",
  permissions: { issues: "write", pull_requests: "write" },
  on: { schedule: "0 6 * * *", dispatch: true },
  async run({ step, github, repo }) {
    // The sweep's clock, read once in a step: `run` is executed again from the top on every wake-up, and every
    // replay has to take the same decisions.
    const now = await step.do("read the clock", () => Date.now());
    const today = new Date(now).toISOString().slice(0, 10);

    // First the issues already stale, so the ones marked below are not looked at twice.
    const reviews = await step.do("review the stale issues", () => reviewStale(github, repo, now));
    for (const { number, action } of reviews) {
      if (action === "close") {
        await step.do(`close #${number}`, async () => {
          await upsertComment(github, {
            ...repo,
            issue_number: number,
            marker: `stale-closed:${today}`,
            body: `Closing this issue: nobody commented in the ${CLOSE_AFTER_DAYS} days since it was marked stale. Comment if it still matters, and a maintainer can reopen it.`,
          });
          // Closing a closed issue changes nothing, so a repeated step is harmless.
          await github.rest.issues.update({ ...repo, issue_number: number, state: "closed", state_reason: "not_planned" });
        });
      } else if (action === "unstale") {
        await step.do(`take the stale label off #${number}`, async () => {
          try {
            await github.rest.issues.removeLabel({ ...repo, issue_number: number, name: STALE_LABEL });
          } catch (error) {
            // Already off (a person took it off, or this step ran before a crash): the state we want.
            if (!hasStatus(error, 404)) throw error;
          }
        });
      } else if (action === "notify") {
        // Someone put the label on by hand: the notice is posted now, and the 7 days start now.
        await step.do(`explain the stale label on #${number}`, () => postNotice(github, repo, number, today));
      }
    }

    const candidates = await step.do("find issues gone stale", () => findStale(github, repo, now - STALE_AFTER_DAYS * DAY_MS));
    for (const number of candidates) {
      await step.do(`mark #${number} stale`, async () => {
        // Adding a label the issue has changes nothing; the dated marker keeps a repeat to one comment.
        await github.rest.issues.addLabels({ ...repo, issue_number: number, labels: [STALE_LABEL] });
        await postNotice(github, repo, number, today);
      });
    }

    const count = (action: Review["action"]) => reviews.filter((review) => review.action === action).map((review) => review.number);
    const summary = { marked: candidates, closed: count("close"), unstaled: count("unstale") };
    // Kept with the run: the dashboard shows it under the run's logs.
    console.log(`stale sweep: ${summary.marked.length} marked, ${summary.closed.length} closed, ${summary.unstaled.length} no longer stale`);
    return summary;
  },
});

async function postNotice(github: GitHub, repo: Repo, number: number, today: string): Promise<void> {
  await upsertComment(github, {
    ...repo,
    issue_number: number,
    marker: `${NOTICE}${today}`,
    body: `This issue has had no activity for ${STALE_AFTER_DAYS} days, so it is marked \`${STALE_LABEL}\`. It will be closed in ${CLOSE_AFTER_DAYS} days unless someone comments.`,
  });
}

/**
 * Open issues (not pull requests) whose last update is older than `cutoff`, oldest first. GitHub's `since`
 * keeps the issues updated *after* a time, the opposite of what this needs; sorted by `updated` ascending,
 * the list can stop at the first issue updated after the cutoff instead of reading every page.
 */
async function findStale(github: GitHub, repo: Repo, cutoff: number): Promise<number[]> {
  const found: number[] = [];
  const pages = github.paginate.iterator(github.rest.issues.listForRepo, { ...repo, state: "open", sort: "updated", direction: "asc", per_page: 100 });
  for await (const { data } of pages) {
    for (const issue of data) {
      if (Date.parse(issue.updated_at) >= cutoff) return found;
      // Pull requests are issues to this endpoint; they have their own reviewers to chase.
      if (issue.pull_request !== undefined) continue;
      const labels = labelNames(issue.labels);
      if (labels.includes(STALE_LABEL) || labels.some((name) => EXEMPT_LABELS.includes(name))) continue;
      found.push(issue.number);
      if (found.length === MAX_PER_SWEEP) return found;
    }
  }
  return found;
}

/**
 * What to do with each open issue labelled stale. "Activity" is a comment by a person after the newest stale
 * notice (labels, edits and bots' comments do not count), so the decision does not depend on the updates this
 * workflow makes itself.
 */
async function reviewStale(github: GitHub, repo: Repo, now: number): Promise<Review[]> {
  const stale = await github.paginate(github.rest.issues.listForRepo, { ...repo, state: "open", labels: STALE_LABEL, per_page: 100 });
  const reviews: Review[] = [];
  for (const issue of stale.filter((item) => item.pull_request === undefined).slice(0, MAX_PER_SWEEP)) {
    if (labelNames(issue.labels).some((name) => EXEMPT_LABELS.includes(name))) {
      reviews.push({ number: issue.number, action: "unstale" });
      continue;
    }
    const comments = await github.paginate(github.rest.issues.listComments, { ...repo, issue_number: issue.number, per_page: 100 });
    // Comments come oldest first; their order, not their times (whole seconds), says what came after the notice.
    let at = -1;
    comments.forEach((comment, index) => {
      if (comment.user?.type === "Bot" && comment.body?.includes(`<!-- repoflow:${NOTICE}`)) at = index;
    });
    const notice = comments[at];
    if (!notice) {
      reviews.push({ number: issue.number, action: "notify" });
      continue;
    }
    const noticedAt = Date.parse(notice.created_at);
    const answered = comments.slice(at + 1).some((comment) => comment.user?.type !== "Bot");
    if (answered) reviews.push({ number: issue.number, action: "unstale" });
    else if (now - noticedAt >= CLOSE_AFTER_DAYS * DAY_MS) reviews.push({ number: issue.number, action: "close" });
    else reviews.push({ number: issue.number, action: "wait" });
  }
  return reviews;
}

function labelNames(labels: (string | { name?: string })[]): string[] {
  return labels.map((label) => (typeof label === "string" ? label : (label.name ?? "")));
}
