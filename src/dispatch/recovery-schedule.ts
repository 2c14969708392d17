/**
 * When recovery runs: on the first request a process serves (a restarted
 * `wrangler dev` strands runs until something looks), then at most once a
 * minute per isolate, and from the cron trigger in production.
 */
import { readConfig, type ConfigEnv } from "../config";
import { recoverStranded, type RecoveryEnv, type RecoveryReport } from "./recovery";

const INTERVAL_MS = 60_000;
/** A run quiet for this long with no sleep or wait ahead of it is stalled. */
export const QUIET_MS = 30_000;

let lastStarted = 0;
let firstPassDone = false;

export function recoveryDue(now = Date.now()): boolean {
  if (now - lastStarted < INTERVAL_MS) return false;
  lastStarted = now;
  return true;
}

/** The first pass of a process re-arms every non-terminal run; later passes only look at stalled ones. */
export async function recoverNow(env: RecoveryEnv & ConfigEnv): Promise<RecoveryReport> {
  const firstPass = !firstPassDone;
  firstPassDone = true;
  const report = await recoverStranded(env, {
    kick: readConfig(env).mode === "local",
    quietMs: firstPass ? 0 : QUIET_MS,
    includeSleeping: firstPass,
  });
  if (report.kicked.length > 0 || report.reconciled.length > 0) {
    console.log(`repoflow: recovery kicked ${report.kicked.length} and reconciled ${report.reconciled.length} instance(s)`);
  }
  return report;
}
