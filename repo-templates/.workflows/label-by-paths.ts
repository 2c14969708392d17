import { workflow } from "repoflow";
import { hasStatus } from "./lib/http.ts";
import { matchesGlob } from "./lib/paths.ts";

// Which label a changed file earns. `**` matches any path, `*` any name within one folder.
// The labels named here belong to this workflow: it removes them when no file matches any more,
// so a label you also set by hand belongs in a different name.
const PATH_LABELS: Record<string, string> = {
  "docs/**": "docs",
  "src/**": "code",
  ".github/**": "ci",
};

const OWNED = new Set(Object.values(PATH_LABELS));

// Labels a pull request by the paths it changes, and keeps the labels right as commits arrive.
export default workflow({
  name: "Label by paths",
  permissions: { pull_requests: "write" },
  on: { pull_request: ["opened", "synchronize", "reopened"] },
  async run({ event, step, github, repo }) {
    const number = event.pull_request.number;
    // One step reads both, and returns only label names: a pull request may change 3,000 files.
    const plan = await step.do("plan labels", async () => {
      const files = await github.paginate(github.rest.pulls.listFiles, { ...repo, pull_number: number, per_page: 100 });
      // A renamed file counts for its old folder too: moving docs/ into src/ touches both.
      const paths = files.flatMap((file) => (file.previous_filename ? [file.filename, file.previous_filename] : [file.filename]));
      const wanted = [...new Set(Object.entries(PATH_LABELS).filter(([glob]) => paths.some((path) => matchesGlob(glob, path))).map(([, label]) => label))].sort();
      // The labels as they are now, not as the event saw them: an earlier run may have added some since.
      const current = await github.paginate(github.rest.issues.listLabelsOnIssue, { ...repo, issue_number: number, per_page: 100 });
      const names = current.map((label) => label.name);
      return { add: wanted.filter((label) => !names.includes(label)), remove: names.filter((name) => OWNED.has(name) && !wanted.includes(name)), wanted };
    });
    if (plan.add.length > 0) {
      await step.do(`add ${plan.add.join(", ")}`, async () => {
        await github.rest.issues.addLabels({ ...repo, issue_number: number, labels: plan.add });
      });
    }
    for (const name of plan.remove) {
      await step.do(`remove ${name}`, async () => {
        try {
          await github.rest.issues.removeLabel({ ...repo, issue_number: number, name });
        } catch (error) {
          // Already gone (a person removed it, or this step ran before a crash): that is the state we want.
          if (!hasStatus(error, 404)) throw error;
        }
      });
    }
    return { labels: plan.wanted };
  },
});
