/**
 * Counting subclasses of the service's runtime classes. The runtime hands
 * `env` (and a Durable Object's `ctx`) to their constructors and the Workflow
 * `step` to run(), so a subclass exported under the same name as
 * wrangler.toml's class_name is where those can be swapped for counting ones,
 * with nothing changed in src/.
 *
 * Each helper takes the class as a value and returns it typed as it came:
 * the subclass is the same class to every caller (the runtime, `exports`),
 * and src/'s own class types are what the Worker's exports keep. A class the
 * tree does not export (the baseline commit may lack one) is passed through.
 */
import type { WorkflowStep } from "cloudflare:workers";
import { COUNTER } from "../../costs/api.ts";
import { countingEnv, countingState, countingStep } from "./bindings.ts";
import { count, markAuthorCall } from "./counters.ts";

// The shapes the subclasses rely on; the service's classes have them (they extend DurableObject, WorkflowEntrypoint, WorkerEntrypoint).
type DurableObjectClass = new (ctx: DurableObjectState, env: Cloudflare.Env) => { alarm?(info?: AlarmInvocationInfo): void | Promise<void> };
type WorkflowClass = new (ctx: ExecutionContext, env: Cloudflare.Env) => { run(event: unknown, step: WorkflowStep): Promise<unknown> };
type EntrypointClass = new (ctx: ExecutionContext, env: Cloudflare.Env) => object;
type FetchingClass = new (ctx: ExecutionContext, env: Cloudflare.Env) => { fetch(request: Request): Promise<Response> };

export function countingDurableObject<T>(Base: T, name: string): T {
  if (typeof Base !== "function") return Base;
  const Real = Base as unknown as DurableObjectClass;
  class Counted extends Real {
    constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
      count(`${COUNTER.doConstructed}.${name}`);
      // DurableObjectBase refuses anything but the real state ("constructor parameter 1 is not of type
      // 'DurableObjectState'"), so the constructor's own schema statements run uncounted and the methods,
      // which all reach storage through this.ctx, get the counting state from here on.
      super(ctx, countingEnv(env));
      Object.defineProperty(this, "ctx", { value: countingState(ctx), configurable: true, enumerable: true, writable: false });
    }

    // An alarm invocation is a billed Durable Object request.
    override async alarm(info?: AlarmInvocationInfo): Promise<void> {
      count(`${COUNTER.doAlarm}.${name}`);
      await super.alarm?.(info);
    }
  }
  return Counted as unknown as T;
}

export function countingWorkflowClass<T>(Base: T, name: string): T {
  if (typeof Base !== "function") return Base;
  const Real = Base as unknown as WorkflowClass;
  class Counted extends Real {
    constructor(ctx: ExecutionContext, env: Cloudflare.Env) {
      super(ctx, countingEnv(env));
    }

    // Entered once per engine invocation: at the start, and again after every sleep, wait or retry.
    override run(event: unknown, step: WorkflowStep): Promise<unknown> {
      count(`${COUNTER.workflowRun}.${name}`);
      return super.run(event, countingStep(step, name));
    }
  }
  return Counted as unknown as T;
}

/** A loopback entrypoint (reached through `exports`, a service binding to this Worker: not billed as a request). */
export function countingEntrypoint<T>(Base: T, name: string): T {
  if (typeof Base !== "function") return Base;
  const Real = Base as unknown as EntrypointClass;
  class Counted extends Real {
    constructor(ctx: ExecutionContext, env: Cloudflare.Env) {
      count(`${COUNTER.loopback}.${name}`);
      super(ctx, countingEnv(env));
    }
  }
  return Counted as unknown as T;
}

/** The tenants' egress gateway: its first fetch after a reset is the first author step's first GitHub call. */
export function countingGateway<T>(Base: T, name: string): T {
  if (typeof Base !== "function") return Base;
  const Real = countingEntrypoint(Base, name) as unknown as FetchingClass;
  class Counted extends Real {
    override fetch(request: Request): Promise<Response> {
      markAuthorCall();
      return super.fetch(request);
    }
  }
  return Counted as unknown as T;
}
