/**
 * Cloudflare list prices (Workers Paid plan, USD) the cost projection uses,
 * each with the page it was read from and the day it was read. Read on
 * 2026-12-01 from stored copies of developers.cloudflare.com pages (and of
 * their source in cloudflare/cloudflare-docs), not from the live site: a
 * price changed since then is wrong here until this file is updated.
 *
 * `included` is the plan's monthly allowance in the price's own unit. The
 * Workers Standard request allowance is one pool: Workflows are "billed as
 * Workers, and share the same CPU time and request SKUs" (Workflows pricing
 * FAQ) and Dynamic Workers' requests "use Workers Standard rates and will
 * appear as part of your existing Workers bill" (Dynamic Workers pricing).
 */

export interface Price {
  item: string;
  /** What one unit is, and several. */
  unit: string;
  units: string;
  /** Dollars per `per` units beyond the allowance. */
  usd: number;
  per: number;
  /** Included per month on Workers Paid, in units; 0 when nothing is. */
  included: number;
  source: string;
  readOn: string;
}

const READ_ON = "2026-12-01";

const WORKERS = "https://developers.cloudflare.com/workers/platform/pricing/";
const WORKFLOWS = "https://developers.cloudflare.com/workflows/reference/pricing/";
const DURABLE_OBJECTS = "https://developers.cloudflare.com/durable-objects/platform/pricing/";
const D1 = "https://developers.cloudflare.com/d1/platform/pricing/";
const R2 = "https://developers.cloudflare.com/r2/pricing/";
const DYNAMIC_WORKERS = "https://developers.cloudflare.com/dynamic-workers/pricing/";

const MILLION = 1_000_000;

export const PRICES = {
  subscription: { item: "Workers Paid plan", unit: "month", units: "months", usd: 5, per: 1, included: 0, source: WORKERS, readOn: READ_ON },
  workersRequests: { item: "Workers Standard requests (Worker requests, Workflow invocations, Dynamic Worker calls)", unit: "request", units: "requests", usd: 0.3, per: MILLION, included: 10 * MILLION, source: `${WORKERS} · ${WORKFLOWS} · ${DYNAMIC_WORKERS}`, readOn: READ_ON },
  workersCpu: { item: "Workers Standard CPU time (Workers, Workflows, Dynamic Workers)", unit: "CPU ms", units: "CPU ms", usd: 0.02, per: MILLION, included: 30 * MILLION, source: `${WORKERS} · ${WORKFLOWS}`, readOn: READ_ON },
  workflowsStorage: { item: "Workflows storage", unit: "GB-month", units: "GB-months", usd: 0.2, per: 1, included: 1, source: WORKFLOWS, readOn: READ_ON },
  doRequests: { item: "Durable Objects requests (RPC calls, fetches, alarms)", unit: "request", units: "requests", usd: 0.15, per: MILLION, included: MILLION, source: DURABLE_OBJECTS, readOn: READ_ON },
  doDuration: { item: "Durable Objects duration", unit: "GB-s", units: "GB-s", usd: 12.5, per: MILLION, included: 400_000, source: DURABLE_OBJECTS, readOn: READ_ON },
  doRowsRead: { item: "Durable Objects SQLite rows read", unit: "row", units: "rows", usd: 0.001, per: MILLION, included: 25_000 * MILLION, source: DURABLE_OBJECTS, readOn: READ_ON },
  doRowsWritten: { item: "Durable Objects SQLite rows written (each setAlarm() is one)", unit: "row", units: "rows", usd: 1, per: MILLION, included: 50 * MILLION, source: DURABLE_OBJECTS, readOn: READ_ON },
  doStorage: { item: "Durable Objects SQLite stored data", unit: "GB-month", units: "GB-months", usd: 0.2, per: 1, included: 5, source: DURABLE_OBJECTS, readOn: READ_ON },
  d1RowsRead: { item: "D1 rows read", unit: "row", units: "rows", usd: 0.001, per: MILLION, included: 25_000 * MILLION, source: D1, readOn: READ_ON },
  d1RowsWritten: { item: "D1 rows written", unit: "row", units: "rows", usd: 1, per: MILLION, included: 50 * MILLION, source: D1, readOn: READ_ON },
  d1Storage: { item: "D1 storage", unit: "GB-month", units: "GB-months", usd: 0.75, per: 1, included: 5, source: D1, readOn: READ_ON },
  r2ClassA: { item: "R2 Class A operations (put, list)", unit: "operation", units: "operations", usd: 4.5, per: MILLION, included: MILLION, source: R2, readOn: READ_ON },
  r2ClassB: { item: "R2 Class B operations (get, head)", unit: "operation", units: "operations", usd: 0.36, per: MILLION, included: 10 * MILLION, source: R2, readOn: READ_ON },
  r2Storage: { item: "R2 Standard storage", unit: "GB-month", units: "GB-months", usd: 0.015, per: 1, included: 10, source: R2, readOn: READ_ON },
  dynamicWorkersDaily: { item: "Dynamic Workers created daily (unique id + code per day)", unit: "Dynamic Worker-day", units: "Dynamic Worker-days", usd: 0.002, per: 1, included: 1_000, source: DYNAMIC_WORKERS, readOn: READ_ON },
} as const satisfies Record<string, Price>;

export type PriceId = keyof typeof PRICES;

/**
 * Prices shown but not projected per delivery, and why: the bench cannot
 * measure them locally, or they do not grow with deliveries.
 */
export const NOT_PROJECTED: Partial<Record<PriceId, string>> = {
  workersCpu: "not measured: workerd's clock stands still while JavaScript runs, and local CPU is not Cloudflare's",
  doDuration: "not measured: billed on wall-clock time while an object is active in Cloudflare's runtime",
  doStorage: "grows with retained rows, not per delivery; not measured",
  d1Storage: "grows with retained rows, not per delivery; not measured",
  r2Storage: "grows with kept payloads and bundles, not per delivery; not measured",
  dynamicWorkersDaily: "counted per unique Dynamic Worker (id and code) per day: per repository and bundle, not per delivery",
};

/** How long a completed Workflow instance's state is kept on Workers Paid by default (7 days; up to 30 configurable), for the storage estimate. */
export const WORKFLOW_RETENTION_DAYS = 7;
