/**
 * How the dispatcher reads a recorded bundle, apart from bundles.ts so that
 * what decides without compiling (the inbox's triage and direct starts) loads
 * without esbuild-wasm, whose `.wasm` import only loads inside workerd.
 */
import { COMPILER_VERSION, type Diagnostic } from "../compiler";
import { RUNTIME_VERSION, trustedPermissions, type WorkflowManifestEntry } from "../runtime";

/** The manifest of an indexed bundle as the dispatcher reads it (trusted permissions), or null when it does not hold up. */
export function trustedManifest(manifest: readonly unknown[]): WorkflowManifestEntry[] | null {
  const { workflows, problems } = withTrustedPermissions(manifest as WorkflowManifestEntry[]);
  return problems.length === 0 ? workflows : null;
}

/** A bundle built by this compiler and runtime; an older build is not reused for new runs. */
export function isCurrentBuild(sourceKey: string): boolean {
  return sourceKey.endsWith(`:${COMPILER_VERSION}:${RUNTIME_VERSION}`);
}

/**
 * Each workflow's permissions as the dispatcher reads them (trustedPermissions): the tenant's
 * describe() ran after the author's code and could report anything. A workflow whose report does
 * not hold up is a compile error, never a token.
 */
export function withTrustedPermissions(workflows: readonly WorkflowManifestEntry[]): { workflows: WorkflowManifestEntry[]; problems: Diagnostic[] } {
  const problems: Diagnostic[] = [];
  const trusted = workflows.map((workflow) => {
    const permissions = trustedPermissions(workflow.permissions);
    if (permissions === null) {
      problems.push({ file: workflow.file, message: `${workflow.file}: its permissions could not be read as declared (names of GitHub's repository permissions, "read" or "write", checks at most "read"); write them as a plain object literal.`, severity: "error" });
    }
    return { ...workflow, permissions: permissions ?? {} };
  });
  return { workflows: trusted, problems };
}
