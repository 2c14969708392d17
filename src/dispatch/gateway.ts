/**
 * The only way out of a tenant's Dynamic Worker. The loader sets
 * `globalOutbound` to this gateway, so every `fetch()` the tenant makes (its
 * Octokit included) arrives here. It lets through the GitHub REST API for the
 * run's own repository and GraphQL, adds a token minted for that repository
 * and the workflow's declared permissions on the way out, and refuses
 * everything else. The token never enters the tenant isolate (invariant 4),
 * and GitHub itself refuses what the declaration does not cover (invariant 11).
 * GraphQL is passed because the token is scoped to the run's repository: it
 * writes nowhere else and reads no other private repository; like any
 * GitHub token it can read public ones, which the REST rules here do not
 * allow but GraphQL cannot be held to.
 */
import { readConfig, type ConfigEnv } from "../config";
import { getInstallationToken, PermissionsNotGrantedError } from "../github";
import { describePermissions, RESERVED_WRITES, type Permissions } from "../runtime";

/** The host the tenant SDK's Octokit addresses; the gateway maps it to the configured API (GitHub, GHES, or the local emulator). */
export const TENANT_GITHUB_ORIGIN = "https://api.github.com";

export interface GatewayTarget {
  /** owner/name of the run's repository. */
  repository: string;
  /** Base URL of the real API, without a trailing slash. */
  apiUrl: string;
  token(): Promise<string>;
  /** What the token holds, to name in a refusal; null: no egress at all (describe(), `if`, lane keys). */
  permissions?: Permissions | null;
  fetch?: typeof fetch;
}

// Headers a tenant may set; everything else (authorization, cookies, forwarding headers) is dropped.
const FORWARDED_HEADERS = ["accept", "content-type", "user-agent", "x-github-api-version", "if-none-match", "if-modified-since"];

export async function forwardToGitHub(request: Request, target: GatewayTarget): Promise<Response> {
  const url = new URL(request.url);
  if (target.permissions === null) {
    return Response.json({ message: `repoflow: workflows call GitHub only inside run(); \`if\` and lane keys decide from the event alone (${request.method} ${url.pathname} was blocked).` }, { status: 403 });
  }
  const refusal = refuse(url, request.method, target.repository);
  if (refusal) return Response.json({ message: refusal }, { status: 403 });
  // A run from before declarations holds the installation's whole grant: REST only, where the path rules apply.
  if (isGraphql(url) && target.permissions === undefined) {
    return Response.json({ message: "repoflow: GraphQL needs a token scoped to declared permissions; this run started before workflows declared them. Re-run it." }, { status: 403 });
  }

  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  if (!headers.has("user-agent")) headers.set("user-agent", "repoflow-workflow");
  let token: string;
  try {
    token = await target.token();
  } catch (error) {
    // The step sees GitHub's kind of answer, with repoflow's explanation as its message.
    if (error instanceof PermissionsNotGrantedError) return Response.json({ message: error.message }, { status: 403 });
    throw error;
  }
  headers.set("authorization", `token ${token}`);
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
  const upstreamUrl = isGraphql(url) ? graphqlUrl(target.apiUrl) : `${target.apiUrl}${url.pathname}${url.search}`;
  // A redirect is the tenant's to follow (its Octokit does), so it comes back here and is checked like any request.
  const upstream = await (target.fetch ?? fetch)(upstreamUrl, { method: request.method, headers, body, redirect: "manual" });
  if (upstream.status === 403 && target.permissions) return explainRefusal(upstream, request.method, url.pathname, target.permissions);
  const answer = new Headers(upstream.headers);
  const location = answer.get("location");
  if (location !== null) {
    const moved = toTenantUrl(location, target.apiUrl);
    if (moved === null) {
      return Response.json({ message: `repoflow: GitHub redirected ${request.method} ${url.pathname} away from the GitHub API; the redirect was not followed.` }, { status: 403 });
    }
    answer.set("location", moved);
  }
  // Pages beyond the first are named by absolute URLs of the real API; the tenant must ask for them through here.
  const link = answer.get("link");
  if (link !== null) answer.set("link", link.replace(/<([^>]*)>/g, (whole, href: string) => { const mapped = toTenantUrl(href, target.apiUrl); return mapped === null ? whole : `<${mapped}>`; }));
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: answer });
}

/** An upstream URL as the tenant addresses it (its origin is TENANT_GITHUB_ORIGIN), or null when it leaves the API. */
function toTenantUrl(href: string, apiUrl: string): string | null {
  let absolute: URL;
  try {
    absolute = new URL(href, `${apiUrl}/`);
  } catch {
    return null;
  }
  const base = new URL(`${apiUrl}/`);
  if (absolute.origin !== base.origin || !absolute.pathname.startsWith(base.pathname.replace(/\/$/, ""))) return null;
  const path = absolute.pathname.slice(base.pathname.replace(/\/$/, "").length) || "/";
  return `${TENANT_GITHUB_ORIGIN}${path}${absolute.search}`;
}

