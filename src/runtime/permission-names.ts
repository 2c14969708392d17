/**
 * The names a workflow's `permissions` may use, as plain data shared by the
 * SDK (authors' types) and the manifest check: the repository permissions of
 * GitHub Apps (the `app-permissions` schema of GitHub's REST description).
 * Organization and account permissions are left out: a run's token belongs
 * to one repository.
 */
export const REPOSITORY_PERMISSIONS = [
  "actions",
  "administration",
  "artifact_metadata",
  "attestations",
  "checks",
  "code_quality",
  "codespaces",
  "contents",
  "dependabot_secrets",
  "deployments",
  "discussions",
  "environments",
  "issues",
  "merge_queues",
  "metadata",
  "packages",
  "pages",
  "pull_requests",
  "repository_custom_properties",
  "repository_hooks",
  "repository_projects",
  "secret_scanning_alerts",
  "secrets",
  "security_events",
  "single_file",
  "statuses",
  "vulnerability_alerts",
  "workflows",
] as const;
