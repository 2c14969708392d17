/**
 * `repoflow`: the module workflow authors import. It is bundled once with
 * @octokit/rest and shipped to every tenant as `repoflow.js`; each repository's
 * bundle imports it instead of carrying its own copy, and the tenant host
 * imports the same module instance, so `workflow()` values and
 * `NonRetryableError` are recognised by identity inside the isolate.
 *
 * Event payloads are typed from GitHub's webhook types
 * (@octokit/openapi-webhooks-types), narrowed by `on`:
 * `{ pull_request: ["opened"] }` gives `event` the type of a
 * pull_request.opened payload. The same declarations reach authors' editors as
 * repo-templates/types/repoflow.d.ts (scripts/build-author-types.mjs).
 */
import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import type { webhooks } from "@octokit/openapi-webhooks-types";
import { WEBHOOK_EVENTS } from "./events.ts";
import { REPOSITORY_PERMISSIONS } from "./permission-names.ts";

export { WEBHOOK_EVENTS };
export { REPOSITORY_PERMISSIONS };
/** A repository permission of GitHub Apps, as `permissions` names it. */
export type RepositoryPermission = (typeof REPOSITORY_PERMISSIONS)[number];
/** What a workflow may do on GitHub. A declaration replaces the default whole, as in GitHub Actions; "none" only says so. */
export type DeclaredPermissions = Partial<Record<RepositoryPermission, "read" | "write" | "none">>;

/** GitHub's webhook event names: "pull_request", "push", … */
export type EventName = keyof typeof WEBHOOK_EVENTS;

/** The actions GitHub sends for an event, e.g. "opened" | "closed" | … for pull_request; never for push. */
export type ActionOf<E extends EventName> = (typeof WEBHOOK_EVENTS)[E][number];

