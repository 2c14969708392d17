/**
 * When recovery runs.
 *
 * Production: only from the cron trigger (wrangler.toml), never from request
 * traffic: a pass per cold isolate would multiply engine calls by the number
 * of isolates and race runs being started. Every pass runs in the one
 * RecoveryCoordinator Durable Object (src/index.ts), so passes never overlap.
 *
 * Local `wrangler dev`: a restart strands runs until something looks, and the
 * local cron does not fire by itself, so the first request a process serves
 * runs a pass, then at most one a minute, never two at once in an isolate.
 */
import { readConfig, type ConfigEnv } from "../config";
import { recoverStranded, type RecoveryEnv, type RecoveryReport } from "./recovery";
import { redeliverMissed } from "./redeliver-missed";
import { applyRetention, type RetentionEnv } from "./retention";
import { overdueSchedules } from "../store";
import { schedulerOf } from "./scheduler";

const INTERVAL_MS = 60_000;
/** A run quiet for this long with no sleep or wait ahead of it is stalled. */
export const QUIET_MS = 30_000;

let lastStarted = 0;
let firstPassDone = false;
let inFlight: Promise<RecoveryReport> | null = null;

/** Whether request traffic should start a pass now (local mode only); claims the slot when it says yes. */
export function recoveryDue(env: ConfigEnv, now = Date.now()): boolean {
  if (readConfig(env).mode !== "local" || inFlight !== null) return false;
  if (now - lastStarted < INTERVAL_MS) return false;
  lastStarted = now;
  return true;
}

/** The first local pass of a process re-arms every non-terminal run; later passes only look at stalled ones. */
/** A tick is overdue once its alarm had a minute to fire. */
const TICK_GRACE_MS = 60_000;

async function pokeSchedulers(env: RecoveryEnv & { SCHEDULER: DurableObjectNamespace }): Promise<string[]> {
  const ticked: string[] = [];
  for (const { repository } of await overdueSchedules(env.DB, Date.now() - TICK_GRACE_MS)) {
    const fired = await schedulerOf(env, repository).tick();
    ticked.push(...fired.map((tick) => `${repository}:${tick.workflow}`));
  }
  return ticked;
}

export function recoverNow(env: RecoveryEnv & RetentionEnv & ConfigEnv & { SCHEDULER: DurableObjectNamespace }): Promise<RecoveryReport> {
  if (inFlight) return inFlight;
  const local = readConfig(env).mode === "local";
  const firstPass = local && !firstPassDone;
  firstPassDone = true;
  inFlight = recoverStranded(env, { kick: local, quietMs: firstPass ? 0 : QUIET_MS, includeSleeping: firstPass })
    .then(async (report) => {
      // GitHub cannot reach a stopped service: what it failed to deliver meanwhile is asked for again.
      report.redelivered = await redeliverMissed(env).catch((error: unknown) => {
        console.warn("repoflow: could not read the App's webhook deliveries; trying again next pass:", error);
        return [];
      });
      // A schedule whose alarm a restart lost (local) or that is overdue for any reason fires now, once.
      report.ticked = await pokeSchedulers(env).catch((error: unknown) => {
        console.warn("repoflow: could not poke overdue schedulers; trying again next pass:", error);
        return [];
      });
      // Old finished runs and what only they needed; a failed pass leaves them for the next one.
      report.retention = await applyRetention(env).catch((error: unknown) => {
        console.warn("repoflow: retention could not run; trying again next pass:", error);
        return { runs: 0, payloads: 0, bundles: 0 };
      });
      const { kicked, reconciled, revived, redelivered } = report;
      if (kicked.length + reconciled.length + revived.length + redelivered.length > 0) {
        console.log(
          `repoflow: recovery kicked ${kicked.length}, reconciled ${reconciled.length} and revived ${revived.length} instance(s), and asked GitHub to redeliver ${redelivered.length} webhook(s)`,
        );
      }
      return report;
    })
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}

export interface CoordinatorEnv {
  RECOVERY: DurableObjectNamespace;
}

/** The singleton Durable Object every recovery pass runs in. */
export function recoveryCoordinator(env: CoordinatorEnv): { pass(): Promise<RecoveryReport> } {
  // The namespace is typed without its class here (dispatch does not import src/index.ts); pass() is its one method.
  return env.RECOVERY.get(env.RECOVERY.idFromName("recovery")) as unknown as { pass(): Promise<RecoveryReport> };
}
