/**
 * Faults injected on command, for tests and chaos harnesses: a 5xx, GitHub's
 * secondary and primary rate limits, a slow answer, a reset connection. Each
 * is aimed at requests by method and path (a string matches the decoded path
 * exactly, a RegExp is tested on it), hits a fraction of them (`rate`) and
 * stops after `times` hits.
 *
 * The fraction is drawn from a seeded PRNG per fault (mulberry32), so a run
 * with the same seed and the same requests hits the same ones: a flaky
 * failure found by a chaos run can be replayed.
 *
 * Bodies follow GitHub's: "If you exceed a secondary rate limit, you will
 * receive a 403 or 429 response and an error message that indicates that
 * you exceeded a secondary rate limit", with `retry-after` in seconds
 * (docs.github.com, "Rate limits for the REST API"); Octokit's throttling
 * plugin recognises it by that message.
 */

export type FaultAction =
  /** Answer this instead (500, 502, …). */
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: unknown }
  /** GitHub's secondary rate limit: 403 (or 429) with its message and `retry-after`. */
  | { kind: "secondary-rate-limit"; status?: 403 | 429; retryAfterSeconds?: number }
  /** The primary rate limit exhausted: 403 with `x-ratelimit-remaining: 0` and the reset time. */
  | { kind: "rate-limit"; resetInSeconds?: number }
  /** Answer normally, but only after `ms` (for client timeouts). */
  | { kind: "delay"; ms: number }
  /** Destroy the connection without an answer. */
  | { kind: "reset" };

export interface FaultTarget {
  method?: string;
  path?: string | RegExp;
  /** The fraction of matching requests hit, 0–1; default 1. */
  rate?: number;
  /** Hits before the fault is removed; default unlimited. */
  times?: number;
  /** Seeds this fault's PRNG; default derived from the emulator's `faultSeed` and the fault's id. */
  seed?: number;
}

export type FaultSpec = FaultTarget & FaultAction;

export interface Fault {
  id: number;
  spec: FaultSpec;
  hits: number;
  remaining: number;
  random: () => number;
}

export interface FaultTable {
  seed: number;
  nextId: number;
  list: Fault[];
}

export class InvalidFaultError extends Error {
  override readonly name = "InvalidFaultError";
  constructor(problem: string) {
    super(`repoflow: invalid emulator fault: ${problem}`);
  }
}

export function createFaultTable(seed: number): FaultTable {
  return { seed, nextId: 1, list: [] };
}

export function addFault(table: FaultTable, spec: FaultSpec): number {
  if (!["status", "secondary-rate-limit", "rate-limit", "delay", "reset"].includes(spec.kind)) {
    throw new InvalidFaultError(`kind must be status, secondary-rate-limit, rate-limit, delay or reset, got ${String(spec.kind)}.`);
  }
  const rate = spec.rate ?? 1;
  if (!(rate >= 0 && rate <= 1)) throw new InvalidFaultError(`rate must be between 0 and 1, got ${String(spec.rate)}.`);
  const times = spec.times ?? Infinity;
  if (!(times >= 1)) throw new InvalidFaultError(`times must be at least 1, got ${String(spec.times)}.`);
  if (spec.kind === "delay" && !(spec.ms >= 0)) throw new InvalidFaultError(`a delay needs ms ≥ 0, got ${String(spec.ms)}.`);
  if (spec.kind === "status" && !(Number.isInteger(spec.status) && spec.status >= 100 && spec.status <= 599)) {
    throw new InvalidFaultError(`status must be an HTTP status code, got ${String(spec.status)}.`);
  }
  const id = table.nextId++;
  table.list.push({ id, spec, hits: 0, remaining: times, random: mulberry32(spec.seed ?? (table.seed + Math.imul(id, 0x9e3779b9)) >>> 0) });
  return id;
}

/** Removes one fault, or all when `id` is undefined; true when something was removed. */
export function removeFaults(table: FaultTable, id?: number): boolean {
  const before = table.list.length;
  table.list = id === undefined ? [] : table.list.filter((fault) => fault.id !== id);
  return table.list.length < before;
}

/** The fault that hits this request, if any; counts the hit and retires a fault whose `times` are used up. */
export function takeFault(table: FaultTable, method: string, path: string): FaultAction | null {
  for (const fault of table.list) {
    const { spec } = fault;
    if (spec.method !== undefined && spec.method.toUpperCase() !== method) continue;
    if (spec.path !== undefined && (typeof spec.path === "string" ? spec.path !== path : !spec.path.test(path))) continue;
    // Drawn only for matching requests, so unrelated traffic does not shift which ones are hit.
    if ((spec.rate ?? 1) < 1 && fault.random() >= (spec.rate ?? 1)) continue;
    fault.hits++;
    fault.remaining--;
    if (fault.remaining <= 0) table.list = table.list.filter((other) => other !== fault);
    return spec;
  }
  return null;
}

/** The answer a response fault gives; null for delay and reset, which the HTTP shell carries out. */
export function faultResponse(action: FaultAction, requestId: string): { status: number; headers: Record<string, string>; body: unknown } | null {
  switch (action.kind) {
    case "status":
      return { status: action.status, headers: action.headers ?? {}, body: action.body ?? { message: `Injected failure ${action.status}`, documentation_url: "https://docs.github.com/rest" } };
    case "secondary-rate-limit":
      return {
        status: action.status ?? 403,
        headers: { "retry-after": String(action.retryAfterSeconds ?? 60) },
        body: {
          message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
          status: String(action.status ?? 403),
        },
      };
    case "rate-limit":
      return {
        status: 403,
        headers: {
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + (action.resetInSeconds ?? 60)),
        },
        body: { message: "API rate limit exceeded for installation.", documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api", status: "403" },
      };
    case "delay":
    case "reset":
      return null;
  }
}

/** Plain data for the admin route and the CLI log: a RegExp path as `pathPattern`. */
export function describeFault(fault: Fault): Record<string, unknown> {
  const { path, ...rest } = fault.spec;
  const target = path instanceof RegExp ? { pathPattern: path.source } : path === undefined ? {} : { path };
  return { id: fault.id, ...rest, ...target, hits: fault.hits, remaining: Number.isFinite(fault.remaining) ? fault.remaining : null };
}

/** A small, fast, seedable PRNG (Tommy Ettinger's mulberry32); uniform in [0, 1). The chaos harness draws its plan from it too. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
