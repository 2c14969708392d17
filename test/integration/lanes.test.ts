/**
 * Concurrency lanes and debounce bursts over the Lanes Durable Object's real
 * SQLite storage.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { absorb, dueDebounces, enterLane, laneOf, leaveAll, leaveLane, supersede } from "../../src/dispatch/lanes";

let n = 0;
const lanes = () => env.LANES.get(env.LANES.idFromName(`octo-org/lanes-${++n}-${crypto.randomUUID().slice(0, 6)}`));
const LANE = laneOf(".workflows/nudge.ts", "42");
const workflow = { file: ".workflows/nudge.ts", name: "Nudge", on: {}, hasIf: false };

describe("lanes", () => {
  it("cancelInProgress: a run supersedes the older ones, and an older event processed late cancels itself", async () => {
    await runInDurableObject(lanes(), async (_instance, state) => {
      const sql = state.storage.sql;
      expect(supersede(sql, LANE, "run-1", 100)).toEqual({ cancel: [] });
      expect(supersede(sql, LANE, "run-2", 200)).toEqual({ cancel: ["run-1"] });
      expect(supersede(sql, LANE, "run-0", 50)).toEqual({ cancel: ["run-0"] });
      expect(supersede(sql, laneOf(".workflows/nudge.ts", "43"), "run-9", 10)).toEqual({ cancel: [] });
    });
  });

  it("queues: runs go one at a time, the oldest waiting next, and a running run is never overtaken", async () => {
    await runInDurableObject(lanes(), async (_instance, state) => {
      const sql = state.storage.sql;
      // run-b's event is newer, but its run reached the lane first: it runs, and run-a (older) waits behind it.
      expect(enterLane(sql, LANE, "run-b", 200)).toEqual({ go: true });
      expect(enterLane(sql, LANE, "run-a", 100)).toEqual({ go: false, behind: "run-b" });
      expect(enterLane(sql, LANE, "run-c", 300)).toEqual({ go: false, behind: "run-b" });
      expect(enterLane(sql, LANE, "run-b", 200)).toEqual({ go: true });
      expect(leaveLane(sql, LANE, "run-b")).toBe("run-a");
      // Before the woken run-a comes back, run-c looks again: it waits behind the older run-a.
      expect(enterLane(sql, LANE, "run-c", 300)).toEqual({ go: false, behind: "run-a" });
      expect(enterLane(sql, LANE, "run-a", 100)).toEqual({ go: true });
      expect(leaveAll(sql, "run-a")).toEqual(["run-c"]);
      expect(enterLane(sql, LANE, "run-c", 300)).toEqual({ go: true });
    });
  });

  it("debounces: events within the period of each other (by arrival) start one run, on the newest, by maxWait after the first", async () => {
    await runInDurableObject(lanes(), async (_instance, state) => {
      const sql = state.storage.sql;
      const start = (id: string, at: number) => ({ workflow, source: { id }, deliveryId: id, receivedAt: at });
      const t = 1_000_000;
      expect(absorb(sql, LANE, start("d1", t), 60_000, 300_000, t)).toBe(t + 60_000);
      expect(absorb(sql, LANE, start("d2", t + 50_000), 60_000, 300_000, t + 50_000)).toBe(t + 110_000);
      // An older delivery processed late joins the burst but does not become its event.
      absorb(sql, LANE, start("d0", t - 1), 60_000, 300_000, t + 51_000);
      expect(dueDebounces(sql, t + 100_000)).toEqual([]);
      const [due] = dueDebounces(sql, t + 112_000);
      expect(due!.start.deliveryId).toBe("d2");
      expect(due!.absorbed).toEqual(["d1", "d0", "d2"]);
      // A burst that never pauses still starts by maxWait after its first arrival.
      const other = laneOf(".workflows/nudge.ts", "7");
      for (let i = 0; i < 8; i++) absorb(sql, other, start(`e${i}`, t + i * 40_000), 60_000, 300_000, t + i * 40_000);
      expect(dueDebounces(sql, t + 299_000).filter((d) => d.lane === other)).toEqual([]);
      expect(dueDebounces(sql, t + 300_000).filter((d) => d.lane === other).map((d) => d.start.deliveryId)).toEqual(["e7"]);
    });
  });

  it("measures the window on arrival: a burst ingested late still starts one run, a little after ingest reaches it", async () => {
    await runInDurableObject(lanes(), async (_instance, state) => {
      const sql = state.storage.sql;
      const start = (id: string, at: number) => ({ workflow, source: { id }, deliveryId: id, receivedAt: at });
      const t = 5_000_000;
      // Five events arrived within a second; ingest reaches the lane 10 s later, unevenly.
      const dues = [0, 1, 2, 3, 4].map((i) => absorb(sql, LANE, start(`f${i}`, t + i * 200), 4_000, 40_000, t + 10_000 + i * 700));
      expect(Math.max(...dues)).toBeLessThanOrEqual(t + 10_000 + 4 * 700 + 2_000);
      expect(dueDebounces(sql, t + 10_000 + 2 * 700)).toEqual([]);
      expect(dueDebounces(sql, Math.max(...dues)).map((d) => d.start.deliveryId)).toEqual(["f4"]);
    });
  });
});
