/**
 * The two ends of a correlated wait, on the dispatcher's side of the
 * boundary. Ingest offers each event to its repository's WaitRegistry and
 * sends it to exactly the runs whose waits it satisfies (wakeWaits); a run's
 * ReportingStep files its wait there and takes an event that came first
 * (RunWaits). Roles are looked up at most once per event, and only when a
 * candidate wait asks for one: the structural match happens in the registry.
 */
import { repositoryRole, type GitHubClient, type RepositoryRole } from "../github";
import type { DeliveredEvent } from "../runtime";
import type { ChecksSummary } from "./commit-checks";
import { lookUpInstance, LIVE_STATUSES } from "./engine";
import { eventFacts, type EventFacts } from "./event-facts";
import {
  deliveredEvent,
  storablePayload,
  type Claimed,
  type Registered,
  type Registration,
  type WaitCandidate,
} from "./wait-registry";
import { roleAtLeast, waitKeys, type WaitSpec } from "./wait-spec";

/** The WaitRegistry Durable Object's RPC surface (src/index.ts). */
export interface WaitRegistryStub {
  offer(facts: EventFacts, payloadJson: string | null): Promise<WaitCandidate[]>;
  /** The inbox's offer of a drained batch: how many waits may take each event, role checks aside. */
  offerMany(events: { facts: EventFacts; payloadJson: string | null }[]): Promise<number[]>;
  claim(deliveryId: string, waitIds: string[]): Promise<Claimed[]>;
  register(registration: Registration): Promise<Registered>;
  forget(runId: string): Promise<void>;
  button(buttonId: string): Promise<{ waitId: string; runId: string; from: WaitSpec["from"] } | null>;
}

export interface WaitsEnv {
  WAITS: DurableObjectNamespace;
  WORKFLOWS: Workflow;
}

/** One registry per repository; GitHub's names are case-insensitive, so the name is lowercased. */
export function waitRegistry(env: Pick<WaitsEnv, "WAITS">, repository: string): WaitRegistryStub {
  // The namespace is typed without the class (src/index.ts imports this room, not the other way round).
  return env.WAITS.get(env.WAITS.idFromName(repository.toLowerCase())) as unknown as WaitRegistryStub;
}

/** Deterministic, so a retried registration step files the same wait; also the Workflow event type the run waits on. */
export async function waitIdOf(runId: string, name: string, attempt: number): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${runId}\n${name}\n${attempt}`)));
  return "rfw-" + Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

type RoleOf = (login: string) => Promise<RepositoryRole | null>;

/** A check-run action identifier (GitHub allows 20 characters), the same for every attempt of one wait. */
export async function buttonIdOf(runId: string, name: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${runId}\n${name}\nbutton`)));
  return "b-" + Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function isButtonId(identifier: string): boolean {
  return /^b-[0-9a-f]{16}$/.test(identifier);
}

/**
 * A click on a wait's check-run button (check_run.requested_action): it
 * satisfies the wait like a matching event, if the person may (the wait's
 * `from`, write access by default). The click was offered to the registry
 * as an event already ("wake waiting runs"), so it can be claimed.
 */
export async function pressButton(
  env: WaitsEnv,
  delivery: { id: string; event: string; action: string | null; receivedAt: string; repository: string },
  payload: unknown,
  roleOf: RoleOf,
): Promise<"pressed" | "refused" | "unknown"> {
  const p = payload as { requested_action?: { identifier?: string }; check_run?: { external_id?: string | null } };
  const identifier = p.requested_action?.identifier ?? "";
  const registry = waitRegistry(env, delivery.repository);
  const wait = await registry.button(identifier);
  if (!wait || wait.runId !== p.check_run?.external_id) return "unknown";
  const facts = eventFacts(delivery, payload);
  const from = wait.from ?? { role: "write" as const };
  const may = "logins" in from ? facts.actor !== null && from.logins.includes(facts.actor.toLowerCase()) : facts.actor !== null && roleAtLeast(await roleOf(facts.actor), from.role);
  if (!may) return "refused";
  const claimed = await registry.claim(delivery.id, [wait.waitId]);
  const event = deliveredEvent({ facts, payload: storablePayload(payload) === null ? null : payload }, null);
  for (const { waitId, runId } of claimed) {
    const instance = await env.WORKFLOWS.get(runId).catch(() => null);
    await instance?.sendEvent({ type: waitId, payload: event });
  }
  return "pressed";
}

/** A person's role on the repository, asked of GitHub. */
export function roleLookup(github: () => GitHubClient, repository: string): RoleOf {
  const [owner = "", repo = ""] = repository.split("/");
  return memoized((login) => repositoryRole(github(), { owner, repo }, login));
}

/** One GitHub call per login, however many waits ask; a failed call is forgotten, so a retried step asks again. */
function memoized(roleOf: RoleOf): RoleOf {
  const known = new Map<string, Promise<RepositoryRole | null>>();
  return (login) => {
    let role = known.get(login);
    if (!role) {
      role = roleOf(login);
      known.set(login, role);
      role.catch(() => known.delete(login));
    }
    return role;
  };
}

