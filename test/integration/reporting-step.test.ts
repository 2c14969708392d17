/**
 * ReportingStep between the tenant and the engine's step, with a recording
 * observer and a retrying engine step: what it records, when, and what it
 * refuses.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_STEP_LIMITS, ReportingStep, type EngineStep, type StepObserver, type StepOutcome, type WaitBoard } from "../../src/dispatch/reporting-step";
import type { DeliveredEvent } from "../../src/runtime";
import type { ChecksSummary } from "../../src/dispatch/commit-checks";
import { RetryingStep } from "./retrying-step";

class RecordingObserver implements StepObserver {
  readonly events: string[] = [];
  async started(step: { name: string; status: string }) {
    this.events.push(`started ${step.name} ${step.status}`);
  }
  async log() {}
  async annotate(name: string, annotations: { path: string; start_line: number; annotation_level: string }[]) {
    this.events.push(`annotate ${name}: ${annotations.map((a) => `${a.annotation_level} ${a.path}:${a.start_line}`).join(", ")}`);
  }
  readonly failures = new Map<string, number>();
  async attempt(step: { name: string }) {
    this.events.push(`attempt ${step.name}`);
    return this.failures.get(step.name) ?? 0;
  }
  async failedAttempt(name: string) {
    const n = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, n);
    return n;
  }
  readonly #done = new Set<string>();
  // Like the store's finishStep: only the first transition to a final state counts.
  async finished(name: string, outcome: StepOutcome) {
    if (this.#done.has(name)) return;
    this.#done.add(name);
    this.events.push(`finished ${name} ${outcome.status}${outcome.status === "failed" ? `: ${outcome.error}` : ""}`);
  }
}

/** The engine's step.do as a retrying step that also notes when the engine gives up. */
class EngineStepWithLog extends RetryingStep implements EngineStep {
  constructor(private readonly observer: RecordingObserver) {
    super();
  }
  override async do<T>(name: string, config: object, callback: (ctx?: unknown) => Promise<T>): Promise<T> {
    try {
      return await super.do(name, config, callback);
    } catch (error) {
      this.observer.events.push(`engine gave up on ${name}`);
      throw error;
    }
  }
  async sleep() {}
  async sleepUntil() {}
  async waitForEvent<T>(): Promise<T> {
    throw new Error("not used");
  }
}

function setUp() {
  const observer = new RecordingObserver();
  const engine = new EngineStepWithLog(observer);
  return { observer, engine, step: new ReportingStep(engine, observer, DEFAULT_STEP_LIMITS) };
}

