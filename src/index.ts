/**
 * The Worker's exports: HTTP, the cron trigger, the Workflow classes, and the
 * RPC entrypoints (@cloudflare/dynamic-workflows' binding wrapper and the
 * tenants' GitHub gateway, both reached through `cloudflare:workers` exports).
 * Wiring only.
 */
import { DurableObject, WorkerEntrypoint, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { createDynamicWorkflowEntrypoint, DynamicWorkflowBinding } from "@cloudflare/dynamic-workflows";
import { createApp } from "./edge";
import {
  acceptIntoInbox,
  createInboxSchema,
  drainInbox,
  inboxHolds,
  executeRun,
  gatewayFetch,
  rearmInbox,
  recoverNow,
  recoveryCoordinator,
  runCancel,
  runIngest,
  type AcceptOutcome,
  type Arrival,
  type ControlParams,
  type GatewayProps,
  type IngestParams,
  type RunEvent,
  type RecoveryReport,
  type RunMetadata,
  createWaitSchema,
  waitOfButton,
  offerEvent,
  offerEvents,
  claimWaits,
  registerWait,
  forgetRun,
  pruneWaits,
  PRUNE_EVERY_MS,
  type EventFacts,
  type WaitCandidate,
  type Claimed,
  type Registration,
  type Registered,
  createSchedulerSchema,
  applySchedules,
  fireDueTicks,
  fireNow,
  type SchedulerState,
  type ScheduleEntry,
  type DueTick,
  createLaneSchema,
  supersede,
  enterLane,
  leaveLane,
  leaveAll,
  absorb,
  startDueDebounces,
  startDebouncedRun,
  type DebouncedStart,
} from "./dispatch";

export { DynamicWorkflowBinding };

/** Drain passes one accept or alarm runs before leaving the rest to a new alarm. */
const MAX_DRAIN_PASSES = 4;

export class DeliveryInbox extends DurableObject<Cloudflare.Env> {
  #draining: Promise<void> | null = null;
  #again = false;
  #kicked = false;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    createInboxSchema(ctx.storage.sql);
  }

  async accept(arrival: Arrival): Promise<AcceptOutcome> {
    const outcome = await acceptIntoInbox(this.ctx.storage, arrival);
    if (outcome === "accepted") this.#kick();
    return outcome;
  }

  /**
   * Decided at once rather than at the alarm's next firing: the alarm accept() armed stays, for a drain that fails.
   * After the answer, not before it: the 202 waits for nothing of the drain. One timer at a time: under a burst the
   * object's timers fire behind its incoming calls, and one per accept reached workerd's cap of 10,000 active
   * timeouts, which failed accepts whose delivery was already stored (measured with the state on tmpfs).
   */
  #kick(): void {
    if (this.#draining) {
      this.#again = true;
      return;
    }
    if (this.#kicked) return;
    this.#kicked = true;
    try {
      setTimeout(() => {
        this.#kicked = false;
        this.#drainSoon().catch((error: unknown) => console.warn("repoflow: the inbox's drain failed; its alarm retries:", error));
      }, 0);
    } catch (error) {
      // The delivery is stored and its alarm armed: a kick that cannot be scheduled must not fail the accept.
      this.#kicked = false;
      console.warn("repoflow: the inbox could not start a drain at once; its alarm does:", error);
    }
  }

  rearm(): Promise<number> {
    return rearmInbox(this.ctx.storage);
  }

  holds(deliveryId: string): boolean {
    return inboxHolds(this.ctx.storage, deliveryId);
  }

  override async alarm(): Promise<void> {
    await this.#drainSoon();
  }

  /** Hands pending deliveries on (src/dispatch/inbox.ts); the bench's holding inbox overrides it to hold them. */
  protected async drain(): Promise<void> {
    await drainInbox(this.env, this.ctx.storage);
  }

  /**
   * One drain at a time in this object: an accept or the alarm arriving mid-drain asks for one more
   * pass, which takes whatever came meanwhile as one batch. Two drains side by side could ask an
   * `if` twice or start a delivery's runs from both.
   */
  #drainSoon(): Promise<void> {
    if (this.#draining) {
      this.#again = true;
      return this.#draining;
    }
    this.#draining = (async () => {
      try {
        // Bounded per invocation (D1 queries, subrequests): what is left then is the alarm's.
        for (let pass = 0; pass < MAX_DRAIN_PASSES; pass++) {
          this.#again = false;
          await this.drain();
          if (!this.#again) return;
        }
        await this.ctx.storage.setAlarm(Date.now());
      } finally {
        this.#draining = null;
      }
    })();
    return this.#draining;
  }
}

/**
 * The one place recovery passes run: a single Durable Object (by name), so two
 * cron ticks, or a tick and local traffic, never run passes side by side; a
 * call while a pass is in flight joins it (recoverNow).
 */
export class RecoveryCoordinator extends DurableObject<Cloudflare.Env> {
  pass(): Promise<RecoveryReport> {
    return recoverNow(this.env);
  }
}

/**
 * The waits of one repository (named by its full name) and the recent events
 * they may take; being one object per repository is what serialises an event
 * and a wait registering at the same moment (src/dispatch/wait-registry.ts).
 */
