import { describe, expect, it } from "vitest";
import { checkInputs, findDispatchable, parseRunCommand } from "../../src/dispatch/dispatch-inputs";
import type { DispatchInputManifest, WorkflowManifestEntry } from "../../src/runtime";

const input = (over: Partial<DispatchInputManifest>): DispatchInputManifest => ({ type: "string", description: null, required: false, default: null, options: null, ...over });
const declared = {
  target: input({ type: "choice", options: ["staging", "production"], required: true }),
  dryRun: input({ type: "boolean", default: true }),
  count: input({ type: "number" }),
};

describe("checkInputs", () => {
  it("takes declared inputs, fills defaults and leaves out absent optional ones", () => {
    expect(checkInputs(declared, { target: "staging" })).toEqual({ ok: true, values: { target: "staging", dryRun: true } });
    expect(checkInputs(declared, { target: "production", dryRun: false, count: 3 })).toEqual({ ok: true, values: { target: "production", dryRun: false, count: 3 } });
  });
  it("reads text from a /run comment as the declared type", () => {
    expect(checkInputs(declared, { target: "staging", dryRun: "false", count: "2" }, true)).toEqual({ ok: true, values: { target: "staging", dryRun: false, count: 2 } });
    expect(checkInputs(declared, { target: "staging", dryRun: "false" })).toMatchObject({ ok: false });
  });
  it("names every problem", () => {
    const result = checkInputs(declared, { target: "moon", colour: "red", count: "x" }, true);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      `"colour" is not an input of this workflow; it takes "target", "dryRun", "count".`,
      `"target" must be one of "staging", "production"; got "moon".`,
      `"count" must be a number; got "x".`,
    ]);
    expect(checkInputs(declared, {})).toEqual({ ok: false, problems: [`"target" is required.`] });
  });
});

describe("/run", () => {
  it("parses the workflow and name=value pairs, and refuses anything else", () => {
    expect(parseRunCommand(["release", "target=staging", "notes=a b"])).toEqual({ workflow: "release", inputs: { target: "staging", notes: "a b" } });
    expect(parseRunCommand([])).toEqual({ problem: expect.stringContaining("needs a workflow") });
    expect(parseRunCommand(["release", "staging"])).toEqual({ problem: "`staging` is not name=value." });
  });
  it("finds a dispatchable workflow by file, file name or name, in any case", () => {
    const workflows = [
      { file: ".workflows/release.ts", name: "Release train", on: {}, hasIf: false, dispatch: { inputs: {} } },
      { file: ".workflows/greet.ts", name: "Greet", on: { issues: "*" }, hasIf: false },
    ] as WorkflowManifestEntry[];
    for (const name of ["release", "Release.ts", ".workflows/release.ts", "release train"]) expect(findDispatchable(workflows, name)?.file).toBe(".workflows/release.ts");
    expect(findDispatchable(workflows, "greet")).toBeNull();
  });
});
