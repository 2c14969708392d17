/**
 * Who repoflow is on GitHub: its App id (configured) and its bot user's login
 * (`<slug>[bot]`, learned from `GET /app` once per isolate). Events carry the
 * bot as their `sender` when repoflow's installation token caused them, which
 * is how dispatch tells its own echoes from people's events (invariant 9).
 */
import { createGitHubClient, type GitHubClientParams, type GitHubConfig } from "./client.ts";

export interface AppIdentity {
  id: number;
  botLogin: string;
  /** The webhook events the App subscribes to: GitHub sends it no others. */
  events: string[];
  /** The permissions the App asks of its installations: a workflow may hold no more. */
  permissions: Record<string, string>;
}

const known = new Map<string, Promise<AppIdentity>>();

export function appIdentity(config: GitHubConfig, params: Omit<GitHubClientParams, "as"> = {}): Promise<AppIdentity> {
  const key = `${config.githubApiUrl} ${config.appId ?? ""}`;
  let identity = known.get(key);
  if (!identity) {
    identity = createGitHubClient(config, { ...params, as: { type: "app" } })
      .rest.apps.getAuthenticated()
      .then(({ data }) => ({ id: data?.id ?? Number(config.appId), botLogin: `${data?.slug ?? ""}[bot]`, events: [...(data?.events ?? [])], permissions: { ...((data?.permissions ?? {}) as Record<string, string>) } }));
    // A failed lookup is not remembered: the next event asks again.
    identity.catch(() => known.delete(key));
    known.set(key, identity);
  }
  return identity;
}
