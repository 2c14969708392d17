/**
 * The only way out of a tenant's Dynamic Worker. The loader sets
 * `globalOutbound` to this gateway, so every `fetch()` the tenant makes (its
 * Octokit included) arrives here. It lets through the GitHub REST API for the
 * run's own repository, adds that installation's repo-scoped token on the way
 * out, and refuses everything else. The token never enters the tenant isolate
 * (invariant 4).
 */
import { readConfig, type ConfigEnv } from "../config";
import { getInstallationToken } from "../github";

/** The host the tenant SDK's Octokit addresses; the gateway maps it to the configured API (GitHub, GHES, or the local emulator). */
export const TENANT_GITHUB_ORIGIN = "https://api.github.com";

export interface GatewayTarget {
  /** owner/name of the run's repository. */
  repository: string;
  /** Base URL of the real API, without a trailing slash. */
  apiUrl: string;
  token(): Promise<string>;
  fetch?: typeof fetch;
}

// Headers a tenant may set; everything else (authorization, cookies, forwarding headers) is dropped.
const FORWARDED_HEADERS = ["accept", "content-type", "user-agent", "x-github-api-version", "if-none-match", "if-modified-since"];

export async function forwardToGitHub(request: Request, target: GatewayTarget): Promise<Response> {
  const url = new URL(request.url);
  const refusal = refuse(url, request.method, target.repository);
  if (refusal) return Response.json({ message: refusal }, { status: 403 });

  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  if (!headers.has("user-agent")) headers.set("user-agent", "repoflow-workflow");
  headers.set("authorization", `token ${await target.token()}`);
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
  // A redirect is the tenant's to follow (its Octokit does), so it comes back here and is checked like any request.
  const upstream = await (target.fetch ?? fetch)(`${target.apiUrl}${url.pathname}${url.search}`, { method: request.method, headers, body, redirect: "manual" });
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

/** Why a request may not leave, or null when it may. */
export function refuse(url: URL, method: string, repository: string): string | null {
  if (url.origin !== TENANT_GITHUB_ORIGIN) {
    return `repoflow: workflows may only call the GitHub API (${TENANT_GITHUB_ORIGIN}); the request to ${url.origin} was blocked.`;
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
  const climbs = path.split("/").some((segment) => segment === "." || segment === "..");
  if (climbs || !(lower === own || lower.startsWith(own + "/"))) {
    return `repoflow: workflows may only call the GitHub API for their own repository (${repository}); ${method} ${url.pathname} was blocked.`;
  }
  return null;
}

export interface GatewayProps {
  installationId: number;
  repository: string;
}

/** The GitHubGateway entrypoint's body: the run's repo-scoped installation token, minted and cached on this side of the boundary. */
export function gatewayFetch(env: ConfigEnv, props: GatewayProps, request: Request): Promise<Response> {
  const config = readConfig(env);
  return forwardToGitHub(request, {
    repository: props.repository,
    apiUrl: config.githubApiUrl,
    token: async () => (await getInstallationToken(config, { installationId: props.installationId, repository: props.repository })).reveal(),
  });
}
