/**
 * A wait's filter, checked and normalised on the dispatcher's side (the
 * request comes from tenant code), and the two pure functions correlation
 * rests on: the index keys a wait is filed under and an event is looked up
 * by, and the full structural match. Only what passes both reaches a run, so
 * an unrelated event never wakes a tenant (invariant 10).
 */
import { WEBHOOK_EVENTS, type RepositoryRole, type WaitRequest } from "../runtime";
import type { EventFacts } from "./event-facts";

export interface WaitSpec {
  events: { event: string; action: string | null }[];
  number: number | null;
  sha: string | null;
  command: string | null;
  from: { role: RepositoryRole } | { logins: string[] } | null;
  /** The label of the check-run button that satisfies the wait, if any. */
  button: string | null;
}

export const ROLES: readonly RepositoryRole[] = ["read", "triage", "write", "maintain", "admin"];

export class WaitSpecError extends Error {
  override readonly name = "WaitSpecError";
}

const SHA = /^[0-9a-f]{40}$/;
const COMMAND = /^\/[a-z][a-z0-9_-]{0,49}$/;
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;
const MAX_EVENTS = 20;

/** Throws WaitSpecError naming what to change; `where` is how the author called it, e.g. `step.waitFor("approval")`. */
export function normalizeWait(where: string, request: WaitRequest): WaitSpec {
  if (typeof request !== "object" || request === null) throw new WaitSpecError(`repoflow: ${where} needs options like { events: ["issue_comment.created"], for: { number } }.`);
  const names = typeof request.events === "string" ? [request.events] : request.events;
  if (!Array.isArray(names) || names.length === 0 || names.length > MAX_EVENTS) {
    throw new WaitSpecError(`repoflow: ${where} needs \`events\`: one to ${MAX_EVENTS} of "event" or "event.action", e.g. ["issue_comment.created", "pull_request.closed"].`);
  }
  const events = names.map((name) => parseEventName(where, name));
  const correlation = request.for ?? {};
  if (typeof correlation !== "object" || correlation === null) throw new WaitSpecError(`repoflow: ${where}: \`for\` must be an object like { number: 12 } or { sha }.`);
  const number = correlation.number ?? null;
  if (number !== null && !(Number.isSafeInteger(number) && number > 0)) {
    throw new WaitSpecError(`repoflow: ${where}: for.number must be an issue or pull request number, got ${JSON.stringify(number)}.`);
  }
  const sha = correlation.sha ?? null;
  if (sha !== null && !(typeof sha === "string" && SHA.test(sha))) {
    throw new WaitSpecError(`repoflow: ${where}: for.sha must be a full 40-character commit SHA, got ${JSON.stringify(sha)}.`);
  }
  let command: string | null = null;
  if (request.command !== undefined) {
    const name = typeof request.command === "string" ? (request.command.startsWith("/") ? request.command : `/${request.command}`).toLowerCase() : "";
    if (!COMMAND.test(name)) throw new WaitSpecError(`repoflow: ${where}: command must look like "/approve", got ${JSON.stringify(request.command)}.`);
    if (!events.some((e) => e.event === "issue_comment" && (e.action === null || e.action === "created"))) {
      throw new WaitSpecError(`repoflow: ${where}: a command arrives in a new comment; add "issue_comment.created" to events.`);
    }
    command = name;
  }
  const button = request.button ?? null;
  if (button !== null && !(typeof button === "string" && button.trim().length > 0 && button.length <= 20)) {
    throw new WaitSpecError(`repoflow: ${where}: button must be a label of 1 to 20 characters (GitHub's limit), e.g. "Approve".`);
  }
  return { events, number, sha, command, from: normalizeFrom(where, request.from), button };
}

function parseEventName(where: string, name: unknown): { event: string; action: string | null } {
  if (typeof name !== "string") throw new WaitSpecError(`repoflow: ${where}: each of \`events\` is a string like "issue_comment.created".`);
  const [event = "", action = null, ...rest] = name.split(".");
  const known: Readonly<Record<string, readonly string[]>> = WEBHOOK_EVENTS;
  const actions = Object.hasOwn(known, event) ? known[event] : undefined;
  if (actions === undefined || rest.length > 0) throw new WaitSpecError(`repoflow: ${where}: "${name}" is not a GitHub webhook event; write "event" or "event.action", e.g. "pull_request.closed".`);
  if (action !== null && !actions.includes(action)) {
    throw new WaitSpecError(
      actions.length === 0
        ? `repoflow: ${where}: the ${event} event has no actions; write "${event}".`
        : `repoflow: ${where}: "${action}" is not an action of ${event}; it has ${actions.map((a) => `"${a}"`).join(", ")}.`,
    );
  }
  return { event, action };
}

export function normalizeFrom(where: string, from: unknown): WaitSpec["from"] {
  if (from === undefined || from === null) return null;
  if (typeof from === "string") {
    if (!(ROLES as readonly string[]).includes(from)) throw new WaitSpecError(`repoflow: ${where}: from must be one of ${ROLES.map((r) => `"${r}"`).join(", ")}, or a list of logins.`);
    return { role: from as RepositoryRole };
  }
  if (Array.isArray(from) && from.length > 0 && from.length <= 100 && from.every((login) => typeof login === "string" && LOGIN.test(login))) {
    return { logins: from.map((login) => login.toLowerCase()) };
  }
  throw new WaitSpecError(`repoflow: ${where}: from must be a role like "write", or a non-empty list of GitHub logins.`);
}

/** Both sides of the index agree on this shape: event, number (or "*"), sha (or "*"). */
function key(event: string, number: number | null, sha: string | null): string {
  return `${event}|${number ?? "*"}|${sha ?? "*"}`;
}

export function waitKeys(spec: WaitSpec): string[] {
  return [...new Set(spec.events.map((e) => key(e.event, spec.number, spec.sha)))];
}

export function eventKeys(facts: Pick<EventFacts, "event" | "numbers" | "sha">): string[] {
  const keys: string[] = [];
  for (const number of [...facts.numbers, null]) {
    for (const sha of facts.sha === null ? [null] : [facts.sha, null]) keys.push(key(facts.event, number, sha));
  }
  return keys;
}

/** Everything but the actor's role, which costs a GitHub call and is checked only for what passes here. */
export function matchesStructure(spec: WaitSpec, facts: EventFacts): boolean {
  if (!spec.events.some((e) => e.event === facts.event && (e.action === null || e.action === facts.action))) return false;
  if (spec.number !== null && !facts.numbers.includes(spec.number)) return false;
  if (spec.sha !== null && facts.sha !== spec.sha) return false;
  if (spec.command !== null && !facts.commands.some((c) => c.name === spec.command)) return false;
  if (spec.from && "logins" in spec.from && !(facts.actor !== null && spec.from.logins.includes(facts.actor.toLowerCase()))) return false;
  return true;
}

export function roleAtLeast(role: RepositoryRole | null, wanted: RepositoryRole): boolean {
  return role !== null && ROLES.indexOf(role) >= ROLES.indexOf(wanted);
}

/** For the dashboard: `issue_comment.created #12 "/approve"`. */
export function describeWait(spec: WaitSpec): string {
  const events = spec.events.map((e) => (e.action ? `${e.event}.${e.action}` : e.event)).join(" | ");
  const on = [spec.number !== null ? `#${spec.number}` : null, spec.sha !== null ? spec.sha.slice(0, 7) : null, spec.command].filter(Boolean).join(" ");
  return on ? `${events} ${on}` : events;
}
