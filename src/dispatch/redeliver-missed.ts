/**
 * Deliveries GitHub could not hand over (invariant 2). GitHub never retries a
 * failed webhook by itself: when the service was down, answered 5xx or timed
 * out, the event exists only in the App's delivery log, for 3 days. This pass
 * reads that log (`GET /app/hook/deliveries`, newest first) and asks GitHub
 * to redeliver (`POST /app/hook/deliveries/{id}/attempts`) every event of the
 * window that no attempt delivered and repoflow never accepted.
 *
 * A redelivery keeps its GUID, so the inbox dedupes one that raced a late
 * success. Runs from the cron in production and from recovery's passes
 * locally, bounded per pass.
 */
import { readConfig, type ConfigEnv } from "../config";
import { createGitHubClient, type GitHubClient } from "../github";
import { getDelivery } from "../store";

export const REDELIVERY_WINDOW_MS = 3 * 86_400_000;
const MAX_PAGES = 20;
const MAX_REDELIVERIES_PER_PASS = 50;

/** The fields of GitHub's webhook delivery list this pass reads. */
export interface HookDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  status_code: number;
  event: string;
  action?: string | null;
}

/** Pure: which GUIDs of the log need a redelivery, given which ones repoflow already holds. */
export function missedDeliveries(log: readonly HookDelivery[], now: number, accepted: ReadonlySet<string>): HookDelivery[] {
  const delivered = new Set(log.filter((d) => d.status_code >= 200 && d.status_code < 300).map((d) => d.guid));
  const latest = new Map<string, HookDelivery>();
  for (const d of log) {
    if (delivered.has(d.guid) || accepted.has(d.guid)) continue;
    if (now - Date.parse(d.delivered_at) > REDELIVERY_WINDOW_MS) continue;
    const seen = latest.get(d.guid);
    if (!seen || Date.parse(d.delivered_at) > Date.parse(seen.delivered_at)) latest.set(d.guid, d);
  }
  return [...latest.values()].slice(0, MAX_REDELIVERIES_PER_PASS);
}

export interface RedeliveryEnv extends ConfigEnv {
  DB: D1Database;
}

async function readLog(octokit: GitHubClient, now: number): Promise<HookDelivery[]> {
  const log: HookDelivery[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await octokit.rest.apps.listWebhookDeliveries({ per_page: 100, ...(cursor ? { cursor } : {}) });
    const items = response.data as HookDelivery[];
    log.push(...items);
    const oldest = items.at(-1);
    cursor = /[?&]cursor=([^&>]+)/.exec(response.headers.link?.split(",").find((part) => part.includes('rel="next"')) ?? "")?.[1];
    if (!cursor || !oldest || now - Date.parse(oldest.delivered_at) > REDELIVERY_WINDOW_MS) break;
  }
  return log;
}

function appClient(env: RedeliveryEnv): GitHubClient | null {
  const config = readConfig(env);
  if (config.appId === undefined || config.privateKey === undefined) return null;
  // Short retries: the next pass asks again, and a pass must not sit out an outage.
  return createGitHubClient(config, { as: { type: "app" }, retryUnitMs: 50 });
}

/** Asks GitHub to send one delivery again by its GUID; false when its log no longer has it (past 3 days). */
export async function askGitHubToRedeliver(env: RedeliveryEnv, guid: string, now = Date.now()): Promise<boolean> {
  const octokit = appClient(env);
  if (!octokit) return false;
  const attempt = (await readLog(octokit, now)).find((d) => d.guid === guid);
  if (!attempt) return false;
  await octokit.rest.apps.redeliverWebhookDelivery({ delivery_id: attempt.id });
  return true;
}

export async function redeliverMissed(env: RedeliveryEnv, now = Date.now()): Promise<string[]> {
  const octokit = appClient(env);
  if (!octokit) return [];
  const log = await readLog(octokit, now);

  // Only events no attempt delivered are looked up in the ledger: usually none.
  const accepted = new Set<string>();
  for (const { guid } of missedDeliveries(log, now, accepted)) if ((await getDelivery(env.DB, guid)) !== null) accepted.add(guid);

  const redelivered: string[] = [];
  for (const missed of missedDeliveries(log, now, accepted)) {
    await octokit.rest.apps.redeliverWebhookDelivery({ delivery_id: missed.id });
    redelivered.push(missed.guid);
  }
  return redelivered;
}
