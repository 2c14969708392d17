/**
 * Captures a run's console output inside the tenant isolate and sends it to
 * the dispatcher through the step handle. One isolate serves every run of a
 * bundle, possibly at once, so output is attributed through AsyncLocalStorage
 * (the tenant Worker runs with the `nodejs_als` flag); step bodies arrive as
 * separate RPC calls, so the host re-enters the run's context around each.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export type Level = "log" | "info" | "warn" | "error" | "debug";

export interface CapturedLine {
  level: Level;
  message: string;
  step: string | null;
  at: string;
}

export interface LogSink {
  /** `dropped`: lines past the cap, counted so the dispatcher can say what was not kept. */
  log(lines: CapturedLine[], dropped?: { count: number; step: string | null }): Promise<void>;
}

/** Lines kept per step (a flush): the dispatcher takes no more from one call. */
export const MAX_LINES_PER_FLUSH = 1000;

export class RunLog {
  #lines: CapturedLine[] = [];
  #dropped = 0;
  #droppedStep: string | null = null;
  constructor(private readonly sink: LogSink) {}

  push(level: Level, step: string | null, args: unknown[]): void {
    // A runaway logger must not grow the isolate's memory without bound; what it loses is counted, never silent.
    if (this.#lines.length >= MAX_LINES_PER_FLUSH) {
      this.#dropped += 1;
      this.#droppedStep = step;
      return;
    }
    this.#lines.push({ level, step, message: args.map(format).join(" "), at: new Date().toISOString() });
  }

  async flush(): Promise<void> {
    if (this.#lines.length === 0 && this.#dropped === 0) return;
    const lines = this.#lines;
    const dropped = this.#dropped > 0 ? { count: this.#dropped, step: this.#droppedStep } : undefined;
    this.#lines = [];
    this.#dropped = 0;
    try {
      await (dropped ? this.sink.log(lines, dropped) : this.sink.log(lines));
    } catch {
      // Logs are best effort: losing them must never fail the run.
    }
  }
}

const context = new AsyncLocalStorage<{ log: RunLog; step: string | null }>();
let installed = false;

function format(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      original(...args);
      const current = context.getStore();
      current?.log.push(level, current.step, args);
    };
  }
}

export function withRunLog<T>(log: RunLog, step: string | null, fn: () => T): T {
  install();
  return context.run({ log, step }, fn);
}
