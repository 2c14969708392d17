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

/** The repository roles that may control runs (cancel, re-run, redeliver, run by hand), weakest first. */
export const CONTROL_ROLES = ["write", "maintain", "admin"] as const;
export type ControlRole = (typeof CONTROL_ROLES)[number];

export interface Config {
  mode: Mode;
  /** Current secret first; a second one (WEBHOOK_SECRET_PREVIOUS) keeps deliveries signed with the old secret valid during rotation. */
  webhookSecrets: string[];
  appId: string | undefined;
  privateKey: string | undefined;
  githubApiUrl: string;
  /** Finished runs, their logs, stored payloads and unreferenced bundles older than this are deleted (RETENTION_DAYS, default 30). */
  retentionDays: number;
  /** Where the dashboard is reached (PUBLIC_URL), without a trailing slash: each run's check run links its page there. */
  publicUrl?: string;
  /** The least repository role a signed-in person needs to control a repository's runs (CONTROL_ROLE, default write). */
  controlRole: ControlRole;
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
  PUBLIC_URL?: string;
  CONTROL_ROLE?: string;
}

/** One thing wrong with the env, named by the variable to fix. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`repoflow: ${problems.map((problem) => problem.message).join(" ")}`);
  }
}

/** What the env makes, without throwing: the config when nothing is wrong, and every problem otherwise. */
export interface ConfigReport {
  mode: Mode;
  /** Null when GITHUB_API_URL is not a URL. */
  githubApiUrl: string | null;
  problems: readonly ConfigProblem[];
  config: Config | null;
}

/** The variables the App's credentials are made of: without them repoflow cannot verify a webhook or call GitHub. */
export const APP_CREDENTIALS = ["APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET"] as const;

const reports = new WeakMap<object, ConfigReport>();

export function readConfig(env: ConfigEnv): Config {
  const report = inspectConfig(env);
  if (!report.config) throw new ConfigError(report.problems);
  return report.config;
}

export function parseConfig(env: ConfigEnv): Config {
  const report = reportConfig(env);
  if (!report.config) throw new ConfigError(report.problems);
  return report.config;
}

export function inspectConfig(env: ConfigEnv): ConfigReport {
  let report = reports.get(env);
  if (!report) {
    report = reportConfig(env);
    reports.set(env, report);
  }
  return report;
}

function reportConfig(env: ConfigEnv): ConfigReport {
  const problems: ConfigProblem[] = [];
  const problem = (variable: string, message: string) => problems.push({ variable, message });
  const modeValue = env.REPOFLOW_ENV ?? "production";
  if (modeValue !== "local" && modeValue !== "production") problem("REPOFLOW_ENV", `REPOFLOW_ENV must be "local" or "production", got "${modeValue}".`);
  // An unknown mode is judged as production: the stricter rules are the safe reading.
  const mode: Mode = modeValue === "local" ? "local" : "production";
  const secret = nonEmpty(env.WEBHOOK_SECRET);
  const previous = nonEmpty(env.WEBHOOK_SECRET_PREVIOUS);
  const appId = nonEmpty(env.APP_ID);
  const privateKey = nonEmpty(env.PRIVATE_KEY);

  // No silent insecure fallback: outside local mode every secret must be set explicitly.
  if (!secret) {
    problem(
      "WEBHOOK_SECRET",
      mode === "local"
        ? "WEBHOOK_SECRET is not set. Copy .dev.vars.example to .dev.vars (npm run dev does this for you), or register an App at /setup."
        : "WEBHOOK_SECRET is not set. Set it with `npx wrangler secret put WEBHOOK_SECRET` to the secret of your GitHub App's webhook (/setup registers an App and shows it).",
    );
  }
  if (mode === "production") {
    if (!appId) problem("APP_ID", "APP_ID is not set. Set it in wrangler.toml [vars] or with `npx wrangler secret put APP_ID` (the GitHub App's numeric id; /setup registers an App and shows it).");
    if (!privateKey) problem("PRIVATE_KEY", "PRIVATE_KEY is not set. Set it with `npx wrangler secret put PRIVATE_KEY < your-app.private-key.pem` (/setup registers an App and shows its key).");
  }
  if (appId !== undefined && !/^\d+$/.test(appId)) problem("APP_ID", `APP_ID must be the GitHub App's numeric id, got "${appId}".`);
  let githubApiUrl: string | null = (nonEmpty(env.GITHUB_API_URL) ?? "https://api.github.com").replace(/\/+$/, "");
  try {
    new URL(githubApiUrl);
  } catch {
    problem("GITHUB_API_URL", `GITHUB_API_URL is not a URL: "${githubApiUrl}".`);
    githubApiUrl = null;
  }
  const retentionText = nonEmpty(env.RETENTION_DAYS) ?? "30";
  const retentionDays = Number(retentionText);
  if (!Number.isInteger(retentionDays) || retentionDays < 1) problem("RETENTION_DAYS", `RETENTION_DAYS must be a whole number of days, at least 1, got "${retentionText}".`);
  const publicText = nonEmpty(env.PUBLIC_URL)?.replace(/\/+$/, "");
  if (publicText !== undefined && !(URL.canParse(publicText) && /^https?:$/.test(new URL(publicText).protocol))) {
    problem("PUBLIC_URL", `PUBLIC_URL must be the dashboard's http(s) address, e.g. https://repoflow.example.workers.dev, got "${publicText}".`);
  }
  const controlText = nonEmpty(env.CONTROL_ROLE) ?? "write";
  const controlRole = CONTROL_ROLES.find((role) => role === controlText);
  if (!controlRole) problem("CONTROL_ROLE", `CONTROL_ROLE must be one of ${CONTROL_ROLES.join(", ")}, got "${controlText}".`);
  if (problems.length > 0 || !secret || githubApiUrl === null || !controlRole) return { mode, githubApiUrl, problems, config: null };
  return {
    mode,
    githubApiUrl,
    problems,
    config: {
      mode,
      retentionDays,
      ...(publicText !== undefined ? { publicUrl: publicText } : {}),
      controlRole,
      webhookSecrets: previous ? [secret, previous] : [secret],
      appId,
      privateKey: privateKey?.replace(/\\n/g, "\n"),
      githubApiUrl,
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
