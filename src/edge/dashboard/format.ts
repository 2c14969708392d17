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

/** "just now", "5 min ago", "3 h ago", "2 days ago"; "in 4 h" for a time ahead (a sleep's end). */
export function relativeTime(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  const ahead = ms > 0;
  const s = Math.abs(ms) / 1000;
  const say = (n: number, unit: string) => (ahead ? `in ${n} ${unit}` : `${n} ${unit} ago`);
  if (s < 45) return ahead ? "in a moment" : "just now";
  if (s < 3600) return say(Math.max(1, Math.round(s / 60)), "min");
  if (s < 86_400) return say(Math.round(s / 3600), "h");
  const days = Math.round(s / 86_400);
  return say(days, days === 1 ? "day" : "days");
}

/** The pull request or issue an event is about, and who sent it: what a reader looks for first. */
export interface EventSubject {
  kind: "pull request" | "issue" | null;
  number: number | null;
  title: string | null;
  /** GitHub's page for it (html_url), or null. */
  url: string | null;
  sender: string | null;
}

export function eventSubject(event: unknown): EventSubject {
  const payload = (event ?? {}) as {
    pull_request?: { number?: number; title?: string; html_url?: string };
    issue?: { number?: number; title?: string; html_url?: string; pull_request?: unknown };
    sender?: { login?: string };
  };
  const pull = payload.pull_request;
  const issue = payload.issue;
  const item = pull ?? issue ?? null;
  return {
    kind: pull || issue?.pull_request ? "pull request" : issue ? "issue" : null,
    number: typeof item?.number === "number" ? item.number : null,
    title: typeof item?.title === "string" ? item.title : null,
    url: typeof item?.html_url === "string" ? item.html_url : null,
    sender: typeof payload.sender?.login === "string" ? payload.sender.login : null,
  };
}

/** A step result's JSON, indented for reading; a cut preview stays as it is. */
export function prettyJson(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}
