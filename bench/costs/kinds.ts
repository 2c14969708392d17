/**
 * The repository every cost delivery goes to and the three deliveries, each
 * a real example from @octokit/webhooks-examples retargeted to it, with the
 * emulator state it refers to made first (the PR opened, the commit pushed):
 *  - non-matching: `issue_comment.created` on an issue, which no workflow of
 *    the repository is triggered by and no run waits for;
 *  - matching: `pull_request.opened`, which starts the one workflow (one
 *    author step with one GitHub call);
 *  - push: a push to the default branch that changes `.workflows/`, so the
 *    bundle is compiled and a compile check run reported.
 * When each is over is measure.ts's to decide.
 */
import type { Emulator } from "../../test/emulator/types.ts";
import { example, pullRequestOpened, pushTo, retarget, type Target } from "../../test/support/payloads.ts";
import type { Kind } from "./kind.ts";

export const TARGET: Target = { fullName: "bench/costs", installationId: 9300 };
export const WORKFLOW_FILE = ".workflows/cost-probe.ts";
/** The issue every non-matching comment goes to. */
const ISSUE = 1;

/** One author step with one GitHub call, triggered by pull_request.opened only; `salt` makes a push change the bundle. */
export function probeWorkflow(salt: string): string {
  return `import { workflow } from "repoflow";

// The cost bench's probe (${salt}): one step, one GitHub call.
export default workflow({
  name: "Cost probe",
  on: { pull_request: ["opened"] },
  async run({ step, github, repo }) {
    return step.do("read the repository", async () => (await github.rest.repos.get(repo)).data.full_name);
  },
});
`;
}

export function seedRepository(emulator: Emulator): void {
  emulator.addRepo({ fullName: TARGET.fullName, installationId: TARGET.installationId, files: { [WORKFLOW_FILE]: probeWorkflow("initial") } });
  emulator.openIssue(TARGET.fullName, { number: ISSUE, title: "A question" });
}

export interface Prepared {
  event: string;
  payload: unknown;
  /** For a push: the commit whose compile check run ends it. */
  sha?: string;
}

/** Makes the repository state a delivery of `kind` refers to (a PR, a commit) and answers the delivery GitHub would send. */
export function prepare(emulator: Emulator, kind: Kind, sequence: number): Prepared {
  switch (kind) {
    case "nonMatching": {
      const payload = retarget(example("issue_comment", "created"), TARGET);
      payload.issue = { ...payload.issue, number: ISSUE };
      payload.comment = { ...payload.comment, body: `Thanks, that answers it (${sequence}).` };
      return { event: "issue_comment", payload };
    }
    case "matching": {
      const number = 100 + sequence;
      const head = `bench-${number}`;
      emulator.openPullRequest(TARGET.fullName, { number, title: `Cost bench PR ${number}`, head, base: "main" });
      return { event: "pull_request", payload: pullRequestOpened(TARGET, { number, headSha: emulator.headSha(TARGET.fullName, head), head }) };
    }
    case "push": {
      const before = emulator.headSha(TARGET.fullName);
      const { sha } = emulator.commit(TARGET.fullName, { [WORKFLOW_FILE]: probeWorkflow(`push ${sequence}`) }, `Tune the cost probe (${sequence})`);
      const payload = pushTo(TARGET, { before, after: sha, paths: [WORKFLOW_FILE] });
      // GitHub sends the push's own time here (seconds); the example's is from 2019.
      payload.repository = { ...payload.repository, pushed_at: Math.floor(Date.now() / 1000) };
      return { event: "push", payload, sha };
    }
  }
}
