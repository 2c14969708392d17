/**
 * A local emulator of the GitHub REST API subset repoflow uses — not GitHub.
 * Tests, `npm run dev` and the demo point repoflow's API URL at it, seed
 * repositories, drive the service, then read back check runs, comments and
 * labels, and assert `violations` is empty: every request is validated
 * against GitHub's official OpenAPI description and GitHub's auth rules.
 * With `webhooks` set it also sends the events GitHub would send, signed,
 * and keeps the delivery log the App's deliveries API reads.
 *
 * Written in erasable TypeScript with `.ts` imports on `node:http` so Node 22
 * runs it directly (`node test/emulator/cli.ts`) and vitest imports it as is.
 * The server binds 127.0.0.1 only; `close()` also drops keep-alive
 * connections, because Octokit's fetch keeps them open and `server.close()`
 * alone would wait for them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { addComment, addLabels, addStatus, editComment, pushFiles, removeLabel, requestCheckRunAction, rerequestCheckRun, seedIssue, seedPullRequest, setState, submitReview } from "./actions.ts";
import { parsePublicKey } from "./auth.ts";
import { ADMIN_PREFIX, handleAdmin } from "./admin.ts";
import { handleManifestPage, isManifestPage, registeredPublicKey } from "./app-manifests.ts";
import { GRAPHQL_PATH, handleGraphql } from "./graphql.ts";
import { addFault, createFaultTable, removeFaults, takeFault } from "./faults.ts";
import { pullRange } from "./events.ts";
import { readManifest } from "./manifest.ts";
import { handle, recordReset, requestPath, type IncomingRequest } from "./pipeline.ts";
import { handleOAuth, OAUTH_PREFIX, oauthClientId } from "./oauth.ts";
import type { Site } from "./shapes.ts";
import { addRepo, ageIssue, createWorld, DEFAULT_USER, headSha, requireCheckRun, requireComment, requireIssue, requireRepo, setPermission, UnknownIssueError } from "./state.ts";
import type { ActingUser, Emulator, EmulatorOptions } from "./types.ts";
import { createHooks, settled } from "./webhooks.ts";

export type {
  ActingUser,
  AnnotationState,
  CheckRunState,
  Delivery,
  Emulator,
  EmulatorOptions,
  FailureResponse,
  FaultSpec,
  IssueSeed,
  PullRequestSeed,
  RecordedRequest,
  RepoSeed,
  Role,
  WebhookOptions,
} from "./types.ts";
export {
  InvalidSeedError,
  UnknownBranchError,
  UnknownCheckRunActionError,
  UnknownCheckRunError,
  UnknownCommentError,
  UnknownIssueError,
  UnknownRepoError,
} from "./state.ts";
export { InvalidFaultError } from "./faults.ts";
export { readManifest } from "./manifest.ts";
export { validateResponse } from "./openapi.ts";

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const appId = options.appId ?? "1";
  const manifest = readManifest();
  const world = createWorld(
    appId,
    options.appSlug ?? "repoflow",
    options.permissions ?? manifest.permissions,
    createFaultTable(options.faultSeed ?? 1),
    createHooks(appId, options.webhooks, manifest.events, options.onDelivery),
    options.onRequest,
  );
  const publicKey = options.appPublicKey === undefined ? undefined : parsePublicKey(options.appPublicKey);
  if (options.oauthClientSecret !== undefined) world.oauth.clientSecret = options.oauthClientSecret;
  const site: Site = { url: "", world };
  const delays = new Set<NodeJS.Timeout>();

  const answer = (incoming: IncomingRequest, response: ServerResponse) => {
    const fault = takeFault(world.faults, incoming.method.toUpperCase(), requestPath(site, incoming.url));
    if (fault?.kind === "reset") {
      recordReset(site, incoming);
      response.socket?.destroy();
      return;
    }
    const send = () => {
      // An App created through the manifest flow signs its JWTs with its own key (app-manifests.ts).
      const reply = handle(site, registeredPublicKey(world) ?? publicKey, incoming, fault);
      response.writeHead(reply.status, reply.headers);
      response.end(reply.body);
    };
    if (fault?.kind !== "delay") return send();
    const timer = setTimeout(() => {
      delays.delete(timer);
      send();
    }, fault.ms);
    delays.add(timer);
  };

  const server = createServer((request, response) => {
    readBody(request).then(
      (body) => {
        if ((request.url ?? "").startsWith(OAUTH_PREFIX)) {
          // GitHub's web flow lives on its web host, outside the REST description (oauth.ts).
          const web = handleOAuth(site, request.method ?? "GET", new URL(request.url ?? "/", site.url), flatHeaders(request), body);
          response.writeHead(web.status, web.headers);
          response.end(web.body);
          return;
        }
        if ((request.url ?? "").split("?")[0] === GRAPHQL_PATH) {
          // GraphQL is not in the REST description; graphql.ts checks it against GitHub's GraphQL schema.
          handleGraphql(world, { method: request.method ?? "POST", url: request.url ?? GRAPHQL_PATH, headers: flatHeaders(request), body }).then(
            (reply) => {
              response.writeHead(reply.status, reply.headers);
              response.end(reply.body);
            },
            (error: unknown) => {
              response.writeHead(500, { "content-type": "application/json; charset=utf-8" });
              response.end(JSON.stringify({ message: `repoflow emulator: GraphQL failed: ${String(error)}` }));
            },
          );
          return;
        }
        if (isManifestPage(request.url ?? "/")) {
          // GitHub's "new App" web page of the manifest flow, outside the REST description (app-manifests.ts).
          const web = handleManifestPage(site, request.method ?? "GET", new URL(request.url ?? "/", site.url), body);
          response.writeHead(web.status, web.headers);
          response.end(web.body);
          return;
        }
        if ((request.url ?? "").startsWith(ADMIN_PREFIX)) {
          const admin = handleAdmin(site, request.method ?? "GET", new URL(request.url ?? "/", site.url), parseJsonOrNull(body));
          response.writeHead(admin.status, { "content-type": "application/json; charset=utf-8" });
          response.end(JSON.stringify(admin.body));
          return;
        }
        answer({ method: request.method ?? "GET", url: request.url ?? "/", headers: flatHeaders(request), body }, response);
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
  return emulatorFor(site, server, delays);
}

function emulatorFor(site: Site, server: ReturnType<typeof createServer>, delays: Set<NodeJS.Timeout>): Emulator {
  const { world } = site;
  const person = (as: ActingUser | undefined) => ({ login: as?.user ?? DEFAULT_USER });
  const target = (fullName: string, issueNumber: number) => ({ repo: requireRepo(world, fullName), issue: requireIssue(world, fullName, issueNumber) });
  return {
    url: site.url,
    // A getter: an App registered through the manifest flow gets a client secret of its own.
    get oauthClient() {
      return { clientId: oauthClientId(site), clientSecret: world.oauth.clientSecret };
    },
    get requests() {
      return world.requests;
    },
    get violations() {
      return world.violations;
    },
    addRepo: (seed) => addRepo(world, seed),
    commit: (fullName, files, message, branch, as) => pushFiles(site, fullName, files, message, branch, person(as)),
    headSha: (fullName, branch) => headSha(world, fullName, branch),
    checkRuns: (fullName) => structuredClone([...requireRepo(world, fullName).checkRuns.values()]),
    comments: (fullName, issueNumber) => {
      requireIssue(world, fullName, issueNumber);
      return [...requireRepo(world, fullName).comments.values()]
        .filter((comment) => comment.issueNumber === issueNumber)
        .map(({ id, body, user }) => ({ id, body, user }));
    },
    labels: (fullName, issueNumber) => [...requireIssue(world, fullName, issueNumber).labels],
    reactions: (fullName, reactionTarget) =>
      requireRepo(world, fullName)
        .reactions.filter((reaction) =>
          "issue" in reactionTarget
            ? "issue" in reaction.target && reaction.target.issue === reactionTarget.issue
            : "comment" in reaction.target && reaction.target.comment === reactionTarget.comment,
        )
        .map((reaction) => reaction.content),
    openIssue: (fullName, seed) => seedIssue(site, fullName, seed),
    openPullRequest: (fullName, seed) => seedPullRequest(site, fullName, seed),
    comment: (fullName, issueNumber, body, as) => {
      const { repo, issue } = target(fullName, issueNumber);
      return { id: addComment(site, repo, issue, body, person(as), false).id };
    },
    label: (fullName, issueNumber, name, as) => {
      const { repo, issue } = target(fullName, issueNumber);
      addLabels(site, repo, issue, [name], person(as));
    },
    unlabel: (fullName, issueNumber, name, as) => {
      const { repo, issue } = target(fullName, issueNumber);
      removeLabel(site, repo, issue, name, person(as));
    },
    review: (fullName, pullNumber, review) => {
      const { repo, issue } = target(fullName, pullNumber);
      if (!issue.pull) throw new UnknownIssueError(fullName, pullNumber);
      const created = submitReview(site, repo, issue, { body: review.body ?? "", state: review.state, commitId: pullRange(repo, issue).headSha }, person(review));
      return { id: created.id };
    },
    closeIssue: (fullName, issueNumber, as) => {
      const { repo, issue } = target(fullName, issueNumber);
      setState(site, repo, issue, "closed", as?.reason ?? null, person(as));
    },
    reopenIssue: (fullName, issueNumber, as) => {
      const { repo, issue } = target(fullName, issueNumber);
      setState(site, repo, issue, "open", null, person(as));
    },
    editComment: (fullName, commentId, body, as) => {
      const comment = requireComment(world, fullName, commentId);
      const { repo, issue } = target(fullName, comment.issueNumber);
      // Whoever wrote a comment is who usually edits it.
      editComment(site, repo, issue, comment, body, { login: as?.user ?? comment.user });
    },
    clickCheckRunAction: (fullName, checkRunId, identifier, as) => {
      requestCheckRunAction(site, requireRepo(world, fullName), requireCheckRun(world, fullName, checkRunId), identifier, person(as));
    },
    reportStatus: (fullName, sha, status) => {
      const repo = requireRepo(world, fullName);
      addStatus(site, repo, { sha, state: status.state, context: status.context, description: status.description ?? null, targetUrl: null }, { login: status.user ?? "ci-bot" });
    },
    rerequestCheckRun: (fullName, checkRunId, as) => {
      rerequestCheckRun(site, requireRepo(world, fullName), requireCheckRun(world, fullName, checkRunId), person(as));
    },
    setPermission: (fullName, login, role) => setPermission(world, fullName, login, role),
    ageIssue: (fullName, issueNumber, age) => ageIssue(world, fullName, issueNumber, age.days),
    failNext: (match, response, times = 1) => {
      addFault(world.faults, { kind: "status", ...response, ...(match.method === undefined ? {} : { method: match.method }), path: match.path, times });
    },
    inject: (fault) => addFault(world.faults, fault),
    clearFaults: (id) => {
      removeFaults(world.faults, id);
    },
    deliveries: () => structuredClone(world.hooks.deliveries),
    webhooksSettled: () => settled(world.hooks),
    reset: () => {
      world.requests.length = 0;
      world.violations.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of delays) clearTimeout(timer);
        delays.clear();
        world.hooks.stop.abort();
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
