/**
 * One request through the emulated API, in the order GitHub applies its
 * checks: injected failures, route, credentials, repository visibility and
 * permissions, JSON parsing, the OpenAPI contract, then the handler. A pure
 * function of the state and the request (no sockets), so the HTTP shell in
 * index.ts stays a few lines and every rule can be driven directly.
 *
 * Every rejection caused by the request itself (no such endpoint, bad or
 * missing credentials, a repository the token may not see, a permission it
 * lacks, malformed JSON, a schema or limit breach) is answered as GitHub
 * answers it and recorded in `violations`, one line per problem.
 */
import { STATUS_CODES } from "node:http";
import type { KeyObject } from "node:crypto";
import { checkAppJwt, credential } from "./auth.ts";
import { errorReply, HANDLERS, REQUIRED_PERMISSIONS, type Caller, type Reply } from "./handlers.ts";
import { faultResponse, type FaultAction } from "./faults.ts";
import { checkRunProblems } from "./limits.ts";
import { matchRoute, pathExists, validateRequest, type Operation } from "./openapi.ts";
import type { Site } from "./shapes.ts";
import { findRepo, roleOf, ROLES, timestamp, type Repo, type World } from "./state.ts";

export interface IncomingRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  /** Lowercased names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface OutgoingResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

const GENERIC_DOCS = { documentationUrl: "https://docs.github.com/rest" };

/** GitHub's primary rate limits: 5,000 requests an hour for an installation or the app, 60 without credentials. */
const RATE_LIMIT = { authenticated: 5000, anonymous: 60, windowMs: 60 * 60 * 1000 };

/** `injected`: a response fault the HTTP shell drew for this request (faults.ts); it answers before anything else. */
export function handle(site: Site, publicKey: KeyObject | undefined, request: IncomingRequest, injected: FaultAction | null = null): OutgoingResponse {
  const { world } = site;
  const method = request.method.toUpperCase();
  const url = new URL(request.url, site.url);
  const path = safeDecode(url.pathname);
  const query = Object.fromEntries(url.searchParams);
  const text = new TextDecoder().decode(request.body);
  let body: unknown = undefined;
  let malformed = false;
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
      malformed = true;
    }
  }
  const route = matchRoute(method, url.pathname);
  const identity = rateLimitIdentity(request.headers.authorization);

  const respond = (reply: Reply, violations: string[] = reply.violation === undefined ? [] : [reply.violation]): OutgoingResponse => {
    const lines = violations.map((line) => `${method} ${path}: ${line}`);
    const recorded = { method, path, query, headers: { ...request.headers }, body, status: reply.status, operationId: route?.operation.operationId ?? null };
    world.violations.push(...lines);
    world.requests.push(recorded);
    world.onRequest?.(recorded, lines);
    const headers: Record<string, string> = {
      "content-type": "application/json; charset=utf-8",
      "x-github-api-version-selected": "2022-11-28",
      "x-github-request-id": `EMU:${world.requests.length.toString(16).toUpperCase()}`,
      "x-github-media-type": "github.v3; format=json",
      ...rateLimitHeaders(world, identity),
      ...reply.headers,
    };
    if (reply.raw) return { status: reply.status, headers, body: reply.raw };
    return { status: reply.status, headers, body: reply.body === undefined ? "" : JSON.stringify(reply.body) };
  };

  const failure = injected && faultResponse(injected, `EMU:${(world.requests.length + 1).toString(16).toUpperCase()}`);
  if (failure) {
    const status = failure.status;
    const fallback = { message: STATUS_CODES[status] ?? "Injected failure", documentation_url: GENERIC_DOCS.documentationUrl };
    return respond({ status, headers: failure.headers, body: injected.kind === "status" && injected.body === undefined ? fallback : failure.body });
  }

  if (!route) {
    const why = pathExists(url.pathname)
      ? `GitHub serves this path, but not with ${method}`
      : "GitHub's REST API has no such endpoint (check the path against docs.github.com/rest)";
    return respond(errorReply(GENERIC_DOCS, 404, "Not Found", why));
  }
  const { operation, params } = route;
  const docs = { documentationUrl: operation.documentationUrl };

  if (exhausted(world, identity)) {
    const reply = errorReply(docs, 403, `API rate limit exceeded for ${identity.label}.`);
    return respond({ ...reply, headers: { "retry-after": String(Math.ceil((rateWindow(world, identity).resetAt - Date.now()) / 1000)) } });
  }
  consume(world, identity);

  const authenticated = authenticate(world, publicKey, operation, request.headers.authorization);
  if ("reply" in authenticated) return respond(authenticated.reply);
  const { caller } = authenticated;

  let repo: Repo | null = null;
  if (operation.template.startsWith("/repos/{owner}/{repo}")) {
    const access = authorizeRepo(world, operation, method, caller, params.owner ?? "", params.repo ?? "", docs);
    if ("reply" in access) return respond(access.reply);
    repo = access.repo;
  }

  if (malformed) return respond(errorReply(docs, 400, "Problems parsing JSON", "the body is not valid JSON"));

  const problems = validateRequest(operation, params, query, body);
  if (problems.path.length > 0) return respond(errorReply(docs, 404, "Not Found"), problems.path);
  const contract = [...problems.query, ...problems.body];
  if (operation.operationId === "checks/create" || operation.operationId === "checks/update") contract.push(...checkRunProblems(body, operation.operationId));
  const unique = [...new Set(contract)];
  if (unique.length > 0) return respond(errorReply(docs, 422, `Invalid request.\n\n${unique.join("\n")}`), unique);

  const handler = HANDLERS[operation.operationId];
  if (!handler) {
    return respond(
      errorReply(
        docs,
        501,
        `The GitHub emulator does not implement ${operation.operationId}.`,
        `${operation.operationId} is a real GitHub endpoint the emulator does not implement yet; add a handler in test/emulator/handlers.ts`,
      ),
    );
  }
  return respond(
    handler({ site, world, repo, caller, params, query, body, accept: request.headers.accept ?? "", requestUrl: url.href, documentationUrl: operation.documentationUrl }),
  );
}

