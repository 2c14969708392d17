/**
 * Recovery of runs and deliveries a restart stranded, and reconciliation of
 * the run index with the engine (invariant 7).
 *
 * Measured on local `wrangler dev` (ARCHITECTURE.md): after a restart the
 * engine never wakes an instance that was sleeping or mid-step. A `sendEvent`
 * with a type no workflow waits for re-enters an idle engine and is only
 * queued on a live one, so it is the kick that cannot harm a healthy run
 * (`pause()`/`resume()` would abort and re-enter a live one). Tenant waits are
 * restricted to GitHub event names ([a-z_]), so the hyphenated kick type can
 * never satisfy one. Cloudflare's production engine does not strand
 * instances, so there recovery only reconciles and kicks nothing.
 *
 * Recovery never marks a live run failed:
 * - an engine that cannot answer is asked again next pass (lookUpInstance);
 * - a missing instance counts only once the row is clearly orphaned: quiet for
 *   ORPHAN_AFTER_MS, and, for a run never started, its delivery's ingest run no
 *   longer live (startRun writes the row before it creates the instance);
 * - a row it marked failed while the engine says live is set back to running.
 *
 * And a finished row's check run ends up saying the row's outcome: when the
 * close that follows the row's last write was cut short (a process death
 * strands the instance locally, and the row is no longer "running", so the
 * stalled-runs pass skips it), the instance that owns the close is kicked, or,
 * when none is left to do it, recovery closes the check run itself.
 */
import type { ConfigEnv } from "../config";
import {
  finishDelivery,
  finishRun,
  getDelivery,
  listRunsFailedWith,
  listStalledRuns,
  listSteps,
  listUnclosedRuns,
  listUnfinishedDeliveries,
  markCheckClosed,
  reviveRun,
  setRunProblem,
  touchRun,
  type RunRecord,
} from "../store";
import { cancelInstanceId } from "./controls";
import { LIVE_STATUSES, lookUpInstance, type InstanceLookup } from "./engine";
import { INBOX_SHARDS, inboxName } from "./inbox-shards";
import { checkTargetOf, closeCheckRun } from "./run-checks";

export const KICK_EVENT_TYPE = "repoflow-recovery-kick";

/** How long a row whose instance is missing stays untouched: longer than any create takes, with its retries. */
export const ORPHAN_AFTER_MS = 10 * 60_000;

/** The error recovery gives a run whose instance is gone; the correction pass looks for exactly this text. */
export const INSTANCE_GONE = "repoflow: the Workflow instance of this run no longer exists.";
const INGEST_GONE = "repoflow: the ingest run for this delivery does not exist; redeliver it from GitHub.";

export interface RecoveryEnv extends ConfigEnv {
  DB: D1Database;
  BLOBS: R2Bucket;
  INGEST: Workflow;
  WORKFLOWS: Workflow;
  CONTROLS: Workflow;
  INBOX: DurableObjectNamespace;
}

export interface RecoveryOptions {
  /** Kick stalled instances (local mode). */
  kick: boolean;
  /** How long an instance may stay quiet before it counts as stalled. */
  quietMs: number;
  /**
   * Also kick runs that are sleeping or waiting with their wake time ahead. Right
   * after a process start every such run lost its in-memory timer; a kicked run
   * re-enters and keeps its remaining sleep (measured), so kicking them all is
   * what re-arms those timers.
   */
  includeSleeping: boolean;
  now?: Date;
}

export interface RecoveryReport {
  kicked: string[];
  reconciled: string[];
  revived: string[];
  /** Finished runs whose check run recovery closed itself, nobody else being left to. */
  closed: string[];
  /** Instances the engine could not answer for this pass; looked at again next pass. */
  unknown: string[];
  /** GUIDs of webhooks GitHub failed to deliver that it was asked to send again (redeliver-missed.ts). */
  redelivered: string[];
  /** What retention deleted (retention.ts). */
  retention?: { runs: number; payloads: number; bundles: number };
  /** Schedules fired because their tick was overdue (scheduler.ts): "owner/repo:.workflows/file.ts". */
  ticked?: string[];
}

const TERMINAL = { complete: "succeeded", errored: "failed", terminated: "cancelled" } as const;

