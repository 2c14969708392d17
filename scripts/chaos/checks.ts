/**
 * What the harness checks once the rounds are over, from two records that do
 * not share code: the emulator's (the check runs, comments and labels GitHub
 * would hold) and the service's JSON API (`/api/deliveries/:id`, `/api/runs`).
 *
 * The zero-checks: no accepted delivery without its runs, no run twice, no
 * check run twice (by `external_id`), no run left non-terminal, no run or
 * check run that did not succeed, no side effect a succeeded run lacks, no
 * webhook answer other than the expected one, no request GitHub would reject.
 * Step bodies run at least once (a kill mid-step runs the body again), so a
 * duplicate comment is counted as a re-execution, not as a failure.
 */
import type { CheckRunState } from "../../test/emulator/types.ts";
import type { Stack } from "../../test/support/stack.ts";
import { expectedComments, REPO, WORKFLOW_FILES, type SentRecord } from "./workload.ts";

const COMPILE_CHECK = "repoflow: compile .workflows";
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
/** The conclusion a run's check run must end with, by the run's status (a run still going has none yet). */
const CONCLUSION: Record<string, string | undefined> = { succeeded: "success", failed: "failure", cancelled: "cancelled" };

interface StepView {
  name: string;
  status: string;
  attempts: number;
  error: string | null;
}

interface RunView {
  id: string;
  workflowFile: string;
  workflowName: string;
  deliveryId: string;
  status: string;
  error: string | null;
  problem: string | null;
  checkRunId: number | null;
  steps?: StepView[];
}

interface DeliveryView {
  delivery: { id: string; status: string; attempts: number; lastError: string | null; error: string | null } | null;
  runs: RunView[];
}

export interface Findings {
  deliveries: number;
  accepted: number;
  runs: number;
  lost: number;
  duplicateRuns: number;
  duplicateCheckRuns: number;
  stuck: number;
  failed: number;
  /** Terminal runs whose check run still says queued or in progress (invariant 8: it never says running for a finished run). */
  checksOpen: number;
  /** Runs without a check run, or whose completed check run says something else than the run's outcome; failed compile check runs. */
  checksWrong: number;
  missingEffects: number;
  badAnswers: number;
  violations: number;
  /** Comments made more than once by one step (at-least-once after a kill mid-step, or a retried slow request). */
  duplicateComments: number;
  /** Step attempts beyond the first, from the service's step records. */
  stepRetries: number;
  anomalies: string[];
}

/** The counts that must be zero; their names as the table shows them. */
export const ZERO_CHECKS = ["lost", "duplicateRuns", "duplicateCheckRuns", "stuck", "failed", "checksOpen", "checksWrong", "missingEffects", "badAnswers", "violations"] as const;

export function failedChecks(findings: Findings): string[] {
  return ZERO_CHECKS.filter((key) => findings[key] !== 0).map((key) => `${key}=${findings[key]}`);
}

/** A GET of the service's API, retried for a while: a busy `wrangler dev` proxy now and then drops a connection. */
async function getJson<T>(url: string): Promise<{ status: number; body: T | null }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
      const body = res.headers.get("content-type")?.includes("json") ? ((await res.json()) as T) : null;
      return { status: res.status, body };
    } catch (error) {
      if (attempt >= 6) throw new Error(`chaos: GET ${url} failed ${attempt} times: ${describeError(error)}`);
      await new Promise((r) => setTimeout(r, 1_000 * attempt));
    }
  }
}

