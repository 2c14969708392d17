/**
 * The service (src/index.ts, unchanged: every request outside /bench/burst/
 * goes to its app) plus two read-only routes the burst bench polls from Node:
 * the ledger and the runs table counted by status, and how many ingest
 * Workflow instances the ledger's deliveries have. It also exports the ack-only
 * rung's holding inbox, so one wrangler build serves the service and the
 * ack-only target (the harness binds INBOX to either class).
 *
 * Shaped by two facts. Miniflare's Node-side D1 proxy blocks the runner's
 * event loop while workerd is busy, which would stall the probes this bench
 * times, so the runner reads over fetch. And a Workflow binding cannot list
 * its instances, so they are found one by one by the ids the ledger records.
 */
import service from "../../src/index.ts";
import { ensureSchema } from "../../src/store/index.ts";
import { BURST_ROUTES, type InstancesAnswer, type LedgerAnswer } from "../burst/api.ts";

// The Workflow classes, entrypoints and Durable Objects wrangler.toml names.
export * from "../../src/index.ts";
// The ack-only rung's inbox (HOLDING_INBOX_CLASS): the real accept(), an alarm that drains nothing.
export { BenchHoldingInbox } from "./edge-variants.ts";

/** Instance lookups in flight at once: enough to finish 500 in a moment, few enough not to flood the engine. */
const LOOKUPS_IN_FLIGHT = 20;

const MAX_WRITES = 50;

const epoch = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

async function ledger(db: D1Database, exclude: string): Promise<LedgerAnswer> {
  await ensureSchema(db);
  const [byStatus, span, runs, writes] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT status, COUNT(*) AS n, COALESCE(SUM(json_extract(outcome, '$.ignored') IS NOT NULL), 0) AS ignored FROM deliveries GROUP BY status"),
    db
      .prepare("SELECT MIN(received_at) AS first, MAX(processed_at) AS last, COALESCE(SUM(status <> 'accepted'), 0) AS final FROM deliveries WHERE id <> ?")
      .bind(exclude),
    db.prepare("SELECT status, COUNT(*) AS n FROM runs GROUP BY status"),
    db
      .prepare("SELECT processed_at AS at, COUNT(*) AS n FROM deliveries WHERE id <> ? AND processed_at IS NOT NULL GROUP BY processed_at ORDER BY processed_at")
      .bind(exclude),
  ]);
  const deliveries: Record<string, number> = {};
  let ignored = 0;
  for (const row of byStatus?.results ?? []) {
    deliveries[String(row.status)] = Number(row.n);
    ignored += Number(row.ignored);
  }
  const bounds = span?.results[0] ?? {};
  return {
    deliveries,
    ignored,
    firstReceivedAt: epoch((bounds.first as string | null) ?? null),
    lastProcessedAt: epoch((bounds.last as string | null) ?? null),
    finalInSpan: Number(bounds.final ?? 0),
    runs: Object.fromEntries((runs?.results ?? []).map((row) => [String(row.status), Number(row.n)])),
    writes: (writes?.results ?? [])
      .filter((row) => Number(row.n) > 1)
      .slice(0, MAX_WRITES)
      .map((row) => ({ at: Date.parse(String(row.at)), n: Number(row.n) })),
    instants: writes?.results.length ?? 0,
  };
}

async function instances(env: Cloudflare.Env): Promise<InstancesAnswer> {
  await ensureSchema(env.DB);
  const { results } = await env.DB.prepare("SELECT DISTINCT instance_id AS id FROM deliveries WHERE instance_id IS NOT NULL AND instance_id <> ''").all<{ id: string }>();
  const found: Record<string, number> = {};
  let missing = 0;
  const queue = results.map((row) => row.id);
  const worker = async () => {
    for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
      try {
        const { status } = await (await env.INGEST.get(id)).status();
        found[status] = (found[status] ?? 0) + 1;
      } catch (error) {
        // The binding answers an unknown id by throwing; anything else is a real fault worth seeing.
        if (!/not.?found/i.test(String(error))) throw error;
        missing++;
      }
    }
  };
  await Promise.all(Array.from({ length: LOOKUPS_IN_FLIGHT }, worker));
  return { ids: results.length, found, missing };
}

export default {
  ...service,
  async fetch(request: Request, env: Cloudflare.Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === BURST_ROUTES.ledger) return Response.json(await ledger(env.DB, url.searchParams.get("exclude") ?? ""));
    if (url.pathname === BURST_ROUTES.instances) return Response.json(await instances(env));
    return service.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Cloudflare.Env>;
