/**
 * `repoflow`: the module workflow authors import. It is bundled once with
 * @octokit/rest and shipped to every tenant as `repoflow.js`; each repository's
 * bundle imports it instead of carrying its own copy.
 *
 * Event payloads are typed from GitHub's webhook types (@octokit/webhooks),
 * narrowed by `on`: `{ pull_request: ["opened"] }` gives `event` the type of a
 * pull_request.opened payload.
 */
import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import type { EmitterWebhookEvent, EmitterWebhookEventName } from "@octokit/webhooks";

/** GitHub's webhook event names without actions: "pull_request", "push", … */
export type EventName = Extract<EmitterWebhookEventName, `${string}`> extends infer N ? (N extends `${string}.${string}` ? never : N) : never;

/** The actions GitHub sends for an event, e.g. "opened" | "closed" | … for pull_request. */
export type ActionOf<E extends EventName> = Extract<EmitterWebhookEventName, `${E}.${string}`> extends `${E}.${infer A}` ? A : never;

/** Which events start a workflow: each event with the actions that count, `"*"` or `[]` for all of them. */
export type Triggers = { [E in EventName]?: readonly ActionOf<E>[] | "*" };

type PayloadOf<E extends EventName, A> = [A] extends [never]
  ? EmitterWebhookEvent<E>["payload"]
  : A extends string
    ? `${E}.${A}` extends EmitterWebhookEventName
      ? EmitterWebhookEvent<`${E}.${A}`>["payload"]
      : never
    : never;

/** The payload type an `on` block admits: the union over its events and listed actions. */
export type EventPayload<On extends Triggers> = {
  [E in keyof On & EventName]: On[E] extends readonly (infer A)[] ? PayloadOf<E, A> : EmitterWebhookEvent<E>["payload"];
}[keyof On & EventName];

/** An @octokit/rest client (`github.rest.*`, `github.paginate`, `github.request`), with retries and throttling. */
export type GitHub = Octokit;

export type Duration = number | `${number} ${"millisecond" | "second" | "minute" | "hour" | "day" | "week" | "month" | "year"}${"" | "s"}`;

export interface StepConfig {
  retries?: { limit: number; delay: Duration; backoff?: "constant" | "linear" | "exponential" };
  timeout?: Duration;
}

/** A GitHub event delivered to a waiting run. */
export interface ReceivedEvent<P = any> {
  type: string;
  action: string | null;
  deliveryId: string;
  payload: P;
}

export interface Step {
  /** Runs `fn` once and remembers its result under `name`; retried on failure. Results are persisted: return plain JSON, never a secret. */
  do<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  do<T>(name: string, config: StepConfig, fn: () => Promise<T> | T): Promise<T>;
  /** Sleeps durably: the run costs nothing while asleep and survives restarts. */
  sleep(name: string, duration: Duration): Promise<void>;
  sleepUntil(name: string, until: Date | number): Promise<void>;
  /**
   * Waits for a GitHub event on this repository (e.g. "issue_comment"). With `match`, events that don't
   * match are skipped and the wait goes on; each wait has its own `timeout` (default "1 day"), after
   * which the step throws.
   */
  waitForEvent<P = any>(name: string, options: { type: EventName; timeout?: Duration; match?: (event: ReceivedEvent<P>) => boolean }): Promise<ReceivedEvent<P>>;
}

export interface RunContext<On extends Triggers> {
  /** The webhook payload that started the run. */
  event: EventPayload<On>;
  eventName: keyof On & EventName;
  action: string | null;
  deliveryId: string;
  /** The commit this run reports on (the event's head SHA, or the default branch HEAD). */
  sha: string;
  runId: string;
  repo: { owner: string; repo: string };
  /** An Octokit for this repository. Its requests carry the installation's token, added outside your code. */
  github: GitHub;
  step: Step;
}

export interface IfContext<On extends Triggers> {
  event: EventPayload<On>;
  eventName: keyof On & EventName;
  action: string | null;
  sha: string;
  repo: { owner: string; repo: string };
}

export interface WorkflowDefinition<On extends Triggers> {
  name: string;
  on: On;
  /** Decides, before a run starts, whether this event should start one. */
  if?: (context: IfContext<On>) => boolean | Promise<boolean>;
  run: (context: RunContext<On>) => Promise<unknown> | unknown;
}

export interface Workflow<On extends Triggers = Triggers> extends WorkflowDefinition<On> {
  readonly [WORKFLOW]: true;
}

/** Marks what workflow() made; Symbol.for so host and bundle agree even if they ever held two copies of this module. */
export const WORKFLOW: unique symbol = Symbol.for("repoflow.workflow") as never;

export function workflow<const On extends Triggers>(definition: WorkflowDefinition<On>): Workflow<On> {
  return Object.freeze({ ...definition, [WORKFLOW]: true as const });
}

/** @internal The tenant host's check for what workflow() made. */
export function isWorkflow(value: unknown): value is Workflow {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[WORKFLOW] === true;
}

/** Throw this from a step to fail it at once, without retries. */
export class NonRetryableError extends Error {
  override readonly name = "NonRetryableError";
}

const GitHubClient: typeof Octokit = Octokit.plugin(retry, throttling);

/** @internal The client handed to workflows. No auth here: the dispatcher's gateway adds the token on the way out. */
export function createGitHub(): GitHub {
  return new GitHubClient({
    baseUrl: "https://api.github.com",
    userAgent: "repoflow-workflow",
    throttle: {
      onRateLimit: (_retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 1,
      onSecondaryRateLimit: (_retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 1,
    },
    retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 451] },
  });
}
