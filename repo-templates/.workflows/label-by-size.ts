import { workflow } from "repoflow";
import { SIZES, sizeLabel } from "./lib/size.ts";

// Labels every pull request with its size, and keeps the label right as commits arrive.
export default workflow({
  name: "Label by size",
  permissions: { pull_requests: "write" },
  on: { pull_request: ["opened", "synchronize", "reopened"] },
  async run({ event, step, github, repo }) {
    const pr = event.pull_request;
    const wanted = sizeLabel((pr.additions ?? 0) + (pr.deletions ?? 0));
    const stale = pr.labels.map((l) => l.name).filter((name) => name !== wanted && SIZES.some((s) => s.label === name));
    for (const name of stale) {
      await step.do(`remove ${name}`, () => github.rest.issues.removeLabel({ ...repo, issue_number: pr.number, name }).then(() => name));
    }
    await step.do(`add ${wanted}`, () => github.rest.issues.addLabels({ ...repo, issue_number: pr.number, labels: [wanted] }).then(() => wanted));
    return { label: wanted };
  },
});