type Authenticated = { caller: Caller } | { reply: Reply };

function authenticate(world: World, publicKey: KeyObject | undefined, operation: Operation, header: string | undefined): Authenticated {
  const docs = { documentationUrl: operation.documentationUrl };
  const value = credential(header);
  const isAppRoute = operation.template === "/app" || operation.template.startsWith("/app/");
  if (isAppRoute) {
    if (value === null) return { reply: errorReply(docs, 401, "Requires authentication", "/app endpoints need `Authorization: Bearer <app JWT>`") };
    if (value.startsWith("ghs_")) {
      return { reply: errorReply(docs, 401, "A JSON web token could not be decoded", "an installation token was sent to an /app endpoint, which needs the app JWT") };
    }
    const check = checkAppJwt(value, world.appId, publicKey, Date.now());
    return check.ok ? { caller: { kind: "app" } } : { reply: errorReply(docs, 401, check.message, check.violation) };
  }
  if (value === null && header !== undefined && header.trim() !== "") {
    return { reply: errorReply(docs, 401, "Bad credentials", "the Authorization header is neither `token <token>` nor `Bearer <token>`") };
  }
  if (value === null) {
    if (operation.template === "/user" || operation.template.startsWith("/user/")) {
      return { reply: errorReply(docs, 401, "Requires authentication", "/user endpoints need a user token (ghu_…) from the OAuth web flow") };
    }
    if (operation.template.startsWith("/installation/")) {
      return { reply: errorReply(docs, 401, "Requires authentication", "/installation endpoints need an installation token") };
    }
    return { caller: { kind: "none" } };
  }
  if (value.split(".").length === 3) {
    return {
      reply: errorReply(docs, 401, "Bad credentials", "an app JWT was sent where an installation token is needed; exchange it at POST /app/installations/{installation_id}/access_tokens"),
    };
  }
  const isUserRoute = operation.template === "/user" || operation.template.startsWith("/user/");
  if (value.startsWith("ghu_")) {
    const userToken = world.userTokens.get(value);
    if (!userToken) return { reply: errorReply(docs, 401, "Bad credentials", "the user token was never issued by this emulator's OAuth web flow (or reset/restarted since)") };
    if (userToken.expiresAt <= Date.now()) {
      return { reply: errorReply(docs, 401, "Bad credentials", `the user token expired at ${timestamp(userToken.expiresAt)}; sign in again or refresh it`) };
    }
    if (operation.template.startsWith("/installation/")) {
      return { reply: errorReply(docs, 403, "Resource not accessible by integration", "/installation endpoints need an installation token, not a user token") };
    }
    return { caller: { kind: "user", token: userToken } };
  }
  const token = world.tokens.get(value);
  if (!token) return { reply: errorReply(docs, 401, "Bad credentials", "the token was never issued by this emulator (or reset/restarted since)") };
  if (isUserRoute) {
    return { reply: errorReply(docs, 403, "Resource not accessible by integration", "/user endpoints answer for a person: send a user token (ghu_…) from the OAuth web flow, not an installation token") };
  }
  if (token.expiresAt <= Date.now()) {
    return { reply: errorReply(docs, 401, "Bad credentials", `the installation token expired at ${timestamp(token.expiresAt)}; request a new one`) };
  }
  return { caller: { kind: "installation", token } };
}

