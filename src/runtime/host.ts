/**
 * The main module of every tenant's Dynamic Worker. The dispatcher reaches it
 * two ways: TenantControl (describe the bundle's workflows, evaluate an `if`)
 * and TenantWorkflow, which @cloudflare/dynamic-workflows' entrypoint hands each
 * entry into a run. It imports the repository's bundle (`./bundle.js`) and the
 * shared SDK (`./repoflow.js`) as sibling modules of the same Worker.
 *
 * Errors from author code cross back over RPC, where only the message is sure
 * to survive; so the host appends the author's stack frames to the message in
 * a marked block the dispatcher strips and maps back to source lines.
 */
import { WorkerEntrypoint, WorkflowEntrypoint } from "cloudflare:workers";
import { emitterEventNames } from "@octokit/webhooks";
import { createGitHub, isWorkflow, type Duration, type ReceivedEvent, type Step, type StepConfig, type Workflow } from "repoflow";
import { workflows } from "repoflow-bundle";
import type { DescribeResult, RunParams, TriggerContext, WorkflowManifestEntry } from "./types.ts";

import { STACK_MARKER } from "./host-protocol.ts";
import { RunLog, withRunLog, type LogSink } from "./console-capture.ts";

const EVENTS = new Set<string>(emitterEventNames.filter((name) => !name.includes(".")));
const ACTIONS = new Set<string>(emitterEventNames.filter((name) => name.includes(".")));

export function describeWorkflows(entries: Record<string, unknown>): DescribeResult {
  const result: DescribeResult = { workflows: [], problems: [] };
  const byName = new Map<string, string>();
  for (const [file, value] of Object.entries(entries)) {
    if (value === undefined) {
      result.problems.push({ file, message: `${file} has no default export. End it with \`export default workflow({ ... })\`, or move it to a subfolder if it is a helper.` });
      continue;
    }
    if (!isWorkflow(value)) {
      result.problems.push({ file, message: `The default export of ${file} is not a workflow. Wrap it: \`export default workflow({ name, on, run })\` with workflow imported from "repoflow".` });
      continue;
    }
    const problems = checkDefinition(file, value);
    if (problems.length > 0) {
      result.problems.push(...problems.map((message) => ({ file, message })));
      continue;
    }
    const other = byName.get(value.name);
    if (other) {
      result.problems.push({ file, message: `The workflow name "${value.name}" is used by ${other} too; names must be unique because check runs are named after them.` });
      continue;
    }
    byName.set(value.name, file);
    result.workflows.push({ file, name: value.name, on: normalizeOn(value.on), hasIf: typeof value.if === "function" });
  }
  return result;
}

function checkDefinition(file: string, definition: Workflow): string[] {
  const problems: string[] = [];
  if (typeof definition.name !== "string" || definition.name.trim() === "" || definition.name.length > 100) {
    problems.push(`${file}: \`name\` must be a non-empty string of at most 100 characters.`);
  }
  if (typeof definition.run !== "function") problems.push(`${file}: \`run\` must be a function.`);
  if (definition.if !== undefined && typeof definition.if !== "function") problems.push(`${file}: \`if\` must be a function when given.`);
  const on = definition.on as unknown;
  if (typeof on !== "object" || on === null || Array.isArray(on) || Object.keys(on).length === 0) {
    problems.push(`${file}: \`on\` must name at least one event, e.g. { pull_request: ["opened"] }.`);
    return problems;
  }
  for (const [event, actions] of Object.entries(on)) {
    if (!EVENTS.has(event)) {
      problems.push(`${file}: "${event}" is not a GitHub webhook event (see https://docs.github.com/webhooks/webhook-events-and-payloads).`);
      continue;
    }
    if (actions === "*") continue;
    if (!Array.isArray(actions)) {
      problems.push(`${file}: on.${event} must be a list of actions or "*".`);
      continue;
    }
    for (const action of actions) {
      if (typeof action !== "string" || !ACTIONS.has(`${event}.${action}`)) problems.push(`${file}: "${String(action)}" is not an action of the ${event} event.`);
    }
  }
  return problems;
}

