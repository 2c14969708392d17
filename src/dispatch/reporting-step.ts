/**
 * The step handle a tenant's workflow receives. It stands between the tenant
 * and Cloudflare's WorkflowStep so the dispatcher, not tenant code, records
 * each step (for the run index and the check run's live summary) and holds
 * sleeps, waits and timeouts to repoflow's caps.
 *
 * It is an RpcTarget because it crosses into the Dynamic Worker: the tenant's
 * callbacks come back as RPC stubs and are handed to the real step unchanged,
 * so memoization and retries stay the engine's.
 *
 * The engine re-executes run() from the top after every sleep and restart;
 * memoized steps then return without calling their body. The observer's
 * writes are idempotent, so a replay records nothing twice.
 */
import { RpcTarget } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { authorFailureText } from "./failure-text";
import type { DeliveredEvent, WaitRequest } from "../runtime";
import { durationMs } from "./durations";
import { describeWait, normalizeWait, WaitSpecError, type WaitSpec } from "./wait-spec";
import type { ChecksSummary } from "./commit-checks";
import { MAX_ANNOTATIONS_PER_RUN, type Annotation } from "./annotations";

export interface StepLimits {
  maxSleepMs: number;
  maxStepTimeoutMs: number;
  maxWaitMs: number;
  /**
   * Local time travel (`npm run replay -- --skip-sleeps`): sleeps end at once and waits time
   * out at once, so a "wait 3 days" workflow can be tried in seconds. Never set in production.
   */
  skipSleeps?: boolean;
}

/** Sleeps and waits of up to 90 days; Cloudflare allows 365, but a run pinned to code for a year is rarely intended. */
export const DEFAULT_STEP_LIMITS: StepLimits = {
  maxSleepMs: 90 * 86_400_000,
  maxStepTimeoutMs: 15 * 60_000,
  maxWaitMs: 90 * 86_400_000,
};

/**
 * Applied when a step names no retries: Cloudflare's own default (5 retries, 10 s
 * exponential) keeps a broken step busy for ~5 minutes, too long for a GitHub
 * automation whose author is watching a check run.
 */
export const DEFAULT_STEP_CONFIG = {
  retries: { limit: 3, delay: "2 seconds", backoff: "exponential" },
  timeout: "5 minutes",
} as const;

export type StepOutcome = { status: "succeeded"; outputBytes: number; output?: string | null; note?: string } | { status: "failed"; error: string };

export interface StepStart {
  name: string;
  kind: "do" | "sleep" | "wait";
  status: "running" | "sleeping" | "waiting";
  waitFor?: string;
  /** When the engine should wake the run: lets recovery tell a sleeping run from a stranded one. */
  wakeAt?: Date;
  /** A wait's check-run button, shown while the step waits. */
  button?: { label: string; identifier: string };
}

/** Console lines taken from one call (a step's flush); the tenant host keeps no more either. */
export const MAX_LOG_LINES_PER_CALL = 1000;

export interface TenantLogLine {
  level: "log" | "info" | "warn" | "error" | "debug";
  message: string;
  step: string | null;
  at: string;
}

export interface StepObserver {
  started(step: StepStart): Promise<void>;
  /** `capped`: lines were not kept before they got here (the marker line among `lines` says how many). */
  log(lines: TenantLogLine[], capped?: boolean): Promise<void>;
  /**
   * An attempt of a `do` step begins: the step is recorded if it is new, and the attempt counted, in one
   * write. Returns the attempts of this step that failed so far (not those a crash cut short).
   */
  attempt(step: StepStart): Promise<number>;
  /** Records one more failed attempt; returns the failures so far, this one included. */
  failedAttempt(name: string): Promise<number>;
  finished(name: string, outcome: StepOutcome): Promise<void>;
  /** Keeps a step's annotations for the check run that says the run's outcome. */
  annotate(name: string, annotations: Annotation[]): Promise<void>;
}


/** The subset of WorkflowStep used here, typed structurally so tests can supply their own. */
export interface EngineStep {
  do<T>(name: string, config: object, callback: (ctx: unknown) => Promise<T>): Promise<T>;
  sleep(name: string, duration: number | string): Promise<void>;
  sleepUntil(name: string, timestamp: Date | number): Promise<void>;
  waitForEvent<T>(name: string, options: { type: string; timeout?: number | string }): Promise<T>;
}

