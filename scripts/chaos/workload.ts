/**
 * What the chaos harness asks of the service: one repository whose
 * `.workflows/` cover a GitHub write in a step, a short durable sleep, a wait
 * whose timeout the workflow catches, and a second workflow on the same event
 * (so every pull_request.opened starts two runs), and a seeded plan of rounds
 * (a fresh pull request, a redelivery of an earlier delivery, or a push that
 * changes `.workflows/` so a compile happens mid-round).
 *
 * Everything random comes from one seeded PRNG, so `--seed` replays the same
 * plan (which rounds do what, when the kill falls). The service's own timing
 * is not replayable; the plan and the emulator's fault draws are.
 */
import { deliver, type SentDelivery } from "../../test/support/deliver.ts";
import { pullRequestOpened, pushTo, type Target } from "../../test/support/payloads.ts";
import type { Stack } from "../../test/support/stack.ts";
import { WEBHOOK_SECRET } from "../../test/support/stack.ts";
import { mulberry32 } from "../../test/emulator/faults.ts";

export const REPO: Target = { fullName: "chaos-org/chaos", installationId: 9100, defaultBranch: "main" };

/** The workflows, by file; each of them starts a run on every pull_request.opened. */
export const WORKFLOW_FILES = [".workflows/main.ts", ".workflows/second.ts"] as const;
export const WORKFLOW_NAMES = ["Chaos main", "Chaos second"] as const;

/** Bodies of the comments a successful pair of runs leaves on pull request `n`, one of each. */
export function expectedComments(n: number): string[] {
  return [`chaos main ${n}: hello`, `chaos main ${n}: expired`, `chaos second ${n}: hi`];
}

// Retries of the author's own: quick and constant, so a run under 20 % faults still finishes in seconds.
const RETRIES = `{ retries: { limit: 8, delay: "1 second", backoff: "constant" } }`;

/** `rev` only changes a comment line: a new tree and bundle hash, the same behaviour. */
export function mainWorkflow(rev: number): string {
  return `// chaos rev ${rev}
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Chaos main",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const n = event.pull_request.number;
    await step.do("comment", ${RETRIES}, async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: n, body: "chaos main " + n + ": hello" });
    });
    await step.sleep("nap", "3 seconds");
    try {
      // Nothing sends this: the App's own comments never wake a wait (invariant 9), so it times out.
      await step.waitForEvent("approval", { type: "issue_comment", timeout: "2 seconds" });
    } catch {
      await step.do("expired", ${RETRIES}, async () => {
        await github.rest.issues.createComment({ ...repo, issue_number: n, body: "chaos main " + n + ": expired" });
      });
    }
  },
});
`;
}

export const SECOND_WORKFLOW = `import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Chaos second",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const n = event.pull_request.number;
    await step.do("label", ${RETRIES}, async () => {
      await github.rest.issues.addLabels({ ...repo, issue_number: n, labels: ["chaos"] });
    });
    await step.do("comment", ${RETRIES}, async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: n, body: "chaos second " + n + ": hi" });
    });
  },
});
`;

/** The emulator's seeded generator (mulberry32), so a plan and its fault draws replay from one seed. */
export const prng = mulberry32;

export type RoundKind = "pull_request" | "redeliver" | "push";

export interface PlannedRound {
  index: number;
  kind: RoundKind;
  /** How long after the 202 the service is killed. */
  killAfterMs: number;
  /** For a redelivery: which earlier pull_request round's delivery is sent again (a round index). */
  redeliverOf?: number;
}

/** The whole plan up front, from the seed alone: about 70 % fresh pull requests, 15 % redeliveries, 15 % pushes. */
export function planRounds(seed: number, rounds: number, maxKillMs: number): PlannedRound[] {
  const random = prng(seed);
  const plan: PlannedRound[] = [];
  const prRounds: number[] = [];
  for (let index = 0; index < rounds; index++) {
    const roll = random();
    const killAfterMs = Math.floor(random() * (maxKillMs + 1));
    const pick = random();
    let kind: RoundKind = index === 0 ? "pull_request" : roll < 0.7 ? "pull_request" : roll < 0.85 ? "redeliver" : "push";
    if (kind === "redeliver" && prRounds.length === 0) kind = "pull_request";
    const round: PlannedRound = { index, kind, killAfterMs };
    if (kind === "redeliver") round.redeliverOf = prRounds[Math.floor(pick * prRounds.length)]!;
    if (kind === "pull_request") prRounds.push(index);
    plan.push(round);
  }
  return plan;
}

