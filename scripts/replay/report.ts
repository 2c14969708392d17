/**
 * What the replay CLI prints while it follows a delivery, computed from
 * successive answers of `GET /api/deliveries/:id`. Pure: the CLI polls and
 * writes, this decides what is new and when it is over, so tests drive it with
 * plain snapshots. A delivery's runs are listed once its ingest run marked it
 * processed (ingest starts every run before that), so the run ids are
 * announced then; steps are printed once, when they reach a final state.
 * The delivery's outcome says what else it did: the waiting runs it woke
 * (followed like its own, until they end or wait again), the bundle it was
 * matched against with its diagnostics, and why nothing ran.
 */

export interface StepView {
  name: string;
  kind: string;
  /** For a wait: the event type it waits for. */
  waitFor?: string | null;
  status: string;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface RunView {
  id: string;
  /** Set for a run this delivery woke rather than started: the wait it woke at. */
  resumedAt?: string;
  workflowName: string;
  workflowFile: string;
  status: string;
  error: string | null;
  createdAt?: string;
  finishedAt?: string | null;
  steps: StepView[];
}

export interface OutcomeView {
  started: string[];
  woke: { runId: string; wait: string }[];
  bundle?: { hash: string; commitSha: string; ok: boolean; diagnostics: { file?: string; line?: number; column?: number; message: string; severity: string }[] };
  notes: { workflow: string; note: string }[];
  ignored?: string;
}

export interface DeliveryView {
  delivery: { id: string; status: string; error: string | null; receivedAt?: string; outcome?: OutcomeView | null };
  runs: RunView[];
}

/** Diagnostics as tsc prints them: `file:line:col - error: message`. */
export function diagnosticLines(diagnostics: NonNullable<OutcomeView["bundle"]>["diagnostics"]): string[] {
  return diagnostics.map((d) => `  ${d.file ?? ".workflows"}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ""}` : ""} - ${d.severity}: ${d.message}`);
}

export interface Outcome {
  code: 0 | 1;
  lines: string[];
}

const FINAL_RUN = new Set(["succeeded", "failed", "cancelled"]);
// The service appends the tenant's stack after this marker; the summary keeps the message.
const STACK_MARKER = "\n--- repoflow stack ---\n";

export class DeliveryFollower {
  readonly #label: string;
  readonly #printed = new Set<string>();
  #announced = false;
  #last: DeliveryView | null = null;

  readonly #about: { number: number | null; repo: string } | undefined;

  /** `label` names the event in messages, e.g. "pull_request.opened"; `about`, the issue or pull request, for hints. */
  constructor(label: string, about?: { number: number | null; repo: string }) {
    this.#label = label;
    this.#about = about;
  }

  /** The lines to print for what changed since the last snapshot, and the outcome once every run is over. */
  observe(view: DeliveryView | null): { lines: string[]; outcome: Outcome | null } {
    this.#last = view;
    if (!view || view.delivery.status === "accepted") return { lines: [], outcome: null };
    const lines: string[] = [];
    if (view.delivery.status === "failed") {
      return { lines, outcome: { code: 1, lines: [`✗ the service could not process delivery ${view.delivery.id}: ${view.delivery.error ?? "no error recorded"}`] } };
    }
    const outcome = view.delivery.outcome ?? null;
    const own = view.runs.filter((run) => run.resumedAt === undefined);
    const resumed = view.runs.filter((run) => run.resumedAt !== undefined);
    if (!this.#announced) {
      this.#announced = true;
      const bundle = outcome?.bundle;
      if (bundle && !bundle.ok) {
        const diagnostics = diagnosticLines(bundle.diagnostics);
        return { lines, outcome: { code: 1, lines: [`✗ the .workflows/ at ${bundle.commitSha.slice(0, 7)} did not compile, so nothing ran for ${this.#label}:`, ...diagnostics] } };
      }
      const warnings = bundle ? bundle.diagnostics.filter((d) => d.severity === "warning") : [];
      if (warnings.length > 0) lines.push(`⚠ the .workflows/ at ${bundle!.commitSha.slice(0, 7)} compiled with ${warnings.length} warning${warnings.length === 1 ? "" : "s"}:`, ...diagnosticLines(warnings));
      if (own.length > 0) {
        lines.push(`delivery ${view.delivery.id} started ${own.length} run${own.length === 1 ? "" : "s"}:`);
        for (const run of own) lines.push(`  run ${run.id}  ${run.workflowName} (${run.workflowFile})`);
      }
      for (const woke of outcome?.woke ?? []) {
        const run = resumed.find((r) => r.id === woke.runId);
        lines.push(`resumed run ${woke.runId}${run ? `  ${run.workflowName}` : ""}${woke.wait ? ` at wait "${woke.wait}"` : ""}`);
      }
      for (const { workflow, note } of outcome?.notes ?? []) lines.push(`  ${workflow}: ${note}`);
      if (view.runs.length === 0) {
        const why = outcome?.ignored ?? (outcome ? "no workflow started a run" : null);
        return { lines, outcome: { code: 0, lines: [why ? `nothing ran for ${this.#label}: ${why}` : `no workflow matched ${this.#label}`] } };
      }
    }
    const several = view.runs.length > 1;
    for (const run of view.runs) {
      for (const step of run.steps) {
        const key = `${run.id}\u0000${step.name}`;
        if (this.#printed.has(key) || (step.status !== "succeeded" && step.status !== "failed")) continue;
        // A woken run's earlier steps belong to the events before this one.
        if (run.resumedAt !== undefined && view.delivery.receivedAt && step.finishedAt && Date.parse(step.finishedAt) < Date.parse(view.delivery.receivedAt)) continue;
        this.#printed.add(key);
        lines.push(stepLine(step, several ? run.workflowName : null));
      }
    }
    if (!view.runs.every((run) => FINAL_RUN.has(run.status) || waitingAgain(run))) return { lines, outcome: null };
    const code = view.runs.every((run) => run.status === "succeeded" || (run.status !== "failed" && run.status !== "cancelled" && waitingAgain(run))) ? 0 : 1;
    return { lines, outcome: { code, lines: view.runs.map((run) => summaryLine(run, this.#about)) } };
  }

  /** The one-line state while waiting: the TTY rewrites it in place, a pipe gets it now and then. */
  progress(): string {
    const view = this.#last;
    if (!view || view.delivery.status === "accepted") return `… waiting for the service to process the delivery`;
    const active = view.runs.filter((run) => !FINAL_RUN.has(run.status));
    return `… ${active.length} run${active.length === 1 ? "" : "s"} in progress: ${active.map((run) => `${run.workflowName} → ${current(run)}`).join("; ")}`;
  }

  /** The outcome when the deadline passed first: sleeping runs go on in the service. */
  gaveUp(seconds: number): Outcome {
    const view = this.#last;
    const active = view?.runs.filter((run) => !FINAL_RUN.has(run.status)) ?? [];
    const what = active.length > 0 ? `still running: ${active.map((run) => `${run.workflowName} (${current(run)})`).join(", ")}` : "the delivery was not processed yet";
    return { code: 1, lines: [`✗ gave up after ${seconds} s; ${what}. The service keeps the runs going; follow them on the dashboard, or replay with --skip-sleeps or a longer --timeout.`] };
  }
}

export function stepLine(step: StepView, runName: string | null): string {
  const mark = step.status === "succeeded" ? "✓" : "✗";
  const details = [step.kind === "do" ? null : step.kind, elapsed(step.startedAt, step.finishedAt), step.kind === "do" ? `${step.attempts} attempt${step.attempts === 1 ? "" : "s"}` : null]
    .filter((part) => part !== null)
    .join(", ");
  return `  ${mark} ${runName ? `${runName} › ` : ""}${step.name} (${details})${step.error ? `: ${step.error.split(STACK_MARKER)[0]}` : ""}`;
}

/**
 * A run that now waits for another event (a run this delivery woke may also be asleep at a later step):
 * what it does next is for another event, so replay stops following it. A run of its own that sleeps is
 * still followed: --skip-sleeps or the timeout decide.
 */
function waitingAgain(run: RunView): boolean {
  if (FINAL_RUN.has(run.status)) return false;
  const last = run.steps.at(-1);
  if (last === undefined || last.name === run.resumedAt) return false;
  return last.status === "waiting" || (run.resumedAt !== undefined && last.status === "sleeping");
}

/** The follow-up that would give a waiting step what it waits for, from the event type it names. */
export function followUpHint(waitFor: string | null | undefined, about?: { number: number | null; repo: string }): string {
  const target = `--repo ${about?.repo ?? "<owner/name>"} --number ${about?.number ?? "<N>"}`;
  const kind = waitFor ?? "";
  // The wait's description names its events, then its issue or commit and its command ("issue_comment.created #9 /approve").
  if (/^checks on |check_run|check_suite|\bstatus\b/.test(kind)) return `npm run replay -- ${target} --status success`;
  if (/pull_request_review/.test(kind)) return `npm run replay -- ${target} --review approve`;
  const command = / (\/[a-z][\w-]*)$/i.exec(kind)?.[1];
  if (command) return `npm run replay -- ${target} --comment "${command}"`;
  if (/labeled/.test(kind)) return `npm run replay -- ${target} --label <name>`;
  return `npm run replay -- ${target} --comment "<the text it waits for>"`;
}

function summaryLine(run: RunView, about?: { number: number | null; repo: string }): string {
  if (waitingAgain(run)) {
    const last = run.steps.at(-1)!;
    return `… ${run.workflowName}: ${last.status} at "${last.name}" (run ${run.id}); it goes on when the event it waits for arrives, e.g. ${followUpHint(last.waitFor, about)}`;
  }
  const mark = run.status === "succeeded" ? "✓" : "✗";
  const took = run.createdAt && run.finishedAt ? ` in ${elapsed(run.createdAt, run.finishedAt)}` : "";
  const steps = `${run.steps.length} step${run.steps.length === 1 ? "" : "s"}`;
  return `${mark} ${run.workflowName}: ${run.status}${took}, ${steps} (run ${run.id})${run.error ? `: ${run.error.split(STACK_MARKER)[0]}` : ""}`;
}

function current(run: RunView): string {
  const step = run.steps.at(-1);
  return step ? `${step.name} (${step.status})` : run.status;
}

function elapsed(from: string, to: string | null): string {
  if (to === null) return "unfinished";
  const ms = Math.max(0, Date.parse(to) - Date.parse(from));
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