describe("ReportingStep", () => {
  it("shows a step failed at its last attempt, before the engine gives up, with the author's error (invariant 8)", async () => {
    const { observer, step } = setUp();
    await expect(step.do("close", { retries: { limit: 2, delay: 0 } }, async () => { throw new Error("GitHub said 501"); })).rejects.toThrow("GitHub said 501");
    expect(observer.events).toEqual([
      "attempt close",
      "attempt close",
      "attempt close",
      "finished close failed: GitHub said 501",
      "engine gave up on close",
    ]);
  });

  it("records an author's NonRetryableError as failed at once and passes it on as non-retryable", async () => {
    const { observer, engine, step } = setUp();
    const thrown = await step.do("merge", async () => {
      const error = new Error("the PR is closed");
      error.name = "NonRetryableError";
      throw error;
    }).catch((error: Error) => error);
    expect((thrown as Error).name).toBe("NonRetryableError");
    expect(engine.attempts.get("merge")).toBe(1);
    expect(observer.events.slice(0, 2)).toEqual(["attempt merge", "finished merge failed: the PR is closed"]);
  });

  it("does not call the engine's abort of a run (pause, terminate) the step's failure", async () => {
    const observer = new RecordingObserver();
    const aborting: EngineStep = {
      do: async () => { throw new Error("Aborting engine: User called terminate"); },
      sleep: async () => {},
      sleepUntil: async () => {},
      waitForEvent: async () => { throw new Error("not used"); },
    };
    await expect(new ReportingStep(aborting, observer).do("work", async () => 1)).rejects.toThrow("Aborting engine");
    // Not even recorded as begun: the engine never ran an attempt.
    expect(observer.events).toEqual([]);
  });

  it("does not let attempts a process death cut short use up the author's retries, and numbers attempts as the author sees them", async () => {
    const observer = new RecordingObserver();
    const limits: number[] = [];
    // The engine as after three crashes mid-step: its next attempt is its 4th, and it counts on from there.
    const afterCrashes: EngineStep = {
      async do<T>(_name: string, config: object, callback: (ctx: unknown) => Promise<T>): Promise<T> {
        const limit = (config as { retries: { limit: number } }).retries.limit;
        limits.push(limit);
        for (let attempt = 4; ; attempt++) {
          try {
            return await callback({ attempt });
          } catch (error) {
            if (attempt > limit || (error as Error).name === "NonRetryableError") throw error;
          }
        }
      },
      sleep: async () => {},
      sleepUntil: async () => {},
      waitForEvent: async () => { throw new Error("not used"); },
    };
    const seen: number[] = [];
    const result = await new ReportingStep(afterCrashes, observer).do("label", { retries: { limit: 1, delay: 0 } }, async ({ attempt }: { attempt: number }) => {
      seen.push(attempt);
      if (attempt === 1) throw new Error("GitHub said 502");
      return "labelled";
    });
    expect(result).toBe("labelled");
    expect(seen).toEqual([1, 2]);
    expect(limits[0]).toBeGreaterThan(1);
  });

  it("counts the author's timeout as a failed attempt and gives up after the author's retries", async () => {
    const { observer, engine, step } = setUp();
    await expect(step.do("hang", { retries: { limit: 1, delay: 0 }, timeout: 50 }, () => new Promise(() => {}))).rejects.toThrow(/timed out after/);
    expect(engine.attempts.get("hang")).toBe(2);
    expect(observer.events).toContain("finished hang failed: repoflow: step \"hang\" timed out after 0 s; give it a longer timeout, or split the work.");
  });

  it("keeps a workflow's annotations in a memoized step, in GitHub's shape, and refuses ones GitHub would", async () => {
    const { observer, engine, step } = setUp();
    await step.annotate("title", [{ path: "README.md", message: "Say what the change is for.", level: "failure" }, { path: "src/a.ts", line: 3, endLine: 5, message: "TODO left in" }]);
    expect(observer.events).toEqual(["annotate title: failure README.md:1, warning src/a.ts:3"]);
    expect(engine.attempts.get("repoflow: annotate title")).toBe(1);
    await expect(step.annotate("bad", [{ path: "/etc/passwd", message: "x" }])).rejects.toThrow(/relative to its root/);
    await expect(step.annotate("bad", [{ path: "a.ts", line: 4, endLine: 2, message: "x" }])).rejects.toThrow(/endLine not before line/);
    await expect(step.annotate("bad", [{ path: "a.ts", message: "x", level: "error" as never }])).rejects.toThrow(/"notice", "warning" or "failure"/);
  });

  it("refuses repoflow's reserved step names and timeouts over the cap, naming the fix", async () => {
    const { step } = setUp();
    await expect(step.do("repoflow: start", async () => 1)).rejects.toThrow(/reserved for repoflow itself; rename/);
    await expect(step.do("slow", { timeout: "1 hour" }, async () => 1)).rejects.toThrow(/over the 15-minute cap/);
  });
});

