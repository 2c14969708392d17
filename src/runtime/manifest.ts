/**
 * The bundle's manifest, read from the workflow values themselves: the
 * compiler only strips types (esbuild does not type-check), so a misspelt
 * event, an unknown action or a missing `workflow()` wrapper is first certain
 * here, where the default exports exist. Pure: the host passes in the
 * bundle's `workflows` export.
 */
import { isWorkflow, WEBHOOK_EVENTS, type Workflow } from "./sdk.ts";
import type { DescribeResult } from "./types.ts";

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
    result.workflows.push({ file, name: value.name, on: normalizeOn(value.on), hasIf: typeof value.if === "function" });
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
  const on = definition.on as unknown;
  if (typeof on !== "object" || on === null || Array.isArray(on) || Object.keys(on).length === 0) {
    problems.push(`${file}: \`on\` must name at least one event, e.g. { pull_request: ["opened"] }.`);
    return problems;
  }
  for (const [event, actions] of Object.entries(on)) {
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

/** `"*"` and `[]` both mean every action; the manifest says `"*"` for both. */
export function normalizeOn(on: object): Record<string, string[] | "*"> {
  return Object.fromEntries(
    Object.entries(on).map(([event, actions]) => [event, actions === "*" || (Array.isArray(actions) && actions.length === 0) ? "*" : [...(actions as string[])]]),
  );
}
