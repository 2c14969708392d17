/**
 * GitHub's GraphQL API (`POST /graphql`), as far as repoflow's workflows use
 * it, executed against GitHub's own published schema
 * (`@octokit/graphql-schema`): a query GitHub would reject for its shape is
 * rejected here with graphql-js's validation errors, and a field the emulator
 * does not serve answers an error naming it rather than a made-up value.
 *
 * What it enforces is what a scoped installation token meets on GitHub:
 * without a token, 401; a repository outside the token's installation or its
 * `repositories` answers `repository: null` with a NOT_FOUND error ("Could not
 * resolve to a Repository…"), whether it exists or not; issue and pull request
 * fields need the token's issues or pull_requests permission, else FORBIDDEN
 * "Resource not accessible by integration".
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildSchema, graphql, GraphQLError, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { credential, type InstallationToken } from "./auth.ts";
import type { IncomingRequest, OutgoingResponse } from "./pipeline.ts";
import { findRepo, type Issue, type Repo, type World } from "./state.ts";

export const GRAPHQL_PATH = "/graphql";

let schema: GraphQLSchema | undefined;

/** GitHub's schema, parsed once per process (about a second; only tests that use GraphQL pay it). */
function githubSchema(): GraphQLSchema {
  if (!schema) {
    // The package exports only its index, which parses the 10 MB JSON form too; the SDL beside it is enough.
    const file = fileURLToPath(new URL("../../node_modules/@octokit/graphql-schema/schema.graphql", import.meta.url).href);
    schema = buildSchema(readFileSync(file, "utf8"), { assumeValidSDL: true });
  }
  return schema;
}

/** A field the emulator serves: a value, or a function of the field's arguments. */
type Served = Record<string, unknown>;

class Unimplemented extends GraphQLError {}

/** Looks fields up on the served objects; a field the schema has and the emulator lacks is an error, never a silent null. */
const serveField: GraphQLFieldResolver<unknown, unknown> = (source, args, _context, info) => {
  const served = source as Served | null;
  if (served === null || typeof served !== "object" || !(info.fieldName in served)) {
    if (info.fieldName === "__typename") return info.parentType.name;
    throw new Unimplemented(`The GitHub emulator does not implement ${info.parentType.name}.${info.fieldName}; add it in test/emulator/graphql.ts.`);
  }
  const value = served[info.fieldName];
  return typeof value === "function" ? (value as (args: unknown) => unknown)(args) : value;
};

function forbidden(): GraphQLError {
  return new GraphQLError("Resource not accessible by integration", { extensions: { type: "FORBIDDEN" } });
}

function allows(token: InstallationToken, ...permissions: string[]): boolean {
  return permissions.some((permission) => token.permissions[permission] === "read" || token.permissions[permission] === "write");
}

function nodeId(prefix: string, id: number): string {
  return Buffer.from(`${prefix}:${id}`).toString("base64");
}

function labelConnection(repo: Repo, names: readonly string[], first: number | undefined) {
  const labels = names.map((name) => repo.labels.get(name.toLowerCase()) ?? { name, color: "ededed", description: null });
  const shown = labels.slice(0, Math.min(first ?? 100, 100));
  return {
    totalCount: labels.length,
    nodes: shown.map((label) => ({ name: label.name, color: label.color, description: label.description ?? null })),
    pageInfo: { hasNextPage: shown.length < labels.length, hasPreviousPage: false, startCursor: null, endCursor: null },
  };
}

function issueNode(repo: Repo, issue: Issue): Served {
  return {
    id: nodeId(issue.pull ? "PullRequest" : "Issue", repo.id * 100_000 + issue.number),
    number: issue.number,
    title: issue.title,
    body: issue.body ?? "",
    state: issue.pull?.merged ? "MERGED" : issue.state === "open" ? "OPEN" : "CLOSED",
    closed: issue.state === "closed",
    createdAt: issue.createdAt,
    updatedAt: issue.updatedAt,
    author: { login: issue.user, __typename: "User" },
    labels: (args: { first?: number }) => labelConnection(repo, issue.labels, args.first),
    ...(issue.pull
      ? {
          merged: issue.pull.merged,
          isDraft: issue.pull.draft,
          baseRefName: issue.pull.base,
          headRefName: issue.pull.head,
          headRefOid: issue.pull.headShaAtMerge ?? repo.branches.get(issue.pull.head) ?? null,
        }
      : {}),
  };
}

