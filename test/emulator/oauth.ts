/**
 * GitHub's sign-in for the App's users, as a GitHub App's OAuth client sees it:
 * the web flow (`GET /login/oauth/authorize` → the redirect URI with a `code`
 * and the `state` → `POST /login/oauth/access_token`), user-to-server tokens
 * (`ghu_…`, 8 hours, with a `ghr_…` refresh token), and the REST endpoints a
 * user token reads to learn what its person may see: `GET /user`,
 * `GET /user/installations` and `GET /user/installations/{id}/repositories`.
 *
 * The web routes are not part of the REST description: index.ts serves them
 * before the OpenAPI pipeline, like GitHub serves them on its web host
 * (github.com, not api.github.com). The REST ones are ordinary handlers.
 *
 * The emulator has no browser login: whoever asks `…/authorize` names the
 * person who signs in with a `login` query parameter (a test appends it to
 * the URL the service redirected to) and consents at once.
 *
 * GitHub's facts kept here (docs.github.com "Generating a user access token
 * for a GitHub App", "Refreshing user access tokens", "Troubleshooting OAuth
 * app access token request errors"): a code lives 10 minutes and is good for
 * one exchange; a bad, used or expired code, wrong client credentials and a
 * redirect_uri other than the authorize request's are answered 200 with an
 * `error` field, not an HTTP error; the token answer is form-encoded unless
 * the request accepts JSON; user tokens expire after 8 hours and refresh
 * tokens after 6 months. The user endpoints list only the installations and
 * repositories the person has explicit access to (owner or collaborator:
 * the read anybody has on a public repository does not count), each
 * repository with the person's `permissions`.
 */
import { page as listPage } from "./paging.ts";
import { randomBytes } from "node:crypto";
import { createFiller, type Schema } from "./fill.ts";
import type { Handler, HandlerContext, Reply } from "./handlers.ts";
import { componentSchema, resolveRef } from "./openapi.ts";
import { app, installation, installationAccounts, repository, user, type Site } from "./shapes.ts";
import { explicitRole, ROLES, type Repo, type World } from "./state.ts";
import type { Role } from "./types.ts";

export const OAUTH_PREFIX = "/login/oauth/";
export const USER_TOKEN_LIFETIME_MS = 8 * 60 * 60 * 1000;
const REFRESH_TOKEN_LIFETIME_MS = 184 * 24 * 60 * 60 * 1000;
const CODE_LIFETIME_MS = 10 * 60 * 1000;
const DOCS = "https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app";

type Json = Record<string, unknown>;

export interface WebReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The App's OAuth client id: GET /app's `client_id`. */
export function oauthClientId(site: Site): string {
  return String(app(site).client_id);
}

function secretValue(prefix: string, length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return `${prefix}${Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join("")}`;
}

/** Mints a user-to-server token and its refresh token for `login`. */
export function issueUserToken(world: World, login: string): Json {
  const token = secretValue("ghu_", 36);
  const refresh = secretValue("ghr_", 76);
  const now = Date.now();
  world.userTokens.set(token, { token, login, expiresAt: now + USER_TOKEN_LIFETIME_MS });
  world.oauth.refreshTokens.set(refresh, { login, expiresAt: now + REFRESH_TOKEN_LIFETIME_MS });
  return {
    access_token: token,
    expires_in: USER_TOKEN_LIFETIME_MS / 1000,
    refresh_token: refresh,
    refresh_token_expires_in: REFRESH_TOKEN_LIFETIME_MS / 1000,
    token_type: "bearer",
    scope: "",
  };
}

/**
 * `/login/oauth/authorize` and `/login/oauth/access_token`; anything else
 * under the prefix is GitHub's 404 page. `violations` gets a line when the
 * client is at fault (wrong client credentials, a redirect_uri other than the
 * authorize request's); a used or expired code is not one, since a person
 * reloading the callback page meets it too.
 */
