/**
 * The compile's own check run on the default-branch commit that changed
 * `.workflows/`: success lists the workflows and their triggers; failure puts
 * each diagnostic on its file and line as an annotation.
 */
import type { Diagnostic } from "../compiler";
import { readConfig, type ConfigEnv } from "../config";
import { createGitHubClient, updateCheckRun, upsertCheckRun, CHECK_RUN_LIMITS, type CheckRunAnnotation, type CheckRunOutput } from "../github";
import type { WorkflowManifestEntry } from "../runtime";

export const COMPILE_CHECK_NAME = "repoflow: compile .workflows";

export function renderCompileOutput(result: { ok: boolean; hash: string; workflows: WorkflowManifestEntry[]; diagnostics: Diagnostic[] }): CheckRunOutput {
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  const lines: string[] = [];
  if (result.ok) {
    lines.push(`Compiled ${result.workflows.length} workflow${result.workflows.length === 1 ? "" : "s"} into bundle \`${result.hash.slice(0, 12)}\`.`, "");
    lines.push("| Workflow | File | Triggers |", "|---|---|---|");
    for (const w of result.workflows) lines.push(`| ${w.name} | \`${w.file}\` | ${describeTriggers(w.on)} |`);
  } else {
    lines.push(`${errors.length} error${errors.length === 1 ? "" : "s"}; no workflow of this commit will run until they are fixed. Runs already started keep their own code.`, "");
    for (const d of result.diagnostics) lines.push(`- ${d.severity === "error" ? "❌" : "⚠️"} \`${location(d)}\`: ${d.message.replace(/\s*\n\s*/g, " ")}`);
  }
  let summary = lines.join("\n");
  if (summary.length > CHECK_RUN_LIMITS.maxSummaryChars) {
    summary = summary.slice(0, CHECK_RUN_LIMITS.maxSummaryChars - 80) + "\n\n**… cut by repoflow to fit GitHub's limit.**";
  }
  return {
    title: result.ok ? "Workflows compiled" : `${errors.length} compile error${errors.length === 1 ? "" : "s"}`,
    summary,
    annotations: result.diagnostics.map(toAnnotation),
  };
}

function describeTriggers(on: Record<string, readonly string[] | "*">): string {
  return Object.entries(on)
    .map(([event, actions]) => (actions === "*" || actions.length === 0 ? `\`${event}\`` : `\`${event}\` (${actions.join(", ")})`))
    .join(", ");
}

function location(d: Diagnostic): string {
  return d.line === undefined ? d.file : d.column === undefined ? `${d.file}:${d.line}` : `${d.file}:${d.line}:${d.column}`;
}

function toAnnotation(d: Diagnostic): CheckRunAnnotation {
  const line = d.line ?? 1;
  const endLine = d.endLine ?? line;
  const annotation: CheckRunAnnotation = {
    path: d.file,
    start_line: line,
    end_line: endLine,
    annotation_level: d.severity === "error" ? "failure" : "warning",
    message: d.message.slice(0, 16_384),
    title: d.severity === "error" ? "Compile error" : "Compile warning",
  };
  // GitHub accepts columns only on single-line annotations.
  if (d.column !== undefined && endLine === line) {
    annotation.start_column = d.column;
    annotation.end_column = d.endColumn !== undefined && d.endColumn >= d.column ? d.endColumn : d.column;
  }
  return annotation;
}

export async function reportCompile(
  env: ConfigEnv,
  target: { installationId: number; repository: string; commitSha: string; deliveryId: string },
  result: { ok: boolean; hash: string; workflows: WorkflowManifestEntry[]; diagnostics: Diagnostic[] },
): Promise<number> {
  const [owner = "", repo = ""] = target.repository.split("/");
  const octokit = createGitHubClient(readConfig(env), {
    as: { type: "installation", installationId: target.installationId, repository: target.repository },
    deliveryId: target.deliveryId,
  });
  const output = renderCompileOutput(result);
  const { id } = await upsertCheckRun(octokit, {
    owner,
    repo,
    headSha: target.commitSha,
    name: COMPILE_CHECK_NAME,
    externalId: `compile-${result.hash}`,
    status: "in_progress",
  });
  await updateCheckRun(octokit, { owner, repo, checkRunId: id, state: { status: "completed", conclusion: result.ok ? "success" : "failure" }, output });
  return id;
}
