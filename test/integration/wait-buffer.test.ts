/**
 * The WaitRegistry's event buffer keeps the repository's newest
 * BUFFER_MAX_EVENTS events, with their index keys, when a batch the inbox
 * offers takes it over its cap: here in the real Durable Object's SQLite.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventFacts } from "../../src/dispatch/event-facts";
import { BUFFER_MAX_EVENTS, offerEvents } from "../../src/dispatch/wait-registry";

function comments(count: number, from: number) {
  return Array.from({ length: count }, (_, i) => {
    const delivery = { id: `buffer-${from + i}`, event: "issue_comment", action: "created", receivedAt: new Date(1_700_000_000_000 + from + i).toISOString() };
    return { facts: eventFacts(delivery, { action: "created", issue: { number: 1 }, comment: { body: "hi" }, sender: { login: "mona" } }), payloadJson: null };
  });
}

describe("the wait buffer", () => {
  it("keeps the newest events once a batch takes it over its cap, with their index keys", async () => {
    const stub = env.WAITS.get(env.WAITS.idFromName(`buffer-org/cap-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const sql = state.storage.sql;
      offerEvents(sql, comments(BUFFER_MAX_EVENTS - 2, 0));
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n).toBe(BUFFER_MAX_EVENTS - 2);
      // Five more in one batch: the three oldest leave, keys and all.
      offerEvents(sql, comments(5, BUFFER_MAX_EVENTS - 2));
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events").one().n).toBe(BUFFER_MAX_EVENTS);
      const oldest = sql.exec<{ id: string }>("SELECT delivery_id AS id FROM events ORDER BY received_at LIMIT 1").one().id;
      expect(oldest).toBe("buffer-3");
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM event_keys WHERE delivery_id IN ('buffer-0', 'buffer-1', 'buffer-2')").one().n).toBe(0);
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM event_keys WHERE delivery_id = 'buffer-3'").one().n).toBeGreaterThan(0);
    });
  });
});