/** GitHub's 403 "Resource not accessible by integration", with what the run's token holds and where to declare more. */
async function explainRefusal(upstream: Response, method: string, path: string, permissions: Permissions): Promise<Response> {
  const text = await upstream.text();
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    body = parsed as Record<string, unknown>;
  } catch {
    return new Response(text, { status: upstream.status, statusText: upstream.statusText, headers: upstream.headers });
  }
  // A rate limit is a 403 too; only a refusal of the token's permissions gets the explanation.
  if (typeof body.message === "string" && /not accessible by integration/i.test(body.message)) {
    body.message = `${body.message} (${method} ${path}): this workflow's token holds only ${describePermissions(permissions)}. Declare what the request needs in workflow({ permissions }), e.g. { pull_requests: "write" }; see docs/authors.md#permissions.`;
  }
  const headers = new Headers(upstream.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(body), { status: upstream.status, statusText: upstream.statusText, headers });
}

/** POST /graphql as the tenant's Octokit sends it. */
function isGraphql(url: URL): boolean {
  return url.origin === TENANT_GITHUB_ORIGIN && url.pathname === "/graphql";
}

/** GitHub's GraphQL endpoint for a REST base: api.github.com/graphql, or HOST/api/graphql on GitHub Enterprise Server (REST at HOST/api/v3). */
export function graphqlUrl(apiUrl: string): string {
  return /\/api\/v3$/.test(apiUrl) ? `${apiUrl.slice(0, -"/v3".length)}/graphql` : `${apiUrl}/graphql`;
}

/** Why a request may not leave, or null when it may. */
export function refuse(url: URL, method: string, repository: string): string | null {
  if (url.origin !== TENANT_GITHUB_ORIGIN) {
    return `repoflow: workflows may only call the GitHub API (${TENANT_GITHUB_ORIGIN}); the request to ${url.origin} was blocked.`;
  }
  if (isGraphql(url)) {
    // The token reaches this repository alone, so GitHub answers a query about any other one with NOT_FOUND.
    return method === "POST" ? null : `repoflow: GitHub's GraphQL API takes POST only; ${method} /graphql was blocked.`;
  }
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return `repoflow: workflows may only call the GitHub API with well-formed paths; ${method} ${url.pathname} is not valid percent-encoding and was blocked.`;
  }
  const own = `/repos/${repository}`.toLowerCase();
  const lower = path.toLowerCase();
  // A "." or ".." segment could climb out of the repository; "..." inside a segment (compare/base...head) cannot.
  // An empty segment ("//") would slip past the prefix checks below, so it is refused like a climb.
  const segments = path.split("/");
  const climbs = segments.some((segment, i) => segment === "." || segment === ".." || (i > 0 && i < segments.length - 1 && segment === ""));
  if (climbs || !(lower === own || lower.startsWith(own + "/"))) {
    return `repoflow: workflows may only call the GitHub API for their own repository (${repository}); ${method} ${url.pathname} was blocked.`;
  }
  const writes = method !== "GET" && method !== "HEAD";
  // Belt and braces: the run's token never holds checks: write, and the gateway refuses the writes too.
  if (writes && RESERVED_WRITES.includes("checks") && /^\/(check-runs|check-suites)(\/|$)/.test(lower.slice(own.length))) {
    return `repoflow: check runs and suites are repoflow's own (it reports each run in one); ${method} ${url.pathname} was blocked. Report with step.annotate() and the run's result.`;
  }
  return null;
}

export interface GatewayProps {
  installationId: number;
  repository: string;
  /**
   * The workflow's permissions (the manifest's, pinned in the run's metadata); null: no egress (the
   * tenant's control entrypoint). Absent only for runs started before declarations existed: their token
   * holds what the installation grants, as it did when they started.
   */
  permissions?: Permissions | null;
}

/** Belt and braces: whatever reached the props, a tenant's token never holds a reserved write (checks). */
function withoutReservedWrites(permissions: Permissions | null | undefined): Permissions | null | undefined {
  if (!permissions) return permissions;
  const safe: Permissions = { ...permissions };
  for (const name of RESERVED_WRITES) if (safe[name] === "write") safe[name] = "read";
  return safe;
}

/** The GitHubGateway entrypoint's body: the run's repo-scoped installation token, minted and cached on this side of the boundary. */
export function gatewayFetch(env: ConfigEnv, props: GatewayProps, request: Request): Promise<Response> {
  const config = readConfig(env);
  const permissions = withoutReservedWrites(props.permissions);
  return forwardToGitHub(request, {
    repository: props.repository,
    apiUrl: config.githubApiUrl,
    ...(permissions === undefined ? {} : { permissions }),
    token: async () =>
      (await getInstallationToken(config, { installationId: props.installationId, repository: props.repository, ...(permissions ? { permissions } : {}) })).reveal(),
  });
}
