/**
 * How the dashboard words runs and steps: pure functions of a record, so the
 * pages stay markup. Times are shown in UTC because the page is rendered on
 * the server, which does not know the reader's time zone.
 */
import type { RunRecord, StepRecord } from "../../store";
import { webOrigin } from "../auth";

/** `pull_request.opened`, or just `push` for events without an action. */
export function triggerLabel(run: Pick<RunRecord, "event" | "action">): string {
  return run.action ? `${run.event}.${run.action}` : run.event;
}

/** `2026-11-25 08:12:07 UTC` */
export function formatTime(iso: string): string {
  return `${iso.replace("T", " ").slice(0, 19)} UTC`;
}

/** Elapsed time from start to end, or to now while it is still going. */
export function formatDuration(startIso: string | null, endIso: string | null, now = Date.now()): string {
  if (!startIso) return "";
  const ms = Math.max(0, (endIso ? Date.parse(endIso) : now) - Date.parse(startIso));
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`;
  return `${Math.floor(ms / 86_400_000)} d ${Math.floor((ms % 86_400_000) / 3_600_000)} h`;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The check run on GitHub's web host (github.com, or a GitHub Enterprise Server's host), derived from GITHUB_API_URL. */
export function checkRunUrl(githubApiUrl: string, repository: string, checkRunId: number): string {
  return `${webOrigin(githubApiUrl)}/${repository}/runs/${checkRunId}`;
}

// The tenant host appends the stack after this line (STACK_MARKER in src/runtime/host-protocol.ts, a room edge does not
// import); the page shows the message and folds the stack away.
const STACK_MARKER = "\n--- repoflow stack ---\n";

export function splitError(error: string): { message: string; stack: string | null } {
  const at = error.indexOf(STACK_MARKER);
  return at < 0 ? { message: error, stack: null } : { message: error.slice(0, at), stack: error.slice(at + STACK_MARKER.length) };
}

/** What a sleeping or waiting step is waiting on, in words. */
export function stepWaitNote(step: Pick<StepRecord, "status" | "waitFor" | "wakeAt">): string | null {
  if (step.status === "sleeping" && step.wakeAt) return `until ${formatTime(step.wakeAt)}`;
  if (step.status === "waiting") {
    const what = step.waitFor ? `for ${step.waitFor}` : "for an event";
    return step.wakeAt ? `${what}, at most until ${formatTime(step.wakeAt)}` : what;
  }
  return null;
}
