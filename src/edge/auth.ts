/**
 * Who may see the dashboard and the JSON API.
 *
 * Local mode: everyone; `wrangler dev` binds 127.0.0.1. Production: a person
 * signed in with GitHub through the App's OAuth client, who sees only the
 * installations GitHub lists for them (`GET /user/installations`). The session
 * is an HMAC-signed cookie `{login, installationIds, exp}`; the user's GitHub
 * token is dropped once those are known. Without a valid session, pages
 * redirect to sign-in and the API answers 401: never data.
 *
 * The OAuth variables are read here from `env` per request rather than in
 * config.ts: only the dashboard needs them, and a webhook-only deployment
 * must keep working without them.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { readConfig } from "../config";

/** Who is looking: in local mode everyone sees every installation. */
export interface Viewer {
  login: string;
  installationIds: "all" | readonly number[];
}

/** What the session cookie carries, signed. */
export interface Session {
  login: string;
  installationIds: number[];
  /** Unix seconds. */
  exp: number;
}

export type AuthEnv = { Bindings: Cloudflare.Env; Variables: { viewer: Viewer } };

const SESSION_COOKIE = "repoflow_session";
const STATE_COOKIE = "repoflow_oauth_state";
export const SESSION_SECONDS = 8 * 3600;
// /user/installations pages hold 100; 10 pages is far beyond any one person's installations.
const MAX_INSTALLATION_PAGES = 10;

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

function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function sealSession(secret: string, viewer: { login: string; installationIds: readonly number[] }, now = Date.now()): Promise<string> {
  const session: Session = { login: viewer.login, installationIds: [...viewer.installationIds], exp: Math.floor(now / 1000) + SESSION_SECONDS };
  const body = base64url(new TextEncoder().encode(JSON.stringify(session)));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), new TextEncoder().encode(body)));
  return `${body}.${base64url(mac)}`;
}

/** The session in a cookie value, or null when it is missing, forged, malformed or expired. */
export async function openSession(secret: string, cookie: string | undefined, now = Date.now()): Promise<Session | null> {
  const [body, macText, extra] = (cookie ?? "").split(".");
  if (!body || !macText || extra !== undefined) return null;
  const mac = fromBase64url(macText);
  // crypto.subtle.verify compares in constant time.
  if (!mac || !(await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, new TextEncoder().encode(body)))) return null;
  let session: Partial<Session>;
  try {
    session = JSON.parse(new TextDecoder().decode(fromBase64url(body) ?? new Uint8Array())) as Partial<Session>;
  } catch {
    return null;
  }
  const { login, installationIds, exp } = session;
  if (typeof login !== "string" || typeof exp !== "number" || !Array.isArray(installationIds) || !installationIds.every(Number.isInteger)) return null;
  if (exp * 1000 <= now) return null;
  return { login, installationIds, exp };
}

/**
 * Sets `viewer`, or answers without data: `redirect` sends a page request to
 * sign-in (coming back to the same URL), `unauthorized` gives the API a 401.
 */
export function requireViewer(onMissing: "redirect" | "unauthorized"): MiddlewareHandler<AuthEnv> {
  return async function requireViewer(c, next) {
    if (readConfig(c.env).mode === "local") {
      const refusal = notLoopback(c.req.raw);
      if (refusal) return c.json({ error: "local_mode_not_local", message: refusal }, 403);
      c.set("viewer", { login: "local", installationIds: "all" });
      return next();
    }
    const { sessionSecret } = oauthSettings(c.env);
    const session = await openSession(sessionSecret, getCookie(c, SESSION_COOKIE));
    if (!session) {
      if (onMissing === "unauthorized") {
        return c.json({ error: "unauthorized", message: "repoflow: the API needs a signed-in GitHub user; sign in at /auth/login and send the session cookie." }, 401);
      }
      const url = new URL(c.req.url);
      return c.redirect(`/auth/login?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
    }
    c.set("viewer", { login: session.login, installationIds: session.installationIds });
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

export function canSee(viewer: Viewer, installationId: number): boolean {
  return viewer.installationIds === "all" || viewer.installationIds.includes(installationId);
}

/** The installation ids a query must be limited to, or undefined for all of them. */
export function visibleInstallationIds(viewer: Viewer): readonly number[] | undefined {
  return viewer.installationIds === "all" ? undefined : viewer.installationIds;
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

/** The ids of every installation of this App the user can access, across pages. */
async function userInstallationIds(apiUrl: string, token: string): Promise<number[]> {
  const ids: number[] = [];
  for (let page = 1; page <= MAX_INSTALLATION_PAGES; page++) {
    const body = await githubJson<{ total_count?: number; installations?: { id: number }[] }>(
      `${apiUrl}/user/installations?per_page=100&page=${page}`,
      { headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" } },
      "GET /user/installations",
    );
    const installations = body.installations ?? [];
    ids.push(...installations.map((i) => i.id));
    if (installations.length < 100 || ids.length >= (body.total_count ?? 0)) break;
  }
  return ids;
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
      const grant = await githubJson<{ access_token?: string; error?: string; error_description?: string }>(
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
      const [user, installationIds] = await Promise.all([
        githubJson<{ login?: string }>(`${config.githubApiUrl}/user`, { headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" } }, "GET /user"),
        userInstallationIds(config.githubApiUrl, token),
      ]);
      if (!user.login) throw new OAuthExchangeError("GET /user named no login");
      setCookie(c, SESSION_COOKIE, await sealSession(settings.sessionSecret, { login: user.login, installationIds }), { ...cookieOptions, path: "/", maxAge: SESSION_SECONDS });
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
