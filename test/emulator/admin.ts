/**
 * The emulator's own control surface, for tools in another process (the replay
 * CLI under `npm run dev`): load a repository from a directory, open pull
 * requests and issues, read a repository's head. Served under `/_emulator/`,
 * which GitHub's API does not have, and answered before the OpenAPI pipeline
 * so it is never recorded as a request or a violation. The emulator binds
 * 127.0.0.1 only.
 */
import { resolve } from "node:path";
import type { Emulator } from "./types.ts";
import { findRepo, type World } from "./state.ts";

export const ADMIN_PREFIX = "/_emulator/";

interface AdminReply {
  status: number;
  body: unknown;
}

export function handleAdmin(world: World, emulator: Emulator, method: string, path: string, body: unknown): AdminReply {
  const match = /^\/_emulator\/repos\/([^/]+)\/([^/]+)(?:\/(pulls|issues))?$/.exec(path);
  if (!match) return { status: 404, body: { message: `repoflow emulator: no admin route ${method} ${path}` } };
  const [, owner = "", name = "", sub] = match;
  const fullName = `${owner}/${name}`;
  const input = (body ?? {}) as Record<string, unknown>;
  try {
    if (!sub && method === "GET") {
      const repo = findRepo(world, owner, name);
      if (!repo) return { status: 404, body: { message: `repoflow emulator: no repository ${fullName}` } };
      return { status: 200, body: { fullName, installationId: repo.installationId, defaultBranch: repo.defaultBranch, headSha: emulator.headSha(fullName) } };
    }
    if (!sub && method === "PUT") {
      const installationId = Number(input.installationId ?? findRepo(world, owner, name)?.installationId);
      if (!Number.isInteger(installationId)) return { status: 422, body: { message: "repoflow emulator: installationId is required for a new repository" } };
      const { sha } = emulator.addRepo({
        fullName,
        installationId,
        ...(typeof input.dir === "string" ? { dir: resolve(input.dir) } : {}),
        ...(typeof input.files === "object" && input.files !== null ? { files: input.files as Record<string, string> } : {}),
        ...(typeof input.defaultBranch === "string" ? { defaultBranch: input.defaultBranch } : {}),
      });
      return { status: 200, body: { sha } };
    }
    if (sub === "pulls" && method === "POST") {
      const number = Number(input.number);
      const head = typeof input.head === "string" ? input.head : `replay-${number}`;
      emulator.openPullRequest(fullName, {
        number,
        title: String(input.title ?? `Pull request #${number}`),
        head,
        base: String(input.base ?? findRepo(world, owner, name)?.defaultBranch ?? "main"),
        ...(typeof input.user === "string" ? { user: input.user } : {}),
      });
      return { status: 201, body: { number, headSha: emulator.headSha(fullName, head) } };
    }
    if (sub === "issues" && method === "POST") {
      const number = Number(input.number);
      emulator.openIssue(fullName, { number, title: String(input.title ?? `Issue #${number}`), ...(typeof input.user === "string" ? { user: input.user } : {}) });
      return { status: 201, body: { number } };
    }
  } catch (error) {
    return { status: 422, body: { message: error instanceof Error ? error.message : String(error) } };
  }
  return { status: 405, body: { message: `repoflow emulator: ${method} is not supported on ${path}` } };
}
