/**
 * GitHub's answers that a workflow expects and handles: a label already gone (404),
 * a branch or pull request that already exists (422), a merge GitHub refuses (405, 409).
 * Octokit throws a RequestError carrying `status`; workflows cannot import
 * @octokit/request-error, so the status is read structurally.
 */
export function hasStatus(error: unknown, ...statuses: number[]): boolean {
  return typeof error === "object" && error !== null && "status" in error && typeof error.status === "number" && statuses.includes(error.status);
}

/** The message GitHub gave with an error, for a comment a person reads. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
