/**
 * Who may see the dashboard and the JSON API.
 *
 * Local mode: everyone; `wrangler dev` binds 127.0.0.1. Production: a person
 * signed in with GitHub (the App's OAuth credentials), who sees only the
 * installations GitHub says they can access (`GET /user/installations`).
 * The session is an HMAC-signed cookie holding their login and installation
 * ids; no GitHub token is kept. Without a valid session, pages redirect to
 * sign-in and the API answers 401: never data.
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { readConfig } from "../config";

export type Viewer = { login: string; installations: "all" | number[] };

export type AuthEnv = { Bindings: Cloudflare.Env; Variables: { viewer: Viewer } };

const SESSION_COOKIE = "repoflow_session";
const STATE_COOKIE = "repoflow_oauth_state";
const SESSION_SECONDS = 8 * 3600;

export class AuthConfigError extends Error {
  override readonly name = "AuthConfigError";
}

interface OAuthSettings {
  clientId: string;
  clientSecret: string;
  sessionSecret: string;
}

function oauthSettings(env: Cloudflare.Env): OAuthSettings {
  const missing = (["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "SESSION_SECRET"] as const).filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new AuthConfigError(
      `repoflow: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not set, so nobody can sign in to the dashboard. Set the GitHub App's OAuth client id and secret and a random SESSION_SECRET with \`npx wrangler secret put\`.`,
    );
  }
  return { clientId: env.GITHUB_CLIENT_ID!, clientSecret: env.GITHUB_CLIENT_SECRET!, sessionSecret: env.SESSION_SECRET! };
}

/** github.com for api.github.com; https://HOST for GitHub Enterprise Server's https://HOST/api/v3. */
export function webOrigin(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === "api.github.com") return "https://github.com";
  return url.origin;
}

async function hmac(secret: string, data: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(data)));
  return btoa(String.fromCharCode(...mac)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function sealSession(secret: string, viewer: Viewer, now = Date.now()): Promise<string> {
  const body = btoa(JSON.stringify({ ...viewer, exp: Math.floor(now / 1000) + SESSION_SECONDS }));
  return `${body}.${await hmac(secret, body)}`;
}

export async function openSession(secret: string, cookie: string | undefined, now = Date.now()): Promise<Viewer | null> {
  if (!cookie) return null;
  const [body, mac] = cookie.split(".");
  if (!body || !mac) return null;
  const expected = await hmac(secret, body);
  // Compare digests of both, so the comparison's timing says nothing about the expected value.
  const [a, b] = await Promise.all([hmac(secret, `cmp:${expected}`), hmac(secret, `cmp:${mac}`)]);
  if (a !== b) return null;
  try {
    const session = JSON.parse(atob(body)) as { login: string; installations: number[]; exp: number };
    if (session.exp * 1000 < now || !Array.isArray(session.installations)) return null;
    return { login: session.login, installations: session.installations };
  } catch {
    return null;
  }
}

/** Sets `viewer`, or answers: a redirect to sign-in for pages, 401 for the API. */
export function requireViewer(): MiddlewareHandler<AuthEnv> {
  return async function requireViewer(c, next) {
    if (readConfig(c.env).mode === "local") {
      c.set("viewer", { login: "local", installations: "all" });
      return next();
    }
    const settings = oauthSettings(c.env);
    const viewer = await openSession(settings.sessionSecret, getCookie(c, SESSION_COOKIE));
    if (!viewer) {
      if (c.req.path.startsWith("/api/")) return c.json({ error: "unauthorized", message: "repoflow: sign in with GitHub at /auth/login to use the API." }, 401);
      return c.redirect(`/auth/login?next=${encodeURIComponent(c.req.path)}`, 302);
    }
    c.set("viewer", viewer);
    return next();
  };
}

export function canSee(viewer: Viewer, installationId: number): boolean {
  return viewer.installations === "all" || viewer.installations.includes(installationId);
}

export function visibleInstallations(viewer: Viewer): number[] | undefined {
  return viewer.installations === "all" ? undefined : viewer.installations;
}

export async function login(c: Context<AuthEnv>): Promise<Response> {
  const settings = oauthSettings(c.env);
  const state = crypto.randomUUID();
  const next = c.req.query("next") ?? "/";
  setCookie(c, STATE_COOKIE, `${state}|${next.startsWith("/") ? next : "/"}`, { httpOnly: true, secure: true, sameSite: "Lax", path: "/auth", maxAge: 600 });
  const url = new URL("/login/oauth/authorize", webOrigin(readConfig(c.env).githubApiUrl));
  url.searchParams.set("client_id", settings.clientId);
  url.searchParams.set("state", state);
  url.searchParams.set("redirect_uri", new URL("/auth/callback", c.req.url).toString());
  return c.redirect(url.toString(), 302);
}

export async function callback(c: Context<AuthEnv>): Promise<Response> {
  const settings = oauthSettings(c.env);
  const config = readConfig(c.env);
  const [expectedState, next = "/"] = (getCookie(c, STATE_COOKIE) ?? "").split("|");
  deleteCookie(c, STATE_COOKIE, { path: "/auth" });
  if (!expectedState || c.req.query("state") !== expectedState || !c.req.query("code")) {
    return c.json({ error: "bad_oauth_state", message: "repoflow: the sign-in expired or did not start here; start again at /auth/login." }, 400);
  }
  const exchange = await fetch(new URL("/login/oauth/access_token", webOrigin(config.githubApiUrl)), {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json", "user-agent": "repoflow" },
    body: JSON.stringify({ client_id: settings.clientId, client_secret: settings.clientSecret, code: c.req.query("code") }),
  });
  const token = ((await exchange.json()) as { access_token?: string }).access_token;
  if (!token) return c.json({ error: "oauth_failed", message: "repoflow: GitHub did not grant a token; try signing in again." }, 502);
  const headers = { authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "user-agent": "repoflow" };
  const [user, installations] = await Promise.all([
    fetch(`${config.githubApiUrl}/user`, { headers }).then((r) => r.json() as Promise<{ login: string }>),
    fetch(`${config.githubApiUrl}/user/installations?per_page=100`, { headers }).then((r) => r.json() as Promise<{ installations?: { id: number }[] }>),
  ]);
  const viewer: Viewer = { login: user.login, installations: (installations.installations ?? []).map((i) => i.id) };
  setCookie(c, SESSION_COOKIE, await sealSession(settings.sessionSecret, viewer), { httpOnly: true, secure: true, sameSite: "Lax", path: "/", maxAge: SESSION_SECONDS });
  return c.redirect(next, 302);
}