const MAX_CLOSE_FAILURES_PER_PASS = 1;
/** Errors after which no later pass could close the check run either (github/errors.ts names). */
const GONE_FOR_GOOD = new Set(["InstallationGoneError", "RepositoryNotInstalledError", "InstallationSuspendedError"]);
/** Octokit's retry waits for recovery's own closes: 50, 200 and 450 ms, so a pass stays short. */
const CLOSE_RETRY_UNIT_MS = 50;

export async function recoverStranded(env: RecoveryEnv, options: RecoveryOptions): Promise<RecoveryReport> {
  const now = options.now ?? new Date();
  const quietSince = new Date(now.getTime() - options.quietMs);
  const orphanedBefore = now.getTime() - ORPHAN_AFTER_MS;
  const report: RecoveryReport = { kicked: [], reconciled: [], revived: [], closed: [], unknown: [], redelivered: [] };

  // Deliveries still in an inbox shard: make sure an alarm will drain them.
  await Promise.all(
    Array.from({ length: INBOX_SHARDS }, (_, i) => (env.INBOX.get(env.INBOX.idFromName(`inbox-${i}`)) as unknown as { rearm(): Promise<number> }).rearm()),
  );

  const kick = { type: KICK_EVENT_TYPE, payload: { at: now.toISOString() } };
  // One instance that fails to recover must not stop the pass for the others.
  const each = async <T>(items: T[], recover: (item: T) => Promise<void>) => {
    for (const item of items) await recover(item).catch((error: unknown) => console.warn("repoflow: recovery skipped an instance:", error));
  };
  const unknown = (id: string, lookup: InstanceLookup) => {
    if (lookup.state === "unknown") console.warn(`repoflow: recovery could not ask the engine about ${id}; trying again next pass:`, lookup.error);
    report.unknown.push(id);
  };

  await each(await listUnfinishedDeliveries(env.DB, quietSince), async (delivery) => {
    const lookup = await lookUpInstance(env.INGEST, delivery.instanceId);
    if (lookup.state === "unknown") return unknown(delivery.instanceId, lookup);
    if (lookup.state === "missing") {
      // The ledger row is written after the instance is created, so a missing one is gone, unless the engine is slow to show it.
      if (Date.parse(delivery.receivedAt) > orphanedBefore) return;
      // Its ledger row is written before the instance: the inbox may still be creating it.
      if (await inboxStillHolds(env, { deliveryId: delivery.id, repository: delivery.repository })) return;
      await finishDelivery(env.DB, delivery.id, "failed", INGEST_GONE, undefined, delivery.instanceId);
      report.reconciled.push(delivery.instanceId);
      return;
    }
    if (lookup.status === "complete") {
      await finishDelivery(env.DB, delivery.id, "processed", undefined, undefined, delivery.instanceId);
      report.reconciled.push(delivery.instanceId);
    } else if (lookup.status === "errored" || lookup.status === "terminated") {
      await finishDelivery(env.DB, delivery.id, "failed", lookup.error ?? lookup.status, undefined, delivery.instanceId);
      report.reconciled.push(delivery.instanceId);
    } else if (options.kick && LIVE_STATUSES.has(lookup.status)) {
      await lookup.instance.sendEvent(kick);
      report.kicked.push(delivery.instanceId);
    }
  });

  await each(await listStalledRuns(env.DB, { quietSince, now, includeSleeping: options.includeSleeping }), async (run) => {
    const lookup = await lookUpInstance(env.WORKFLOWS, run.id);
    if (lookup.state === "unknown") return unknown(run.id, lookup);
    if (lookup.state === "missing") {
      if (!(await isOrphaned(env, run, orphanedBefore))) return;
      await finishRun(env.DB, run.id, "failed", INSTANCE_GONE);
      report.reconciled.push(run.id);
      return;
    }
    const terminal = TERMINAL[lookup.status as keyof typeof TERMINAL];
    if (terminal) {
      await finishRun(env.DB, run.id, terminal, lookup.error ?? undefined);
      report.reconciled.push(run.id);
    } else if (options.kick && LIVE_STATUSES.has(lookup.status)) {
      await lookup.instance.sendEvent(kick);
      // A kicked run gets a fresh quiet period before it is kicked again.
      await touchRun(env.DB, run.id);
      report.kicked.push(run.id);
    }
  });

  // GitHub answering none of them is an outage: a few failed closes end this part of the pass, the next pass tries again.
  let closeFailures = 0;
  await each(await listUnclosedRuns(env.DB, quietSince), async (run) => {
    if (closeFailures >= MAX_CLOSE_FAILURES_PER_PASS) return;
    // A cancelled row's check run is closed by its control run; every other row's by the run itself.
    const ownerId = run.status === "cancelled" ? cancelInstanceId(run.id) : run.id;
    const lookup = await lookUpInstance(run.status === "cancelled" ? env.CONTROLS : env.WORKFLOWS, ownerId);
    if (lookup.state === "unknown") return unknown(ownerId, lookup);
    if (lookup.state === "found" && LIVE_STATUSES.has(lookup.status)) {
      if (!options.kick) return;
      await lookup.instance.sendEvent(kick);
      await touchRun(env.DB, run.id);
      report.kicked.push(ownerId);
      return;
    }
    // No check run was ever opened (a run that never started): none shows in progress, so none lies.
    // A parked check run (neutral while the run waited) is not this outcome: a new one is opened to say it.
    if (run.checkRunId === null && !run.checkParked) {
      await markCheckClosed(env.DB, run.id);
      return;
    }
    try {
      await closeCheckRun(env, checkTargetOf(run), run.checkRunId, outcomeOf(run), await listSteps(env.DB, run.id), { retryUnitMs: CLOSE_RETRY_UNIT_MS });
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      if (typeof name === "string" && GONE_FOR_GOOD.has(name)) {
        // Nothing will ever reach this check run again: say so on the run instead of trying every pass.
        await setRunProblem(env.DB, run.id, `repoflow: the check run could not be completed: ${(error as Error).message}`);
        await markCheckClosed(env.DB, run.id);
        return;
      }
      closeFailures++;
      // To the back of the line, so one check run GitHub keeps refusing cannot hold up the others.
      await touchRun(env.DB, run.id);
      throw error;
    }
    await markCheckClosed(env.DB, run.id);
    report.closed.push(run.id);
  });

  // Rows an earlier pass (or an older version of this code) marked gone while the engine still runs them.
  await each(await listRunsFailedWith(env.DB, INSTANCE_GONE, new Date(now.getTime() - 7 * 86_400_000)), async (run) => {
    const lookup = await lookUpInstance(env.WORKFLOWS, run.id);
    if (lookup.state !== "found" || !LIVE_STATUSES.has(lookup.status)) return;
    if (await reviveRun(env.DB, run.id, INSTANCE_GONE)) report.revived.push(run.id);
  });
  return report;
}