type Kebab<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}-${Kebab<Tail>}` : S;
type Body<K extends keyof webhooks> = webhooks[K]["post"]["requestBody"]["content"]["application/json"];
type KeysOf<E extends EventName> = keyof webhooks & `${Kebab<E>}-${string}`;

/**
 * GitHub's types key a payload `event-action`, except for a few whose key
 * spells the action differently (custom-property-promoted-to-enterprise holds
 * action "promote_to_enterprise"): those are found by the payload's `action`.
 */
type ActionPayload<E extends EventName, A extends string> = `${Kebab<E>}-${Kebab<A>}` extends keyof webhooks
  ? Body<`${Kebab<E>}-${Kebab<A>}`>
  : { [K in KeysOf<E>]: Body<K> extends { action: A } ? Body<K> : never }[KeysOf<E>];

/** Every payload GitHub sends, by event and action; and by event alone, the union over its actions. */
type ActionPayloadMap = { [E in EventName]: { [A in ActionOf<E>]: ActionPayload<E, A> } };
type EventPayloadMap = {
  [E in EventName]: [ActionOf<E>] extends [never] ? Body<Kebab<E> & keyof webhooks> : ActionPayloadMap[E][ActionOf<E>];
};

/** The payload of an event, for the given actions (all of them by default). */
export type WebhookPayload<E extends EventName, A extends ActionOf<E> = ActionOf<E>> = ActionOf<E> extends A ? EventPayloadMap[E] : ActionPayloadMap[E][A];

/**
 * A slash command in a new issue or pull request comment: `"/backport"`, or with who may give it
 * (default: people with write access) and how many arguments it takes (a wrong count gets `usage` as a reply).
 */
export type CommandTrigger =
  | `/${string}`
  | { name: `/${string}`; from?: RepositoryRole | readonly string[]; args?: { min?: number; max?: number }; usage?: string };

/**
 * Which events start a workflow: each event with the actions that count (`"*"` or `[]` for all of them);
 * `command` for a slash command in a comment, `labeled` for a label being added to an issue or pull request.
 */
export type Triggers = { [E in EventName]?: readonly ActionOf<E>[] | "*" } & {
  command?: CommandTrigger;
  labeled?: string | readonly string[];
  /** Cron schedules (five fields, e.g. "0 9 * * 1"; UTC unless a timezone is given), run on the default branch's HEAD. */
  schedule?: ScheduleTrigger | readonly ScheduleTrigger[];
  /** Manual runs: the dashboard's Run button, or a `/run <workflow> key=value …` comment by a writer. */
  dispatch?: true | { inputs?: Record<string, DispatchInput> };
};

export type ScheduleTrigger = string | { cron: string; timezone?: string };

/** One input of a manual run; `choice` takes one of `options`. */
export interface DispatchInput {
  type: "string" | "number" | "boolean" | "choice";
  description?: string;
  required?: boolean;
  default?: string | number | boolean;
  options?: readonly string[];
}

/** The event of a scheduled run. */
export interface ScheduleEvent {
  schedule: { cron: string; timezone: string };
  /** The tick this run is for (ISO 8601); ticks missed while the service was down run once, as the latest. */
  tick: string;
  /** How many ticks this run stands for: more than 1 after an outage. */
  missed: number;
  workflow: string;
}

/** The event of a manual run. */
export interface DispatchEvent {
  inputs: Record<string, string | number | boolean>;
  /** Who asked for the run. */
  sender: { login: string };
  workflow: string;
}

type CommandPayload<On> = On extends { command: CommandTrigger } ? ActionPayloadMap["issue_comment"]["created"] : never;
type LabeledPayload<On> = On extends { labeled: string | readonly string[] } ? ActionPayloadMap["issues"]["labeled"] | ActionPayloadMap["pull_request"]["labeled"] : never;
type SchedulePayload<On> = On extends { schedule: unknown } ? ScheduleEvent : never;
type DispatchPayload<On> = On extends { dispatch: unknown } ? DispatchEvent : never;

/** The payload type an `on` block admits: the union over its events and listed actions. */
export type EventPayload<On extends Triggers> =
  | {
      [E in keyof On & EventName]: On[E] extends readonly [ActionOf<E>, ...ActionOf<E>[]] ? ActionPayloadMap[E][On[E][number]] : EventPayloadMap[E];
    }[keyof On & EventName]
  | CommandPayload<On>
  | LabeledPayload<On>
  | SchedulePayload<On>
  | DispatchPayload<On>;

/** The event names an `on` block admits. */
export type TriggerEvent<On extends Triggers> =
  | (keyof On & EventName)
  | (On extends { command: CommandTrigger } ? "issue_comment" : never)
  | (On extends { labeled: string | readonly string[] } ? "issues" | "pull_request" : never)
  | (On extends { schedule: unknown } ? "schedule" : never)
  | (On extends { dispatch: unknown } ? "dispatch" : never);

/** The actions an `on` block admits. */
export type TriggerAction<On extends Triggers> =
  | {
      [E in keyof On & EventName]: On[E] extends readonly [ActionOf<E>, ...ActionOf<E>[]] ? On[E][number] : ActionOf<E>;
    }[keyof On & EventName]
  | (On extends { command: CommandTrigger } ? "created" : never)
  | (On extends { labeled: string | readonly string[] } ? "labeled" : never);

/** An @octokit/rest client (`github.rest.*`, `github.paginate`, `github.request`), with retries and throttling. */
export type GitHub = Octokit;

export type Duration = number | `${number} ${"millisecond" | "second" | "minute" | "hour" | "day" | "week" | "month" | "year"}${"" | "s"}`;

export interface StepConfig {
  retries?: { limit: number; delay: Duration; backoff?: "constant" | "linear" | "exponential" };
  timeout?: Duration;
}

/** Passed to a step's function: `attempt` is 1 on the first try, 2 on the first retry, … */
export interface StepAttempt {
  attempt: number;
}

/*
 * `in out` (invariant) on the generic contexts below: without it TypeScript
 * measures their variance by relating every webhook payload to every other,
 * which took a type-check of the templates from ~1 s to tens of seconds (and,
 * for ReceivedEvent, to "a union type that is too complex to represent").
 * Invariance is what the payload types allow anyway, and always sound.
 */

/** A GitHub event delivered to a waiting run. */
export interface ReceivedEvent<in out E extends EventName = EventName> {
  type: E;
  action: ActionOf<E> | null;
  deliveryId: string;
  payload: WebhookPayload<E>;
}

export interface Step {
  /**
   * Runs `fn` once and remembers its result under `name`; retried on failure. The result is persisted
   * and replayed: return small plain JSON (at most 1 MiB), never a secret. An Octokit response is
   * stored without its headers (`headers` reads `{}`), so prefer returning `.data` or the fields you use.
   */
  do<T>(name: string, fn: (ctx: StepAttempt) => Promise<T> | T): Promise<T>;
  do<T>(name: string, config: StepConfig, fn: (ctx: StepAttempt) => Promise<T> | T): Promise<T>;
  /** Sleeps durably: the run costs nothing while asleep and survives restarts. */
  sleep(name: string, duration: Duration): Promise<void>;
  sleepUntil(name: string, until: Date | number): Promise<void>;
  /**
   * Waits for a GitHub event about this repository, correlated by the dispatcher: only an event that
   * matches `events`, `for`, `command` and `from` ever reaches the run, and one that arrived after the run
   * started but before this wait was reached is not lost. Resolves to the event, or null once `timeout`
   * (default "1 day") has passed: one absolute deadline, however many events `match` turns down.
   *
   * ```ts
   * const approval = await step.waitFor("approval", {
   *   events: ["issue_comment.created"], for: { number: pr.number }, command: "/approve", from: "write", timeout: "3 days",
   * });
   * if (approval === null) return { approved: false };
   * ```
   */
  waitFor<const S extends EventSelector>(name: string, options: WaitOptions<S>): Promise<WaitedEventOf<S> | null>;
  /**
   * Waits until every check run and commit status on `sha` is complete, and returns them with an overall
   * conclusion ("success" when all passed; neutral and skipped pass). repoflow's own check runs are left
   * out, and so are the names in `ignore` (a trailing `*` matches a prefix). It resolves only once at
   * least `minimum` (default 1) checks exist, so a commit CI has not reached yet is not "green". Looks
   * again only when GitHub reports a check or status on that commit. Null once `timeout` (default "1 day") passes.
   */
  waitForChecks(name: string, options: { sha: string; timeout?: Duration; ignore?: string[]; minimum?: number }): Promise<ChecksResult | null>;
  /**
   * Annotations on the run's check run, pointing at files of the repository (GitHub shows them in the
   * pull request's files view): `level` "notice", "warning" (default) or "failure". Shown with the run's
   * outcome, at most 500 per run; memoized under `name` like a step.
   */
  annotate(name: string, annotations: { path: string; line?: number; endLine?: number; level?: "notice" | "warning" | "failure"; message: string; title?: string }[]): Promise<void>;
  /**
   * Waits for any event of one type on this repository, and throws once `timeout` (default "1 day") passes.
   * Prefer `waitFor`, which correlates by issue, pull request or commit and returns null on timeout.
   */
  waitForEvent<E extends EventName>(
    name: string,
    options: { type: E; timeout?: Duration; match?: (event: ReceivedEvent<E>) => boolean },
  ): Promise<ReceivedEvent<E>>;
}

/** What step.waitForChecks resolves to. */
export interface ChecksResult {
  complete: true;
  conclusion: "success" | "failure";
  checks: { kind: "check_run" | "status"; name: string; status: "completed"; conclusion: string | null }[];
}

/** An event, or one action of it: "pull_request", "issue_comment.created", … */
export type EventSelector = { [E in EventName]: E | `${E}.${ActionOf<E>}` }[EventName];

/** The event names a list of selectors admits. */
type SelectedEvent<S extends string> = S extends `${infer E}.${string}` ? E & EventName : S & EventName;

/** A repository role, lowest first; `from: "write"` admits write, maintain and admin. */
export type RepositoryRole = "read" | "triage" | "write" | "maintain" | "admin";

export interface WaitOptions<S extends EventSelector> {
  /** Any of these events (a bare name admits all its actions). */
  events: S | readonly S[];
  /** Only events about this issue or pull request number, or this commit (check runs and suites, statuses). */
  for?: { number?: number; sha?: string };
  /** Only new comments that give this slash command on a line of its own, outside code blocks and quotes. */
  command?: `/${string}`;
  /** Only events by someone with at least this role on the repository, or by one of these logins. */
  from?: RepositoryRole | readonly string[];
  /** The wait's one deadline. Default "1 day". */
  timeout?: Duration;
  /**
   * A button on the run's check run (at most 20 characters, e.g. "Approve"). A click by someone `from`
   * allows (default: write access) satisfies the wait like a matching event; the event is then
   * check_run.requested_action, with the person as `actor`.
   */
  button?: string;
  /** A last filter, run in your code: an event it turns down is skipped and the wait goes on (same deadline). */
  match?: (event: WaitedEventOf<S>) => boolean;
}

/** An event a wait received: who acted, and the command they gave when the wait asked for one. */
export interface WaitedEvent<in out E extends EventName = EventName> extends ReceivedEvent<E> {
  actor: string | null;
  command: { name: string; args: string[] } | null;
}

/** One WaitedEvent per admitted event, so checking `type` narrows `payload`. */
export type WaitedEventOf<S extends EventSelector> = SelectedEvent<S> extends infer E ? (E extends EventName ? WaitedEvent<E> : never) : never;

export interface IfContext<in out On extends Triggers = Triggers> {
  /** The webhook payload that would start the run. */
  event: EventPayload<On>;
  eventName: TriggerEvent<On>;
  action: TriggerAction<On> | null;
  deliveryId: string;
  /** The slash command that started the run (`on.command`), with its arguments: `/backport 1.x` gives `{ name: "/backport", args: ["1.x"] }`. */
  command: { name: string; args: string[] } | null;
  /** The commit the run would report on (the event's head SHA, or the default branch HEAD). */
  sha: string;
  repo: { owner: string; repo: string };
}

export interface RunContext<in out On extends Triggers = Triggers> extends IfContext<On> {
  runId: string;
  /** An Octokit for this repository. Its requests carry the installation's token, added outside your code. */
  github: GitHub;
  step: Step;
}

export interface WorkflowDefinition<On extends Triggers> {
  /** Unique in the repository; names the check run. */
  name: string;
  on: On;
  /** Decides, before a run starts, whether this event should start one. */
  if?: (context: IfContext<On>) => boolean | Promise<boolean>;
  /**
   * What the run's check run means to the pull request. "report" (the default): while the run sleeps or
   * waits, its check run is completed as neutral, so it never holds a merge; it says the final outcome
   * when the run ends. "gate": the check run stays in progress until the run ends, so branch protection
   * that requires it waits for the run.
   */
  check?: "report" | "gate";
  /**
   * Runs of this workflow with the same key (e.g. the pull request number) run one at a time, the
   * oldest waiting next (a running run is never overtaken); with `cancelInProgress`, a new run cancels the older ones instead
   * (their check runs say they were superseded). A key of null puts the run in no lane.
   */
  concurrency?: { key: (context: IfContext<On>) => string | number | null; cancelInProgress?: boolean };
  /**
   * Events with the same key within `period` of each other start one run, on the last of them, at the
   * latest `maxWait` (default 10 × period) after the first: ten pushes in a minute, one run.
   */
  debounce?: { key: (context: IfContext<On>) => string | number | null; period: Duration; maxWait?: Duration };
  /**
   * What the run's `github` may do, enforced by GitHub: its token is minted for this repository and these
   * permissions only, so anything beyond them answers 403. A declaration replaces the default whole
   * (read-only: contents, issues, pull_requests; metadata: read is always granted). `checks` is read at
   * most: repoflow writes the run's check run itself.
   */
  permissions?: DeclaredPermissions;
  /** The run. Its return value (plain JSON) is the run's output. */
  run: (context: RunContext<On>) => Promise<unknown> | unknown;
}

/** Marks what workflow() made; Symbol.for so host and bundle agree even if they ever held two copies of this module. */
export const WORKFLOW: unique symbol = Symbol.for("repoflow.workflow") as never;

export interface Workflow<On extends Triggers = Triggers> extends WorkflowDefinition<On> {
  readonly [WORKFLOW]: true;
}

/** `on` may name only GitHub's events (and command, labeled, schedule, dispatch): a misspelt one is a type error, not a workflow that never runs. */
type OnlyEvents<On> = { [K in Exclude<keyof On, EventName | "command" | "labeled" | "schedule" | "dispatch">]: never };

export function workflow<const On extends Triggers>(definition: WorkflowDefinition<On> & { on: OnlyEvents<On> }): Workflow<On> {
  return Object.freeze({ ...definition, [WORKFLOW]: true as const });
}

/** @internal The tenant host's check for what workflow() made. */
export function isWorkflow(value: unknown): value is Workflow {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[WORKFLOW] === true;
}

/**
 * Throw this from a step to fail it at once, without retries. The dispatcher
 * recognises it by name (an error's class does not survive RPC); repoflow's own
 * class rather than `cloudflare:workflows`' so that authors' editors and Node
 * tests can load this module.
 */
export class NonRetryableError extends Error {
  override readonly name: string = "NonRetryableError";
}

export class MarkerError extends NonRetryableError {
  override readonly name = "MarkerError";
}

const MARKER = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Posts a comment once per `marker` on an issue or pull request, and edits it
 * on later calls. Steps run at least once: a step re-executed after a crash,
 * or a re-run of the workflow, finds the comment it wrote before by a hidden
 * `<!-- repoflow:<marker> -->` line and updates it instead of posting a
 * second one. Only comments written by a bot (an App, like repoflow) are
 * considered, so a person quoting the marker is never edited.
 *
 * ```ts
 * await step.do("nudge", () => upsertComment(github, { ...repo, issue_number: pr.number, marker: "nudge", body: "Friendly nudge 👋" }));
 * ```
 */
export async function upsertComment(
  github: GitHub,
  params: { owner: string; repo: string; issue_number: number; marker: string; body: string },
): Promise<{ id: number; created: boolean }> {
  const { owner, repo, issue_number, marker } = params;
  if (!MARKER.test(marker)) {
    throw new MarkerError(`repoflow: upsertComment needs a marker of letters, digits, ".", "_", ":" or "-" (at most 100), got ${JSON.stringify(marker)}.`);
  }
  const tag = `<!-- repoflow:${marker} -->`;
  const body = `${params.body}\n\n${tag}`;
  for await (const page of github.paginate.iterator(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 })) {
    const mine = page.data.find((comment) => comment.user?.type === "Bot" && comment.body?.includes(tag));
    if (mine) {
      if (mine.body !== body) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
      return { id: mine.id, created: false };
    }
  }
  const { data } = await github.rest.issues.createComment({ owner, repo, issue_number, body });
  return { id: data.id, created: true };
}

const GitHubClient: typeof Octokit = Octokit.plugin(retry, throttling);

/**
 * @internal The client handed to workflows. No auth here: the dispatcher's gateway adds the token on the way out.
 *
 * plugin-throttling keeps its limiters at module scope, keyed by `throttle.id`: without an id every run in
 * this isolate would share one write queue, and one run's rate-limit wait or slow request would hold up the
 * others. Each run gets its own.
 */
export function createGitHub(runId: string): GitHub {
  return new GitHubClient({
    baseUrl: "https://api.github.com",
    userAgent: "repoflow-workflow",
    throttle: {
      id: `repoflow-run-${runId}`,
      // One wait-and-retry on a rate limit; beyond that the step fails and the step's own retries take over.
      onRateLimit: (_retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 1,
      onSecondaryRateLimit: (_retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) => retryCount < 1,
    },
    retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 451] },
  });
}
