/**
 * The deliveries of a burst: real examples from @octokit/webhooks-examples
 * (through bench/payloads.ts), retargeted to the emulator's repository and
 * installation as test/support/payloads.ts does for the test suite, serialized
 * compactly and signed once each (the delivery id header varies per request
 * without re-signing).
 *
 * The repository's only workflow answers `pull_request.opened`, so the
 * "nothing matches" mix is events a repository receives all day that no
 * workflow there is triggered by: a comment, another App's check run, a label,
 * a release, a star. The "some match" mix puts a `pull_request.opened` on its
 * own pull request in every tenth slot: each of those starts one run.
 */
import { loadExamples, sign, type Payload } from "../payloads.ts";
import { pullRequestOpened, retarget, type Target } from "../../test/support/payloads.ts";

export const REPOSITORY: Target = { fullName: "bench/burst", installationId: 7300 };

/** The emulator's `.workflows/` for REPOSITORY: one workflow, one step, no GitHub call of its own. */
export const WORKFLOWS: Record<string, string> = {
  ".workflows/on-pull-request.ts": `import { workflow } from "repoflow";

// The burst bench: only pull_request.opened starts a run; every other event of the burst matches nothing.
export default workflow({
  name: "Burst bench",
  on: { pull_request: ["opened"] },
  async run({ event, step }) {
    return step.do("note the number", async () => event.pull_request.number);
  },
});
`,
};

/** Event, action and which example of that action (the webhooks-examples index holds several). */
const NOTHING_MATCHES = [
  ["issue_comment", "created", 0],
  ["check_run", "completed", 0],
  ["issues", "labeled", 0],
  ["release", "published", 0],
  ["star", "created", 0],
] as const;

/** One in this many slots of the "some match" mix is a pull_request.opened. */
export const MATCHING_EVERY = 10;

export interface Mix {
  name: string;
  /** What the report says about it. */
  description: string;
  /** The burst's deliveries in sending order, each sent once with a fresh X-GitHub-Delivery. */
  deliveries: Payload[];
  /** Pull request numbers of the mix's pull_request.opened deliveries, one run each. */
  pullRequests: number[];
}

type Json = Record<string, unknown>;

function signed(event: string, payload: Json, secret: string, source: string): Payload {
  const body = Buffer.from(JSON.stringify(payload));
  return { event, source: `${source} (${(body.byteLength / 1024).toFixed(1)} KB)`, body, signature: sign(body, secret) };
}

/** The mix's non-matching deliveries, one per example, in rotation order. */
export function nothingMatches(secret: string): Payload[] {
  const groups = loadExamples();
  return NOTHING_MATCHES.map(([event, action, nth]) => {
    const example = groups.find((group) => group.name === event)?.examples.filter((candidate) => candidate.action === action)[nth];
    if (!example) throw new Error(`repoflow: @octokit/webhooks-examples has no ${event}.${action} example #${nth}; pick another in bench/burst/mixes.ts.`);
    return signed(event, retarget(structuredClone(example), REPOSITORY), secret, `${event}.${action}`);
  });
}

export function rotation(payloads: readonly Payload[], count: number): Payload[] {
  return Array.from({ length: count }, (_, i) => payloads[i % payloads.length]!);
}

export function mixNothingMatches(secret: string, count: number): Mix {
  const kinds = nothingMatches(secret);
  return {
    name: "nothing matches",
    description: `${count} deliveries in rotation: ${kinds.map((kind) => kind.source).join(", ")}; no workflow of the repository is triggered by any of them`,
    deliveries: rotation(kinds, count),
    pullRequests: [],
  };
}

/** The pull request numbers the "some match" mix opens, one per matching slot of `count`. */
export function matchingNumbers(count: number): number[] {
  return Array.from({ length: Math.floor(count / MATCHING_EVERY) }, (_, i) => i + 1);
}

/** The head branch of pull request `number`. */
export const headOf = (number: number) => `burst-${number}`;

/**
 * Every MATCHING_EVERY-th slot is a pull_request.opened on its own pull
 * request, opened beforehand in the emulator: `heads` maps each of
 * matchingNumbers(count) to its head commit, on which the run reports.
 */
export function mixSomeMatch(secret: string, count: number, heads: ReadonlyMap<number, string>): Mix {
  const kinds = nothingMatches(secret);
  const pullRequests: number[] = [];
  let others = 0;
  const deliveries = Array.from({ length: count }, (_, i) => {
    if (i % MATCHING_EVERY !== MATCHING_EVERY - 1) return kinds[others++ % kinds.length]!;
    const number = pullRequests.length + 1;
    const headSha = heads.get(number);
    if (headSha === undefined) throw new Error(`repoflow: pull request #${number} was not opened in the emulator before the mix was built; open matchingNumbers(count) first.`);
    pullRequests.push(number);
    return signed("pull_request", pullRequestOpened(REPOSITORY, { number, headSha, head: headOf(number) }), secret, "pull_request.opened");
  });
  return {
    name: "1 in 10 starts a run",
    description: `${count} deliveries: the same rotation with every ${MATCHING_EVERY}th a pull_request.opened on its own pull request (${pullRequests.length} runs to start)`,
    deliveries,
    pullRequests,
  };
}
