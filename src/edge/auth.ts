/**
 * Who may see the dashboard and the JSON API, repository by repository
 * (invariant 11: a person sees a run only if GitHub lets them read its
 * repository, and controls it only if GitHub lets them write there).
 *
 * Local mode: everyone, as admin everywhere; `wrangler dev` binds 127.0.0.1.
 * Production: a person signed in with GitHub through the App's OAuth client.
 * The session cookie carries `{login, token, exp}` ENCRYPTED (AES-GCM, key
 * derived from SESSION_SECRET with HKDF), because the user-to-server token
 * must survive between requests: with it, each request learns what the
 * person may see from GitHub itself (`GET /user/installations` and
 * `GET /user/installations/{id}/repositories`, which give the person's
 * `permissions` on each repository the App is installed on). That answer is
 * kept 60 s in isolate memory, keyed by a hash of the token; the token is
 * never written to D1, R2 or Workflow state. Without a valid session, or
 * once GitHub refuses the token, pages redirect to sign-in and the API
 * answers 401: never data.
 *
 * GitHub lists only repositories a person has explicit access to (owner,
 * collaborator, team or organization base role), so a public repository's
 * runs are shown to its people, not to every GitHub user.
 *
 * The OAuth variables are read here from `env` per request rather than in
 * config.ts: only the dashboard needs them, and a webhook-only deployment
 * must keep working without them.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { readConfig, type ControlRole } from "../config";

/** GitHub's repository roles, weakest first. */
export const REPOSITORY_ROLES = ["read", "triage", "write", "maintain", "admin"] as const;
export type RepositoryRole = (typeof REPOSITORY_ROLES)[number];

/** What GitHub lets a signed-in person see: the App's installations they can access, and their role on each repository of them. */
export interface RepositoryAccess {
  installationIds: readonly number[];
  /** Lowercased `owner/name` → the person's role (GitHub matches names case-insensitively). */
  roles: ReadonlyMap<string, RepositoryRole>;
}

/** Who is looking: in local mode everyone may do everything everywhere. */
export interface Viewer {
  login: string;
  access: "all" | RepositoryAccess;
}

/** What the session cookie carries, encrypted. */
export interface Session {
  login: string;
  /** The user-to-server token GitHub gave at sign-in. */
  token: string;
  /** Unix seconds: the sooner of 8 hours and the token's own expiry. */
  exp: number;
}

export type AuthEnv = { Bindings: Cloudflare.Env; Variables: { viewer: Viewer } };

const SESSION_COOKIE = "repoflow_session";
const STATE_COOKIE = "repoflow_oauth_state";
const SESSION_VERSION = "v2";
export const SESSION_SECONDS = 8 * 3600;
/** How long what GitHub said a person may see is trusted before asking again. */
export const ACCESS_TTL_MS = 60_000;
const MAX_CACHED_ACCESS = 1000;
// Pages hold 100; 10 pages is far beyond one person's installations, and 1,000 repositories per
// installation a bound: beyond it a repository is not shown (fail closed), never shown wrongly.
const MAX_PAGES = 10;

const OAUTH_VARIABLES = ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "SESSION_SECRET"] as const;
type OAuthVariable = (typeof OAUTH_VARIABLES)[number];

/** A variable sign-in needs is missing in production. */
export class AuthConfigError extends Error {
  override readonly name = "AuthConfigError";
  constructor(readonly missing: readonly OAuthVariable[]) {
    super(
      `repoflow: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not set, so nobody can sign in to the dashboard. ` +
        "Set the GitHub App's OAuth client id and secret and a long random SESSION_SECRET with `npx wrangler secret put <NAME>`.",
    );
  }
}

/** The callback's `state` does not match the one this browser was sent off with. */
export class OAuthStateError extends Error {
  override readonly name = "OAuthStateError";
  constructor() {
    super("repoflow: this sign-in expired or did not start here; start again at /auth/login.");
  }
}

/** GitHub refused the code, or did not answer who the user is. */
export class OAuthExchangeError extends Error {
  override readonly name = "OAuthExchangeError";
  constructor(what: string) {
    super(
      `repoflow: GitHub sign-in failed: ${what}. Start again at /auth/login; if it repeats, check that GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET belong to this GitHub App and its Callback URL is /auth/callback on this host.`,
    );
  }
}

