/**
 * The main module of every tenant's Dynamic Worker. The dispatcher reaches it
 * two ways: TenantControl (describe the bundle's workflows, evaluate an `if`)
 * and TenantWorkflow, which @cloudflare/dynamic-workflows' entrypoint hands each
 * entry into a run. It imports the repository's bundle (`./bundle.js`) and the
 * shared SDK (`./repoflow.js`, which `./sdk.ts` becomes in the build) as
 * sibling modules of the same Worker, so the bundle's `workflow()` values and
 * the host share one SDK instance.
 *
 * The `step` a run receives is an RPC stub (the dispatcher's ReportingStep
 * over Cloudflare's WorkflowStep): only `do`, `sleep`, `sleepUntil`,
 * `waitFor`, `settleWait` and `log` are called on it, and each step function crosses
 * back as a stub the engine calls, outside run()'s async context.
 */
import { WorkerEntrypoint, WorkflowEntrypoint } from "cloudflare:workers";
import { RunLog, withRunLog, type LogSink } from "./console-capture.ts";
import { describeWorkflows } from "./manifest.ts";
import { errorReport, portable, type ErrorReport } from "./portable.ts";
import { createGitHub, isWorkflow, type Duration, type ReceivedEvent, type Step, type StepAttempt, type StepConfig, type WaitedEvent, type Workflow } from "./sdk.ts";
import { storableStepResult } from "./step-result.ts";
import type { DeliveredEvent, DescribeResult, RunDecision, RunParams, TriggerContext, WaitRequest } from "./types.ts";

/** A run was pinned to a bundle without the workflow it names: only a dispatcher bug or a hand-made bundle gets here. */
export class UnknownWorkflowError extends Error {
  override readonly name = "UnknownWorkflowError";
}

/** step.waitForEvent's documented answer to a timeout (step.waitFor returns null instead). */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
}

/**
 * The bundle is imported on first use, not statically: its top-level code is
 * the author's, and a throw there must reach describe() as a value (the
 * author's diagnostic), where a static import would fail the Worker's start
 * and look like an infrastructure fault to the dispatcher. The same code
 * always fails the same way, so a rejected import is kept.
 */
let bundle: Promise<Record<string, unknown>> | undefined;
function loadWorkflows(): Promise<Record<string, unknown>> {
  return (bundle ??= import("repoflow-bundle").then((module) => module.workflows as Record<string, unknown>));
}

async function definitionOf(file: string): Promise<Workflow> {
  const definition = (await loadWorkflows())[file];
  if (!isWorkflow(definition)) {
    throw new UnknownWorkflowError(`repoflow: this bundle has no workflow ${file}; start runs only for files its describe() lists.`);
  }
  return definition;
}

/** The dispatcher's step stub: the author's Step, plus the wire form of waits (src/dispatch/reporting-step.ts). */
interface HostStep {
  do: Step["do"];
  sleep(name: string, duration: Duration): Promise<void>;
  sleepUntil(name: string, until: number): Promise<void>;
  waitFor(name: string, request: WaitRequest, attempt: number): Promise<DeliveredEvent | null>;
  settleWait(name: string, outputBytes: number): Promise<void>;
  waitForChecks: Step["waitForChecks"];
  annotate: Step["annotate"];
}

type WaitOptionsOnWire = Omit<WaitRequest, "filtered"> & { match?: (event: WaitedEvent) => boolean };

/** Runs a wait through the dispatcher; a `match` that says no asks for the next event under the same deadline. */
async function waitFor(step: HostStep, name: string, options: WaitOptionsOnWire): Promise<WaitedEvent | null> {
  const { match, ...rest } = options ?? ({} as WaitOptionsOnWire);
  const request: WaitRequest = { ...rest, events: typeof rest.events === "string" ? [rest.events] : [...(rest.events ?? [])], filtered: typeof match === "function" };
  for (let attempt = 1; ; attempt++) {
    const delivered = await step.waitFor(name, request, attempt);
    if (delivered === null) return null;
    const event = { ...delivered } as unknown as WaitedEvent;
    if (typeof match !== "function") return event;
    if (match(event)) {
      await step.settleWait(name, new TextEncoder().encode(JSON.stringify(delivered)).byteLength);
      return event;
    }
  }
}