/** The dispatcher's side of correlated waits (RunWaits; tests give their own). */
export interface WaitBoard {
  register(name: string, attempt: number, spec: WaitSpec, timeoutMs: number): Promise<{ waitId: string; deadline: number; event: DeliveredEvent | null; buttonId?: string | null }>;
  /** The check runs and statuses on a commit, repoflow's own left out. */
  checks(sha: string, options: { ignore: readonly string[]; minimum: number }): Promise<ChecksSummary>;
}

/** What the tenant passes to step.waitForChecks. */
export interface ChecksRequest {
  sha: string;
  timeout?: number | string;
  ignore?: string[];
  minimum?: number;
}

/** The events that can change what a commit's checks say. */
const CHECK_EVENTS = ["check_run.completed", "check_run.created", "check_suite.completed", "status"];

/** Filing a wait is one Durable Object call: transient failures are retried briefly. */
const REGISTER_CONFIG = { retries: { limit: 8, delay: "1 second", backoff: "exponential" }, timeout: "1 minute" } as const;

/** How often a tenant's `match` may turn down events of one wait before the wait is a usage error. */
export const MAX_WAIT_ATTEMPTS = 500;

/** The engine's answer when a wait's timeout passes: WorkflowTimeoutError ("Execution timed out after …"). */
export function isWaitTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  // Across the engine's RPC boundary the name arrives folded into the message: "WorkflowTimeoutError: Execution timed out after 14951ms".
  return name === "WorkflowTimeoutError" || /^(WorkflowTimeoutError: )?Execution timed out after \d+ ?ms/.test(errorMessage(error));
}

export class StepUsageError extends Error {
  override readonly name = "StepUsageError";
}

// Names starting with "repoflow:" are the dispatcher's own bookkeeping steps.
const RESERVED_PREFIX = "repoflow:";

/** The engine aborts a live run by throwing these into it (pause, terminate, restart); they are not the workflow's failure. */
export function isEngineAbort(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" && message.startsWith("Aborting engine:");
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : String(error);
}

export class ReportingStep extends RpcTarget {
  readonly #step: EngineStep;
  readonly #observer: StepObserver;
  readonly #limits: StepLimits;
  readonly #waits: WaitBoard | undefined;

  constructor(step: EngineStep, observer: StepObserver, limits: StepLimits = DEFAULT_STEP_LIMITS, waits?: WaitBoard) {
    super();
    this.#step = step;
    this.#observer = observer;
    this.#limits = limits;
    this.#waits = waits;
  }

