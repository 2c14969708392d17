/**
 * The core of `npm run check`: a folder's `.workflows/` compiled exactly as
 * the service compiles it (the same compiler and limits, esbuild of the same
 * version), then described as the service describes a bundle (the workflow
 * values themselves: triggers, names, permissions), with the dispatcher's own
 * checks of schedules and debounce. Bundled by scripts/check.ts with esbuild,
 * so the service's modules load in Node as they are.
 */
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as esbuild from "esbuild";
import { compile, type Diagnostic, type SourceFile } from "../../src/compiler/index.ts";
import { scheduleProblems } from "../../src/dispatch/trigger-checks.ts";
import { describeWorkflows } from "../../src/runtime/manifest.ts";
import * as sdk from "../../src/runtime/sdk.ts";
import type { WorkflowManifestEntry } from "../../src/runtime/types.ts";

export interface CheckResult {
  diagnostics: Diagnostic[];
  workflows: WorkflowManifestEntry[];
}

/** `.workflows/**` under `dir`, as the service reads it from a commit: symlinks are not followed. */
function readWorkflows(dir: string): { files: SourceFile[]; problems: Diagnostic[] } {
  const files: SourceFile[] = [];
  const problems: Diagnostic[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      const rel = relative(dir, full).split("\\").join("/");
      const stat = lstatSync(full);
      if (stat.isSymbolicLink()) problems.push({ file: rel, message: `${rel} is a symbolic link, which repoflow does not follow: its target lies outside .workflows/. Copy the file in instead.`, severity: "error" });
      else if (stat.isDirectory()) walk(full);
      else files.push({ path: rel, content: readFileSync(full, "utf8") });
    }
  };
  walk(join(dir, ".workflows"));
  return { files, problems };
}

/** Imports a bundle in Node as the tenant Worker would, `./repoflow.js` answered by the real SDK module. */
async function loadBundle(code: string): Promise<Record<string, unknown>> {
  (globalThis as { __repoflowSdk?: typeof sdk }).__repoflowSdk = sdk;
  const stub = `data:text/javascript,${encodeURIComponent("export const { workflow, NonRetryableError, upsertComment, MarkerError, WEBHOOK_EVENTS, REPOSITORY_PERMISSIONS } = globalThis.__repoflowSdk;")}`;
  const module = `data:text/javascript,${encodeURIComponent(code.replaceAll(`"./repoflow.js"`, JSON.stringify(stub)))}`;
  return ((await import(module)) as { workflows: Record<string, unknown> }).workflows;
}

export async function check(dir: string): Promise<CheckResult> {
  const { files, problems } = readWorkflows(dir);
  const compiled = await compile(files, esbuild);
  if (!compiled.ok) return { diagnostics: [...problems, ...compiled.diagnostics], workflows: [] };
  let described;
  try {
    described = describeWorkflows(await loadBundle(compiled.bundle.code));
  } catch (error) {
    return { diagnostics: [...problems, { file: ".workflows", message: `loading the workflows failed: ${error instanceof Error ? error.message : String(error)}`, severity: "error" }], workflows: [] };
  }
  const described_ = described.problems.map((p): Diagnostic => ({ file: p.file, message: p.message, severity: "error" }));
  return { diagnostics: [...problems, ...compiled.diagnostics, ...described_, ...scheduleProblems(described.workflows)], workflows: described.workflows };
}
