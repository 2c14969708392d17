export { verifySignature, sign } from "./webhook-signature";
export type { SignatureCheck, SignatureFailure } from "./webhook-signature";
export { KNOWN_EVENTS } from "./events";
export { createAppJwt } from "./jwt.ts";
export type { AppJwt } from "./jwt.ts";
export { InstallationToken, InstallationTokenCache, TOKEN_REFRESH_MARGIN_MS } from "./tokens.ts";
export type { TokenScope } from "./tokens.ts";
export { appIdentity } from "./app-identity.ts";
export { AppRegistration, checkAppCredentials, checkWebhookSecret, convertManifestCode, ManifestCodeRejectedError, privateKeyProblem } from "./app-setup.ts";
export type { AppCheck, CheckResult } from "./app-setup.ts";
export { repositoryRole } from "./roles.ts";
export type { RepositoryRole } from "./roles.ts";
export type { AppIdentity } from "./app-identity.ts";
export { createGitHubClient, getInstallationToken, MAX_RATE_LIMIT_RETRIES, MAX_RETRIES, MAX_WAIT_SECONDS } from "./client.ts";
export type { GitHubClient, GitHubClientParams, GitHubConfig, GitHubIdentity } from "./client.ts";
export { fetchWorkflowTree, resolveDefaultBranchHead, DEFAULT_WORKFLOW_TREE_LIMITS, WORKFLOWS_DIR } from "./tree.ts";
export type { WorkflowTreeOptions } from "./tree.ts";
export { renderCheckRunOutput, upsertCheckRun, updateCheckRun, CHECK_RUN_LIMITS } from "./check-runs.ts";
export type { CheckRunRef, NewCheckRun, CheckRunState, CheckRunUpdate } from "./check-runs.ts";
export {
  AppCredentialsRejectedError,
  GitHubRateLimitError,
  GitHubUnavailableError,
  InstallationGoneError,
  InstallationSuspendedError,
  MissingAppCredentialsError,
  PrivateKeyFormatError,
  RepositoryNotInstalledError,
  PermissionsNotGrantedError,
} from "./errors.ts";
export type * from "./types.ts";