/** A missing instance of a quiet row: for a run never started, only once the ingest run that would create it is over. */
async function isOrphaned(env: RecoveryEnv, run: RunRecord, orphanedBefore: number): Promise<boolean> {
  if (Date.parse(run.updatedAt) > orphanedBefore) return false;
  if (run.status !== "queued") return true;
  // A run the inbox starts itself (direct-start.ts) has its ledger row only once the drain is done, or has the row
  // of an earlier decision (a delivery decided again, inbox-kept.ts): while the shard still holds the delivery,
  // the drain will create the instance on its next try.
  if (await inboxStillHolds(env, run)) return false;
  const delivery = await getDelivery(env.DB, run.deliveryId);
  if (!delivery) return true;
  const ingest = await lookUpInstance(env.INGEST, delivery.instanceId);
  if (ingest.state === "unknown") return false;
  return ingest.state === "missing" || !LIVE_STATUSES.has(ingest.status);
}

async function inboxStillHolds(env: RecoveryEnv, held: { deliveryId: string; repository: string | null }): Promise<boolean> {
  const shard = env.INBOX.get(env.INBOX.idFromName(inboxName({ id: held.deliveryId, repository: held.repository }))) as unknown as { holds(id: string): Promise<boolean> };
  return shard.holds(held.deliveryId).catch(() => true);
}

function outcomeOf(run: RunRecord): { conclusion: "success" | "cancelled" } | { conclusion: "failure"; error: { message: string } } {
  if (run.status === "succeeded") return { conclusion: "success" };
  if (run.status === "cancelled") return { conclusion: "cancelled" };
  return { conclusion: "failure", error: { message: run.error ?? "The run failed." } };
}
