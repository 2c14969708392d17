/**
 * A person's role on a repository, as GitHub answers it
 * (`GET /repos/{owner}/{repo}/collaborators/{username}/permission`). The
 * `role_name` is exact for the five built-in roles; a custom role reports its
 * own name, so the legacy `permission` field (admin, write, read, none),
 * which GitHub maps every role onto, decides then.
 */
import type { GitHubClient } from "./client.ts";

export type RepositoryRole = "read" | "triage" | "write" | "maintain" | "admin";

const BUILT_IN = new Set<string>(["read", "triage", "write", "maintain", "admin"]);

export async function repositoryRole(octokit: GitHubClient, repo: { owner: string; repo: string }, login: string): Promise<RepositoryRole | null> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: login });
    const roleName = (data as { role_name?: string }).role_name;
    if (roleName !== undefined && BUILT_IN.has(roleName)) return roleName as RepositoryRole;
    return data.permission === "admin" || data.permission === "write" || data.permission === "read" ? data.permission : null;
  } catch (error) {
    // GitHub answers 404 for a login it does not know: no role, not a failure to retry.
    if ((error as { status?: number }).status === 404) return null;
    throw error;
  }
}