  async do(name: string, configOrCallback: unknown, maybeCallback?: unknown): Promise<unknown> {
    checkName(name);
    const callback = typeof configOrCallback === "function" ? configOrCallback : maybeCallback;
    if (typeof callback !== "function") {
      throw new StepUsageError(`repoflow: step.do("${name}") needs a function: step.do("${name}", async () => { ... }).`);
    }
    const config = this.#config(name, typeof configOrCallback === "function" ? undefined : configOrCallback);
    const retries = retryLimit(config);
    const timeoutMs = durationMs(config.timeout);
    const observer = this.#observer;
    try {
      const result = await this.#step.do(name, engineConfig(config, retries, timeoutMs), async (ctx: unknown) => {
        // The step is recorded by its first attempt, in the same write that counts it. The engine counts an attempt
        // a process death cut short as used (measured locally); the author's budget counts only attempts that
        // failed, so the attempt number handed to the author is ours too. On the engine's very first attempt
        // nothing came before, so the body starts beside the write instead of after it; the write lands before
        // the step's outcome is recorded.
        const counting = observer.attempt({ name, kind: "do", status: "running" }).catch(() => attemptOf(ctx) - 1);
        const failedBefore = isFirstAttempt(ctx) ? 0 : await counting;
        try {
          const result = await withTimeout(name, timeoutMs, () => (callback as (ctx: unknown) => Promise<unknown>)({ ...asObject(ctx), attempt: failedBefore + 1 }));
          await counting;
          return result;
        } catch (error) {
          await counting;
          const failures = await observer.failedAttempt(name).catch(() => failedBefore + 1);
          const again = retryable(error) && failures <= retries;
          // The last attempt's failure is shown at once, before the engine decides what comes next.
          // A failed record must not replace the author's error; the catch below records it again.
          if (!again) await observer.finished(name, { status: "failed", error: authorFailureText(errorMessage(error)) }).catch(() => undefined);
          throw again ? error : new NonRetryableError(errorMessage(error));
        }
      });
      await observer.finished(name, { status: "succeeded", ...outputOf(result) });
      return result;
    } catch (error) {
      if (!isEngineAbort(error)) await observer.finished(name, { status: "failed", error: authorFailureText(errorMessage(error)) });
      throw error;
    }
  }

  async sleep(name: string, duration: number | string): Promise<void> {
    checkName(name);
    const ms = durationMs(duration);
    this.#checkSleep(name, ms);
    await this.#observer.started({ name, kind: "sleep", status: "sleeping", wakeAt: new Date(Date.now() + ms) });
    await this.#step.sleep(name, this.#limits.skipSleeps ? 0 : duration);
    await this.#observer.finished(name, { status: "succeeded", outputBytes: 0, ...(this.#limits.skipSleeps ? { note: "skipped by --skip-sleeps" } : {}) });
  }

  async sleepUntil(name: string, timestamp: Date | number | string): Promise<void> {
    checkName(name);
    const at = timestamp instanceof Date ? timestamp.getTime() : typeof timestamp === "string" ? Date.parse(timestamp) : timestamp;
    if (!Number.isFinite(at)) throw new StepUsageError(`repoflow: step.sleepUntil("${name}") needs a Date or a timestamp, got ${JSON.stringify(timestamp)}.`);
    this.#checkSleep(name, at - Date.now());
    await this.#observer.started({ name, kind: "sleep", status: "sleeping", wakeAt: new Date(at) });
    await (this.#limits.skipSleeps ? this.#step.sleep(name, 0) : this.#step.sleepUntil(name, at));
    await this.#observer.finished(name, { status: "succeeded", outputBytes: 0, ...(this.#limits.skipSleeps ? { note: "skipped by --skip-sleeps" } : {}) });
  }

  /**
   * A correlated wait (invariant 10): filed with the repository's registry in
   * a memoized step, which also takes an event that arrived before the wait
   * did; otherwise the run waits on an event type of its own, which only a
   * matching event is sent to. The deadline is fixed at the first attempt and
   * kept by later ones (the tenant's `match` said no), and the dashboard shows
   * one step for all of them.
   */
  async waitFor(name: string, request: WaitRequest, attempt: number = 1): Promise<DeliveredEvent | null> {
    checkName(name);
    const where = `step.waitFor("${name}")`;
    if (!Number.isSafeInteger(attempt) || attempt < 1 || attempt > MAX_WAIT_ATTEMPTS) {
      throw new StepUsageError(`repoflow: ${where} was retried by its \`match\` ${MAX_WAIT_ATTEMPTS} times; make the wait's events, \`for\` or \`command\` narrower.`);
    }
    let spec: WaitSpec;
    try {
      spec = normalizeWait(where, request);
    } catch (error) {
      throw error instanceof WaitSpecError ? new StepUsageError(error.message) : error;
    }
    const timeoutMs = durationMs(request.timeout ?? "1 day");
    if (timeoutMs > this.#limits.maxWaitMs) {
      throw new StepUsageError(`repoflow: ${where} waits longer than the ${this.#limits.maxWaitMs / 86_400_000}-day cap; use a shorter timeout.`);
    }
    const waits = this.#waits;
    if (!waits) throw new StepUsageError(`repoflow: ${where}: this run has no wait registry.`);
    const filed = await this.#step.do(`${RESERVED_PREFIX} wait ${name} #${attempt}`, REGISTER_CONFIG, () => waits.register(name, attempt, spec, timeoutMs));
    // An event that came first is taken at once: the step never shows as waiting (which would park the check run).
    await this.#observer.started({
      name,
      kind: "wait",
      status: filed.event ? "running" : "waiting",
      waitFor: describeWait(spec),
      wakeAt: new Date(filed.deadline),
      ...(spec.button && filed.buttonId ? { button: { label: spec.button, identifier: filed.buttonId } } : {}),
    });
    const event = filed.event ?? (await this.#awaitFiled(name, attempt, filed));
    if (event === null) return null;
    if (!request.filtered) await this.#observer.finished(name, { status: "succeeded", outputBytes: byteSize(event) });
    return event;
  }

  /**
   * Waits until every check run and status on a commit is complete (repoflow's
   * own and the ignored names left out), looking again only when an event about
   * that commit arrives: one step on the dashboard, one absolute deadline.
   * Resolves to the checks' summary, or null when the deadline passes first.
   */
  async waitForChecks(name: string, request: ChecksRequest): Promise<ChecksSummary | null> {
    checkName(name);
    const where = `step.waitForChecks("${name}")`;
    const sha = request?.sha;
    if (typeof sha !== "string" || !/^[0-9a-f]{40}$/.test(sha)) throw new StepUsageError(`repoflow: ${where} needs { sha } with a full 40-character commit SHA, e.g. event.pull_request.head.sha.`);
    const ignore = request.ignore ?? [];
    if (!Array.isArray(ignore) || ignore.length > 100 || !ignore.every((pattern) => typeof pattern === "string" && pattern.length > 0 && pattern.length <= 200)) {
      throw new StepUsageError(`repoflow: ${where}: ignore must be a list of check names (a trailing * matches a prefix).`);
    }
    const minimum = request.minimum ?? 1;
    if (!Number.isSafeInteger(minimum) || minimum < 0 || minimum > 1000) throw new StepUsageError(`repoflow: ${where}: minimum must be a whole number from 0 to 1000.`);
    const timeoutMs = durationMs(request.timeout ?? "1 day");
    if (timeoutMs > this.#limits.maxWaitMs) throw new StepUsageError(`repoflow: ${where} waits longer than the ${this.#limits.maxWaitMs / 86_400_000}-day cap; use a shorter timeout.`);
    const waits = this.#waits;
    if (!waits) throw new StepUsageError(`repoflow: ${where}: this run has no wait registry.`);
    const spec = normalizeWait(where, { events: CHECK_EVENTS, for: { sha } });
    for (let attempt = 1; attempt <= MAX_WAIT_ATTEMPTS; attempt++) {
      const summary = await this.#step.do(`${RESERVED_PREFIX} checks ${name} #${attempt}`, REGISTER_CONFIG, () => waits.checks(sha, { ignore, minimum }));
      if (attempt === 1) await this.#observer.started({ name, kind: "wait", status: "waiting", waitFor: `checks on ${sha.slice(0, 7)}`, wakeAt: new Date(Date.now() + timeoutMs) });
      if (summary.complete) {
        await this.#observer.finished(name, { status: "succeeded", outputBytes: byteSize(summary) });
        return summary;
      }
      const filed = await this.#step.do(`${RESERVED_PREFIX} wait ${name} #${attempt}`, REGISTER_CONFIG, () => waits.register(name, attempt, spec, timeoutMs));
      if (filed.event === null && (await this.#awaitFiled(name, attempt, filed)) === null) return null;
    }
    throw new StepUsageError(`repoflow: ${where} looked at the checks ${MAX_WAIT_ATTEMPTS} times; a commit with that many check events needs a longer look.`);
  }

  /**
   * Waits on a filed wait's own event type until its absolute deadline.
   * Null when the deadline passed (the step is shown done); an engine abort
   * passes through, and any other failure is shown on the step and thrown.
   */
  async #awaitFiled(name: string, attempt: number, filed: { waitId: string; deadline: number }): Promise<DeliveredEvent | null> {
    try {
      const timeout = this.#limits.skipSleeps ? 1 : Math.max(1, filed.deadline - Date.now());
      const received = await this.#step.waitForEvent<{ payload: DeliveredEvent }>(`${RESERVED_PREFIX} await ${name} #${attempt}`, { type: filed.waitId, timeout });
      return received.payload;
    } catch (error) {
      if (isEngineAbort(error)) throw error;
      if (isWaitTimeout(error)) {
        await this.#observer.finished(name, { status: "succeeded", outputBytes: 0 });
        return null;
      }
      await this.#observer.finished(name, { status: "failed", error: authorFailureText(errorMessage(error)) });
      throw error;
    }
  }

  /**
   * Annotations on the run's check run (shown with its outcome), pointing at
   * files of the repository. Memoized like a step, so a replay adds nothing twice.
   */
  async annotate(name: string, annotations: unknown): Promise<void> {
    checkName(name);
    const where = `step.annotate("${name}")`;
    if (!Array.isArray(annotations) || annotations.length > MAX_ANNOTATIONS_PER_RUN) {
      throw new StepUsageError(`repoflow: ${where} takes a list of at most ${MAX_ANNOTATIONS_PER_RUN} annotations like { path: "README.md", line: 1, message: "…" }.`);
    }
    const clean = annotations.map((annotation, index) => checkAnnotation(`${where}[${index}]`, annotation));
    await this.#step.do(`${RESERVED_PREFIX} annotate ${name}`, REGISTER_CONFIG, () => this.#observer.annotate(name, clean));
  }

  /** The tenant's `match` took the event of a filtered wait: the step is done. */
  async settleWait(name: string, outputBytes: number): Promise<void> {
    checkName(name);
    await this.#observer.finished(name, { status: "succeeded", outputBytes: Number.isSafeInteger(outputBytes) && outputBytes >= 0 ? outputBytes : 0 });
  }

  /** Console output the tenant host captured; shapes are checked because the caller is tenant code. */
  async log(lines: unknown, dropped?: unknown): Promise<void> {
    if (!Array.isArray(lines)) return;
    const levels = new Set(["log", "info", "warn", "error", "debug"]);
    const clean: TenantLogLine[] = [];
    const reported = dropped as { count?: unknown; step?: unknown } | undefined;
    let notKept = typeof reported?.count === "number" && Number.isSafeInteger(reported.count) && reported.count > 0 ? reported.count : 0;
    notKept += Math.max(0, lines.length - MAX_LOG_LINES_PER_CALL);
    for (const line of lines.slice(0, MAX_LOG_LINES_PER_CALL)) {
      const l = line as Partial<TenantLogLine> | null;
      if (!l || typeof l.message !== "string") continue;
      clean.push({
        level: typeof l.level === "string" && levels.has(l.level) ? l.level : "log",
        message: l.message,
        step: typeof l.step === "string" ? l.step.slice(0, 200) : null,
        at: typeof l.at === "string" && !Number.isNaN(Date.parse(l.at)) ? l.at : new Date().toISOString(),
      });
    }
    if (notKept > 0) {
      const step = typeof reported?.step === "string" ? reported.step.slice(0, 200) : (clean.at(-1)?.step ?? null);
      clean.push({
        level: "warn",
        message: `repoflow: ${notKept.toLocaleString("en-US")} more console line${notKept === 1 ? " was" : "s were"} not kept${step ? ` from step "${step}"` : ""}: a step keeps at most ${MAX_LOG_LINES_PER_CALL.toLocaleString("en-US")} lines. Log less, or return what matters as the step's result.`,
        step,
        at: new Date().toISOString(),
      });
    }
    await this.#observer.log(clean, notKept > 0);
  }

  #config(name: string, config: unknown): { timeout: number | string; retries?: object } {
    if (config === undefined) return DEFAULT_STEP_CONFIG;
    if (config === null || typeof config !== "object") {
      throw new StepUsageError(`repoflow: the options of step.do("${name}") must be an object like { retries: { limit: 2, delay: "5 seconds" } }.`);
    }
    const merged = { ...DEFAULT_STEP_CONFIG, ...(config as object) } as { timeout: number | string; retries?: object };
    if (durationMs(merged.timeout) > this.#limits.maxStepTimeoutMs) {
      throw new StepUsageError(`repoflow: step.do("${name}") asks for a timeout over the ${this.#limits.maxStepTimeoutMs / 60_000}-minute cap.`);
    }
    return merged;
  }

  #checkSleep(name: string, ms: number): void {
    if (ms > this.#limits.maxSleepMs) {
      throw new StepUsageError(
        `repoflow: step "${name}" sleeps ${Math.round(ms / 86_400_000)} days, over the ${this.#limits.maxSleepMs / 86_400_000}-day cap. Sleep less, or split the wait.`,
      );
    }
  }
}

