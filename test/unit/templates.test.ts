/**
 * The templates authors copy: their types check against the generated declarations,
 * those declarations are current, type errors are caught, and every template compiles
 * with the real compiler into workflows with unique names and triggers GitHub sends.
 * tsc resolves @octokit/* from the repository root's node_modules by walking up from
 * repo-templates/, so nothing is installed in repo-templates/ for these tests. With
 * GitHub's webhook types a type-check takes seconds, and far longer on a loaded
 * machine: the timeouts are generous and the two type-error cases share one tsc run.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { compile, type CompileResult } from "../../src/compiler/index.ts";
import { describeWorkflows } from "../../src/runtime/manifest.ts";
import * as sdk from "../../src/runtime/sdk.ts";
import { readManifest } from "../emulator/manifest.ts";

const root = fileURLToPath(new URL("../..", import.meta.url).href);
const templates = join(root, "repo-templates");
const tsc = join(root, "node_modules/typescript/bin/tsc");
const TSC_TIMEOUT = 180_000;

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

/**
 * Imports a bundle in Node the way the tenant's Worker would, with `./repoflow.js`
 * answered by the real SDK module (handed over on globalThis, since a data: URL module
 * cannot import a file the test runner transforms). The tenant host itself imports
 * cloudflare:workers and cannot load here; its describe() logic can (manifest.ts).
 */
async function loadBundle(code: string): Promise<Record<string, unknown>> {
  (globalThis as { __repoflowSdk?: typeof sdk }).__repoflowSdk = sdk;
  const stub = `data:text/javascript,${encodeURIComponent("export const { workflow, NonRetryableError, upsertComment } = globalThis.__repoflowSdk;")}`;
  const module = `data:text/javascript,${encodeURIComponent(code.replaceAll(`"./repoflow.js"`, JSON.stringify(stub)))}`;
  const loaded = (await import(/* @vite-ignore */ module)) as { workflows: Record<string, unknown> };
  return loaded.workflows;
}

let compiled: Promise<CompileResult> | undefined;
const compileTemplates = (): Promise<CompileResult> => (compiled ??= compile(filesUnder(join(templates, ".workflows")), esbuild));

/** One tsc run over scratch workflows outside repo-templates/, checked against the template configuration and declarations. */
const scratch = mkdtempSync(join(tmpdir(), "repoflow-type-errors-"));
const SCRATCH_WORKFLOWS = {
  "nope.ts": `event.pull_request.nope`,
  "issue.ts": `event.issue.number`,
};
let scratchCheck: { ok: boolean; output: string } | undefined;
function checkScratch(): { ok: boolean; output: string } {
  if (scratchCheck) return scratchCheck;
  for (const [file, expression] of Object.entries(SCRATCH_WORKFLOWS)) {
    writeFileSync(
      join(scratch, file),
      `import { workflow } from "repoflow";\nexport default workflow({\n  name: "x",\n  on: { pull_request: ["opened", "synchronize"] },\n  async run({ event }) {\n    return ${expression};\n  },\n});\n`,
    );
  }
  writeFileSync(
    join(scratch, "tsconfig.json"),
    JSON.stringify({ extends: join(templates, "tsconfig.json"), include: [...Object.keys(SCRATCH_WORKFLOWS), join(templates, "types/repoflow.d.ts")] }),
  );
  scratchCheck = typecheck(join(scratch, "tsconfig.json"));
  return scratchCheck;
}
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("repo-templates", () => {
  it("ships declarations generated from the SDK's current source", () => {
    const dir = mkdtempSync(join(tmpdir(), "repoflow-dts-"));
    try {
      execFileSync(process.execPath, [join(root, "scripts/build-author-types.mjs"), join(dir, "repoflow.d.ts")], { stdio: "pipe" });
      expect(readFileSync(join(dir, "repoflow.d.ts"), "utf8")).toBe(readFileSync(join(templates, "types/repoflow.d.ts"), "utf8"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, TSC_TIMEOUT);

  it("type-checks every template with the editor configuration authors copy", () => {
    const result = typecheck(join(templates, "tsconfig.json"));
    expect(result.output).toBe("");
    expect(result.ok).toBe(true);
  }, TSC_TIMEOUT);

  it("rejects a field the pull_request payload does not have", () => {
    const result = checkScratch();
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/nope\.ts\(6,\d+\): error TS2339: Property 'nope' does not exist/);
  }, TSC_TIMEOUT);

  it("rejects event.issue in a workflow that only runs on pull requests", () => {
    const result = checkScratch();
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/issue\.ts\(6,\d+\): error TS2339: Property 'issue' does not exist/);
  }, TSC_TIMEOUT);

  it("compiles every template with the real compiler and no diagnostics", async () => {
    const result = await compileTemplates();
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.bundle.workflowFiles.sort()).toEqual([
        ".workflows/approval-gate.ts",
        ".workflows/automerge.ts",
        ".workflows/backport.ts",
        ".workflows/label-by-paths.ts",
        ".workflows/label-by-size.ts",
        ".workflows/merge-when-approved.ts",
        ".workflows/needs-info.ts",
        ".workflows/nudge-reviewers.ts",
        ".workflows/pr-hygiene.ts",
        ".workflows/release-train.ts",
        ".workflows/stale-sweep.ts",
        ".workflows/welcome.ts",
      ]);
    }
  });

  it("exports from each template a workflow with its own name and triggers GitHub sends", async () => {
    const result = await compileTemplates();
    if (!result.ok) throw new Error(`the templates did not compile: ${JSON.stringify(result.diagnostics)}`);
    const workflows = await loadBundle(result.bundle.code);
    expect(Object.keys(workflows).sort()).toEqual(result.bundle.workflowFiles.sort());

    const described = describeWorkflows(workflows);
    expect(described.problems).toEqual([]);
    expect(described.workflows.map((entry) => entry.file).sort()).toEqual(result.bundle.workflowFiles.sort());
    const names = described.workflows.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    // Every workflow has a trigger: GitHub events, a command, a label, a schedule or manual runs.
    for (const entry of described.workflows) {
      expect(Object.keys(entry.on).length > 0 || entry.command !== undefined || entry.labeled !== undefined || entry.schedules !== undefined || entry.dispatch !== undefined).toBe(true);
    }
  });
});

