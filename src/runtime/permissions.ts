/**
 * What a workflow may do on GitHub. A run's requests carry an installation
 * token minted for its repository alone and for the permissions its workflow
 * declares (or the read-only default), so GitHub itself refuses the rest.
 * Shared by both sides of the boundary: the tenant's describe() checks the
 * declaration, the dispatcher mints the token from the manifest it reports.
 */

import { REPOSITORY_PERMISSIONS } from "./permission-names.ts";
import type { DeclaredPermissions } from "./sdk.ts";

export { REPOSITORY_PERMISSIONS };
export type { DeclaredPermissions };
export type Access = "read" | "write";
/** GitHub's permission names (`contents`, `pull_requests`, …) to an access level. */
export type Permissions = Record<string, Access>;


/**
 * A workflow that declares nothing reads what workflows usually read (the
 * repository's code, its issues and pull requests) and writes nothing.
 */
export const DEFAULT_PERMISSIONS: Readonly<Permissions> = Object.freeze({ contents: "read", issues: "read", pull_requests: "read", metadata: "read" });

/**
 * repoflow writes every run's check run with the App's own token; a workflow
 * holding checks: write could complete them (forge a required gate's success).
 */
export const RESERVED_WRITES: readonly string[] = ["checks"];

/** Why a declaration is wrong, one message per problem (empty when it is fine). */
export function permissionProblems(file: string, declared: unknown): string[] {
  if (typeof declared !== "object" || declared === null || Array.isArray(declared)) {
    return [`${file}: \`permissions\` must be an object like { issues: "write", contents: "read" }.`];
  }
  const problems: string[] = [];
  for (const [name, access] of Object.entries(declared)) {
    if (!(REPOSITORY_PERMISSIONS as readonly string[]).includes(name)) {
      const near = REPOSITORY_PERMISSIONS.find((known) => known.replace(/_/g, "") === name.toLowerCase().replace(/[_-]/g, ""));
      problems.push(`${file}: "${name}" is not a repository permission of GitHub Apps${near ? `; did you mean "${near}"?` : ""} (see https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app).`);
      continue;
    }
    if (access !== "read" && access !== "write" && access !== "none") {
      problems.push(`${file}: permissions.${name} must be "read", "write" or "none"; got ${JSON.stringify(access)}.`);
      continue;
    }
    if (access === "write" && RESERVED_WRITES.includes(name)) {
      problems.push(`${file}: permissions.${name} may be "read" at most: repoflow writes each run's check run itself, and a workflow that could write check runs could forge them. Report with step.annotate() and the run's result instead.`);
    }
    if (name === "workflows" && access === "read") problems.push(`${file}: permissions.workflows has "write" only (GitHub has no read level for it).`);
  }
  if (declared && (declared as Record<string, unknown>).metadata === "none") problems.push(`${file}: permissions.metadata cannot be "none": GitHub grants it to every token.`);
  return problems;
}

/**
 * The permissions a run's token is minted with: the declaration (or the
 * default) without "none", plus metadata: read, which GitHub adds to every
 * token anyway. Sorted, so equal sets are equal strings.
 */
export function effectivePermissions(declared: DeclaredPermissions | undefined): Permissions {
  const merged: Record<string, Access | "none"> = { ...(declared ?? DEFAULT_PERMISSIONS) };
  if (merged.metadata === undefined) merged.metadata = "read";
  const result: Permissions = {};
  for (const name of Object.keys(merged).sort()) {
    const access = merged[name];
    if (access === "read" || access === "write") result[name] = access;
  }
  return result;
}

/** "contents: read, issues: write", for check runs and messages. */
export function describePermissions(permissions: Permissions): string {
  return Object.entries(permissions)
    .map(([name, access]) => `${name}: ${access}`)
    .join(", ");
}

/** The permissions of `wanted` that `granted` does not cover, as "name: access". */
export function missingPermissions(wanted: Permissions, granted: Readonly<Record<string, string>>): string[] {
  return Object.entries(wanted)
    .filter(([name, access]) => {
      const has = granted[name];
      return has === undefined || (access === "write" && has === "read");
    })
    .map(([name, access]) => `${name}: ${access}`);
}

/**
 * The dispatcher's own reading of a manifest entry's permissions. describe()
 * runs in the tenant's isolate after the author's code, so what it reports is
 * checked again here, on the plain copy that crossed RPC: only known names,
 * only "read" or "write", never a reserved write. Absent (a manifest from
 * before declarations) is the read-only default. Null when the entry is not
 * to be trusted at all.
 */
export function trustedPermissions(reported: unknown): Permissions | null {
  if (reported === undefined) return effectivePermissions(undefined);
  if (typeof reported !== "object" || reported === null || Array.isArray(reported)) return null;
  const result: Permissions = {};
  for (const [name, access] of Object.entries(reported)) {
    if (!(REPOSITORY_PERMISSIONS as readonly string[]).includes(name)) return null;
    if (access !== "read" && access !== "write") return null;
    if (access === "write" && RESERVED_WRITES.includes(name)) return null;
    result[name] = access;
  }
  return effectivePermissions(result as DeclaredPermissions);
}
