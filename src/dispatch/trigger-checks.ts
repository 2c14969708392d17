/**
 * What the dispatcher checks of a bundle's triggers beyond what describe()
 * can: cron expressions and timezones (the tenant has no cron parser), and
 * whether GitHub will ever send the events a workflow names. A GitHub App
 * receives only the events it subscribes to (`GET /app` lists them), so a
 * workflow `on` merge_group in an App not subscribed to it compiles and
 * never runs; that is a diagnostic naming the setting to change.
 */
import type { Diagnostic } from "../compiler";
import { missingPermissions, type WorkflowManifestEntry } from "../runtime";
import { checkTimezone, CronSyntaxError, parseCron, TimezoneError } from "./cron";
import { durationMs } from "./durations";

export function scheduleProblems(workflows: readonly WorkflowManifestEntry[]): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const workflow of workflows) {
    for (const { cron, timezone } of workflow.schedules ?? []) {
      try {
        parseCron(cron);
        checkTimezone(timezone);
      } catch (error) {
        if (!(error instanceof CronSyntaxError || error instanceof TimezoneError)) throw error;
        problems.push({ file: workflow.file, message: `${workflow.file}: on.schedule "${cron}": ${error.message}`, severity: "error" });
      }
    }
    if (workflow.debounce) {
      for (const [what, value] of [["period", workflow.debounce.period], ["maxWait", workflow.debounce.maxWait]] as const) {
        if (value === null) continue;
        let ms: number;
        try {
          ms = durationMs(value);
        } catch (error) {
          problems.push({ file: workflow.file, message: `${workflow.file}: debounce.${what}: ${(error as Error).message}`, severity: "error" });
          continue;
        }
        if (ms < 1000 || ms > MAX_DEBOUNCE_MS) problems.push({ file: workflow.file, message: `${workflow.file}: debounce.${what} must be from 1 second to 1 day, got ${JSON.stringify(value)}.`, severity: "error" });
      }
    }
  }
  return problems;
}

/** A debounced event waits at most this long for its run: longer is a schedule's job. */
const MAX_DEBOUNCE_MS = 86_400_000;

/** The events each trigger needs GitHub to send. */
function neededEvents(workflow: WorkflowManifestEntry): string[] {
  const events = new Set(Object.keys(workflow.on));
  if (workflow.command) events.add("issue_comment");
  if (workflow.labeled) {
    events.add("issues");
    events.add("pull_request");
  }
  return [...events];
}

/** Events GitHub sends every App whatever it subscribes to. */
const ALWAYS_SENT = new Set(["installation", "installation_repositories", "ping"]);

export function subscriptionProblems(workflows: readonly WorkflowManifestEntry[], subscribed: readonly string[]): Diagnostic[] {
  const have = new Set(subscribed);
  const problems: Diagnostic[] = [];
  for (const workflow of workflows) {
    const missing = neededEvents(workflow).filter((event) => !have.has(event) && !ALWAYS_SENT.has(event));
    if (missing.length === 0) continue;
    problems.push({
      file: workflow.file,
      severity: "warning",
      message:
        `${workflow.file}: GitHub will not send ${missing.map((e) => `"${e}"`).join(", ")} to this App, so "${workflow.name}" never runs for ${missing.length === 1 ? "it" : "them"}. ` +
        `Subscribe to ${missing.length === 1 ? "the event" : "the events"} in the App's settings (Permissions & events → Subscribe to events), and add ${missing.length === 1 ? "it" : "them"} to default_events in app.yml.`,
    });
  }
  return problems;
}

/**
 * A workflow that declares a permission the App does not have gets no token
 * at all (GitHub refuses to mint it), so each of its runs fails at its first
 * GitHub call; the compile check says so before the first run does.
 */
export function permissionGaps(workflows: readonly WorkflowManifestEntry[], appPermissions: Readonly<Record<string, string>>): Diagnostic[] {
  const problems: Diagnostic[] = [];
  for (const workflow of workflows) {
    if (!workflow.permissions) continue;
    const missing = missingPermissions(workflow.permissions, appPermissions);
    if (missing.length === 0) continue;
    problems.push({
      file: workflow.file,
      severity: "warning",
      message:
        `${workflow.file}: "${workflow.name}" declares ${missing.join(", ")}, which the GitHub App does not have, so GitHub will refuse its token and each run fails at its first GitHub call. ` +
        "Declare less in workflow({ permissions }), or add the permission in the App's settings (Permissions & events) and in default_permissions in app.yml; installations then accept it in Settings › GitHub Apps.",
    });
  }
  return problems;
}