describe("ReportingStep.waitFor", () => {
  type Filed = { waitId: string; deadline: number; event: DeliveredEvent | null };
  const approval: DeliveredEvent = { type: "issue_comment", action: "created", deliveryId: "d-1", payload: { n: 1 }, actor: "mona", command: { name: "/approve", args: [] } };

  function waiting(options: { filed: (attempt: number) => Filed; engineWait: (type: string, timeout: number) => Promise<unknown>; looks?: ChecksSummary[] }) {
    const observer = new RecordingObserver();
    const calls: string[] = [];
    const engine: EngineStep = {
      async do<T>(name: string, _config: object, callback: (ctx: unknown) => Promise<T>): Promise<T> {
        calls.push(`do ${name}`);
        return callback({ attempt: 1 });
      },
      sleep: async () => {},
      sleepUntil: async () => {},
      async waitForEvent<T>(name: string, { type, timeout }: { type: string; timeout?: number | string }): Promise<T> {
        calls.push(`wait ${name} ${type}`);
        return (await options.engineWait(type, Number(timeout))) as T;
      },
    };
    const board: WaitBoard = {
      async register(name, attempt, spec, timeoutMs) {
        calls.push(`register ${name} #${attempt} ${spec.command} ${timeoutMs}`);
        return options.filed(attempt);
      },
      async checks(sha) {
        calls.push(`look ${sha.slice(0, 7)}`);
        const next = options.looks?.shift();
        if (!next) throw new Error("no look queued");
        return next;
      },
    };
    return { observer, calls, step: new ReportingStep(engine, observer, DEFAULT_STEP_LIMITS, board) };
  }

  const request = { events: ["issue_comment.created"], for: { number: 7 }, command: "/approve", timeout: "3 days" };

  it("files the wait in a reserved step, then waits on the wait's own event type until the absolute deadline", async () => {
    const deadline = Date.now() + 3 * 86_400_000;
    let waitedMs = 0;
    const { observer, calls, step } = waiting({
      filed: () => ({ waitId: "rfw-1", deadline, event: null }),
      engineWait: async (_type, timeout) => {
        waitedMs = timeout;
        return { payload: approval };
      },
    });
    expect(await step.waitFor("approval", request)).toEqual(approval);
    expect(calls).toEqual(["do repoflow: wait approval #1", "register approval #1 /approve 259200000", "wait repoflow: await approval #1 rfw-1"]);
    expect(waitedMs).toBeGreaterThan(deadline - Date.now() - 5_000);
    expect(waitedMs).toBeLessThanOrEqual(deadline - Date.now() + 5_000);
    expect(observer.events).toEqual(["started approval waiting", "finished approval succeeded"]);
  });

  it("takes an event that came before the wait without waiting at all", async () => {
    const { calls, step } = waiting({ filed: () => ({ waitId: "rfw-1", deadline: Date.now() + 1000, event: approval }), engineWait: async () => { throw new Error("must not wait"); } });
    expect(await step.waitFor("approval", request)).toEqual(approval);
    expect(calls.some((c) => c.startsWith("wait "))).toBe(false);
  });

  it("answers null when the deadline passes, and shows the step done", async () => {
    const { observer, step } = waiting({
      filed: () => ({ waitId: "rfw-1", deadline: Date.now() + 1000, event: null }),
      engineWait: async () => {
        const error = new Error("Execution timed out after 1000ms");
        error.name = "WorkflowTimeoutError";
        throw error;
      },
    });
    expect(await step.waitFor("approval", request)).toBeNull();
    expect(observer.events).toEqual(["started approval waiting", "finished approval succeeded"]);
  });

  it("keeps a filtered wait open until the tenant takes an event", async () => {
    const { observer, step } = waiting({ filed: () => ({ waitId: "rfw-1", deadline: Date.now() + 1000, event: approval }), engineWait: async () => null });
    await step.waitFor("approval", { ...request, filtered: true }, 1);
    await step.waitFor("approval", { ...request, filtered: true }, 2);
    expect(observer.events).toEqual(["started approval running", "started approval running"]);
    await step.settleWait("approval", 10);
    expect(observer.events.at(-1)).toBe("finished approval succeeded");
  });

  it("refuses a malformed wait with the author's fix, before filing anything", async () => {
    const { calls, step } = waiting({ filed: () => ({ waitId: "x", deadline: 0, event: null }), engineWait: async () => null });
    await expect(step.waitFor("approval", { events: ["issue_coment.created"] })).rejects.toThrow(/"issue_coment.created" is not a GitHub webhook event/);
    await expect(step.waitFor("approval", { events: ["issues"], timeout: "100 days" })).rejects.toThrow(/longer than the 90-day cap/);
    await expect(step.waitFor("repoflow: x", { events: ["issues"] })).rejects.toThrow(/reserved/);
    expect(calls).toEqual([]);
  });

  describe("waitForChecks", () => {
    const sha = "c".repeat(40);
    const pending: ChecksSummary = { complete: false, conclusion: null, checks: [{ kind: "check_run", name: "ci", status: "in_progress", conclusion: null }] };
    const green: ChecksSummary = { complete: true, conclusion: "success", checks: [{ kind: "check_run", name: "ci", status: "completed", conclusion: "success" }] };

    it("looks again only after an event about the commit, as one dashboard step", async () => {
      const { observer, calls, step } = waiting({ filed: (attempt) => ({ waitId: `rfw-${attempt}`, deadline: Date.now() + 60_000, event: null }), engineWait: async () => ({ payload: approval }), looks: [pending, green] });
      expect(await step.waitForChecks("green", { sha })).toEqual(green);
      expect(calls).toEqual([
        "do repoflow: checks green #1",
        "look ccccccc",
        "do repoflow: wait green #1",
        "register green #1 null 86400000",
        "wait repoflow: await green #1 rfw-1",
        "do repoflow: checks green #2",
        "look ccccccc",
      ]);
      expect(observer.events).toEqual(["started green waiting", "finished green succeeded"]);
    });

    it("answers null at the deadline, and refuses a short SHA", async () => {
      const timedOut = Object.assign(new Error("Execution timed out after 5ms"), { name: "WorkflowTimeoutError" });
      const { step } = waiting({ filed: () => ({ waitId: "rfw-1", deadline: Date.now() + 5, event: null }), engineWait: async () => { throw timedOut; }, looks: [pending] });
      expect(await step.waitForChecks("green", { sha, timeout: "1 minute" })).toBeNull();
      await expect(step.waitForChecks("green", { sha: "abc123" })).rejects.toThrow(/full 40-character commit SHA/);
    });
  });
});
