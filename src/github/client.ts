/**
 * The Octokit every GitHub call of the service goes through: @octokit/rest with
 * Probot's retry and throttling plugins, authenticated as the App (JWT) or as
 * one installation on one repository (a scoped, cached token).
 *
 * Built per use from the config and explicit params, never from env bindings
 * at module scope: on Workers a deploy or a secret rotation hands a new env to
 * the next request. The one piece of state shared across requests is the
 * token cache, keyed by App and API so a rotated key never serves old tokens
 * for another App.
 *
 * Workerd shapes two choices. Every client gets its own throttling `id`:
 * plugin-throttling keeps its Bottleneck groups at module scope, and a limiter
 * shared between two requests would start one request's fetch from the
 * other's continuation, which workerd refuses ("Cannot perform I/O on behalf
 * of a different request"). And waits are bounded: a rate limit that lifts
 * later than MAX_WAIT_SECONDS is surfaced as GitHubRateLimitError so the
 * caller can sleep durably instead of holding an isolate.
 */
import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import type { Config } from "../config.ts";
import {
  AppCredentialsRejectedError,
  GitHubRateLimitError,
  GitHubUnavailableError,
  InstallationGoneError,
  InstallationSuspendedError,
  MissingAppCredentialsError,
  PermissionsNotGrantedError,
  RepositoryNotInstalledError,
} from "./errors.ts";
import { createAppJwt } from "./jwt.ts";
import { InstallationToken, sharedTokenCache, tokenCacheKey, type InstallationTokenCache, type TokenScope } from "./tokens.ts";

const RepoflowOctokit = Octokit.plugin(throttling, retry);

export type GitHubClient = InstanceType<typeof RepoflowOctokit>;

export type GitHubConfig = Pick<Config, "appId" | "privateKey" | "githubApiUrl">;

/** Who the client acts as: the App itself (only /app endpoints), or one installation on one repository. */
export type GitHubIdentity = { type: "app" } | ({ type: "installation" } & TokenScope);

export interface GitHubClientParams {
  as: GitHubIdentity;
  /** The X-GitHub-Delivery being processed; sent on every request, as Probot does, so GitHub support can trace calls to an event. */
  deliveryId?: string;
  tokens?: InstallationTokenCache;
  /** The clock the token cache judges freshness by (milliseconds since the epoch). JWTs always use the real clock: GitHub checks them against its own. */
  now?: () => number;
  fetch?: typeof fetch;
  /** Milliseconds per second of `retry-after` and of retry backoff. GitHub's unit is the second; tests shrink it. */
  retryUnitMs?: number;
}

/** Retries of a 5xx or network failure (backoff 1 s, 4 s, 9 s): four attempts within ~15 s. */
export const MAX_RETRIES = 3;
/** Rate-limit retries inside one call; beyond that, or a longer wait, the caller gets GitHubRateLimitError. */
export const MAX_RATE_LIMIT_RETRIES = 2;
export const MAX_WAIT_SECONDS = 60;

// Statuses the retry plugin leaves alone. 403 and 429 are rate limits, the throttling plugin's job;
// retrying them here as well would multiply the attempts.
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

export function createGitHubClient(config: GitHubConfig, params: GitHubClientParams): GitHubClient {
  const unit = params.retryUnitMs ?? 1000;
  const keepWaiting = (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number): boolean =>
    retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= MAX_WAIT_SECONDS;

  const octokit = new RepoflowOctokit({
    baseUrl: config.githubApiUrl,
    userAgent: "repoflow",
    authStrategy: repoflowAuth,
    auth: { config, params } satisfies AuthOptions,
    request: params.fetch ? { fetch: params.fetch } : {},
    retry: { doNotRetry: DO_NOT_RETRY, retries: MAX_RETRIES, retryAfterBaseValue: unit },
    throttle: {
      id: `repoflow-${crypto.randomUUID()}`,
      retryAfterBaseValue: unit,
      onRateLimit: keepWaiting,
      onSecondaryRateLimit: keepWaiting,
    },
  });

  if (params.deliveryId !== undefined) {
    const deliveryId = params.deliveryId;
    octokit.hook.before("request", function addDeliveryId(options) {
      options.headers["x-github-delivery"] = deliveryId;
    });
  }
  octokit.hook.error("request", function explainFailure(error, options) {
    const url = (error as { request?: { url?: string } }).request?.url ?? options.url;
    throw explain(error, `${options.method} ${new URL(url, config.githubApiUrl).pathname}`, options.request as { retryCount?: number });
  });
  return octokit;
}

/** Sends GitHub's rate-limit and outage answers back as named errors; anything else passes unchanged. */
function explain(error: unknown, request: string, requestOptions: { retryCount?: number }): unknown {
  const failure = error as { status?: unknown; response?: { headers?: Record<string, string | undefined> }; message?: unknown };
  if (typeof failure.status !== "number" || !failure.response) return error;
  const headers = failure.response.headers ?? {};
  const status = failure.status;
  if (status === 429 || (status === 403 && (headers["x-ratelimit-remaining"] === "0" || /rate limit/i.test(String(failure.message))))) {
    return new GitHubRateLimitError(request, retryAfterSeconds(headers));
  }
  // The retry plugin sets retryCount after every failed attempt, the last one included.
  if (status >= 500) return new GitHubUnavailableError(request, status, Math.max(1, requestOptions.retryCount ?? 1));
  return error;
}