async function allowed(from: WaitSpec["from"], facts: EventFacts, roleOf: RoleOf): Promise<boolean> {
  if (from === null || "logins" in from) return true; // logins were matched in the registry
  return facts.actor !== null && roleAtLeast(await roleOf(facts.actor), from.role);
}

export interface WakeReport {
  /** Runs the event was sent to. */
  woken: string[];
  /** The same, with the wait each run took it at. */
  waits: { runId: string; wait: string }[];
  /** Waits it matched whose run is no longer live. */
  ended: string[];
  /** Waits it matched but whose `from` the sender does not meet: the event was not for them, and the author should learn why. */
  refused?: { runId: string; wait: string; needs: string; actor: string | null }[];
}

/**
 * Offers one delivery to its repository's waits and sends it to each run it
 * satisfies. Idempotent: a retried step claims the same waits again and sends
 * again (each wait is its own event type, so a second copy is never taken).
 */
export async function wakeWaits(
  env: WaitsEnv,
  delivery: { id: string; event: string; action: string | null; receivedAt: string; repository: string },
  payload: unknown,
  roleOf: RoleOf,
): Promise<WakeReport> {
  const registry = waitRegistry(env, delivery.repository);
  const facts = eventFacts(delivery, payload);
  const payloadJson = storablePayload(payload);
  const candidates = await registry.offer(facts, payloadJson);
  const report: WakeReport = { woken: [], waits: [], ended: [] };
  if (candidates.length === 0) return report;
  const chosen: string[] = [];
  const oncePerEvent = memoized(roleOf);
  for (const candidate of candidates) {
    if (candidate.claimed || (await allowed(candidate.from, facts, oncePerEvent))) chosen.push(candidate.waitId);
    else if (candidate.from && "role" in candidate.from) (report.refused ??= []).push({ runId: candidate.runId, wait: candidate.name, needs: candidate.from.role, actor: facts.actor });
  }
  const claimed = await registry.claim(facts.deliveryId, chosen);
  const commandOf = new Map(candidates.map((c) => [c.waitId, c.command]));
  for (const { waitId, runId, name } of claimed) {
    const lookup = await lookUpInstance(env.WORKFLOWS, runId);
    if (lookup.state === "missing" || (lookup.state === "found" && !LIVE_STATUSES.has(lookup.status))) {
      report.ended.push(runId);
      continue;
    }
    if (lookup.state === "unknown") throw lookup.error;
    const event = deliveredEvent({ facts, payload: payloadJson === null ? null : payload }, commandOf.get(waitId) ?? null);
    await lookup.instance.sendEvent({ type: waitId, payload: event });
    report.woken.push(runId);
    report.waits.push({ runId, wait: name });
  }
  return report;
}

/** Where a run's first wait starts looking: after the event that started it, never at it. */
export interface WaitOrigin {
  at: number;
  exclude: string | null;
}

/** A run's side: file a wait, and take an event that arrived before it if one matches. */
export type LookAtChecks = (sha: string, options: { ignore: readonly string[]; minimum: number }) => Promise<ChecksSummary>;

export class RunWaits {
  constructor(
    private readonly env: WaitsEnv,
    private readonly repository: string,
    private readonly runId: string,
    private readonly origin: WaitOrigin,
    private readonly roleOf: RoleOf,
    private readonly look: LookAtChecks = async () => {
      throw new Error("repoflow: this run cannot look at checks");
    },
  ) {}

  checks(sha: string, options: { ignore: readonly string[]; minimum: number }): Promise<ChecksSummary> {
    return this.look(sha, options);
  }

  async register(name: string, attempt: number, spec: WaitSpec, timeoutMs: number): Promise<{ waitId: string; deadline: number; event: DeliveredEvent | null; buttonId: string | null }> {
    const registry = waitRegistry(this.env, this.repository);
    const waitId = await waitIdOf(this.runId, name, attempt);
    const buttonId = spec.button === null ? null : await buttonIdOf(this.runId, name);
    const registered = await registry.register({
      waitId,
      runId: this.runId,
      name,
      attempt,
      spec,
      keys: waitKeys(spec),
      timeoutMs,
      since: this.origin,
      buttonId,
    });
    if (registered.state === "matched") return { waitId, buttonId, deadline: registered.deadline, event: deliveredEvent(registered.event, spec.command) };
    for (const candidate of registered.candidates) {
      if (!(await allowed(spec.from, candidate.facts, this.roleOf))) continue;
      const claimed = await registry.claim(candidate.facts.deliveryId, [waitId]);
      // Nothing claimed: an event offered meanwhile took the wait, and ingest sends it to the run.
      return { waitId, buttonId, deadline: registered.deadline, event: claimed.length > 0 ? deliveredEvent(candidate, spec.command) : null };
    }
    return { waitId, buttonId, deadline: registered.deadline, event: null };
  }

  /** Best effort: the registry's own pruning drops what a failure here leaves. */
  async forget(): Promise<void> {
    await waitRegistry(this.env, this.repository).forget(this.runId);
  }
}