/** GitHub could not be asked what a signed-in person may see: nothing is shown until it can. */
export class AccessCheckError extends Error {
  override readonly name = "AccessCheckError";
  constructor(what: string) {
    super(`repoflow: could not ask GitHub which repositories you may see (${what}); nothing is shown until it answers. Try again in a moment.`);
  }
}

interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  sessionSecret: string;
}

function oauthSettings(env: Partial<Record<OAuthVariable, string>>): OAuthSettings {
  const missing = OAUTH_VARIABLES.filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new AuthConfigError(missing);
  return { clientId: env.GITHUB_CLIENT_ID!.trim(), clientSecret: env.GITHUB_CLIENT_SECRET!.trim(), sessionSecret: env.SESSION_SECRET!.trim() };
}

/** The web host for an API URL: github.com for api.github.com, https://HOST for GitHub Enterprise Server's https://HOST/api/v3. */
export function webOrigin(apiUrl: string): string {
  const url = new URL(apiUrl);
  return url.hostname === "api.github.com" ? "https://github.com" : url.origin;
}

/** Only a path on this site: `//host` and `/\host` would leave it. */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[^\s]*$/.test(next) ? next : "/";
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  // A length of 1 mod 4 is no base64 at all, and atob throws on it: a cookie is input, never a 500.
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

const encoder = new TextEncoder();
const SESSION_AAD = encoder.encode(SESSION_COOKIE);
const sessionKeys = new Map<string, Promise<CryptoKey>>();

/** AES-256-GCM key for the session cookie, derived from SESSION_SECRET (HKDF-SHA-256), once per secret and isolate. */
function sessionKey(secret: string): Promise<CryptoKey> {
  let key = sessionKeys.get(secret);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: encoder.encode("repoflow session cookie"), info: encoder.encode(`${SESSION_COOKIE} ${SESSION_VERSION} AES-GCM`) },
          material,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    // A rotated secret leaves one stale key behind per isolate: keep the map from growing.
    if (sessionKeys.size >= 4) sessionKeys.clear();
    sessionKeys.set(secret, key);
  }
  return key;
}

/**
 * `v2.<iv>.<ciphertext>`: the session encrypted and authenticated with
 * AES-GCM, so the token cannot be read and nothing can be changed. `expiresIn`
 * is the token's own lifetime in seconds when GitHub gave one.
 */
export async function sealSession(secret: string, session: { login: string; token: string; expiresIn?: number }, now = Date.now()): Promise<string> {
  const lifetime = Math.min(SESSION_SECONDS, session.expiresIn ?? SESSION_SECONDS);
  const body: Session = { login: session.login, token: session.token, exp: Math.floor(now / 1000) + lifetime };
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: SESSION_AAD }, await sessionKey(secret), encoder.encode(JSON.stringify(body))));
  return `${SESSION_VERSION}.${base64url(iv)}.${base64url(sealed)}`;
}

/** The session in a cookie value, or null when it is missing, forged, malformed, of an older version or expired. */
export async function openSession(secret: string, cookie: string | undefined, now = Date.now()): Promise<Session | null> {
  const [version, ivText, sealedText, extra] = (cookie ?? "").split(".");
  if (version !== SESSION_VERSION || !ivText || !sealedText || extra !== undefined) return null;
  const iv = fromBase64url(ivText);
  const sealed = fromBase64url(sealedText);
  if (!iv || iv.length !== 12 || !sealed || sealed.length < 16) return null;
  let session: Partial<Session>;
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: SESSION_AAD }, await sessionKey(secret), sealed);
    session = JSON.parse(new TextDecoder().decode(plain)) as Partial<Session>;
  } catch {
    // A wrong key or a changed byte fails GCM's tag check.
    return null;
  }
  const { login, token, exp } = session;
  if (typeof login !== "string" || typeof token !== "string" || token === "" || typeof exp !== "number") return null;
  if (exp * 1000 <= now) return null;
  return { login, token, exp };
}

