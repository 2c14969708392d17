/**
 * Turns step events from ReportingStep into the run index (D1) and the check
 * run's live summary. The check run is re-rendered from the stored steps, so
 * every update is complete on its own and a repeated one is harmless.
 */
import { appendRunLogs, saveAnnotations, countAttempt, countFailedAttempt, finishStep, listSteps, startStep, type StepRecord } from "../store";
import type { Annotation } from "./annotations";
import type { StepObserver, StepOutcome, StepStart, TenantLogLine } from "./reporting-step";

export interface ProgressSink {
  /** Called after a step changes state; must tolerate repeats and failures of its own (a summary update never fails a run). */
  progress(steps: StepRecord[]): Promise<void>;
}

export class RunObserver implements StepObserver {
  constructor(
    private readonly db: D1Database,
    private readonly runId: string,
    private readonly sink: ProgressSink,
  ) {}

  async started(step: StepStart): Promise<void> {
    await startStep(this.db, this.runId, step);
    if (step.kind !== "do") await this.#publish();
  }

  async log(lines: TenantLogLine[], capped = false): Promise<void> {
    await appendRunLogs(this.db, this.runId, lines, { capped });
  }

  attempt(step: StepStart): Promise<number> {
    return countAttempt(this.db, this.runId, step);
  }

  failedAttempt(name: string): Promise<number> {
    return countFailedAttempt(this.db, this.runId, name);
  }

  async finished(name: string, outcome: StepOutcome): Promise<void> {
    const changed = await finishStep(this.db, this.runId, name, outcome);
    if (changed) await this.#publish();
  }

  async annotate(name: string, annotations: Annotation[]): Promise<void> {
    await saveAnnotations(this.db, this.runId, name, annotations);
  }

  async #publish(): Promise<void> {
    try {
      await this.sink.progress(await listSteps(this.db, this.runId));
    } catch (error) {
      console.warn(`repoflow: could not update the check run of ${this.runId}:`, error);
    }
  }
}