/** The author-facing step over the dispatcher's step stub. */
function authorStep(step: HostStep, log: RunLog): Step {
  return {
    do(name: string, configOrFn: StepConfig | ((ctx: StepAttempt) => unknown), maybeFn?: (ctx: StepAttempt) => unknown) {
      const fn = typeof configOrFn === "function" ? configOrFn : maybeFn;
      // The dispatcher answers a missing function with a usage error; pass the call through unchanged.
      if (typeof fn !== "function") return step.do(name, configOrFn as StepConfig, fn as never);
      const guarded = (ctx?: Partial<StepAttempt>) =>
        withRunLog(log, name, async () => {
          try {
            return storableStepResult(name, await fn({ attempt: ctx?.attempt ?? 1 }));
          } catch (error) {
            throw portable(error);
          } finally {
            await log.flush();
          }
        });
      return typeof configOrFn === "function" ? step.do(name, guarded) : step.do(name, configOrFn, guarded);
    },
    sleep: (name: string, duration: Duration) => step.sleep(name, duration),
    sleepUntil: (name: string, until: Date | number) => step.sleepUntil(name, until instanceof Date ? until.getTime() : until),
    waitFor: (name: string, options: WaitOptionsOnWire) => waitFor(step, name, options),
    waitForChecks: (name: string, options: Parameters<Step["waitForChecks"]>[1]) => step.waitForChecks(name, options),
    annotate: (name: string, annotations: Parameters<Step["annotate"]>[1]) => step.annotate(name, annotations),
    async waitForEvent(name: string, options: { type: string; timeout?: Duration; match?: (event: ReceivedEvent) => boolean }) {
      const { type, timeout, match } = options ?? ({} as { type: string });
      const event = await waitFor(step, name, { events: [type], ...(timeout === undefined ? {} : { timeout }), ...(match ? { match } : {}) });
      if (event === null) throw new WaitTimeoutError(`repoflow: step.waitForEvent("${name}") timed out after ${String(timeout ?? "1 day")} without a matching ${type} event.`);
      return event;
    },
  } as Step;
}

export class TenantControl extends WorkerEntrypoint {
  async describe(): Promise<DescribeResult> {
    let workflows: Record<string, unknown>;
    try {
      workflows = await loadWorkflows();
    } catch (error) {
      const { message } = errorReport(error);
      return { workflows: [], problems: [{ file: ".workflows", message: `repoflow: loading the workflows failed: ${message}` }] };
    }
    return describeWorkflows(workflows);
  }

  async shouldRun(file: string, trigger: TriggerContext): Promise<RunDecision> {
    try {
      const definition = await definitionOf(file);
      const context = {
        event: trigger.event.payload as never,
        eventName: trigger.event.name as never,
        action: trigger.event.action as never,
        deliveryId: trigger.event.deliveryId,
        command: trigger.command ?? null,
        sha: trigger.headSha,
        repo: trigger.repo,
      };
      if (definition.if && !(await definition.if(context))) return { run: false };
      const keyOf = async (option: { key: (c: never) => unknown } | undefined) => {
        if (!option) return undefined;
        const key = await option.key(context as never);
        return key === null || key === undefined ? null : String(key);
      };
      const concurrency = await keyOf(definition.concurrency);
      const debounce = await keyOf(definition.debounce);
      return { run: true, ...(concurrency !== undefined ? { concurrency } : {}), ...(debounce !== undefined ? { debounce } : {}) };
    } catch (error) {
      return { error: errorReport(error) };
    }
  }
}

export class TenantWorkflow extends WorkflowEntrypoint<unknown, RunParams> {
  override async run(event: Readonly<{ payload: RunParams }>, step: unknown): Promise<unknown> {
    const params = event.payload;
    const definition = await definitionOf(params.workflow);
    const log = new RunLog(step as LogSink);
    return withRunLog(log, null, async () => {
      try {
        const result = await definition.run({
          event: params.event.payload as never,
          eventName: params.event.name as never,
          action: params.event.action as never,
          deliveryId: params.event.deliveryId,
          command: params.command ?? null,
          sha: params.headSha,
          runId: params.runId,
          repo: params.repo,
          github: createGitHub(params.runId),
          step: authorStep(step as HostStep, log),
        });
        return result === undefined ? null : result;
      } catch (error) {
        throw portable(error);
      } finally {
        await log.flush();
      }
    });
  }
}
