/**
 * GitHub's own example payloads (@octokit/webhooks-examples), retargeted to a
 * repository and installation of the emulator, so a test or the demo sends
 * what GitHub would send for that repository.
 */
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };

type Json = Record<string, any>;

export function example(event: string, action?: string): Json {
  const group = examples.find((e) => e.name === event);
  const found = group?.examples.find((p) => action === undefined || (p as Json).action === action);
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${event}${action ? `.${action}` : ""} example`);
  return structuredClone(found) as Json;
}

export interface Target {
  fullName: string;
  installationId: number;
  defaultBranch?: string;
}

export function retarget(payload: Json, target: Target): Json {
  const [owner, name] = target.fullName.split("/") as [string, string];
  const repository = payload.repository ?? {};
  payload.repository = {
    ...repository,
    name,
    full_name: target.fullName,
    owner: { ...(repository.owner ?? {}), login: owner },
    default_branch: target.defaultBranch ?? "main",
    private: false,
  };
  payload.installation = { id: target.installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
  return payload;
}

export function pullRequestOpened(target: Target, pr: { number: number; headSha: string; draft?: boolean; head?: string }): Json {
  const payload = retarget(example("pull_request", "opened"), target);
  payload.number = pr.number;
  payload.pull_request = {
    ...payload.pull_request,
    number: pr.number,
    draft: pr.draft ?? false,
    head: { ...payload.pull_request.head, sha: pr.headSha, ref: pr.head ?? "feature" },
    base: { ...payload.pull_request.base, ref: target.defaultBranch ?? "main" },
  };
  return payload;
}

export function pushTo(target: Target, push: { before: string; after: string; paths: string[] }): Json {
  const payload = retarget(example("push"), target);
  payload.ref = `refs/heads/${target.defaultBranch ?? "main"}`;
  payload.before = push.before;
  payload.after = push.after;
  payload.deleted = false;
  // A push GitHub sends now says it happened now (unix seconds, as in push payloads), not when the example was recorded.
  payload.repository.pushed_at = Math.floor(Date.now() / 1000);
  payload.commits = [{ ...(payload.commits?.[0] ?? {}), id: push.after, added: [], removed: [], modified: push.paths }];
  payload.head_commit = payload.commits[0];
  return payload;
}