const LEVELS = new Set(["notice", "warning", "failure"]);

function checkAnnotation(where: string, value: unknown): Annotation {
  const a = (value ?? {}) as { path?: unknown; line?: unknown; endLine?: unknown; level?: unknown; message?: unknown; title?: unknown };
  if (typeof a.path !== "string" || a.path === "" || a.path.startsWith("/") || a.path.length > 1000) {
    throw new StepUsageError(`repoflow: ${where} needs a path of a file in the repository, relative to its root, e.g. "src/index.ts".`);
  }
  const line = a.line ?? 1;
  const endLine = a.endLine ?? line;
  if (!Number.isSafeInteger(line) || (line as number) < 1 || !Number.isSafeInteger(endLine) || (endLine as number) < (line as number)) {
    throw new StepUsageError(`repoflow: ${where}: line (and endLine) must be line numbers from 1, endLine not before line.`);
  }
  if (typeof a.message !== "string" || a.message === "") throw new StepUsageError(`repoflow: ${where} needs a message.`);
  const level = a.level ?? "warning";
  if (typeof level !== "string" || !LEVELS.has(level)) throw new StepUsageError(`repoflow: ${where}: level must be "notice", "warning" or "failure".`);
  if (a.title !== undefined && (typeof a.title !== "string" || a.title.length > 255)) throw new StepUsageError(`repoflow: ${where}: title must be a string of at most 255 characters.`);
  return {
    path: a.path,
    start_line: line as number,
    end_line: endLine as number,
    annotation_level: level as Annotation["annotation_level"],
    message: a.message.slice(0, 16_384),
    ...(typeof a.title === "string" ? { title: a.title } : {}),
  };
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== "string" || name.length === 0 || name.length > 200) {
    throw new StepUsageError("repoflow: a step name must be a non-empty string of at most 200 characters.");
  }
  if (name.startsWith(RESERVED_PREFIX)) {
    throw new StepUsageError(`repoflow: step names starting with "${RESERVED_PREFIX}" are reserved for repoflow itself; rename "${name}".`);
  }
}

