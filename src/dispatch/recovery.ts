/**
 * Recovery of runs a restart stranded (invariant 7).
 *
 * Measured on local `wrangler dev` (ARCHITECTURE.md): after a restart the
 * engine never wakes an instance that was sleeping or mid-step. A `sendEvent`
 * with a type no workflow waits for re-enters an idle engine and is only
 * queued on a live one, so it is the kick that cannot harm a healthy run
 * (`pause()`/`resume()` would abort and re-enter a live one). Tenant waits are
 * restricted to GitHub event names ([a-z_]), so the hyphenated kick type can
 * never satisfy one.
 *
 * Cloudflare's production engine does not strand instances, so there recovery
 * only reconciles the index with the engine's view and kicks nothing.
 */
import {
  finishDelivery,
  finishRun,
  listStalledRuns,
  listUnfinishedDeliveries,
  touchRun,
} from "../store";
import { INBOX_SHARDS } from "./inbox";

export const KICK_EVENT_TYPE = "repoflow-recovery-kick";

export interface RecoveryEnv {
  DB: D1Database;
  INGEST: Workflow;
  WORKFLOWS: Workflow;
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
}

type EngineStatus = Awaited<ReturnType<WorkflowInstance["status"]>>["status"];

const LIVE: ReadonlySet<EngineStatus> = new Set<EngineStatus>(["queued", "running", "waiting", "waitingForPause", "unknown"]);

export async function recoverStranded(env: RecoveryEnv, options: RecoveryOptions): Promise<RecoveryReport> {
  const now = options.now ?? new Date();
  const quietSince = new Date(now.getTime() - options.quietMs);
  const report: RecoveryReport = { kicked: [], reconciled: [] };

  // Deliveries still in an inbox shard: make sure an alarm will drain them.
  await Promise.all(
    Array.from({ length: INBOX_SHARDS }, (_, i) => (env.INBOX.get(env.INBOX.idFromName(`inbox-${i}`)) as unknown as { rearm(): Promise<number> }).rearm()),
  );

  const kick = { type: KICK_EVENT_TYPE, payload: { at: now.toISOString() } };
  // One instance the engine cannot answer for must not stop the pass for the others.
  const each = async <T>(items: T[], recover: (item: T) => Promise<void>) => {
    for (const item of items) await recover(item).catch((error: unknown) => console.warn("repoflow: recovery skipped an instance:", error));
  };

  await each(await listUnfinishedDeliveries(env.DB, quietSince), async (delivery) => {
    const instance = await env.INGEST.get(delivery.instanceId).catch(() => null);
    if (!instance) {
      await finishDelivery(env.DB, delivery.id, "failed", "repoflow: the ingest run for this delivery does not exist; redeliver it from GitHub.");
      report.reconciled.push(delivery.instanceId);
      return;
    }
    const { status, error } = await instance.status();
    if (status === "complete") {
      await finishDelivery(env.DB, delivery.id, "processed");
      report.reconciled.push(delivery.instanceId);
    } else if (status === "errored" || status === "terminated") {
      await finishDelivery(env.DB, delivery.id, "failed", error?.message ?? status);
      report.reconciled.push(delivery.instanceId);
    } else if (options.kick && LIVE.has(status)) {
      await instance.sendEvent(kick);
      report.kicked.push(delivery.instanceId);
    }
  });

  await each(await listStalledRuns(env.DB, { quietSince, now, includeSleeping: options.includeSleeping }), async (run) => {
    const instance = await env.WORKFLOWS.get(run.id).catch(() => null);
    const outcome = instance ? await instance.status() : null;
    const terminal = outcome === null ? "failed" : ({ complete: "succeeded", errored: "failed", terminated: "cancelled" } as const)[outcome.status as "complete"];
    if (terminal) {
      await finishRun(env.DB, run.id, terminal, outcome === null ? "repoflow: the Workflow instance of this run no longer exists." : outcome.error?.message);
      report.reconciled.push(run.id);
    } else if (instance && outcome && options.kick && LIVE.has(outcome.status)) {
      await instance.sendEvent(kick);
      // A kicked run gets a fresh quiet period before it is kicked again.
      await touchRun(env.DB, run.id);
      report.kicked.push(run.id);
    }
  });
  return report;
}
