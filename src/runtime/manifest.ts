/**
 * The bundle's manifest, read from the workflow values themselves: the
 * compiler only strips types (esbuild does not type-check), so a misspelt
 * event, an unknown action or a missing `workflow()` wrapper is first certain
 * here, where the default exports exist. Pure: the host passes in the
 * bundle's `workflows` export.
 */
import { isWorkflow, WEBHOOK_EVENTS, type Workflow } from "./sdk.ts";
import { effectivePermissions, permissionProblems, type DeclaredPermissions } from "./permissions.ts";
import type { CommandManifest, DescribeResult, RepositoryRole, WorkflowManifestEntry } from "./types.ts";

const EVENTS: Readonly<Record<string, readonly string[]>> = WEBHOOK_EVENTS;

/** Workflow names become check run names ("repoflow: <name>"), which GitHub caps. */
const MAX_NAME_LENGTH = 100;

export function describeWorkflows(entries: Record<string, unknown>): DescribeResult {
  const result: DescribeResult = { workflows: [], problems: [] };
  const byName = new Map<string, string>();
  for (const [file, value] of Object.entries(entries)) {
    if (value === undefined) {
      result.problems.push({ file, message: `${file} has no default export. End it with \`export default workflow({ ... })\`, or move it to a subfolder if it is a helper.` });
      continue;
    }
    if (!isWorkflow(value)) {
      result.problems.push({ file, message: `The default export of ${file} is not a workflow. Wrap it: \`export default workflow({ name, on, run })\` with workflow imported from "repoflow".` });
      continue;
    }
    const problems = definitionProblems(file, value);
    if (problems.length > 0) {
      result.problems.push(...problems.map((message) => ({ file, message })));
      continue;
    }
    const other = byName.get(value.name);
    if (other !== undefined) {
      result.problems.push({ file, message: `The workflow name "${value.name}" is used by ${other} too; names must be unique in a repository because check runs are named after them.` });
      continue;
    }
    byName.set(value.name, file);
    result.workflows.push(manifestEntry(file, value));
  }
  return result;
}

function definitionProblems(file: string, definition: Workflow): string[] {
  const problems: string[] = [];
  if (typeof definition.name !== "string" || definition.name.trim() === "" || definition.name.length > MAX_NAME_LENGTH) {
    problems.push(`${file}: \`name\` must be a non-empty string of at most ${MAX_NAME_LENGTH} characters.`);
  }
  if (typeof definition.run !== "function") problems.push(`${file}: \`run\` must be a function.`);
  if (definition.if !== undefined && typeof definition.if !== "function") problems.push(`${file}: \`if\` must be a function when given.`);
  for (const option of ["concurrency", "debounce"] as const) {
    const value = definition[option] as { key?: unknown; period?: unknown } | undefined;
    if (value === undefined) continue;
    if (typeof value !== "object" || value === null || typeof value.key !== "function") problems.push(`${file}: \`${option}\` needs a key function, e.g. { key: ({ event }) => event.pull_request.number }.`);
    else if (option === "debounce" && !(typeof value.period === "string" || typeof value.period === "number")) problems.push(`${file}: \`debounce\` needs a period, e.g. "1 minute".`);
  }
  if (definition.concurrency !== undefined && definition.debounce !== undefined) problems.push(`${file}: use \`concurrency\` or \`debounce\`, not both.`);
  if (definition.permissions !== undefined) problems.push(...permissionProblems(file, definition.permissions));
  if (definition.check !== undefined && definition.check !== "report" && definition.check !== "gate") {
    problems.push(`${file}: \`check\` must be "report" or "gate".`);
  }
  const on = definition.on as unknown;
  if (typeof on !== "object" || on === null || Array.isArray(on) || Object.keys(on).length === 0) {
    problems.push(`${file}: \`on\` must name at least one event, e.g. { pull_request: ["opened"] }.`);
    return problems;
  }
  const { command, labeled, schedule, dispatch, ...events } = on as Record<string, unknown>;
  if (command !== undefined) problems.push(...commandProblems(file, command));
  if (schedule !== undefined && scheduleList(schedule) === null) {
    problems.push(`${file}: on.schedule must be a cron string like "0 9 * * 1", { cron, timezone }, or a list of them (at most 10).`);
  }
  if (dispatch !== undefined) problems.push(...dispatchProblems(file, dispatch));
  if (labeled !== undefined && !labelList(labeled)) {
    problems.push(`${file}: on.labeled must be a label name or a list of them, e.g. "automerge".`);
  }
  for (const [event, actions] of Object.entries(events)) {
    const known = Object.hasOwn(EVENTS, event) ? EVENTS[event] : undefined;
    if (known === undefined) {
      problems.push(`${file}: "${event}" is not a GitHub webhook event repoflow handles (see https://docs.github.com/webhooks/webhook-events-and-payloads).`);
      continue;
    }
    if (actions === "*") continue;
    if (!Array.isArray(actions)) {
      problems.push(`${file}: on.${event} must be a list of actions or "*".`);
      continue;
    }
    for (const action of actions) {
      if (typeof action === "string" && known.includes(action)) continue;
      problems.push(
        known.length === 0
          ? `${file}: the ${event} event has no actions; write on: { ${event}: "*" }.`
          : `${file}: "${String(action)}" is not an action of the ${event} event; it has ${known.map((a) => `"${a}"`).join(", ")}.`,
      );
    }
  }
  return problems;
}