/** One delivery the harness sent, with what it must lead to. */
export interface SentRecord {
  round: number;
  kind: RoundKind;
  deliveryId: string;
  httpStatus: number;
  /** The webhook's answer: "accepted", "duplicate", … (or the error code). */
  answer: string;
  /** Pull request rounds (and their redeliveries): the pull request's number. */
  pr?: number;
  /** Push rounds: the commit, which must get exactly one completed compile check run. */
  commitSha?: string;
  /** Runs this delivery must have: one per workflow for a pull request, none for a push. */
  expectedRuns: number;
  sentAt: number;
}

export interface Workload {
  setUp(stack: Stack): void;
  send(stack: Stack, round: PlannedRound): Promise<SentRecord>;
  readonly sent: SentRecord[];
}

export function createWorkload(): Workload {
  const sent: SentRecord[] = [];
  const payloads = new Map<number, { id: string; payload: unknown; pr: number }>();
  let nextPr = 1;
  let rev = 1;

  const record = (round: PlannedRound, delivery: SentDelivery, extra: Partial<SentRecord>, expectedRuns: number): SentRecord => {
    const answer = typeof delivery.body.status === "string" ? delivery.body.status : String(delivery.body.error ?? "?");
    const entry: SentRecord = { round: round.index, kind: round.kind, deliveryId: delivery.id, httpStatus: delivery.status, answer, expectedRuns, sentAt: Date.now(), ...extra };
    sent.push(entry);
    return entry;
  };

  return {
    sent,
    setUp(stack) {
      stack.emulator.addRepo({
        ...REPO,
        files: { "README.md": "# chaos\n", [WORKFLOW_FILES[0]]: mainWorkflow(rev), [WORKFLOW_FILES[1]]: SECOND_WORKFLOW },
      });
    },
    async send(stack, round) {
      const { emulator } = stack;
      if (round.kind === "pull_request") {
        const pr = nextPr++;
        const head = `chaos-${pr}`;
        // A commit of its own on the head branch, so each pull request's check runs sit on their own commit.
        const { sha } = emulator.commit(REPO.fullName, { [`notes/pr-${pr}.md`]: `pull request ${pr}\n` }, `PR ${pr}`, head);
        emulator.openPullRequest(REPO.fullName, { number: pr, title: `Chaos ${pr}`, head, base: "main" });
        const payload = pullRequestOpened(REPO, { number: pr, headSha: sha, head });
        const delivery = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", payload);
        payloads.set(round.index, { id: delivery.id, payload, pr });
        return record(round, delivery, { pr }, WORKFLOW_FILES.length);
      }
      if (round.kind === "redeliver") {
        const earlier = payloads.get(round.redeliverOf!);
        if (!earlier) throw new Error(`chaos: round ${round.index} redelivers round ${round.redeliverOf}, which sent nothing`);
        const delivery = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", earlier.payload, { id: earlier.id });
        // Its runs are the original delivery's; the redelivery itself must add none.
        return record(round, delivery, { pr: earlier.pr }, 0);
      }
      const before = emulator.headSha(REPO.fullName);
      rev++;
      const { sha } = emulator.commit(REPO.fullName, { [WORKFLOW_FILES[0]]: mainWorkflow(rev) }, `chaos rev ${rev}`);
      const delivery = await deliver(stack.service.url, WEBHOOK_SECRET, "push", pushTo(REPO, { before, after: sha, paths: [WORKFLOW_FILES[0]] }));
      return record(round, delivery, { commitSha: sha }, 0);
    },
  };
}