/**
 * What repoflow itself does with the App's token (src/github, src/dispatch), beyond what
 * workflows declare. Each line is a claim the e2e suite tests: the emulator grants exactly
 * app.yml, so a call that needs more than this fails there with GitHub's 403.
 */
const SERVICE_PERMISSIONS: Record<string, "read" | "write"> = {
  checks: "write", // a check run per run and per compile, their buttons; waitForChecks reads the others
  contents: "read", // .workflows/ at the default branch's HEAD
  issues: "write", // a command's reactions and its refusal reply, on issues
  pull_requests: "write", // the same on pull requests
  metadata: "read", // required; the commenter's role for `from` and commands
  statuses: "read", // waitForChecks reads commit statuses
};
/** Events the service needs whatever the workflows: compiles, check-run buttons and re-runs, waits for checks. */
const SERVICE_EVENTS = ["push", "check_run", "check_suite", "status", "issue_comment"];

/**
 * The permission GitHub requires of an App to subscribe to each event (docs.github.com,
 * "Webhook events and payloads", each event's availability). An event whose permission the
 * App lacks cannot be subscribed to.
 */
const EVENT_PERMISSION: Record<string, string[]> = {
  check_run: ["checks"],
  check_suite: ["checks"],
  create: ["contents"],
  delete: ["contents"],
  issue_comment: ["issues", "pull_requests"],
  issues: ["issues"],
  label: ["metadata"],
  pull_request: ["pull_requests"],
  pull_request_review: ["pull_requests"],
  pull_request_review_comment: ["pull_requests"],
  push: ["contents"],
  release: ["contents"],
  status: ["statuses"],
  workflow_run: ["actions"],
};

const stronger = (a: "read" | "write" | undefined, b: "read" | "write") => (a === "write" || b === "write" ? "write" : "read");

describe("app.yml asks for what the product needs, and no more (issue 10)", () => {
  it("asks for exactly the permissions the service, the templates' declarations and the subscribed events need", async () => {
    const result = await compileTemplates();
    if (!result.ok) throw new Error(`the templates did not compile: ${JSON.stringify(result.diagnostics)}`);
    const described = describeWorkflows(await loadBundle(result.bundle.code));
    const manifest = readManifest();
    const needed: Record<string, "read" | "write"> = { ...SERVICE_PERMISSIONS };
    for (const entry of described.workflows) {
      for (const [name, access] of Object.entries(entry.permissions ?? {})) needed[name] = stronger(needed[name], access);
    }
    for (const event of manifest.events) {
      const options = EVENT_PERMISSION[event];
      expect(options, `app.yml subscribes to ${event}; add the permission it needs to EVENT_PERMISSION`).toBeDefined();
      if (!options!.some((name) => needed[name] !== undefined)) needed[options![0]!] = "read";
    }
    expect(manifest.permissions).toEqual(needed);
  });

  it("subscribes to every event the service and the templates' triggers and waits need", async () => {
    const result = await compileTemplates();
    if (!result.ok) throw new Error(`the templates did not compile: ${JSON.stringify(result.diagnostics)}`);
    const described = describeWorkflows(await loadBundle(result.bundle.code));
    const needed = new Set(SERVICE_EVENTS);
    for (const entry of described.workflows) {
      for (const event of Object.keys(entry.on)) needed.add(event);
      if (entry.command) needed.add("issue_comment");
      if (entry.labeled) for (const event of ["issues", "pull_request"]) needed.add(event);
    }
    // Waits name their events in the code: "event.action" strings passed to step.waitFor.
    for (const file of filesUnder(join(templates, ".workflows"))) {
      for (const match of file.content.matchAll(/"([a-z_]+)\.[a-z_]+"/g)) if (match[1] && EVENT_PERMISSION[match[1]]) needed.add(match[1]);
    }
    const subscribed = new Set(readManifest().events);
    expect([...needed].filter((event) => !subscribed.has(event))).toEqual([]);
  });

  it("explains every permission and the events beyond the triggers in docs/operators.md", () => {
    const docs = readFileSync(join(root, "docs/operators.md"), "utf8");
    const manifest = readManifest();
    for (const name of Object.keys(manifest.permissions)) expect(docs, `docs/operators.md should explain ${name}`).toMatch(new RegExp("`" + name + ": (read|write)`"));
    for (const event of manifest.events) expect(docs, `docs/operators.md should name the ${event} event`).toContain("`" + event + "`");
  });
});
