/**
 * The service's configuration, read from the Worker's env and validated in one
 * place. Names follow Probot's conventions (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET)
 * so an existing GitHub App's secrets carry over unchanged.
 *
 * Env bindings are read per request (never cached in a constructor): on Workers
 * a deploy or secret rotation gives a new env object, and a WeakMap keyed on it
 * keeps validation to once per env without ever serving a stale value.
 */

export type Mode = "local" | "production";

export interface Config {
  mode: Mode;
  /** Current secret first; a second one (WEBHOOK_SECRET_PREVIOUS) keeps deliveries signed with the old secret valid during rotation. */
  webhookSecrets: string[];
  appId: string | undefined;
  privateKey: string | undefined;
  githubApiUrl: string;
  /** Finished runs, their logs, stored payloads and unreferenced bundles older than this are deleted (RETENTION_DAYS, default 30). */
  retentionDays: number;
}

/** The env variables config reads; secrets are optional at the type level because a missing one is a user error we report, not a type error. */
export interface ConfigEnv {
  REPOFLOW_ENV?: string;
  WEBHOOK_SECRET?: string;
  WEBHOOK_SECRET_PREVIOUS?: string;
  APP_ID?: string;
  PRIVATE_KEY?: string;
  GITHUB_API_URL?: string;
  RETENTION_DAYS?: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(message: string) {
    super(`repoflow: ${message}`);
  }
}

const parsed = new WeakMap<object, Config>();

export function readConfig(env: ConfigEnv): Config {
  let config = parsed.get(env);
  if (!config) {
    config = parseConfig(env);
    parsed.set(env, config);
  }
  return config;
}

export function parseConfig(env: ConfigEnv): Config {
  const modeValue = env.REPOFLOW_ENV ?? "production";
  if (modeValue !== "local" && modeValue !== "production") {
    throw new ConfigError(`REPOFLOW_ENV must be "local" or "production", got "${modeValue}".`);
  }
  const mode: Mode = modeValue;
  const secret = nonEmpty(env.WEBHOOK_SECRET);
  const previous = nonEmpty(env.WEBHOOK_SECRET_PREVIOUS);
  const appId = nonEmpty(env.APP_ID);
  const privateKey = nonEmpty(env.PRIVATE_KEY);

  // No silent insecure fallback: outside local mode every secret must be set explicitly.
  if (!secret) {
    throw new ConfigError(
      mode === "local"
        ? "WEBHOOK_SECRET is not set. Copy .dev.vars.example to .dev.vars (npm run dev does this for you)."
        : "WEBHOOK_SECRET is not set. Set it with `npx wrangler secret put WEBHOOK_SECRET` to the secret of your GitHub App's webhook.",
    );
  }
  if (mode === "production") {
    if (!appId) throw new ConfigError("APP_ID is not set. Set it in wrangler.toml [vars] or with `npx wrangler secret put APP_ID` (the GitHub App's numeric id).");
    if (!privateKey) throw new ConfigError("PRIVATE_KEY is not set. Set it with `npx wrangler secret put PRIVATE_KEY < your-app.private-key.pem`.");
  }
  if (appId !== undefined && !/^\d+$/.test(appId)) {
    throw new ConfigError(`APP_ID must be the GitHub App's numeric id, got "${appId}".`);
  }
  const githubApiUrl = (nonEmpty(env.GITHUB_API_URL) ?? "https://api.github.com").replace(/\/+$/, "");
  try {
    new URL(githubApiUrl);
  } catch {
    throw new ConfigError(`GITHUB_API_URL is not a URL: "${githubApiUrl}".`);
  }
  const retentionText = nonEmpty(env.RETENTION_DAYS) ?? "30";
  const retentionDays = Number(retentionText);
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new ConfigError(`RETENTION_DAYS must be a whole number of days, at least 1, got "${retentionText}".`);
  }
  return {
    mode,
    retentionDays,
    webhookSecrets: previous ? [secret, previous] : [secret],
    appId,
    privateKey: privateKey?.replace(/\\n/g, "\n"),
    githubApiUrl,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