/**
 * A Dynamic Worker that blew its CPU limit will blow it again: retrying an
 * endless loop only burns the retry budget. Errors already marked
 * non-retryable by the author stay so.
 */
function retryable(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "NonRetryableError") return false;
  return !/exceeded (its )?CPU|CPU time limit/i.test(errorMessage(error));
}

/**
 * Attempts the engine may spend beyond the author's budget on attempts a
 * process death interrupted. The author's own limit is enforced here, from
 * the failures recorded per step, so a crash never uses up a retry.
 */
export const CRASH_ALLOWANCE = 5;

/** The engine's timeout stays a backstop behind the author's, which withTimeout enforces and counts as a failure. */
const ENGINE_TIMEOUT_MARGIN_MS = 30_000;

function engineConfig(config: object, retries: number, timeoutMs: number): object {
  const retryConfig = (config as { retries?: object }).retries ?? {};
  return { ...config, retries: { ...retryConfig, limit: retries + CRASH_ALLOWANCE }, timeout: timeoutMs + ENGINE_TIMEOUT_MARGIN_MS };
}

export class StepTimeoutError extends Error {
  override readonly name = "StepTimeoutError";
}

async function withTimeout<T>(name: string, ms: number, body: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> = setTimeout(() => undefined, 0);
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeoutError(`repoflow: step "${name}" timed out after ${Math.round(ms / 1000)} s; give it a longer timeout, or split the work.`)), ms);
  });
  try {
    return await Promise.race([body(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function asObject(ctx: unknown): object {
  return typeof ctx === "object" && ctx !== null ? ctx : {};
}

/** Cloudflare's default when a config names no retries (5). */
const ENGINE_DEFAULT_RETRIES = 5;

function retryLimit(config: object): number {
  const limit = (config as { retries?: { limit?: unknown } }).retries?.limit;
  return typeof limit === "number" && Number.isFinite(limit) ? limit : ENGINE_DEFAULT_RETRIES;
}

/** Only when the engine says so: without its number, an attempt may be a retry. */
function isFirstAttempt(ctx: unknown): boolean {
  return (ctx as { attempt?: unknown } | null)?.attempt === 1;
}

/** The engine numbers attempts from 1 in the context it hands the callback. */
function attemptOf(ctx: unknown): number {
  const attempt = (ctx as { attempt?: unknown } | null)?.attempt;
  return typeof attempt === "number" ? attempt : 1;
}

function byteSize(value: unknown): number {
  if (value === undefined) return 0;
  try {
    return new TextEncoder().encode(JSON.stringify(value) ?? "").byteLength;
  } catch {
    return 0;
  }
}

/** A step result's size and JSON, for the run page (the store keeps a preview of it). */
function outputOf(value: unknown): { outputBytes: number; output: string | null } {
  if (value === undefined) return { outputBytes: 0, output: null };
  try {
    const json = JSON.stringify(value) ?? null;
    return { outputBytes: json === null ? 0 : new TextEncoder().encode(json).byteLength, output: json };
  } catch {
    return { outputBytes: 0, output: null };
  }
}
