/** The harness's printed table: one row per mode, the zero-checks and the counts that may legitimately be nonzero. */
import { failedChecks, type Findings } from "./checks.ts";

export interface ModeResult {
  mode: "no faults" | `faults ${number}`;
  seed: number;
  rounds: number;
  /** Rounds by kind, e.g. { pull_request: 35, redeliver: 8, push: 7 }. */
  kinds: Record<string, number>;
  findings: Findings;
  /** Last restart's first answer to everything at rest; null when the bound ran out first. */
  quiescenceMs: number | null;
  quiescenceBoundMs: number;
  durationMs: number;
  /** Requests the injected faults hit (0 without faults), of all GitHub requests the emulator saw. */
  faultHits: number;
  githubRequests: number;
  logFile: string;
  stateDir: string | null;
}

const COLUMNS: [string, (r: ModeResult) => string][] = [
  ["mode", (r) => r.mode],
  ["rounds", (r) => String(r.rounds)],
  ["deliveries", (r) => `${r.findings.deliveries} (${r.findings.accepted} new)`],
  ["runs", (r) => String(r.findings.runs)],
  ["lost", (r) => String(r.findings.lost)],
  ["dup runs", (r) => String(r.findings.duplicateRuns)],
  ["dup check runs", (r) => String(r.findings.duplicateCheckRuns)],
  ["stuck", (r) => String(r.findings.stuck)],
  ["failed", (r) => String(r.findings.failed)],
  ["checks open", (r) => String(r.findings.checksOpen)],
  ["checks wrong", (r) => String(r.findings.checksWrong)],
  ["missing effects", (r) => String(r.findings.missingEffects)],
  ["bad answers", (r) => String(r.findings.badAnswers)],
  ["violations", (r) => String(r.findings.violations)],
  ["re-exec (dup comments)", (r) => String(r.findings.duplicateComments)],
  ["step retries", (r) => String(r.findings.stepRetries)],
  ["faults hit", (r) => (r.faultHits === 0 ? "-" : `${r.faultHits}/${r.githubRequests}`)],
  ["quiescence", (r) => (r.quiescenceMs === null ? `>${Math.round(r.quiescenceBoundMs / 1000)} s` : `${(r.quiescenceMs / 1000).toFixed(1)} s`)],
  ["duration", (r) => `${Math.round(r.durationMs / 1000)} s`],
];

export function table(results: ModeResult[]): string {
  const rows = [COLUMNS.map(([name]) => name), ...results.map((r) => COLUMNS.map(([, cell]) => cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(rows[0]!), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)].join("\n");
}

export function details(result: ModeResult): string {
  const failing = failedChecks(result.findings);
  const lines = [
    `${result.mode}: seed ${result.seed}, rounds ${Object.entries(result.kinds).map(([k, n]) => `${k} ${n}`).join(", ")}; wrangler log ${result.logFile}${result.stateDir ? `; state kept in ${result.stateDir}` : ""}`,
    failing.length === 0 ? "  all zero-checks hold" : `  FAILED: ${failing.join(", ")}`,
  ];
  for (const anomaly of result.findings.anomalies) lines.push(`  - ${anomaly}`);
  return lines.join("\n");
}
