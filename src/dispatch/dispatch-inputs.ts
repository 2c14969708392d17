/**
 * The inputs of a manual run (`on: { dispatch: { inputs } }`), checked
 * against what the workflow declares: from the dashboard's JSON, or from a
 * `/run <workflow> name=value …` comment, where every value is text. Pure.
 */
import type { DispatchInputManifest, WorkflowManifestEntry } from "../runtime";

export type InputValues = Record<string, string | number | boolean>;
export type InputCheck = { ok: true; values: InputValues } | { ok: false; problems: string[] };

export function checkInputs(declared: Record<string, DispatchInputManifest>, given: Record<string, unknown>, fromText = false): InputCheck {
  const problems: string[] = [];
  const values: InputValues = {};
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) problems.push(`"${name}" is not an input of this workflow${Object.keys(declared).length ? `; it takes ${Object.keys(declared).map((n) => `"${n}"`).join(", ")}` : "; it takes none"}.`);
  }
  for (const [name, input] of Object.entries(declared)) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    if (raw === undefined) {
      if (input.default !== null) values[name] = input.default;
      else if (input.required) problems.push(`"${name}" is required.`);
      continue;
    }
    const value = coerce(input, raw, fromText);
    if (value === undefined) problems.push(`"${name}" must be ${describe(input)}; got ${JSON.stringify(raw)}.`);
    else values[name] = value;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, values };
}

function coerce(input: DispatchInputManifest, raw: unknown, fromText: boolean): string | number | boolean | undefined {
  switch (input.type) {
    case "string":
      return typeof raw === "string" && raw.length <= 10_000 ? raw : undefined;
    case "number": {
      const n = typeof raw === "number" ? raw : fromText && typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (fromText && (raw === "true" || raw === "false")) return raw === "true";
      return undefined;
    case "choice":
      return typeof raw === "string" && (input.options ?? []).includes(raw) ? raw : undefined;
  }
}

function describe(input: DispatchInputManifest): string {
  if (input.type === "choice") return `one of ${(input.options ?? []).map((o) => `"${o}"`).join(", ")}`;
  return input.type === "number" ? "a number" : input.type === "boolean" ? "true or false" : "text";
}

/** `/run release dry=true notes="a b"`: the workflow by file name (without .ts) or by name, then name=value pairs. */
export function parseRunCommand(args: readonly string[]): { workflow: string; inputs: Record<string, string> } | { problem: string } {
  const [workflow, ...rest] = args;
  if (!workflow) return { problem: "`/run` needs a workflow: `/run <workflow> [name=value …]`." };
  const inputs: Record<string, string> = {};
  for (const pair of rest) {
    const at = pair.indexOf("=");
    if (at <= 0) return { problem: `\`${pair}\` is not name=value.` };
    inputs[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { workflow, inputs };
}

/** The dispatchable workflow a person named: its file (with or without folder and .ts) or its name, in any case. */
export function findDispatchable(workflows: readonly WorkflowManifestEntry[], named: string): WorkflowManifestEntry | null {
  const wanted = named.toLowerCase();
  const base = (file: string) => file.replace(/^\.workflows\//, "").replace(/\.ts$/, "").toLowerCase();
  return workflows.find((w) => w.dispatch && (w.file.toLowerCase() === wanted || base(w.file) === wanted.replace(/\.ts$/, "") || w.name.toLowerCase() === wanted)) ?? null;
}
