/**
 * What the replay CLI prints while it follows a delivery, computed from
 * successive answers of `GET /api/deliveries/:id`. Pure: the CLI polls and
 * writes, this decides what is new and when it is over, so tests drive it with
 * plain snapshots. A delivery's runs are listed once its ingest run marked it
 * processed (ingest starts every run before that), so the run ids are
 * announced then; steps are printed once, when they reach a final state.
 */

export interface StepView {
  name: string;
  kind: string;
  status: string;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface RunView {
  id: string;
  workflowName: string;
  workflowFile: string;
  status: string;
  error: string | null;
  createdAt?: string;
  finishedAt?: string | null;
  steps: StepView[];
}

export interface DeliveryView {
  delivery: { id: string; status: string; error: string | null };
  runs: RunView[];
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

  /** `label` names the event in messages, e.g. "pull_request.opened". */
  constructor(label: string) {
    this.#label = label;
  }

  /** The lines to print for what changed since the last snapshot, and the outcome once every run is over. */
  observe(view: DeliveryView | null): { lines: string[]; outcome: Outcome | null } {
    this.#last = view;
    if (!view || view.delivery.status === "accepted") return { lines: [], outcome: null };
    const lines: string[] = [];
    if (view.delivery.status === "failed") {
      return { lines, outcome: { code: 1, lines: [`✗ the service could not process delivery ${view.delivery.id}: ${view.delivery.error ?? "no error recorded"}`] } };
    }
    if (!this.#announced) {
      this.#announced = true;
      if (view.runs.length === 0) return { lines, outcome: { code: 0, lines: [`no workflow matched ${this.#label}`] } };
      lines.push(`delivery ${view.delivery.id} started ${view.runs.length} run${view.runs.length === 1 ? "" : "s"}:`);
      for (const run of view.runs) lines.push(`  run ${run.id}  ${run.workflowName} (${run.workflowFile})`);
    }
    const several = view.runs.length > 1;
    for (const run of view.runs) {
      for (const step of run.steps) {
        const key = `${run.id}\u0000${step.name}`;
        if (this.#printed.has(key) || (step.status !== "succeeded" && step.status !== "failed")) continue;
        this.#printed.add(key);
        lines.push(stepLine(step, several ? run.workflowName : null));
      }
    }
    if (!view.runs.every((run) => FINAL_RUN.has(run.status))) return { lines, outcome: null };
    const code = view.runs.every((run) => run.status === "succeeded") ? 0 : 1;
    return { lines, outcome: { code, lines: view.runs.map(summaryLine) } };
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

function summaryLine(run: RunView): string {
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
