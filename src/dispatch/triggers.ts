/**
 * Pure trigger logic: which workflows an event starts, which commit its check
 * run belongs on, and the deterministic run id that makes redelivery harmless.
 */

import { DISPATCH_EVENT, SCHEDULE_EVENT, type WorkflowManifestEntry } from "../runtime";
import type { ParsedCommand } from "./commands";

/** `on` as the tenant's describe() reports it: event name to action list, or "*" for every action. */
export type Triggers = Record<string, readonly string[] | "*">;

export function matchesTrigger(on: Triggers, event: string, action: string | null): boolean {
  const actions = on[event];
  if (actions === undefined) return false;
  if (actions === "*" || actions.length === 0) return true;
  return action !== null && actions.includes(action);
}

/** Why a workflow starts for an event: its `on` names the event, or the comment gave its command, or its label was added. */
export type TriggerMatch = { via: "event" } | { via: "command"; command: ParsedCommand } | { via: "labeled"; label: string } | { via: "schedule" } | { via: "dispatch" };

export function matchWorkflow(
  workflow: Pick<WorkflowManifestEntry, "file" | "on" | "command" | "labeled" | "schedules" | "dispatch">,
  facts: { event: string; action: string | null; commands: ParsedCommand[]; label: string | null; workflow?: string | null },
): TriggerMatch | null {
  // repoflow's own events name their workflow: a tick or a Run click starts that one alone.
  if (facts.event === SCHEDULE_EVENT) return workflow.schedules && facts.workflow === workflow.file ? { via: "schedule" } : null;
  if (facts.event === DISPATCH_EVENT) return workflow.dispatch && facts.workflow === workflow.file ? { via: "dispatch" } : null;
  if (matchesTrigger(workflow.on, facts.event, facts.action)) return { via: "event" };
  const command = workflow.command && facts.commands.find((c) => c.name === workflow.command!.name);
  if (command) return { via: "command", command };
  const label = facts.label;
  if (workflow.labeled && label !== null && facts.action === "labeled" && (facts.event === "issues" || facts.event === "pull_request")) {
    // GitHub compares label names without regard to case.
    if (workflow.labeled.some((name) => name.toLowerCase() === label.toLowerCase())) return { via: "labeled", label };
  }
  return null;
}

/**
 * The commit an event is about, where GitHub names one. Events without one
 * (issue comments, labels, ...) get the default branch HEAD from the caller.
 */
export function headShaOf(event: string, payload: unknown): string | null {
  const p = payload as Record<string, any>;
  const pick = (value: unknown) => (typeof value === "string" && /^[0-9a-f]{40}$/.test(value) ? value : null);
  switch (event) {
    case "pull_request":
    case "pull_request_review":
    case "pull_request_review_comment":
    case "pull_request_review_thread":
      return pick(p.pull_request?.head?.sha);
    case "push":
      // A branch deletion pushes the all-zero sha: there is no commit to report on.
      return p.deleted ? null : pick(p.after);
    case "check_suite":
      return pick(p.check_suite?.head_sha);
    case "check_run":
      return pick(p.check_run?.head_sha);
    case "workflow_run":
      return pick(p.workflow_run?.head_sha);
    case "workflow_job":
      return pick(p.workflow_job?.head_sha);
    case "status":
      return pick(p.sha);
    case "deployment":
    case "deployment_status":
      return pick(p.deployment?.sha);
    case "merge_group":
      return pick(p.merge_group?.head_sha);
    default:
      return null;
  }
}

/**
 * Deterministic: the same delivery and workflow always give the same id, so a
 * redelivered event (same X-GitHub-Delivery) finds its run already created.
 * Instance ids allow [a-zA-Z0-9_-] up to 100 characters.
 */
export async function runInstanceId(deliveryId: string, workflowFile: string, attempt = 0): Promise<string> {
  const input = attempt === 0 ? `${deliveryId}\n${workflowFile}` : `${deliveryId}\n${workflowFile}\n${attempt}`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input)));
  return "run-" + Array.from(digest.subarray(0, 20), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** True when a push touched .workflows/ on the pushed ref, judged from the commits list GitHub includes (up to 2048 commits). */
export function pushTouchesWorkflows(payload: unknown): boolean {
  const commits = (payload as { commits?: { added?: string[]; removed?: string[]; modified?: string[] }[] }).commits;
  // GitHub omits or truncates commit file lists for very large pushes: assume the worst.
  if (!Array.isArray(commits) || commits.length === 0 || commits.length >= 2048) return true;
  return commits.some((c) => [...(c.added ?? []), ...(c.removed ?? []), ...(c.modified ?? [])].some((path) => path.startsWith(".workflows/")));
}

/**
 * When GitHub says a push happened, for ordering it against HEAD as read from
 * GitHub (store/repo-heads.ts): `repository.pushed_at`, unix seconds in a push
 * (an ISO time elsewhere). Whole seconds, so the end of that second: a HEAD
 * read earlier in the same second must not outrank the push.
 */
export function pushTimeOf(payload: unknown, receivedAt: string): number {
  const pushedAt = (payload as { repository?: { pushed_at?: unknown } } | null)?.repository?.pushed_at;
  const ms = typeof pushedAt === "number" ? pushedAt * 1000 : typeof pushedAt === "string" ? Date.parse(pushedAt) : Number.NaN;
  if (!Number.isFinite(ms)) return Date.parse(receivedAt);
  return ms % 1000 === 0 ? ms + 999 : ms;
}