/** undici hides the reason behind "fetch failed": the cause chain says which (ECONNREFUSED, other side closed, …). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && parts.length < 4; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}${(e as { code?: string }).code ? ` (${(e as { code?: string }).code})` : ""}` : String(e));
  }
  return parts.join(" ← ");
}

async function inBatches<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

function accepted(sent: SentRecord[]): SentRecord[] {
  return sent.filter((s) => s.kind !== "redeliver" && s.httpStatus === 202 && s.answer === "accepted");
}

async function listRepoRuns(stack: Stack): Promise<RunView[] | null> {
  const { status, body } = await getJson<{ runs: RunView[] }>(`${stack.service.url}/api/runs?repo=${encodeURIComponent(REPO.fullName)}&limit=200`);
  if (status !== 200 || !body) return null;
  // The API caps a page at 200: beyond that the list cannot be trusted to be whole.
  return body.runs.length < 200 ? body.runs : null;
}

async function deliveryViews(stack: Stack, sent: SentRecord[]): Promise<Map<string, DeliveryView>> {
  const views = await inBatches(accepted(sent), 4, async (s) => {
    const { status, body } = await getJson<DeliveryView>(`${stack.service.url}/api/deliveries/${s.deliveryId}`);
    return [s.deliveryId, status === 200 && body ? body : { delivery: null, runs: [] }] as const;
  });
  return new Map(views);
}

/** Whether everything the sent deliveries lead to has come to rest: one cheap look at the run list, then each delivery. */
async function atRest(stack: Stack, sent: SentRecord[]): Promise<boolean> {
  const checks = stack.emulator.checkRuns(REPO.fullName);
  for (const s of accepted(sent)) {
    if (s.commitSha && !checks.some((c) => c.name === COMPILE_CHECK && c.head_sha === s.commitSha && c.status === "completed")) return false;
  }
  const listed = await listRepoRuns(stack);
  if (listed) {
    if (listed.some((run) => !TERMINAL.has(run.status))) return false;
    for (const s of accepted(sent)) if (listed.filter((r) => r.deliveryId === s.deliveryId).length < s.expectedRuns) return false;
    if (listed.some((run) => !checks.some((c) => c.external_id === run.id && c.status === "completed"))) return false;
  }
  const views = await deliveryViews(stack, sent);
  for (const s of accepted(sent)) {
    const view = views.get(s.deliveryId);
    if (!view?.delivery || view.delivery.status === "accepted") return false;
    if (view.runs.length < s.expectedRuns || view.runs.some((run) => !TERMINAL.has(run.status))) return false;
    if (view.runs.some((run) => !checks.some((c) => c.external_id === run.id && c.status === "completed"))) return false;
  }
  return true;
}