const ROLES: readonly string[] = ["read", "triage", "write", "maintain", "admin"];
const COMMAND_NAME = /^\/[a-z][a-z0-9_-]{0,49}$/i;
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/;

function commandProblems(file: string, command: unknown): string[] {
  const spec = typeof command === "string" ? { name: command } : command;
  if (typeof spec !== "object" || spec === null) return [`${file}: on.command must be "/name" or { name: "/name", from?, args? }.`];
  const { name, from, args, usage } = spec as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof name !== "string" || !COMMAND_NAME.test(name)) problems.push(`${file}: on.command needs a name like "/backport" (a slash, then a letter, then letters, digits, "-" or "_").`);
  if (from !== undefined && !(typeof from === "string" ? ROLES.includes(from) : Array.isArray(from) && from.length > 0 && from.every((l) => typeof l === "string" && LOGIN.test(l)))) {
    problems.push(`${file}: on.command.from must be one of ${ROLES.map((r) => `"${r}"`).join(", ")}, or a list of GitHub logins.`);
  }
  if (args !== undefined) {
    const { min = 0, max = 20 } = (typeof args === "object" && args !== null ? args : { min: -1 }) as { min?: unknown; max?: unknown };
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || (min as number) < 0 || (max as number) > 20 || (min as number) > (max as number)) {
      problems.push(`${file}: on.command.args must be { min, max } with 0 ≤ min ≤ max ≤ 20.`);
    }
  }
  if (usage !== undefined && (typeof usage !== "string" || usage.length > 500)) problems.push(`${file}: on.command.usage must be a string of at most 500 characters.`);
  return problems;
}

function labelList(labeled: unknown): string[] | null {
  const list = typeof labeled === "string" ? [labeled] : labeled;
  if (!Array.isArray(list) || list.length === 0 || list.length > 50) return null;
  return list.every((name) => typeof name === "string" && name.length > 0 && name.length <= 100) ? (list as string[]) : null;
}

const INPUT_TYPES: readonly string[] = ["string", "number", "boolean", "choice"];
const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,49}$/;

function scheduleList(schedule: unknown): { cron: string; timezone: string }[] | null {
  const list = Array.isArray(schedule) ? schedule : [schedule];
  if (list.length === 0 || list.length > 10) return null;
  const entries: { cron: string; timezone: string }[] = [];
  for (const item of list) {
    const entry = typeof item === "string" ? { cron: item } : item;
    if (typeof entry !== "object" || entry === null) return null;
    const { cron, timezone = "UTC" } = entry as { cron?: unknown; timezone?: unknown };
    if (typeof cron !== "string" || cron.trim() === "" || typeof timezone !== "string" || timezone === "") return null;
    entries.push({ cron: cron.trim(), timezone });
  }
  return entries;
}