function retryAfterSeconds(headers: Record<string, string | undefined>): number {
  const retryAfter = Number(headers["retry-after"]);
  if (retryAfter > 0) return retryAfter;
  const reset = Number(headers["x-ratelimit-reset"]);
  // GitHub: "wait until after the time specified by x-ratelimit-reset"; with neither header, "at least one minute".
  if (reset > 0) return Math.max(1, reset - Math.floor(Date.now() / 1000) + 1);
  return 60;
}

interface AuthOptions {
  config: GitHubConfig;
  params: GitHubClientParams;
}

/** The slice of @octokit/request that an auth hook uses, typed structurally. */
interface RequestLike {
  (options: EndpointLike): Promise<unknown>;
  endpoint: { merge(options: EndpointLike): EndpointLike };
}
interface EndpointLike {
  headers: Record<string, string | number | undefined>;
  [option: string]: unknown;
}

/** An Octokit `authStrategy`. Its hook sits inside the retry and throttling wraps, so every attempt takes a fresh header. */
function repoflowAuth({ config, params }: AuthOptions) {
  const { appId, privateKey } = requireCredentials(config);
  const identity = params.as;

  async function auth() {
    return identity.type === "app" ? { type: "app" as const, appId } : { type: "installation" as const, installationId: identity.installationId, repository: identity.repository };
  }

  async function hook(request: RequestLike, options: EndpointLike): Promise<unknown> {
    const endpoint = request.endpoint.merge(options);
    if (identity.type === "app") {
      endpoint.headers.authorization = `bearer ${(await createAppJwt(appId, privateKey)).token}`;
      return request(endpoint);
    }
    const token = await getInstallationToken(config, identity, params);
    endpoint.headers.authorization = `token ${token.reveal()}`;
    try {
      return await request(endpoint);
    } catch (error) {
      if ((error as { status?: unknown }).status === 401) (params.tokens ?? sharedTokenCache).evict(tokenCacheKey(config.githubApiUrl, appId, identity), token);
      throw error;
    }
  }

  return Object.assign(auth, { hook });
}

/**
 * The token for one installation on one repository, cached until 5 minutes before it expires.
 * For callers that must write the header themselves (the tenant egress gateway); everything else uses createGitHubClient.
 */
export function getInstallationToken(config: GitHubConfig, scope: TokenScope, options: Omit<GitHubClientParams, "as"> = {}): Promise<InstallationToken> {
  const { appId } = requireCredentials(config);
  const tokens = options.tokens ?? sharedTokenCache;
  const now = (options.now ?? Date.now)();
  return tokens.get(tokenCacheKey(config.githubApiUrl, appId, scope), now, () => mintInstallationToken(config, options, scope));
}

function requireCredentials(config: GitHubConfig): { appId: string; privateKey: string } {
  const { appId, privateKey } = config;
  if (appId === undefined || privateKey === undefined) {
    throw new MissingAppCredentialsError([appId === undefined ? "APP_ID" : "", privateKey === undefined ? "PRIVATE_KEY" : ""].filter(Boolean));
  }
  return { appId, privateKey };
}

/** POST /app/installations/{id}/access_tokens, scoped to the one repository, with GitHub's refusals turned into named errors. */
async function mintInstallationToken(config: GitHubConfig, params: Omit<GitHubClientParams, "as">, scope: TokenScope): Promise<InstallationToken> {
  const app = createGitHubClient(config, { ...params, as: { type: "app" } });
  const name = scope.repository.slice(scope.repository.indexOf("/") + 1);
  try {
    const { data } = await app.rest.apps.createInstallationAccessToken({
      installation_id: scope.installationId,
      repositories: [name],
      ...(scope.permissions ? { permissions: { ...scope.permissions } } : {}),
    });
    return new InstallationToken(data.token, scope.installationId, scope.repository, Date.parse(data.expires_at));
  } catch (error) {
    const { status, message } = error as { status?: unknown; message?: unknown };
    if (status === 404) throw new InstallationGoneError(scope.installationId);
    if (status === 403 && /suspended/i.test(String(message))) throw new InstallationSuspendedError(scope.installationId);
    // GitHub answers 422 both for a repository outside the installation and for permissions it does not grant.
    if (status === 422 && scope.permissions && /permission/i.test(String(message))) throw new PermissionsNotGrantedError(scope.installationId, scope.repository, scope.permissions, String(message));
    if (status === 422) throw new RepositoryNotInstalledError(scope.installationId, scope.repository);
    if (status === 401) throw new AppCredentialsRejectedError(config.appId ?? "", status, String(message));
    throw error;
  }
}
