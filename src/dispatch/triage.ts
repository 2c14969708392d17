/**
 * Whether a delivery can matter, decided in the inbox before any Workflow
 * exists. Most webhooks trigger nothing (the check runs CI and repoflow cause,
 * statuses, comments nobody waits for); creating an ingest Workflow for each
 * costs a Workflow instance and its steps in production and starves the edge
 * locally. A delivery goes on to ingest when it could start a run (the
 * repository's trigger index: the manifest of the default branch's bundle),
 * wake a wait (the repository's WaitRegistry, asked by the inbox), change
 * .workflows/ on the default branch, or is an installation event or a control.
 * Everything else is recorded as processed with the reason, and costs nothing
 * more.
 *
 * The index must never be wrong in the direction of dropping an event. It is
 * the bundle ingest last built for the default branch's HEAD; a push that
 * changes .workflows/ marks it pending before any later event of the
 * repository is decided (a repository's deliveries share one inbox shard,
 * drained in the order they arrived), and while it is pending, or unknown,
 * every event goes to ingest, which asks GitHub for HEAD itself.
 *
 * Pure: the inbox gathers the index and the waits, this decides.
 */
import { DISPATCH_EVENT, SCHEDULE_EVENT, type WorkflowManifestEntry } from "../runtime";
import { PENDING_SETTLES_MS, type RepoHead } from "../store";
import type { EventFacts } from "./event-facts";
import { causedBySelf, OWN_ECHO, sentByABot } from "./self-events";
import { isCurrentBuild } from "./bundle-trust";
import { matchWorkflow, pushTimeOf, pushTouchesWorkflows } from "./triggers";
import type { Delivery } from "./types";

export interface TriageContext {
  appId: number;
  /** The App's bot login, when ingest has learned it; without it a bot's event is ingest's to judge. */
  botLogin: string | null;
  /** The repository's index row, with this batch's earlier pushes applied. */
  head: RepoHead | undefined;
}

/** What a delivery does to the index of its repository, applied before the next delivery is decided. */
export type HeadEffect = { pending: { sha: string; at: number } } | { advance: { before: string; sha: string; at: number } };

export type Triage =
  /**
   * It matters: ingest gets a Workflow. `offer`: the inbox offers it to the repository's waits first (ingest would).
   * `rebuild`: the index's bundle cannot judge it (not recorded, or from an older build): ingest asks GitHub for HEAD.
   */
  | { kind: "ingest"; why: string; offer: boolean; effect?: HeadEffect; settled?: RepoHead; rebuild?: true }
  /** It starts nothing: ingest only if a run waits for it; else ignored for `reason`. */
  | { kind: "waits"; reason: string; effect?: HeadEffect; settled: RepoHead }
  | { kind: "ignored"; reason: string; effect?: HeadEffect };

const INSTALLATION_EVENTS = new Set(["installation", "installation_repositories"]);
const CONTROL_ACTIONS = new Set(["rerequested", "requested_action"]);
/** The `/run` comment command (ingest.ts): it names a workflow that declares on.dispatch. */
const RUN_COMMAND = "/run";

/**
 * Whether the repository's waits are offered the event (ingest's wakeWaits would be): every repository
 * event but repoflow's own (invariant 9) and a bot's while the App's own bot is not known. Whatever the
 * index says, so the inbox asks the waits while it reads the index.
 */
export function offerable(delivery: Delivery, payload: unknown, facts: EventFacts | null, self: Pick<TriageContext, "appId" | "botLogin">): boolean {
  if (facts === null || delivery.rerunOf || INSTALLATION_EVENTS.has(delivery.event) || delivery.installationId === null || delivery.repository === null) return false;
  if (causedBySelf(delivery.event, delivery.action, payload, self)) return false;
  return !(self.botLogin === null && sentByABot(payload));
}

