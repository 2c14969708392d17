/**
 * Events repoflow caused itself (invariant 9). A workflow that comments on
 * `issue_comment.created`, or reacts to `check_run`, would otherwise be
 * handed its own comment or check run back and loop forever. GitHub Actions
 * suppresses events caused by its own token; repoflow does the same: they
 * start no run and wake no wait.
 *
 * People's clicks on repoflow's check runs (Re-run, the Cancel button) carry
 * this App as `check_run.app` too: those actions stay controls.
 */

/** What an event caused by repoflow's own App does: it starts no run and wakes no wait (invariant 9). */
export const OWN_ECHO = "caused by repoflow itself";

export interface SelfIdentity {
  appId: number;
  /** `<slug>[bot]`; null when not known, and then only the App id is compared. */
  botLogin: string | null;
}

interface Actor {
  login?: string;
  type?: string;
}

interface EventShape {
  sender?: Actor | null;
  check_run?: { app?: { id?: number } | null } | null;
  check_suite?: { app?: { id?: number } | null } | null;
  comment?: { performed_via_github_app?: { id?: number } | null } | null;
  review?: { performed_via_github_app?: { id?: number } | null } | null;
}

const CONTROL_ACTIONS = new Set(["rerequested", "requested_action"]);

/** Whether the sender might be repoflow's bot: only then is the bot login worth looking up. */
export function sentByABot(payload: unknown): boolean {
  return (payload as EventShape | null)?.sender?.type === "Bot";
}

export function causedBySelf(event: string, action: string | null, payload: unknown, self: SelfIdentity): boolean {
  const p = (payload ?? {}) as EventShape;
  const bot = p.sender?.type === "Bot";
  if (bot && self.botLogin !== null && p.sender?.login === self.botLogin) return true;
  if (event === "check_run" || event === "check_suite") {
    // GitHub's examples name a person as sender even when the App created the check run: the App id decides.
    if (action !== null && CONTROL_ACTIONS.has(action)) return false;
    return (p.check_run?.app?.id ?? p.check_suite?.app?.id) === self.appId;
  }
  // A comment or review the App wrote; a person editing it later is that person's event.
  const via = p.comment?.performed_via_github_app?.id ?? p.review?.performed_via_github_app?.id;
  return via === self.appId && (bot || action === "created" || action === "submitted");
}