type Authorized = { repo: Repo } | { reply: Reply };

function authorizeRepo(world: World, operation: Operation, method: string, caller: Caller, owner: string, name: string, docs: { documentationUrl: string }): Authorized {
  const repo = findRepo(world, owner, name);
  if (!repo) return { reply: errorReply(docs, 404, "Not Found") };
  const reads = method === "GET" || method === "HEAD";
  if (caller.kind === "app") throw new Error("repoflow: an app caller reached a repository route; authenticate() must refuse JWTs there.");
  if (caller.kind === "none") {
    if (repo.private) return { reply: errorReply(docs, 404, "Not Found", `no credentials; ${repo.fullName} is private, so GitHub hides it`) };
    if (!reads) return { reply: errorReply(docs, 401, "Requires authentication", "writes need an installation token") };
    return { repo };
  }
  if (caller.kind === "user") return authorizeUserRepo(world, operation, reads, caller.token.login, repo, docs);
  const { token } = caller;
  const installed = token.installationId === repo.installationId;
  const inScope = installed && (token.repositoryIds === null || token.repositoryIds.has(repo.id));
  if (!inScope) {
    const why = !installed
      ? `the token belongs to installation ${token.installationId}, but ${repo.fullName} is in installation ${repo.installationId}`
      : `the token is scoped to other repositories of installation ${token.installationId}, not ${repo.fullName}`;
    if (repo.private) return { reply: errorReply(docs, 404, "Not Found", why) };
    if (!reads) return { reply: errorReply(docs, 403, "Resource not accessible by integration", why) };
    return { repo };
  }
  const needed = REQUIRED_PERMISSIONS[operation.operationId] ?? [];
  const granted = needed.length === 0 || needed.some(([permission, access]) => {
    const has = token.permissions[permission];
    return has === "write" || (has === "read" && access === "read");
  });
  if (!granted) {
    const wanted = needed.map(([permission, access]) => `${permission}:${access}`).join(" or ");
    return { reply: errorReply(docs, 403, "Resource not accessible by integration", `the token lacks ${wanted}; request it in the access token's permissions`) };
  }
  return { repo };
}