/**
 * Sets `viewer`, or answers without data: `redirect` sends a page request to
 * sign-in (coming back to the same URL), `unauthorized` gives the API a 401.
 * A token GitHub no longer accepts (revoked, expired) counts as no session.
 */
export function requireViewer(onMissing: "redirect" | "unauthorized"): MiddlewareHandler<AuthEnv> {
  return async function requireViewer(c, next) {
    const config = readConfig(c.env);
    if (config.mode === "local") {
      const refusal = notLoopback(c.req.raw);
      if (refusal) return c.json({ error: "local_mode_not_local", message: refusal }, 403);
      c.set("viewer", { login: "local", access: "all" });
      return next();
    }
    const { sessionSecret } = oauthSettings(c.env);
    const session = await openSession(sessionSecret, getCookie(c, SESSION_COOKIE));
    let access: RepositoryAccess | null = null;
    if (session) {
      try {
        access = await repositoryAccess(config.githubApiUrl, session.token);
      } catch (error) {
        if (!(error instanceof AccessCheckError)) throw error;
        return onMissing === "unauthorized" ? c.json({ error: "github_unavailable", message: error.message }, 502) : c.text(error.message, 502);
      }
    }
    if (!session || !access) {
      if (session) deleteCookie(c, SESSION_COOKIE, { ...cookieOptions, path: "/" });
      if (onMissing === "unauthorized") {
        return c.json({ error: "unauthorized", message: "repoflow: the API needs a signed-in GitHub user; sign in at /auth/login and send the session cookie." }, 401);
      }
      const url = new URL(c.req.url);
      return c.redirect(`/auth/login?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
    }
    c.set("viewer", { login: session.login, access });
    return next();
  };
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/**
 * Local mode opens the dashboard and API to whoever asks, so it answers only
 * on this machine: the URL must name a loopback host, and the client address
 * (CF-Connecting-IP, which Cloudflare's edge always sets to the real client)
 * must be loopback when present. A Worker deployed with REPOFLOW_ENV=local is
 * reached by its public hostname, and refuses, saying why.
 */
export function notLoopback(request: Request): string | null {
  const host = new URL(request.url).hostname;
  const client = request.headers.get("cf-connecting-ip");
  if (LOOPBACK_HOSTS.has(host) && (client === null || LOOPBACK_ADDRESS.test(client))) return null;
  return `repoflow: REPOFLOW_ENV is "local", which opens the dashboard and API without sign-in, so they answer only on this machine (127.0.0.1), not at ${host}${client ? ` for ${client}` : ""}. On a deployed Worker set REPOFLOW_ENV to "production" (wrangler.toml [vars]) and configure GitHub sign-in (docs/operators.md).`;
}

/** The person's role on a repository, or null when they may not see it. */
export function roleIn(viewer: Viewer, repository: string): RepositoryRole | null {
  return viewer.access === "all" ? "admin" : (viewer.access.roles.get(repository.toLowerCase()) ?? null);
}

/** Invariant 11, seeing: any role on the repository. */
export function canRead(viewer: Viewer, repository: string | null): boolean {
  return repository !== null && roleIn(viewer, repository) !== null;
}

/** Invariant 11, controlling: at least `controlRole` (CONTROL_ROLE) on the repository. */
export function canControl(viewer: Viewer, repository: string, controlRole: ControlRole): boolean {
  const role = roleIn(viewer, repository);
  return role !== null && REPOSITORY_ROLES.indexOf(role) >= REPOSITORY_ROLES.indexOf(controlRole);
}

/** Why the viewer may not do `action` on the repository's runs, or null when they may. */
export function controlRefusal(viewer: Viewer, repository: string, controlRole: ControlRole, action: string): string | null {
  if (canControl(viewer, repository, controlRole)) return null;
  return `repoflow: ${action} needs the ${controlRole} role on ${repository} (the CONTROL_ROLE setting); GitHub gives you ${roleIn(viewer, repository) ?? "no"} access there. Ask an admin of ${repository} for ${controlRole} access.`;
}

export function canSeeInstallation(viewer: Viewer, installationId: number): boolean {
  return viewer.access === "all" || viewer.access.installationIds.includes(installationId);
}

/** The repositories (lowercased full names) a query must be limited to, or undefined for all of them. */
export function readableRepositories(viewer: Viewer): readonly string[] | undefined {
  return viewer.access === "all" ? undefined : [...viewer.access.roles.keys()];
}

const cookieOptions = { httpOnly: true, secure: true, sameSite: "Lax" } as const;

async function githubJson<T>(url: string, init: RequestInit, what: string): Promise<T> {
  const response = await fetch(url, { ...init, headers: { accept: "application/json", "user-agent": "repoflow", ...init.headers } }).catch((error: unknown) => {
    throw new OAuthExchangeError(`${what} could not be reached (${String(error)})`);
  });
  if (!response.ok) throw new OAuthExchangeError(`${what} answered ${response.status}`);
  return (await response.json().catch(() => {
    throw new OAuthExchangeError(`${what} did not answer JSON`);
  })) as T;
}

const accessCache = new Map<string, { until: number; access: Promise<RepositoryAccess | null> }>();

async function tokenKey(apiUrl: string, token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`${apiUrl}\n${token}`)));
  return base64url(digest);
}

/**
 * What GitHub lets the token's person see, from the cache when asked within
 * ACCESS_TTL_MS (concurrent requests share one lookup); null when GitHub no
 * longer accepts the token. Throws AccessCheckError when GitHub cannot be
 * asked; a failed lookup is not cached.
 */
export async function repositoryAccess(apiUrl: string, token: string, now = Date.now()): Promise<RepositoryAccess | null> {
  const key = await tokenKey(apiUrl, token);
  const cached = accessCache.get(key);
  if (cached && cached.until > now) return cached.access;
  if (accessCache.size >= MAX_CACHED_ACCESS) {
    for (const [old, entry] of accessCache) if (entry.until <= now) accessCache.delete(old);
    // Still full of live entries: drop the oldest (a Map iterates in insertion order).
    if (accessCache.size >= MAX_CACHED_ACCESS) accessCache.delete(accessCache.keys().next().value!);
  }
  const access = askGitHub(apiUrl, token);
  accessCache.set(key, { until: now + ACCESS_TTL_MS, access });
  access.catch(() => accessCache.delete(key));
  return access;
}

type Permissions = Partial<Record<"admin" | "maintain" | "push" | "triage" | "pull", boolean>>;

/** The role GitHub's `permissions` booleans on a repository amount to. */
export function roleOf(permissions: Permissions | undefined): RepositoryRole | null {
  if (!permissions) return null;
  if (permissions.admin) return "admin";
  if (permissions.maintain) return "maintain";
  if (permissions.push) return "write";
  if (permissions.triage) return "triage";
  if (permissions.pull) return "read";
  return null;
}

/** Thrown inside askGitHub when GitHub answers 401: the token is revoked or expired. */
class TokenRefused extends Error {
  override readonly name = "TokenRefused";
}

async function userGet<T>(apiUrl: string, token: string, path: string): Promise<T | "not_found"> {
  const response = await fetch(`${apiUrl}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "user-agent": "repoflow", "x-github-api-version": "2022-11-28" },
  }).catch((error: unknown) => {
    throw new AccessCheckError(`GET ${path.split("?")[0]} could not be reached: ${String(error)}`);
  });
  if (response.status === 401) throw new TokenRefused();
  // An installation the person lost access to between the two calls.
  if (response.status === 404) return "not_found";
  if (!response.ok) throw new AccessCheckError(`GET ${path.split("?")[0]} answered ${response.status}`);
  return (await response.json().catch(() => {
    throw new AccessCheckError(`GET ${path.split("?")[0]} did not answer JSON`);
  })) as T;
}

