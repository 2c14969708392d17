/**
 * One named error per way talking to GitHub as the App can fail. Each message
 * starts with `repoflow:` and ends with what to do about it.
 *
 * These errors cross the durable boundary (a Workflow step that throws is
 * serialized with its name and message only), so callers recognise them by
 * `name`, never by `instanceof` or by matching message text.
 */

export class MissingAppCredentialsError extends Error {
  override readonly name = "MissingAppCredentialsError";
  constructor(missing: string[]) {
    super(`repoflow: ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set, so repoflow cannot call GitHub as the App. Set ${missing.join(" and ")} in .dev.vars (local) or with \`npx wrangler secret put\`.`);
  }
}

export class PrivateKeyFormatError extends Error {
  override readonly name = "PrivateKeyFormatError";
  constructor(detail: string) {
    super(`repoflow: PRIVATE_KEY ${detail}. Paste the whole .pem file GitHub generated for the App (it starts with "-----BEGIN RSA PRIVATE KEY-----"); a PKCS#8 "BEGIN PRIVATE KEY" file works too.`);
  }
}

export class AppCredentialsRejectedError extends Error {
  override readonly name = "AppCredentialsRejectedError";
  constructor(appId: string, status: number, githubMessage: string) {
    super(`repoflow: GitHub rejected the App's JWT for APP_ID ${appId} (${status}: ${githubMessage}). Check that APP_ID and PRIVATE_KEY belong to the same GitHub App and that the machine's clock is right.`);
  }
}

export class InstallationGoneError extends Error {
  override readonly name = "InstallationGoneError";
  constructor(readonly installationId: number) {
    super(`repoflow: installation ${installationId} no longer exists (the App was uninstalled). Install the GitHub App on the account again to resume its workflows.`);
  }
}

export class InstallationSuspendedError extends Error {
  override readonly name = "InstallationSuspendedError";
  constructor(readonly installationId: number) {
    super(`repoflow: installation ${installationId} is suspended. Unsuspend the GitHub App in the account's Settings › GitHub Apps to resume its workflows.`);
  }
}

export class RepositoryNotInstalledError extends Error {
  override readonly name = "RepositoryNotInstalledError";
  constructor(readonly installationId: number, readonly repository: string) {
    super(`repoflow: repository ${repository} is not accessible to installation ${installationId}. Add it to the App's repository access in the account's Settings › GitHub Apps.`);
  }
}

/** The token asked for permissions the installation has not granted (the App lacks them, or the owner has not accepted them yet). */
export class PermissionsNotGrantedError extends Error {
  override readonly name = "PermissionsNotGrantedError";
  constructor(readonly installationId: number, readonly repository: string, readonly permissions: Readonly<Record<string, string>>, githubMessage: string) {
    super(
      `repoflow: installation ${installationId} does not grant all the permissions this workflow declares on ${repository} (${Object.entries(permissions).map(([name, access]) => `${name}: ${access}`).join(", ")}; GitHub: ${githubMessage}). ` +
        "Declare less in workflow({ permissions }), or give the GitHub App the permission (App settings › Permissions) and have the account owner accept it (Settings › GitHub Apps › repoflow).",
    );
  }
}

/** GitHub's primary or secondary rate limit, still in force after the retries repoflow allows itself inside one step. */
export class GitHubRateLimitError extends Error {
  override readonly name = "GitHubRateLimitError";
  constructor(readonly request: string, readonly retryAfterSeconds: number) {
    super(`repoflow: GitHub's rate limit refused ${request}; it lifts in ${retryAfterSeconds} s. Sleep the step for that long (step.sleep) before trying again, or make fewer requests per run.`);
  }
}

/** GitHub kept answering 5xx (or the network failed) through every retry. */
export class GitHubUnavailableError extends Error {
  override readonly name = "GitHubUnavailableError";
  constructor(readonly request: string, readonly status: number, readonly attempts: number) {
    super(`repoflow: GitHub answered ${status} to ${request} on all ${attempts} attempts. It is likely an outage (see https://www.githubstatus.com); the step will be retried, or rerun the check run later.`);
  }
}