/**
 * A user token acts for a person through the App, so it may do what both
 * may: the App's installation on the repository grants the permission, and
 * the person's role allows it (read for reading, write for writing). Every
 * emulated repository is in an installation of the App. Creating or
 * updating check runs is for installation tokens only ("OAuth apps and
 * authenticated users can view check runs and check suites, but they are
 * not able to create them", docs.github.com REST checks).
 */
function authorizeUserRepo(world: World, operation: Operation, reads: boolean, login: string, repo: Repo, docs: { documentationUrl: string }): Authorized {
  const role = roleOf(repo, login);
  if (role === "none") return { reply: errorReply(docs, 404, "Not Found", `${login} has no access to the private repository ${repo.fullName}`) };
  const needed = REQUIRED_PERMISSIONS[operation.operationId] ?? [];
  const appGrants = needed.length === 0 || needed.some(([permission, access]) => {
    const has = world.installationPermissions[permission];
    return has === "write" || (has === "read" && access === "read");
  });
  const writes = !reads || needed.some(([, access]) => access === "write");
  const personMay = !writes || ROLES.indexOf(role) >= ROLES.indexOf("write");
  const checksWrite = needed.some(([permission, access]) => permission === "checks" && access === "write");
  if (appGrants && personMay && !checksWrite) return { repo };
  const why = checksWrite
    ? "check runs are created and updated with an installation token only"
    : !appGrants
      ? `the App's installation does not grant ${needed.map(([permission, access]) => `${permission}:${access}`).join(" or ")}`
      : `${login} has the ${role} role on ${repo.fullName}, which does not allow writing`;
  return { reply: errorReply(docs, 403, "Resource not accessible by integration", why) };
}

interface Identity {
  key: string;
  label: string;
  limit: number;
}

function rateLimitIdentity(header: string | undefined): Identity {
  const value = credential(header);
  if (value === null) return { key: "anonymous", label: "127.0.0.1", limit: RATE_LIMIT.anonymous };
  const label = value.startsWith("ghs_") ? "this installation token" : value.startsWith("ghu_") ? "this user token" : "the app";
  return { key: value, label, limit: RATE_LIMIT.authenticated };
}

function rateWindow(world: World, identity: Identity): { used: number; resetAt: number } {
  let window = world.rateLimits.get(identity.key);
  if (!window || window.resetAt <= Date.now()) {
    window = { used: 0, resetAt: Date.now() + RATE_LIMIT.windowMs };
    world.rateLimits.set(identity.key, window);
  }
  return window;
}

function exhausted(world: World, identity: Identity): boolean {
  return rateWindow(world, identity).used >= identity.limit;
}

function consume(world: World, identity: Identity): void {
  rateWindow(world, identity).used += 1;
}

function rateLimitHeaders(world: World, identity: Identity): Record<string, string> {
  const window = rateWindow(world, identity);
  return {
    "x-ratelimit-limit": String(identity.limit),
    "x-ratelimit-remaining": String(Math.max(identity.limit - window.used, 0)),
    "x-ratelimit-used": String(window.used),
    "x-ratelimit-reset": String(Math.floor(window.resetAt / 1000)),
    "x-ratelimit-resource": "core",
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Records a request whose connection a fault reset: status 0, nothing answered. */
export function recordReset(site: Site, request: IncomingRequest): void {
  const url = new URL(request.url, site.url);
  const method = request.method.toUpperCase();
  const recorded = {
    method,
    path: safeDecode(url.pathname),
    query: Object.fromEntries(url.searchParams),
    headers: { ...request.headers },
    body: undefined,
    status: 0,
    operationId: matchRoute(method, url.pathname)?.operation.operationId ?? null,
  };
  site.world.requests.push(recorded);
  site.world.onRequest?.(recorded, []);
}

/** The decoded path faults are matched on, as `failNext` and the recorded requests show it. */
export function requestPath(site: Site, url: string): string {
  return safeDecode(new URL(url, site.url).pathname);
}
