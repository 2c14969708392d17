import { describe, expect, it } from "vitest";
import { missedDeliveries, REDELIVERY_WINDOW_MS, type HookDelivery } from "../../src/dispatch/redeliver-missed";

const now = Date.parse("2026-12-01T12:00:00Z");
const at = (msAgo: number) => new Date(now - msAgo).toISOString();
const attempt = (id: number, guid: string, status_code: number, msAgo: number): HookDelivery => ({ id, guid, status_code, delivered_at: at(msAgo), event: "issues" });

describe("missedDeliveries (invariant 2)", () => {
  it("asks again for events no attempt delivered, once each, from their latest attempt", () => {
    const log = [attempt(5, "b", 0, 1_000), attempt(4, "a", 503, 2_000), attempt(3, "b", 502, 60_000), attempt(2, "ok", 202, 70_000)];
    expect(missedDeliveries(log, now, new Set()).map((d) => [d.guid, d.id])).toEqual([["b", 5], ["a", 4]]);
  });

  it("leaves alone what a later attempt delivered, what repoflow already accepted, and what is past GitHub's 3-day window", () => {
    const log = [attempt(9, "late-ok", 202, 1_000), attempt(8, "late-ok", 500, 5_000), attempt(7, "held", 0, 1_000), attempt(6, "old", 0, REDELIVERY_WINDOW_MS + 1)];
    expect(missedDeliveries(log, now, new Set(["held"]))).toEqual([]);
  });
});