/** Polls until everything is at rest or `deadline` (ms since the epoch); the moment it came to rest, or null. */
export async function waitForQuiescence(stack: Stack, sent: SentRecord[], deadline: number): Promise<number | null> {
  for (;;) {
    if (await atRest(stack, sent).catch(() => false)) return Date.now();
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

export async function check(stack: Stack, sent: SentRecord[]): Promise<Findings> {
  const anomalies: string[] = [];
  const note = (line: string) => anomalies.push(line);
  const checks = stack.emulator.checkRuns(REPO.fullName);
  const views = await deliveryViews(stack, sent);
  const listed = (await listRepoRuns(stack)) ?? [];
  const f: Findings = {
    deliveries: sent.length,
    accepted: accepted(sent).length,
    runs: 0,
    lost: 0,
    duplicateRuns: 0,
    duplicateCheckRuns: 0,
    stuck: 0,
    failed: 0,
    checksOpen: 0,
    checksWrong: 0,
    missingEffects: 0,
    badAnswers: 0,
    violations: stack.emulator.violations.length,
    duplicateComments: 0,
    stepRetries: 0,
    anomalies,
  };
  for (const v of stack.emulator.violations) note(`violation: ${v}`);

  for (const s of sent) {
    const want = s.kind === "redeliver" ? "duplicate" : "accepted";
    if (s.httpStatus !== 202 || s.answer !== want) {
      f.badAnswers++;
      note(`round ${s.round} (${s.kind}) delivery ${s.deliveryId}: answered ${s.httpStatus} "${s.answer}", expected 202 "${want}"`);
    }
  }

  const runsById = new Map<string, RunView>();
  for (const s of accepted(sent)) {
    const view = views.get(s.deliveryId)!;
    const where = `round ${s.round} (${s.kind}${s.pr === undefined ? "" : ` PR #${s.pr}`}) delivery ${s.deliveryId}`;
    if (!view.delivery) {
      f.lost++;
      note(`${where}: unknown to /api/deliveries (lost)`);
      continue;
    }
    for (const run of view.runs) runsById.set(run.id, run);
    const perFile = new Map<string, number>();
    for (const run of view.runs) perFile.set(run.workflowFile, (perFile.get(run.workflowFile) ?? 0) + 1);
    const expectedFiles: readonly string[] = s.expectedRuns > 0 ? WORKFLOW_FILES : [];
    const missing = expectedFiles.filter((file) => !perFile.has(file));
    if (view.delivery.status === "failed" || missing.length > 0) {
      f.lost++;
      note(`${where}: delivery ${view.delivery.status}${missing.length ? `, no run of ${missing.join(", ")}` : ""} (attempts ${view.delivery.attempts}, last error ${view.delivery.lastError ?? view.delivery.error ?? "none"})`);
    } else if (view.delivery.status !== "processed") {
      f.stuck++;
      note(`${where}: delivery still ${view.delivery.status} (attempts ${view.delivery.attempts}, last error ${view.delivery.lastError ?? "none"})`);
    }
    for (const [file, count] of perFile) {
      const extra = count - (expectedFiles.includes(file) ? 1 : 0);
      if (extra > 0) {
        f.duplicateRuns += extra;
        note(`${where}: ${count} runs of ${file}: ${view.runs.filter((r) => r.workflowFile === file).map((r) => r.id).join(", ")}`);
      }
    }
  }
  // Runs of this repository that no accepted delivery owns (a redelivery that started something, say).
  for (const run of listed) {
    if (!runsById.has(run.id)) {
      f.duplicateRuns++;
      runsById.set(run.id, run);
      note(`run ${run.id} (${run.workflowFile}) belongs to delivery ${run.deliveryId}, which the harness did not send as new`);
    }
  }
  f.runs = runsById.size;

  const byExternal = new Map<string, CheckRunState[]>();
  for (const c of checks) byExternal.set(c.external_id, [...(byExternal.get(c.external_id) ?? []), c]);
  for (const [externalId, group] of byExternal) {
    if (group.length > 1) {
      f.duplicateCheckRuns += group.length - 1;
      note(`${group.length} check runs with external_id ${externalId}: ${group.map((c) => `#${c.id} ${c.name} ${c.status}/${c.conclusion ?? "-"}`).join(", ")}`);
    }
    if (!externalId.startsWith("compile-") && !runsById.has(externalId)) {
      note(`check run #${group[0]!.id} ${group[0]!.name} has external_id ${externalId}, which is no run the API shows`);
      f.duplicateRuns++;
    }
  }

  for (const run of runsById.values()) {
    const steps = (run.steps ?? []).map((s) => `${s.name}:${s.status}×${s.attempts}`).join(" ");
    if (!TERMINAL.has(run.status)) {
      f.stuck++;
      note(`run ${run.id} (${run.workflowFile}) still ${run.status} [${steps}]`);
    } else if (run.status !== "succeeded") {
      f.failed++;
      note(`run ${run.id} (${run.workflowFile}) ${run.status}: ${run.error ?? "no error"} [${steps}]`);
    }
    if (run.problem) note(`run ${run.id} has a problem recorded: ${run.problem}`);
    const check = byExternal.get(run.id)?.[0];
    const says = check ? `#${check.id} ${check.status}/${check.conclusion ?? "-"}` : "missing";
    if (check && check.status !== "completed") {
      // A run still going has its check run open rightly; that run is counted as stuck instead.
      if (TERMINAL.has(run.status)) {
        f.checksOpen++;
        note(`run ${run.id} (${run.workflowFile}) ${run.status}, its check run ${says}${run.problem ? "" : " and no problem recorded"}`);
      }
    } else if (!check || check.conclusion !== CONCLUSION[run.status]) {
      f.checksWrong++;
      note(`run ${run.id} (${run.workflowFile}) ${run.status}: check run ${says}`);
    }
    for (const step of run.steps ?? []) {
      if (step.attempts > 1) f.stepRetries += step.attempts - 1;
    }
  }

  for (const s of accepted(sent)) {
    if (!s.commitSha) continue;
    const compiles = checks.filter((c) => c.name === COMPILE_CHECK && c.head_sha === s.commitSha);
    if (compiles.length !== 1 || compiles[0]!.status !== "completed" || compiles[0]!.conclusion !== "success") {
      if (compiles.length > 1) f.duplicateCheckRuns += compiles.length - 1;
      else if (compiles[0]?.status === "completed" || compiles.length === 0) f.checksWrong++;
      else f.checksOpen++;
      note(`round ${s.round} push ${s.commitSha.slice(0, 7)}: compile check runs ${JSON.stringify(compiles.map((c) => [c.id, c.status, c.conclusion]))}`);
    }
  }

  for (const s of accepted(sent)) {
    if (s.pr === undefined) continue;
    const runs = views.get(s.deliveryId)?.runs ?? [];
    const bodies = stack.emulator.comments(REPO.fullName, s.pr).map((c) => c.body);
    for (const body of new Set(bodies)) {
      const count = bodies.filter((b) => b === body).length;
      if (count > 1) {
        f.duplicateComments += count - 1;
        note(`re-execution: PR #${s.pr} has "${body}" ${count} times`);
      }
    }
    if (runs.length === 0 || runs.some((r) => r.status !== "succeeded")) continue;
    const absent = expectedComments(s.pr).filter((body) => !bodies.includes(body));
    const unlabelled = !stack.emulator.labels(REPO.fullName, s.pr).includes("chaos");
    if (absent.length > 0 || unlabelled) {
      f.missingEffects += absent.length + (unlabelled ? 1 : 0);
      note(`PR #${s.pr}: its runs succeeded but ${[...absent.map((b) => `"${b}"`), ...(unlabelled ? ["the label chaos"] : [])].join(", ")} is missing`);
    }
  }
  return f;
}
