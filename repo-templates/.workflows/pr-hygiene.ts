import { NonRetryableError, upsertComment, workflow } from "repoflow";
import { findMarkedComment } from "./lib/comments.ts";

// Conventional Commits (https://www.conventionalcommits.org): `type(scope): summary`, scope optional, `!` for a breaking change.
const TYPES = ["feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore", "revert"];
const TITLE = new RegExp(`^(${TYPES.join("|")})(\\([\\w./-]+\\))?!?: \\S`);
const MAX_TITLE = 72;
// "#123", "Fixes #123", "octo-org/other#12", an issue URL, or an explicit "no issue".
const ISSUE_REFERENCE = /(^|[\s(])([\w.-]+\/[\w.-]+)?#\d+\b|https:\/\/github\.com\/[^/\s]+\/[^/\s]+\/issues\/\d+|\bno issue\b/i;
const MARKER = "pr-hygiene";
// Lines git writes into a file with a conflict; a commit that still has them was merged by hand, badly.
const CONFLICT_LINE = /^(<{7} |={7}$|>{7} )/;
// Files looked into for conflict markers: a pull request this large gets a human look anyway.
const MAX_FILES = 50;

/** What a person should fix in the title and description; empty when both are fine. */
function problemsOf(title: string, body: string | null): string[] {
  const problems: string[] = [];
  if (!TITLE.test(title)) problems.push(`The title should read \`type(scope): summary\`, with type one of ${TYPES.map((t) => `\`${t}\``).join(", ")} (scope optional).`);
  if (title.length > MAX_TITLE) problems.push(`The title has ${title.length} characters; keep it to ${MAX_TITLE}, so it fits a commit subject.`);
  const description = (body ?? "").replace(/<!--[\s\S]*?-->/g, "").trim();
  if (description === "") problems.push("The description is empty: say what changes and why.");
  else if (!ISSUE_REFERENCE.test(description)) problems.push('The description mentions no issue: link one (`Fixes #123`) or write "no issue".');
  return problems;
}

// Checks every pull request's title and description. While there are problems, one comment lists them and
// the check run fails (require it in branch protection to block the merge); once they are fixed, the
// comment says so and the check run passes.
export default workflow({
  name: "PR hygiene",
  permissions: { contents: "read", pull_requests: "write" },
  on: { pull_request: ["opened", "edited", "synchronize", "reopened"] },
  async run({ event, step, github, repo }) {
    const pr = event.pull_request;
    // From the payload, so a replay or re-run judges the title the event carried: deterministic, no API call.
    const problems = problemsOf(pr.title, pr.body);

    // Conflict markers left in the changed files, as annotations on the lines (the files view shows them).
    const markers = await step.do("look for conflict markers", async () => {
      const files = await github.paginate(github.rest.pulls.listFiles, { ...repo, pull_number: pr.number, per_page: 100 });
      const found: { path: string; line: number }[] = [];
      for (const file of files.filter((f) => f.status !== "removed").slice(0, MAX_FILES)) {
        const { data } = await github.rest.repos.getContent({ ...repo, path: file.filename, ref: pr.head.sha, mediaType: { format: "raw" } });
        const text = typeof data === "string" ? data : "";
        text.split("\n").forEach((line, index) => {
          if (CONFLICT_LINE.test(line)) found.push({ path: file.filename, line: index + 1 });
        });
      }
      return found;
    });
    if (markers.length > 0) {
      await step.annotate("conflict markers", markers.map(({ path, line }) => ({ path, line, level: "failure" as const, message: "A merge conflict marker is left in this file." })));
      problems.push(`${markers.length} merge conflict marker${markers.length === 1 ? " is" : "s are"} left in the changed files (see the check run's annotations).`);
    }

    if (problems.length > 0) {
      await step.do("list the problems", () =>
        upsertComment(github, {
          ...repo,
          issue_number: pr.number,
          marker: MARKER,
          body: `Before this can be merged, please fix:\n\n${problems.map((p) => `- ${p}`).join("\n")}\n\nThis comment updates when you edit the pull request.`,
        }),
      );
      // Fails the run (and its check run) at once, with the list as the error a person sees on the check run.
      throw new NonRetryableError(`PR hygiene: ${problems.join(" ")}`);
    }

    // No new comment on a pull request that was fine all along; an earlier list is marked resolved.
    const resolved = await step.do("resolve an earlier list", async () => {
      if ((await findMarkedComment(github, { ...repo, issue_number: pr.number, marker: MARKER })) === null) return false;
      await upsertComment(github, { ...repo, issue_number: pr.number, marker: MARKER, body: "✅ The title and description look good now. Thanks!" });
      return true;
    });
    return { problems: 0, resolved };
  },
});
