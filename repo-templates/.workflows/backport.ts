import { upsertComment, workflow } from "repoflow";
import { applyChange, readChange, type FileChange } from "./lib/backport.ts";
import { hasStatus } from "./lib/http.ts";

type Outcome = { branch: string; pull: { number: number; url: string } } | { branch: string; problem: string };

// `/backport release-1.x [more branches]` on a merged pull request, by someone with write access: for each
// branch, a branch `backport-<n>-to-<branch>` with the pull request's change on top, and a pull request into
// it. repoflow itself answers a command from someone without write access, or with no branch or too many.
export default workflow({
  name: "Backport",
  permissions: { contents: "write", pull_requests: "write", issues: "read" },
  on: { command: { name: "/backport", args: { min: 1, max: 5 }, usage: "/backport <branch> [more branches]" } },
  if: ({ event }) => event.issue.pull_request !== undefined,
  async run({ event, command, step, github, repo }) {
    const number = event.issue.number;
    // One answer per command comment, so two /backport comments each get their own.
    const marker = `backport:${event.comment.id}`;
    const branches = [...new Set(command?.args ?? [])];

    const pr = await step.do("read the pull request", async () => {
      const { data } = await github.rest.pulls.get({ ...repo, pull_number: number });
      return { title: data.title, mergeCommit: data.merged ? data.merge_commit_sha : null };
    });
    if (pr.mergeCommit === null) {
      await step.do("refuse: not merged", () =>
        upsertComment(github, { ...repo, issue_number: number, marker, body: "Only a merged pull request can be backported; comment `/backport` again once this one is merged." }),
      );
      return { backported: [], refused: "not merged" };
    }
    const mergeCommit = pr.mergeCommit;

    // The change is read once: each file's blob before and after the merge commit, never the contents.
    const change: FileChange[] = await step.do("read the merged change", () => readChange(github, repo, number, mergeCommit));

    const outcomes: Outcome[] = [];
    for (const branch of branches) {
      const head = `backport-${number}-to-${branch}`;
      // Creating trees and commits is safe to repeat: a retry leaves at most an unreferenced commit behind.
      const prepared = await step.do(`commit the change onto ${branch}`, () =>
        applyChange(github, repo, { branch, change, message: `${pr.title} (#${number})\n\nBackport of #${number} (${mergeCommit.slice(0, 7)}) to ${branch}.` }),
      );
      if ("problem" in prepared) {
        outcomes.push({ branch, problem: prepared.problem });
        continue;
      }
      await step.do(`create branch ${head}`, async () => {
        try {
          await github.rest.git.createRef({ ...repo, ref: `refs/heads/${head}`, sha: prepared.commit });
        } catch (error) {
          // "Reference already exists": this step ran before a crash, or an earlier /backport made it. Keep it.
          if (!hasStatus(error, 422)) throw error;
        }
      });
      const title = `[${branch}] ${pr.title}`;
      const pull = await step.do(`open a pull request into ${branch}`, async () => {
        try {
          const { data } = await github.rest.pulls.create({ ...repo, head, base: branch, title, body: `Backport of #${number} to \`${branch}\`, asked for by @${event.comment.user?.login ?? "someone"}.` });
          return { number: data.number, url: data.html_url };
        } catch (error) {
          // "A pull request already exists": this step ran before a crash, or an earlier /backport opened it.
          if (!hasStatus(error, 422)) throw error;
          const open = await github.paginate(github.rest.issues.listForRepo, { ...repo, state: "open", per_page: 100 });
          const found = open.find((item) => item.pull_request !== undefined && item.title === title);
          if (!found) throw error;
          return { number: found.number, url: found.html_url };
        }
      });
      outcomes.push({ branch, pull });
    }

    const lines = outcomes.map((o) => ("pull" in o ? `- \`${o.branch}\`: #${o.pull.number} (${o.pull.url})` : `- \`${o.branch}\`: not backported, ${o.problem}`));
    await step.do("report", () => upsertComment(github, { ...repo, issue_number: number, marker, body: `Backport of #${number}:\n\n${lines.join("\n")}` }));
    return { backported: outcomes.flatMap((o) => ("pull" in o ? [o.pull.number] : [])), problems: outcomes.filter((o) => "problem" in o).length };
  },
});
