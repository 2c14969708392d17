/**
 * The per-repository Scheduler Durable Object's logic over its real SQLite
 * storage: one alarm at the next tick, missed ticks collapsed into one, a
 * tick's id stable so a retried alarm starts one run, and the D1 index that
 * lets recovery fire a tick whose alarm was lost.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { applySchedules, fireDueTicks, type SchedulerEnv, type SchedulerStorage } from "../../src/dispatch/scheduler";
import { overdueSchedules } from "../../src/store";
import type { Arrival, IngestParams } from "../../src/dispatch";

const MINUTE = 60_000;

/** An inbox that only records what it is handed (read as the drain reads it), so no ingest run starts. */
function recordingInbox() {
  const accepted: IngestParams[] = [];
  const seen = new Set<string>();
  const stub = {
    async accept(arrival: Arrival) {
      if (seen.has(arrival.delivery.id)) return "duplicate";
      seen.add(arrival.delivery.id);
      accepted.push("payloadText" in arrival ? { delivery: arrival.delivery, payload: JSON.parse(arrival.payloadText) as unknown } : arrival);
      return "accepted";
    },
  };
  const namespace = { idFromName: (name: string) => name, get: () => stub } as unknown as DurableObjectNamespace;
  return { accepted, namespace };
}

function storageOf(state: DurableObjectState, alarms: (number | null)[]): SchedulerStorage {
  return {
    sql: state.storage.sql,
    setAlarm: async (at) => void alarms.push(at),
    deleteAlarm: async () => void alarms.push(null),
  };
}

let repos = 0;
function scheduler() {
  const repository = `octo-org/schedules-${++repos}-${crypto.randomUUID().slice(0, 6)}`;
  return { repository, stub: env.SCHEDULER.get(env.SCHEDULER.idFromName(repository)) };
}

describe("schedules", () => {
  it("arms one alarm at the next tick, fires missed ticks once as the latest, and moves on", async () => {
    const { repository, stub } = scheduler();
    const inbox = recordingInbox();
    const schedulerEnv: SchedulerEnv = { DB: env.DB, BLOBS: env.BLOBS, INBOX: inbox.namespace };
    await runInDurableObject(stub, async (_instance, state) => {
      const alarms: (number | null)[] = [];
      const storage = storageOf(state, alarms);
      const state0 = { repository, installationId: 77 };
      const next = await applySchedules(schedulerEnv, storage, state0, [
        { workflow: ".workflows/stale.ts", cron: "*/5 * * * *", timezone: "UTC" },
        { workflow: ".workflows/weekly.ts", cron: "0 9 * * 1", timezone: "Europe/Berlin" },
      ]);
      // The earlier of the two next ticks, a whole minute in the future.
      expect(next! % MINUTE).toBe(0);
      expect(next!).toBeGreaterThan(Date.now());
      expect(next!).toBeLessThanOrEqual(Date.now() + 5 * MINUTE);
      expect(alarms).toEqual([next]);

      // Down for 23 minutes past the first tick: four ticks were due, one run for the latest.
      const firstTick = state.storage.sql.exec<{ next_at: number }>("SELECT next_at FROM schedules WHERE workflow = '.workflows/stale.ts'").one().next_at;
      const fired = await fireDueTicks(schedulerEnv, storage, firstTick + 23 * MINUTE);
      const stale = fired.filter((tick) => tick.workflow === ".workflows/stale.ts");
      expect(stale).toHaveLength(1);
      expect(stale[0]!.tick).toBe(firstTick + 20 * MINUTE);
      expect(stale[0]!.missed).toBe(5);
      const events = inbox.accepted.filter((p) => (p as { payload: { workflow: string } }).payload.workflow === ".workflows/stale.ts");
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        delivery: { event: "schedule", repository, installationId: 77 },
        payload: { workflow: ".workflows/stale.ts", schedule: { cron: "*/5 * * * *", timezone: "UTC" }, tick: new Date(firstTick + 20 * MINUTE).toISOString(), missed: 5 },
      });
      const after = state.storage.sql.exec<{ next_at: number }>("SELECT next_at FROM schedules WHERE workflow = '.workflows/stale.ts'").one().next_at;
      expect(after).toBe(firstTick + 25 * MINUTE);
    });
  });

  it("gives a tick the same id however often it is fired, so a retried alarm starts one run", async () => {
    const { repository, stub } = scheduler();
    const inbox = recordingInbox();
    const schedulerEnv: SchedulerEnv = { DB: env.DB, BLOBS: env.BLOBS, INBOX: inbox.namespace };
    await runInDurableObject(stub, async (_instance, state) => {
      const storage = storageOf(state, []);
      await applySchedules(schedulerEnv, storage, { repository, installationId: 1 }, [{ workflow: ".workflows/a.ts", cron: "* * * * *", timezone: "UTC" }]);
      const tick = state.storage.sql.exec<{ next_at: number }>("SELECT next_at FROM schedules").one().next_at;
      // A crash after the event was handed on and before the schedule moved: the same tick is fired again.
      state.storage.sql.exec("UPDATE schedules SET next_at = ?", tick);
      await fireDueTicks(schedulerEnv, storage, tick + 1000);
      state.storage.sql.exec("UPDATE schedules SET next_at = ?", tick);
      await fireDueTicks(schedulerEnv, storage, tick + 2000);
      expect(inbox.accepted).toHaveLength(1);
    });
  });

  it("drops schedules the new bundle no longer has, and keeps the D1 index recovery reads", async () => {
    const { repository, stub } = scheduler();
    const inbox = recordingInbox();
    const schedulerEnv: SchedulerEnv = { DB: env.DB, BLOBS: env.BLOBS, INBOX: inbox.namespace };
    await runInDurableObject(stub, async (_instance, state) => {
      const alarms: (number | null)[] = [];
      const storage = storageOf(state, alarms);
      const next = await applySchedules(schedulerEnv, storage, { repository, installationId: 1 }, [{ workflow: ".workflows/a.ts", cron: "0 0 * * *", timezone: "UTC" }]);
      expect((await overdueSchedules(env.DB, next! + 1)).map((s) => s.repository)).toContain(repository.toLowerCase());
      expect(await applySchedules(schedulerEnv, storage, { repository, installationId: 1 }, [])).toBeNull();
      expect(alarms.at(-1)).toBeNull();
      expect((await overdueSchedules(env.DB, Number.MAX_SAFE_INTEGER)).map((s) => s.repository)).not.toContain(repository.toLowerCase());
    });
  });
});