export class WaitRegistry extends DurableObject<Cloudflare.Env> {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    createWaitSchema(ctx.storage.sql);
  }

  async offer(facts: EventFacts, payloadJson: string | null): Promise<WaitCandidate[]> {
    const candidates = offerEvent(this.ctx.storage.sql, facts, payloadJson);
    await this.#armPrune();
    return candidates;
  }

  /** The inbox's offer of a drained batch (src/dispatch/triage.ts): how many waits may take each event. */
  async offerMany(events: { facts: EventFacts; payloadJson: string | null }[]): Promise<number[]> {
    const counts = offerEvents(this.ctx.storage.sql, events).map((candidates) => candidates.length);
    await this.#armPrune();
    return counts;
  }

  claim(deliveryId: string, waitIds: string[]): Claimed[] {
    return claimWaits(this.ctx.storage.sql, deliveryId, waitIds);
  }

  async register(registration: Registration): Promise<Registered> {
    const registered = registerWait(this.ctx.storage.sql, registration);
    await this.#armPrune();
    return registered;
  }

  forget(runId: string): void {
    forgetRun(this.ctx.storage.sql, runId);
  }

  button(buttonId: string): ReturnType<typeof waitOfButton> {
    return waitOfButton(this.ctx.storage.sql, buttonId);
  }

  override async alarm(): Promise<void> {
    if (pruneWaits(this.ctx.storage.sql)) await this.ctx.storage.setAlarm(Date.now() + PRUNE_EVERY_MS);
  }

  async #armPrune(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + PRUNE_EVERY_MS);
  }
}

/** The schedules of one repository's default branch, with one alarm at the next tick (src/dispatch/scheduler.ts). */
export class Scheduler extends DurableObject<Cloudflare.Env> {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    createSchedulerSchema(ctx.storage.sql);
  }

  sync(state: SchedulerState, entries: ScheduleEntry[]): Promise<number | null> {
    return applySchedules(this.env, this.ctx.storage, state, entries);
  }

  tick(): Promise<DueTick[]> {
    return fireDueTicks(this.env, this.ctx.storage);
  }

  fireNow(workflow: string): Promise<string | null> {
    return fireNow(this.env, this.ctx.storage, workflow);
  }

  override async alarm(): Promise<void> {
    await fireDueTicks(this.env, this.ctx.storage);
  }
}

/** Concurrency lanes and debounce bursts of one repository's workflows (src/dispatch/lanes.ts). */
export class Lanes extends DurableObject<Cloudflare.Env> {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    createLaneSchema(ctx.storage.sql);
  }

  supersede(lane: string, runId: string, receivedAt: number): { cancel: string[] } {
    return supersede(this.ctx.storage.sql, lane, runId, receivedAt);
  }

  enter(lane: string, runId: string, receivedAt: number): { go: true } | { go: false; behind: string } {
    return enterLane(this.ctx.storage.sql, lane, runId, receivedAt);
  }

  leave(lane: string, runId: string): string | null {
    return leaveLane(this.ctx.storage.sql, lane, runId);
  }

  leaveAll(runId: string): string[] {
    return leaveAll(this.ctx.storage.sql, runId);
  }

  async absorb(lane: string, start: DebouncedStart<unknown>, periodMs: number, maxWaitMs: number): Promise<number> {
    const due = absorb(this.ctx.storage.sql, lane, start, periodMs, maxWaitMs);
    const armed = await this.ctx.storage.getAlarm();
    if (armed === null || armed > due) await this.ctx.storage.setAlarm(due);
    return due;
  }

  override async alarm(): Promise<void> {
    await startDueDebounces(this.env, this.ctx.storage, (source, workflow, absorbed) => startDebouncedRun(this.env, source, workflow, absorbed));
  }
}

export class IngestWorkflow extends WorkflowEntrypoint<Cloudflare.Env, IngestParams> {
  override async run(event: WorkflowEvent<IngestParams>, step: WorkflowStep) {
    return runIngest(this.env, event.payload, step);
  }
}

export class ControlWorkflow extends WorkflowEntrypoint<Cloudflare.Env, ControlParams> {
  override async run(event: WorkflowEvent<ControlParams>, step: WorkflowStep) {
    return runCancel(this.env, event.payload.runId, step, event.payload.reason);
  }
}

// The class_name of the WORKFLOWS binding: every run enters here and executes its pinned bundle.
export const DynamicWorkflow = createDynamicWorkflowEntrypoint<Cloudflare.Env>(({ env, metadata }) => ({
  run: (event, step) => executeRun(env, metadata as RunMetadata, event as unknown as RunEvent, step as WorkflowStep),
}));

export class GitHubGateway extends WorkerEntrypoint<Cloudflare.Env, GatewayProps> {
  override fetch(request: Request): Promise<Response> {
    return gatewayFetch(this.env, this.ctx.props, request);
  }
}

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller: ScheduledController, env: Cloudflare.Env, ctx: ExecutionContext) {
    ctx.waitUntil(recoveryCoordinator(env).pass());
  },
} satisfies ExportedHandler<Cloudflare.Env>;