function repositoryNode(repo: Repo, token: InstallationToken): Served {
  const item = (kind: "issue" | "pull", number: number) => {
    if (!allows(token, kind === "issue" ? "issues" : "pull_requests")) throw forbidden();
    const issue = repo.issues.get(number);
    if (!issue || (kind === "pull") !== (issue.pull !== null)) {
      throw new GraphQLError(`Could not resolve to ${kind === "issue" ? "an Issue" : "a PullRequest"} with the number of ${number}.`, { extensions: { type: "NOT_FOUND" } });
    }
    return issueNode(repo, issue);
  };
  return {
    id: nodeId("Repository", repo.id),
    databaseId: repo.id,
    name: repo.name,
    nameWithOwner: repo.fullName,
    isPrivate: repo.private,
    createdAt: repo.createdAt,
    owner: { login: repo.owner, __typename: repo.ownerType },
    defaultBranchRef: { name: repo.defaultBranch, target: { oid: repo.branches.get(repo.defaultBranch) ?? null, __typename: "Commit" } },
    issue: ({ number }: { number: number }) => item("issue", number),
    pullRequest: ({ number }: { number: number }) => item("pull", number),
    labels: (args: { first?: number }) => labelConnection(repo, [...repo.labels.values()].map((label) => label.name), args.first),
  };
}

function rootFor(world: World, token: InstallationToken): Served {
  return {
    repository: ({ owner, name }: { owner: string; name: string }) => {
      const repo = findRepo(world, owner, name);
      // GitHub does not say whether a repository outside the token exists.
      const visible = repo && repo.installationId === token.installationId && (token.repositoryIds === null || token.repositoryIds.has(repo.id));
      if (!repo || !visible) throw new GraphQLError(`Could not resolve to a Repository with the name '${owner}/${name}'.`, { extensions: { type: "NOT_FOUND" } });
      return repositoryNode(repo, token);
    },
  };
}

function reply(status: number, body: unknown): OutgoingResponse {
  return { status, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(body) };
}

/** POST /graphql. Records the request like the REST pipeline does, so tests can see what a run asked. */
export async function handleGraphql(world: World, request: IncomingRequest): Promise<OutgoingResponse> {
  const text = new TextDecoder().decode(request.body);
  type Body = { query?: unknown; variables?: unknown; operationName?: unknown };
  let parsed: Body | null;
  try {
    const value: unknown = JSON.parse(text);
    parsed = typeof value === "object" && value !== null ? (value as Body) : null;
  } catch {
    parsed = null;
  }
  const record = (status: number) => {
    const recorded = { method: "POST", path: GRAPHQL_PATH, query: {}, headers: { ...request.headers }, body: parsed ?? text, status, operationId: "graphql" };
    world.requests.push(recorded);
    world.onRequest?.(recorded, []);
  };
  const value = credential(request.headers.authorization);
  const token = value === null ? undefined : world.tokens.get(value);
  if (!token || token.expiresAt <= Date.now()) {
    record(401);
    return reply(401, { message: "This endpoint requires you to be authenticated.", documentation_url: "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql" });
  }
  if (request.method.toUpperCase() !== "POST") {
    record(404);
    return reply(404, { message: "Not Found", documentation_url: "https://docs.github.com/graphql" });
  }
  if (parsed === null || typeof parsed.query !== "string") {
    record(200);
    // GitHub answers a body without a query with 200 and an error, as GraphQL servers do.
    return reply(200, { errors: [{ message: "A query attribute must be specified and must be a string." }] });
  }
  const result = await graphql({
    schema: githubSchema(),
    source: parsed.query,
    rootValue: rootFor(world, token),
    fieldResolver: serveField,
    ...(parsed.variables && typeof parsed.variables === "object" ? { variableValues: parsed.variables as Record<string, unknown> } : {}),
    ...(typeof parsed.operationName === "string" ? { operationName: parsed.operationName } : {}),
  });
  record(200);
  const errors = result.errors?.map((error) => ({
    ...(error.extensions?.type ? { type: error.extensions.type } : {}),
    ...(error.path ? { path: error.path } : {}),
    ...(error.locations ? { locations: error.locations } : {}),
    message: error.message,
  }));
  return reply(200, { ...(result.data === undefined ? {} : { data: result.data }), ...(errors && errors.length > 0 ? { errors } : {}) });
}