export function triage(delivery: Delivery, payload: unknown, facts: EventFacts | null, context: TriageContext): Triage {
  if (facts === null) {
    // Unread, a push may have changed .workflows/ on the default branch: GitHub is asked again once it has settled.
    const effect: HeadEffect | undefined = delivery.event === "push" ? { pending: { sha: "", at: Date.parse(delivery.receivedAt) } } : undefined;
    return { kind: "ingest", why: "its payload is stored apart (over 900 KB): ingest reads it", offer: false, ...(effect ? { effect } : {}) };
  }
  if (delivery.rerunOf) return { kind: "ingest", why: "a re-run", offer: false };
  if (INSTALLATION_EVENTS.has(delivery.event)) return { kind: "ingest", why: "an installation event", offer: false };
  if (delivery.installationId === null || delivery.repository === null) {
    return { kind: "ignored", reason: `a ${delivery.event} event names no repository; workflows run on repository events` };
  }
  const offer = offerable(delivery, payload, facts, context);
  if (delivery.event === SCHEDULE_EVENT || delivery.event === DISPATCH_EVENT) return { kind: "ingest", why: "repoflow's own event (a schedule's tick or a manual run)", offer };
  // A renamed, transferred or re-defaulted repository: what its default branch holds is GitHub's to say again.
  if (delivery.event === "repository") return { kind: "ingest", why: "the repository itself changed", offer, effect: { pending: { sha: "", at: facts.receivedAt } } };
  if (isControl(delivery, payload)) return { kind: "ingest", why: "a control on a repoflow check run", offer };

  // repoflow's own events are offered to no wait, whatever else they do (invariant 9).
  const ownEcho = causedBySelf(delivery.event, delivery.action, payload, { appId: context.appId, botLogin: context.botLogin });
  const echoUnknown = !ownEcho && context.botLogin === null && sentByABot(payload);
  let effect: HeadEffect | undefined;
  const push = defaultBranchPush(delivery, payload);
  const head = context.head;
  if (push) {
    // Made on top of the indexed commit and leaving .workflows/ alone: the bundle stays. Anything else (a push made
    // over one not seen yet, out of order, forced) may change what HEAD's .workflows/ holds: built again.
    const onTop = head !== undefined && head.pendingSha === null && push.before === head.commitSha;
    // A push repoflow made still compiles what it pushed.
    if (push.mayChangeWorkflows || !onTop) {
      const why = push.mayChangeWorkflows ? "a push that changes .workflows/ on the default branch" : "a push to the default branch over a commit the index has not seen";
      return { kind: "ingest", why, offer, effect: { pending: { sha: push.sha, at: push.at } } };
    }
    effect = { advance: { before: push.before, sha: push.sha, at: push.at } };
  }
  if (ownEcho) return effect ? { kind: "ignored", reason: OWN_ECHO, effect } : { kind: "ignored", reason: OWN_ECHO };
  if (!head || head.pendingSha !== null) {
    const why = !head ? "the default branch's bundle is not known yet" : "a push to the default branch is not built yet";
    return { kind: "ingest", why, offer, ...(effect ? { effect } : {}) };
  }
  if (echoUnknown) return { kind: "ingest", why: "a bot sent it: whether it is repoflow's own is asked of GitHub", offer, ...(effect ? { effect } : {}), settled: head };

  const short = head.commitSha.slice(0, 7);
  if (head.sourceKey === null) return { kind: "waits", reason: `the default branch has no .workflows/ folder at ${short}`, ...(effect ? { effect } : {}), settled: head };
  if (!head.bundle) return { kind: "ingest", why: "the default branch's bundle is not recorded", offer, rebuild: true, ...(effect ? { effect } : {}) };
  // Built by an older compiler or runtime: ingest builds it again (it may compile now, or trigger differently).
  if (!isCurrentBuild(head.sourceKey)) return { kind: "ingest", why: "the default branch's bundle is from an older build of repoflow", offer, rebuild: true, ...(effect ? { effect } : {}) };
  if (!head.bundle.ok) return { kind: "waits", reason: `the .workflows/ bundle at ${short} did not compile, so no workflow runs until it does`, ...(effect ? { effect } : {}), settled: head };

  const workflows = head.bundle.manifest as WorkflowManifestEntry[];
  const triggered = workflows.find((workflow) => matchWorkflow(workflow, facts) !== null);
  if (triggered) return { kind: "ingest", why: `it triggers ${triggered.file}`, offer, ...(effect ? { effect } : {}), settled: head };
  if (facts.commands.some((command) => command.name === RUN_COMMAND)) return { kind: "ingest", why: "a /run command", offer, ...(effect ? { effect } : {}), settled: head };
  const on = delivery.action ? `${delivery.event}.${delivery.action}` : delivery.event;
  const reason =
    workflows.length === 0 ? "the bundle has no workflows" : `no workflow is triggered by ${on} (${workflows.length} workflow${workflows.length === 1 ? "" : "s"} looked at)`;
  return { kind: "waits", reason, ...(effect ? { effect } : {}), settled: head };
}

/** The index after a delivery's effect, for the next delivery of the same repository in the batch. */
export function applyHeadEffect(head: RepoHead | undefined, effect: HeadEffect, repository: string, installationId: number): RepoHead | undefined {
  if ("pending" in effect) {
    const base: RepoHead = head ?? { repository, installationId, commitSha: "", sourceKey: null, observedAt: 0, observedFrom: "github", pendingSha: null, pendingAt: null, confirmedAt: 0, bundle: null };
    // As markRepoHeadPendingStatement: only the newest push counts, with the allowance for clocks against a read of GitHub.
    const floor = base.observedAt - (base.observedFrom === "github" ? PENDING_SETTLES_MS : 0);
    if (effect.pending.at < floor || effect.pending.at < (base.pendingAt ?? 0)) return head;
    return { ...base, pendingSha: effect.pending.sha, pendingAt: effect.pending.at };
  }
  if (!head || head.pendingSha !== null || head.commitSha !== effect.advance.before) return head;
  return { ...head, commitSha: effect.advance.sha, observedAt: Math.max(head.observedAt, effect.advance.at), observedFrom: "push" };
}

/** A person's Re-run or button on one of repoflow's own check runs (its external id is the run's). */
export function isControl(delivery: Pick<Delivery, "event" | "action">, payload: unknown): boolean {
  if (delivery.event !== "check_run" || delivery.action === null || !CONTROL_ACTIONS.has(delivery.action)) return false;
  const externalId = (payload as { check_run?: { external_id?: unknown } } | null)?.check_run?.external_id;
  return typeof externalId === "string" && externalId.startsWith("run-");
}

/**
 * A push to the default branch, and whether it may change .workflows/. A
 * forced push is judged to: its commits list says what is new, not what the
 * rewrite dropped. Its time is GitHub's (pushTimeOf), so a late redelivery of
 * an old push is ordered where it happened.
 */
export function defaultBranchPush(delivery: Pick<Delivery, "event" | "receivedAt">, payload: unknown): { before: string; sha: string; at: number; mayChangeWorkflows: boolean } | null {
  if (delivery.event !== "push") return null;
  const p = payload as { ref?: unknown; before?: unknown; after?: unknown; deleted?: unknown; forced?: unknown; repository?: { default_branch?: unknown } } | null;
  const branch = p?.repository?.default_branch;
  if (typeof branch !== "string" || p?.ref !== `refs/heads/${branch}` || p.deleted === true || typeof p.after !== "string") return null;
  return { before: typeof p.before === "string" ? p.before : "", sha: p.after, at: pushTimeOf(payload, delivery.receivedAt), mayChangeWorkflows: p.forced === true || pushTouchesWorkflows(payload) };
}
