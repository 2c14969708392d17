/**
 * The chaos harness (scripts/chaos/) as a test: five rounds of one delivery
 * then kill -9 of the whole service and a restart on the same state, once
 * without faults and once with 20% of GitHub requests failing, fixed seed.
 * The harness starts and closes its own stacks, one at a time.
 */
import { describe, expect, it } from "vitest";
import { failedChecks, type Findings } from "../../scripts/chaos/checks.ts";
import { runChaos } from "../../scripts/chaos/harness.ts";
import { details } from "../../scripts/chaos/report.ts";

const SEED = 8012;

function zeroChecks(findings: Findings) {
  const { lost, duplicateRuns, duplicateCheckRuns, stuck, failed, checksOpen, checksWrong, missingEffects, badAnswers, violations } = findings;
  return { lost, duplicateRuns, duplicateCheckRuns, stuck, failed, checksOpen, checksWrong, missingEffects, badAnswers, violations };
}

describe("chaos (invariants 2, 7 and 8 under kill -9 and GitHub faults)", () => {
  it("loses no delivery and duplicates, strands or fails no run across five kills, with and without 20% GitHub faults", async () => {
    const results = await runChaos({ rounds: 5, seed: SEED, faultRates: [0, 0.2] });
    for (const result of results) {
      const zero = Object.fromEntries(Object.keys(zeroChecks(result.findings)).map((key) => [key, 0]));
      expect(zeroChecks(result.findings), `${details(result)}\n${failedChecks(result.findings).join(", ")}`).toEqual(zero);
      expect(result.findings.runs, result.mode).toBe(2 * (result.kinds.pull_request ?? 0));
    }
  }, 330_000);
});