function normalizeOn(on: object): Record<string, string[] | "*"> {
  return Object.fromEntries(Object.entries(on).map(([event, actions]) => [event, actions === "*" ? "*" : [...(actions as string[])]]));
}

function definitionOf(file: string): Workflow {
  const definition = (workflows as Record<string, unknown>)[file];
  if (!isWorkflow(definition)) throw new Error(`repoflow: this bundle has no workflow ${file}; it was pinned to a bundle that does not contain it.`);
  return definition;
}

/** An Error that keeps the author's stack across RPC, inside its message (see STACK_MARKER). */
export function portable(error: unknown): Error {
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : `a non-Error value was thrown: ${safeString(error)}`;
  const stack = error instanceof Error && typeof error.stack === "string" ? error.stack : "";
  const wrapped = new Error(stack ? `${message}${STACK_MARKER}${stack}` : message);
  if (error instanceof Error && error.name === "NonRetryableError") wrapped.name = "NonRetryableError";
  return wrapped;
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The author-facing step, over the dispatcher's ReportingStep (an RPC stub). */
function authorStep(step: Step, log: RunLog): Step {
  return {
    do(name: string, configOrFn: unknown, maybeFn?: unknown) {
      const fn = (typeof configOrFn === "function" ? configOrFn : maybeFn) as () => unknown;
      // The engine calls this back over RPC, outside run()'s async context: re-enter it.
      const guarded = () =>
        withRunLog(log, name, async () => {
          try {
            return await fn();
          } catch (error) {
            throw portable(error);
          } finally {
            await log.flush();
          }
        });
      return typeof configOrFn === "function" ? step.do(name, guarded) : step.do(name, configOrFn as StepConfig, guarded);
    },
    sleep: (name: string, duration: Duration) => step.sleep(name, duration),
    sleepUntil: (name: string, until: Date | number) => step.sleepUntil(name, until instanceof Date ? until.getTime() : until),
    async waitForEvent(name: string, options: Parameters<Step["waitForEvent"]>[1]) {
      for (let attempt = 1; ; attempt++) {
        const received = (await step.waitForEvent(attempt === 1 ? name : `${name} #${attempt}`, {
          type: options.type,
          ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
        })) as unknown as { type: string; payload: { action: string | null; deliveryId: string; payload: unknown } };
        const event: ReceivedEvent = { type: received.type, action: received.payload.action, deliveryId: received.payload.deliveryId, payload: received.payload.payload };
        if (!options.match || options.match(event)) return event;
      }
    },
  } as Step;
}

export class TenantControl extends WorkerEntrypoint {
  describe(): DescribeResult {
    return describeWorkflows(workflows as Record<string, unknown>);
  }

  async shouldRun(file: string, trigger: TriggerContext): Promise<{ run: boolean } | { error: { message: string; stack?: string } }> {
    try {
      const definition = definitionOf(file);
      if (!definition.if) return { run: true };
      const decision = await definition.if({
        event: trigger.event.payload as never,
        eventName: trigger.event.name as never,
        action: trigger.event.action,
        sha: trigger.headSha,
        repo: trigger.repo,
      });
      return { run: decision === true };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      return { error: { message: e.message, ...(e.stack ? { stack: e.stack } : {}) } };
    }
  }
}

export class TenantWorkflow extends WorkflowEntrypoint<unknown, RunParams> {
  // `step` is the dispatcher's ReportingStep (an RPC stub), not Cloudflare's WorkflowStep.
  override async run(event: Readonly<{ payload: RunParams }>, step: unknown): Promise<unknown> {
    const params = event.payload;
    const definition = definitionOf(params.workflow);
    const log = new RunLog(step as LogSink);
    return withRunLog(log, null, async () => {
      try {
        const result = await definition.run({
          event: params.event.payload as never,
          eventName: params.event.name as never,
          action: params.event.action,
          deliveryId: params.event.deliveryId,
          sha: params.headSha,
          runId: params.runId,
          repo: params.repo,
          github: createGitHub(),
          step: authorStep(step as Step, log),
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

export type { WorkflowManifestEntry };