function dispatchProblems(file: string, dispatch: unknown): string[] {
  if (dispatch === true) return [];
  if (typeof dispatch !== "object" || dispatch === null) return [`${file}: on.dispatch must be true or { inputs: { name: { type } } }.`];
  const inputs = (dispatch as { inputs?: unknown }).inputs ?? {};
  if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) return [`${file}: on.dispatch.inputs must be an object of named inputs.`];
  const problems: string[] = [];
  for (const [name, input] of Object.entries(inputs)) {
    const spec = input as { type?: unknown; options?: unknown; default?: unknown };
    if (!INPUT_NAME.test(name)) problems.push(`${file}: dispatch input "${name}" needs a name of letters, digits, "_" or "-".`);
    if (typeof spec !== "object" || spec === null || !INPUT_TYPES.includes(spec.type as string)) {
      problems.push(`${file}: dispatch input "${name}" needs a type: ${INPUT_TYPES.map((t) => `"${t}"`).join(", ")}.`);
      continue;
    }
    if (spec.type === "choice" && !(Array.isArray(spec.options) && spec.options.length > 0 && spec.options.every((o) => typeof o === "string"))) {
      problems.push(`${file}: dispatch input "${name}" is a choice: give its options, e.g. options: ["staging", "production"].`);
    }
  }
  return problems;
}

function dispatchManifest(dispatch: unknown): NonNullable<WorkflowManifestEntry["dispatch"]> {
  const inputs = dispatch === true ? {} : (((dispatch as { inputs?: Record<string, Record<string, unknown>> }).inputs ?? {}) as Record<string, Record<string, unknown>>);
  return {
    inputs: Object.fromEntries(
      Object.entries(inputs).map(([name, spec]) => [
        name,
        {
          type: spec.type as "string" | "number" | "boolean" | "choice",
          description: typeof spec.description === "string" ? spec.description : null,
          required: spec.required === true,
          default: typeof spec.default === "string" || typeof spec.default === "number" || typeof spec.default === "boolean" ? spec.default : null,
          options: Array.isArray(spec.options) ? (spec.options as string[]) : null,
        },
      ]),
    ),
  };
}

function manifestEntry(file: string, definition: Workflow): WorkflowManifestEntry {
  const { command, labeled, schedule, dispatch, ...events } = definition.on as Record<string, unknown>;
  const entry: WorkflowManifestEntry = { file, name: definition.name, on: normalizeOn(events), hasIf: typeof definition.if === "function" };
  if (command !== undefined) entry.command = commandManifest(command);
  const labels = labeled === undefined ? null : labelList(labeled);
  if (labels) entry.labeled = labels;
  if (definition.check === "gate") entry.check = "gate";
  const schedules = schedule === undefined ? null : scheduleList(schedule);
  if (schedules) entry.schedules = schedules;
  if (dispatch !== undefined) entry.dispatch = dispatchManifest(dispatch);
  if (definition.concurrency) entry.concurrency = { cancelInProgress: definition.concurrency.cancelInProgress === true };
  if (definition.debounce) entry.debounce = { period: definition.debounce.period, maxWait: definition.debounce.maxWait ?? null };
  entry.permissions = effectivePermissions(definition.permissions as DeclaredPermissions | undefined);
  return entry;
}

function commandManifest(command: unknown): CommandManifest {
  const spec = (typeof command === "string" ? { name: command } : command) as { name: string; from?: string | string[]; args?: { min?: number; max?: number }; usage?: string };
  const from: CommandManifest["from"] = Array.isArray(spec.from) ? { logins: spec.from.map((l) => l.toLowerCase()) } : { role: (spec.from ?? "write") as RepositoryRole };
  return { name: spec.name.toLowerCase(), from, args: { min: spec.args?.min ?? 0, max: spec.args?.max ?? 20 }, usage: spec.usage ?? null };
}

/** `"*"` and `[]` both mean every action; the manifest says `"*"` for both. */
export function normalizeOn(on: object): Record<string, string[] | "*"> {
  return Object.fromEntries(
    Object.entries(on).map(([event, actions]) => [event, actions === "*" || (Array.isArray(actions) && actions.length === 0) ? "*" : [...(actions as string[])]]),
  );
}
