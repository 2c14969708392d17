/**
 * What correlation needs to know of an event, read once from its payload:
 * which issue or pull request numbers and which commit it concerns, who acted,
 * and the slash commands of a new comment. Pure, so waits and command
 * triggers are matched on the same facts in tests and in production.
 */
import { DISPATCH_EVENT, SCHEDULE_EVENT } from "../runtime";
import { parseCommands, type ParsedCommand } from "./commands";
import { headShaOf } from "./triggers";

export interface EventFacts {
  deliveryId: string;
  event: string;
  action: string | null;
  /** Issues and pull requests the event is about; a check run can name several pull requests. */
  numbers: number[];
  sha: string | null;
  actor: string | null;
  /** Commands of a comment just written; edits never count, so an edited comment has none. */
  commands: ParsedCommand[];
  /** The label added or removed, for labeled and unlabeled. */
  label: string | null;
  /** When the edge accepted the delivery (ms since the epoch): the order waits see events in. */
  receivedAt: number;
  /** The workflow file an internal event (a schedule's tick, a manual run) is for. */
  workflow: string | null;
}

export function eventFacts(delivery: { id: string; event: string; action: string | null; receivedAt: string }, payload: unknown): EventFacts {
  const p = (payload ?? {}) as Record<string, any>;
  const received = Date.parse(delivery.receivedAt);
  return {
    deliveryId: delivery.id,
    event: delivery.event,
    action: delivery.action,
    numbers: numbersOf(delivery.event, p),
    sha: headShaOf(delivery.event, payload),
    actor: typeof p.sender?.login === "string" ? p.sender.login : null,
    commands: delivery.event === "issue_comment" && delivery.action === "created" && typeof p.comment?.body === "string" ? parseCommands(p.comment.body) : [],
    label: typeof p.label?.name === "string" ? p.label.name : null,
    receivedAt: Number.isFinite(received) ? received : Date.now(),
    workflow: (delivery.event === SCHEDULE_EVENT || delivery.event === DISPATCH_EVENT) && typeof p.workflow === "string" ? p.workflow : null,
  };
}

function numbersOf(event: string, p: Record<string, any>): number[] {
  const one = (value: unknown) => (Number.isSafeInteger(value) && (value as number) > 0 ? [value as number] : []);
  switch (event) {
    case "issues":
    case "issue_comment":
    case "sub_issues":
      return one(p.issue?.number);
    case "pull_request":
    case "pull_request_target":
      return one(p.pull_request?.number ?? p.number);
    case "pull_request_review":
    case "pull_request_review_comment":
    case "pull_request_review_thread":
      return one(p.pull_request?.number);
    case "check_run":
      return pullNumbers(p.check_run?.pull_requests);
    case "check_suite":
      return pullNumbers(p.check_suite?.pull_requests);
    case "workflow_run":
      return pullNumbers(p.workflow_run?.pull_requests);
    default:
      return [];
  }
}

function pullNumbers(pulls: unknown): number[] {
  if (!Array.isArray(pulls)) return [];
  return [...new Set(pulls.map((pull) => (pull as { number?: unknown })?.number).filter((n): n is number => Number.isSafeInteger(n)))];
}