export function handleOAuth(site: Site, method: string, url: URL, headers: Record<string, string>, rawBody: Uint8Array): WebReply {
  const { world } = site;
  const path = url.pathname;
  const record = (reply: WebReply, violation?: string, body?: unknown): WebReply => {
    const recorded = { method, path, query: Object.fromEntries(url.searchParams), headers: { ...headers }, body, status: reply.status, operationId: null };
    const lines = violation === undefined ? [] : [`${method} ${path}: ${violation}`];
    world.violations.push(...lines);
    world.requests.push(recorded);
    world.onRequest?.(recorded, lines);
    return reply;
  };
  const page = (status: number, text: string): WebReply => ({ status, headers: { "content-type": "text/plain; charset=utf-8" }, body: text });

  if (path === `${OAUTH_PREFIX}authorize` && method === "GET") {
    const clientId = url.searchParams.get("client_id") ?? "";
    if (clientId !== oauthClientId(site)) return record(page(404, "Not Found"), `client_id "${clientId}" is not the App's (${oauthClientId(site)})`);
    const login = url.searchParams.get("login")?.trim();
    if (!login) {
      return record(
        page(400, "repoflow emulator: the emulator has no browser login; add login=<who signs in> to the authorize URL (test/emulator/README.md, Signing in)."),
        "no login query parameter: the emulator needs it to know who signs in",
      );
    }
    const redirect = url.searchParams.get("redirect_uri");
    let target: URL;
    try {
      target = new URL(redirect ?? "");
      if (target.protocol !== "http:" && target.protocol !== "https:") throw new Error("not http");
    } catch {
      return record(page(400, "repoflow emulator: redirect_uri must be an absolute http(s) URL (the App's callback URL)."), `redirect_uri ${JSON.stringify(redirect)} is not an absolute http(s) URL`);
    }
    const code = randomBytes(10).toString("hex");
    world.oauth.codes.set(code, { login, clientId, redirectUri: redirect, expiresAt: Date.now() + CODE_LIFETIME_MS });
    target.searchParams.set("code", code);
    const state = url.searchParams.get("state");
    if (state !== null) target.searchParams.set("state", state);
    return record({ status: 302, headers: { location: target.href, "content-type": "text/html; charset=utf-8" }, body: "" });
  }

  if (path === `${OAUTH_PREFIX}access_token` && method === "POST") {
    const params = tokenParams(url, headers, rawBody);
    const json = (headers.accept ?? "").includes("application/json");
    const answer = (fields: Json, violation?: string) =>
      record(
        json
          ? { status: 200, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(fields) }
          : { status: 200, headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body: new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString() },
        violation,
        redacted(params),
      );
    const error = (code: string, description: string, violation?: string) => answer({ error: code, error_description: description, error_uri: DOCS }, violation);
    if (params.client_id !== oauthClientId(site) || params.client_secret !== world.oauth.clientSecret) {
      return error("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.", "client_id or client_secret is not the App's OAuth client");
    }
    if (params.grant_type === "refresh_token") {
      const held = world.oauth.refreshTokens.get(params.refresh_token ?? "");
      world.oauth.refreshTokens.delete(params.refresh_token ?? "");
      if (!held || held.expiresAt <= Date.now()) return error("bad_refresh_token", "The refresh token passed is incorrect or expired.");
      return answer(issueUserToken(world, held.login));
    }
    const code = world.oauth.codes.get(params.code ?? "");
    // One exchange per code, whatever its outcome.
    world.oauth.codes.delete(params.code ?? "");
    if (!code || code.expiresAt <= Date.now() || code.clientId !== params.client_id) return error("bad_verification_code", "The code passed is incorrect or expired.");
    if (params.redirect_uri !== undefined && code.redirectUri !== null && params.redirect_uri !== code.redirectUri) {
      return error("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.", `redirect_uri ${params.redirect_uri} is not the authorize request's ${code.redirectUri}`);
    }
    return answer(issueUserToken(world, code.login));
  }

  return record(page(404, "Not Found"), `GitHub serves no ${method} ${path}; the web flow is GET ${OAUTH_PREFIX}authorize and POST ${OAUTH_PREFIX}access_token`);
}

/** The exchange's fields, from the query, a JSON body or a form body (GitHub takes all three). */
function tokenParams(url: URL, headers: Record<string, string>, rawBody: Uint8Array): Record<string, string | undefined> {
  const params: Record<string, string | undefined> = Object.fromEntries(url.searchParams);
  const text = new TextDecoder().decode(rawBody).trim();
  if (text === "") return params;
  if ((headers["content-type"] ?? "").includes("application/json")) {
    try {
      const body: unknown = JSON.parse(text);
      if (body !== null && typeof body === "object") for (const [key, value] of Object.entries(body)) if (typeof value === "string") params[key] = value;
    } catch {
      // Not JSON: the fields are missing, and the answer says what is wrong with them.
    }
    return params;
  }
  for (const [key, value] of new URLSearchParams(text)) params[key] = value;
  return params;
}

/** The recorded exchange without the client secret. */
function redacted(params: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...params, ...(params.client_secret === undefined ? {} : { client_secret: "[redacted]" }) };
}

// ── the REST endpoints a user token reads ────────────────────────────────────

const fillSchema = createFiller((ref) => resolveRef(ref) as Schema);

/** The booleans GitHub puts in a repository's `permissions` for a person: every role up to theirs. */
export function rolePermissions(role: Role | "none"): { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean } {
  const rank = role === "none" ? -1 : ROLES.indexOf(role);
  return { pull: rank >= 0, triage: rank >= 1, push: rank >= 2, maintain: rank >= 3, admin: rank >= 4 };
}

function userLogin(context: HandlerContext): string {
  if (context.caller.kind !== "user") throw new Error("repoflow: /user routes need a user caller; check authenticate() in pipeline.ts.");
  return context.caller.token.login;
}

/** The installation's repositories `login` has explicit access to. */
function reposFor(world: World, installationId: number, login: string): Repo[] {
  return [...world.repos.values()].filter((repo) => repo.installationId === installationId && explicitRole(repo, login) !== "none");
}


export const getAuthenticatedUser: Handler = (context) => {
  const login = userLogin(context);
  const base = user(context.site, login);
  const url = String(base.url);
  const created = context.world.createdAt;
  const body = fillSchema(
    componentSchema("private-user"),
    { ...base, user_view_type: "private", name: login, email: null, created_at: created, updated_at: created, two_factor_authentication: true },
    url,
  );
  return { status: 200, body };
};

export const listInstallationsForUser: Handler = (context) => {
  const login = userLogin(context);
  const accessible = installationAccounts(context.world).filter(({ id }) => reposFor(context.world, id, login).length > 0);
  const { items, headers } = listPage(context, accessible);
  return { status: 200, headers, body: { total_count: accessible.length, installations: items.map(({ id, owner }) => installation(context.site, id, owner)) } };
};

export const listInstallationReposForUser: Handler = (context): Reply => {
  const login = userLogin(context);
  const installationId = Number(context.params.installation_id);
  const repos = reposFor(context.world, installationId, login);
  // An installation the person has no repository of is one they may not know about.
  if (repos.length === 0) return { status: 404, body: { message: "Not Found", documentation_url: context.documentationUrl, status: "404" } };
  const { items, headers } = listPage(context, repos);
  return {
    status: 200,
    headers,
    body: {
      total_count: repos.length,
      repository_selection: "all",
      repositories: items.map((repo) => ({ ...repository(context.site, repo, "repository"), permissions: rolePermissions(explicitRole(repo, login)) })),
    },
  };
};
