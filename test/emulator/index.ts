/**
 * A local emulator of the GitHub REST API subset repoflow uses — not GitHub.
 * Tests, `npm run dev` and the demo point repoflow's API URL at it, seed
 * repositories, drive the service, then read back check runs, comments and
 * labels, and assert `violations` is empty: every request is validated
 * against GitHub's official OpenAPI description and GitHub's auth rules.
 *
 * Written in erasable TypeScript with `.ts` imports on `node:http` so Node 22
 * runs it directly (`node test/emulator/cli.ts`) and vitest imports it as is.
 * The server binds 127.0.0.1 only; `close()` also drops keep-alive
 * connections, because Octokit's fetch keeps them open and `server.close()`
 * alone would wait for them.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { parsePublicKey } from "./auth.ts";
import { ADMIN_PREFIX, handleAdmin } from "./admin.ts";
import { handle } from "./pipeline.ts";
import {
  addRepo,
  commit,
  createWorld,
  DEFAULT_PERMISSIONS,
  headSha,
  openIssue,
  openPullRequest,
  requireIssue,
  requireRepo,
  type World,
} from "./state.ts";
import type { Emulator, EmulatorOptions } from "./types.ts";

export type {
  AnnotationState,
  CheckRunState,
  Emulator,
  EmulatorOptions,
  FailureResponse,
  IssueSeed,
  PullRequestSeed,
  RecordedRequest,
  RepoSeed,
} from "./types.ts";
export { InvalidSeedError, UnknownBranchError, UnknownIssueError, UnknownRepoError } from "./state.ts";
export { validateResponse } from "./openapi.ts";

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const world = createWorld(options.appId ?? "1", options.appSlug ?? "repoflow", options.permissions ?? DEFAULT_PERMISSIONS, options.onRequest);
  const publicKey = options.appPublicKey === undefined ? undefined : parsePublicKey(options.appPublicKey);
  const site = { url: "", world };

  const server = createServer((request, response) => {
    readBody(request).then(
      (body) => {
        if ((request.url ?? "").startsWith(ADMIN_PREFIX)) {
          const admin = handleAdmin(world, request.method ?? "GET", new URL(request.url ?? "/", site.url).pathname, parseJsonOrNull(body));
          response.writeHead(admin.status, { "content-type": "application/json; charset=utf-8" });
          response.end(JSON.stringify(admin.body));
          return;
        }
        const reply = handle(site, publicKey, { method: request.method ?? "GET", url: request.url ?? "/", headers: flatHeaders(request), body });
        response.writeHead(reply.status, reply.headers);
        response.end(reply.body);
      },
      (error: unknown) => {
        response.writeHead(400, { "content-type": "application/json; charset=utf-8" });
        response.end(JSON.stringify({ message: `repoflow emulator: could not read the request body: ${String(error)}` }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  site.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return emulatorFor(world, site.url, server);
}

function emulatorFor(world: World, url: string, server: ReturnType<typeof createServer>): Emulator {
  return {
    url,
    get requests() {
      return world.requests;
    },
    get violations() {
      return world.violations;
    },
    addRepo: (seed) => addRepo(world, seed),
    commit: (fullName, files, message, branch) => commit(world, fullName, files, message, branch),
    headSha: (fullName, branch) => headSha(world, fullName, branch),
    checkRuns: (fullName) => structuredClone([...requireRepo(world, fullName).checkRuns.values()]),
    comments: (fullName, issueNumber) => {
      requireIssue(world, fullName, issueNumber);
      return [...requireRepo(world, fullName).comments.values()]
        .filter((comment) => comment.issueNumber === issueNumber)
        .map(({ id, body, user }) => ({ id, body, user }));
    },
    labels: (fullName, issueNumber) => [...requireIssue(world, fullName, issueNumber).labels],
    reactions: (fullName, target) =>
      requireRepo(world, fullName)
        .reactions.filter((reaction) =>
          "issue" in target ? "issue" in reaction.target && reaction.target.issue === target.issue : "comment" in reaction.target && reaction.target.comment === target.comment,
        )
        .map((reaction) => reaction.content),
    openIssue: (fullName, seed) => openIssue(world, fullName, seed),
    openPullRequest: (fullName, seed) => openPullRequest(world, fullName, seed),
    failNext: (match, response, times = 1) => {
      world.failures.push({ method: match.method, path: match.path, response, remaining: times });
    },
    reset: () => {
      world.requests.length = 0;
      world.violations.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function readBody(request: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    request.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    request.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    request.on("error", reject);
  });
}

function flatHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function parseJsonOrNull(body: Uint8Array): unknown {
  try {
    const text = new TextDecoder().decode(body);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