/** Every page of a /user list, up to MAX_PAGES. */
async function allPages<T>(apiUrl: string, token: string, path: string, items: (body: Record<string, unknown>) => T[] | undefined): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const body = await userGet<Record<string, unknown>>(apiUrl, token, `${path}?per_page=100&page=${page}`);
    if (body === "not_found") break;
    const got = items(body) ?? [];
    all.push(...got);
    if (got.length < 100 || all.length >= Number(body.total_count ?? 0)) break;
  }
  return all;
}

async function askGitHub(apiUrl: string, token: string): Promise<RepositoryAccess | null> {
  try {
    const installations = await allPages(apiUrl, token, "/user/installations", (body) => body.installations as { id: number }[] | undefined);
    const roles = new Map<string, RepositoryRole>();
    await Promise.all(
      installations.map(async ({ id }) => {
        const repositories = await allPages(apiUrl, token, `/user/installations/${id}/repositories`, (body) => body.repositories as { full_name: string; permissions?: Permissions }[] | undefined);
        for (const repository of repositories) {
          const role = roleOf(repository.permissions);
          if (role) roles.set(repository.full_name.toLowerCase(), role);
        }
      }),
    );
    return { installationIds: installations.map((i) => i.id), roles };
  } catch (error) {
    if (error instanceof TokenRefused) return null;
    throw error;
  }
}

