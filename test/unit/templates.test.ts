/**
 * The templates authors copy: their types check against the generated declarations,
 * those declarations are current, a type error is caught, and every template compiles
 * with the real compiler.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compiler/index.ts";

const root = fileURLToPath(new URL("../..", import.meta.url).href);
const templates = join(root, "repo-templates");
const tsc = join(root, "node_modules/typescript/bin/tsc");

function typecheck(project: string): { ok: boolean; output: string } {
  try {
    execFileSync(process.execPath, [tsc, "-p", project], { cwd: root, stdio: "pipe" });
    return { ok: true, output: "" };
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, output: `${e.stdout?.toString() ?? ""}${e.stderr?.toString() ?? ""}` };
  }
}

function filesUnder(dir: string): { path: string; content: string }[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full);
    return [{ path: relative(templates, full), content: readFileSync(full, "utf8") }];
  });
}

describe("repo-templates", () => {
  it("ships declarations generated from the SDK's current source", () => {
    const dir = mkdtempSync(join(tmpdir(), "repoflow-dts-"));
    try {
      execFileSync(process.execPath, [join(root, "scripts/build-author-types.mjs"), join(dir, "repoflow.d.ts")], { stdio: "pipe" });
      expect(readFileSync(join(dir, "repoflow.d.ts"), "utf8")).toBe(readFileSync(join(templates, "types/repoflow.d.ts"), "utf8"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("type-checks every template with the editor configuration authors copy", () => {
    const result = typecheck(join(templates, "tsconfig.json"));
    expect(result.output).toBe("");
    expect(result.ok).toBe(true);
  }, 60_000);

  it.each([
    ["a field the pull_request.opened payload does not have", `event.pull_request.nope`],
    ["an issue on a workflow that only runs on pull requests", `event.issue.number`],
  ])("catches %s", (_label, expression) => {
    const scratch = join(templates, ".workflows", `zz-type-error-${process.pid}.ts`);
    const project = join(templates, `tsconfig.zz-${process.pid}.json`);
    writeFileSync(scratch, `import { workflow } from "repoflow";\nexport default workflow({ name: "x", on: { pull_request: ["opened"] }, async run({ event }) { return ${expression}; } });\n`);
    writeFileSync(project, JSON.stringify({ extends: "./tsconfig.json", include: [relative(templates, scratch), "types/*.d.ts"] }));
    try {
      const result = typecheck(project);
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/zz-type-error.*error TS/);
    } finally {
      rmSync(scratch, { force: true });
      rmSync(project, { force: true });
    }
  }, 60_000);

  it("compiles every template with the real compiler and no diagnostics", async () => {
    const files = filesUnder(join(templates, ".workflows"));
    const result = await compile(files, esbuild);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.bundle.workflowFiles.sort()).toEqual([
      ".workflows/approval-gate.ts",
      ".workflows/label-by-size.ts",
      ".workflows/nudge-reviewers.ts",
      ".workflows/welcome.ts",
    ]);
  });
});