/** /auth/login, /auth/callback and POST /auth/logout. */
export function authRoutes() {
  const auth = new Hono<AuthEnv>();

  auth.get("/auth/login", (c) => {
    const next = safeNext(c.req.query("next"));
    const config = readConfig(c.env);
    if (config.mode === "local") return c.redirect(next, 302);
    const { clientId } = oauthSettings(c.env);
    const state = crypto.randomUUID();
    setCookie(c, STATE_COOKIE, `${state}|${next}`, { ...cookieOptions, path: "/auth", maxAge: 600 });
    const url = new URL("/login/oauth/authorize", webOrigin(config.githubApiUrl));
    url.searchParams.set("client_id", clientId);
    url.searchParams.set("state", state);
    url.searchParams.set("redirect_uri", new URL("/auth/callback", c.req.url).toString());
    return c.redirect(url.toString(), 302);
  });

  auth.get("/auth/callback", async (c) => {
    const config = readConfig(c.env);
    const settings = oauthSettings(c.env);
    const stored = getCookie(c, STATE_COOKIE) ?? "";
    const separator = stored.indexOf("|");
    const expectedState = separator > 0 ? stored.slice(0, separator) : "";
    const next = safeNext(stored.slice(separator + 1));
    deleteCookie(c, STATE_COOKIE, { ...cookieOptions, path: "/auth" });
    const code = c.req.query("code");
    if (!expectedState || c.req.query("state") !== expectedState || !code) return c.text(new OAuthStateError().message, 400);

    try {
      const grant = await githubJson<{ access_token?: string; expires_in?: number; error?: string; error_description?: string }>(
        `${webOrigin(config.githubApiUrl)}/login/oauth/access_token`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ client_id: settings.clientId, client_secret: settings.clientSecret, code, redirect_uri: new URL("/auth/callback", c.req.url).toString() }),
        },
        "POST /login/oauth/access_token",
      );
      // GitHub reports a bad or used code as 200 with an `error` field.
      if (!grant.access_token) throw new OAuthExchangeError(`the code was not accepted (${grant.error ?? "no access_token"}${grant.error_description ? `: ${grant.error_description}` : ""})`);
      const token = grant.access_token;
      const user = await githubJson<{ login?: string }>(`${config.githubApiUrl}/user`, { headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" } }, "GET /user");
      if (!user.login) throw new OAuthExchangeError("GET /user named no login");
      // A user token expires after 8 hours when the App opts into expiring tokens (GitHub's default); the session ends with it.
      const expiresIn = typeof grant.expires_in === "number" && grant.expires_in > 0 ? grant.expires_in : SESSION_SECONDS;
      const sealed = await sealSession(settings.sessionSecret, { login: user.login, token, expiresIn });
      setCookie(c, SESSION_COOKIE, sealed, { ...cookieOptions, path: "/", maxAge: Math.min(SESSION_SECONDS, expiresIn) });
      return c.redirect(next, 302);
    } catch (error) {
      if (error instanceof OAuthExchangeError) return c.text(error.message, 502);
      throw error;
    }
  });

  auth.post("/auth/logout", (c) => {
    deleteCookie(c, SESSION_COOKIE, { ...cookieOptions, path: "/" });
    return c.redirect("/auth/signed-out", 303);
  });

  return auth;
}
