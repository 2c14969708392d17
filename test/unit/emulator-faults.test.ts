/**
 * Faults on command: 500 and 502, GitHub's secondary rate limit (403 and
 * 429 with `retry-after`), the primary one, slow answers, reset
 * connections; aimed by method and path, at a seeded fraction of requests,
 * a number of times, from the test or from another process through the
 * admin routes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { addFault, createFaultTable, takeFault } from "../emulator/faults.ts";

const FULL = "acme/widgets";
const PATH = `/repos/${FULL}`;
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.clearFaults();
  emulator.addRepo({ fullName: FULL, installationId: 7, files: {}, private: false });
  emulator.reset();
});

const get = (path = PATH, init: RequestInit = {}) => fetch(`${emulator.url}${path}`, init);

describe("response faults", () => {
  it.each([500, 502])("answers %i the given number of times, then recovers", async (status) => {
    emulator.inject({ kind: "status", status, method: "GET", path: PATH, times: 2 });
    expect((await get()).status).toBe(status);
    expect((await get()).status).toBe(status);
    expect((await get()).status).toBe(200);
    expect(emulator.violations).toEqual([]);
  });

  it("answers GitHub's secondary rate limit as a 403 with retry-after and its message", async () => {
    emulator.inject({ kind: "secondary-rate-limit", retryAfterSeconds: 30, path: /^\/repos\//, times: 1 });
    const response = await get();
    expect(response.status).toBe(403);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(Number(response.headers.get("x-ratelimit-remaining"))).toBeGreaterThan(0);
    const body = (await response.json()) as { message: string; documentation_url: string };
    expect(body.message).toMatch(/^You have exceeded a secondary rate limit/);
    expect(body.message).toContain(response.headers.get("x-github-request-id") ?? "no request id");
    expect(body.documentation_url).toContain("secondary-rate-limits");
  });

  it("answers a secondary rate limit as a 429 with retry-after when asked", async () => {
    emulator.inject({ kind: "secondary-rate-limit", status: 429, retryAfterSeconds: 5, times: 1 });
    const response = await get();
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("5");
  });

  it("answers the primary rate limit as a 403 with nothing remaining and the reset time", async () => {
    emulator.inject({ kind: "rate-limit", resetInSeconds: 120, times: 1 });
    const response = await get();
    expect(response.status).toBe(403);
    expect(response.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(response.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000 + 60);
  });

  it("hits only the method and path it is aimed at", async () => {
    emulator.inject({ kind: "status", status: 502, method: "POST", path: PATH });
    expect((await get()).status).toBe(200);
    expect((await get(`${PATH}/branches/main`)).status).toBe(200);
  });
});

describe("connection faults", () => {
  it("answers only after the delay, so a client with a shorter timeout gives up", async () => {
    emulator.inject({ kind: "delay", ms: 1500, path: PATH, times: 1 });
    await expect(get(PATH, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: "TimeoutError" });
    expect((await get()).status).toBe(200);
  });

  it("answers normally after the delay", async () => {
    emulator.inject({ kind: "delay", ms: 50, path: PATH, times: 1 });
    const response = await get();
    expect(response.status).toBe(200);
    expect(emulator.requests.map((request) => request.status)).toEqual([200]);
  });

  it("resets the connection without an answer, and records the request with status 0", async () => {
    emulator.inject({ kind: "reset", path: PATH, times: 1 });
    await expect(get()).rejects.toThrow(TypeError);
    expect(emulator.requests).toMatchObject([{ path: PATH, status: 0, operationId: "repos/get" }]);
    expect((await get()).status).toBe(200);
  });
});

describe("fractions of requests", () => {
  const hits = (seed: number, rate: number, count: number) => {
    const table = createFaultTable(1);
    addFault(table, { kind: "status", status: 500, rate, seed });
    return Array.from({ length: count }, () => takeFault(table, "GET", PATH) !== null);
  };

  it("hits the same requests for the same seed, and other ones for another seed", () => {
    expect(hits(42, 0.3, 200)).toEqual(hits(42, 0.3, 200));
    expect(hits(42, 0.3, 200)).not.toEqual(hits(43, 0.3, 200));
  });

  it("hits about the given fraction, never at rate 0 and always at rate 1", () => {
    const count = hits(7, 0.2, 1000).filter(Boolean).length;
    expect(count).toBeGreaterThan(150);
    expect(count).toBeLessThan(250);
    expect(hits(7, 0, 100).some(Boolean)).toBe(false);
    expect(hits(7, 1, 100).every(Boolean)).toBe(true);
  });

  it("stops after times hits, counting only requests it hit", async () => {
    emulator.inject({ kind: "status", status: 500, path: PATH, rate: 0.5, times: 3, seed: 9 });
    const statuses: number[] = [];
    for (let index = 0; index < 40; index++) statuses.push((await get()).status);
    expect(statuses.filter((status) => status === 500)).toHaveLength(3);
  });

  it("refuses a rate outside 0–1 and an unknown kind", () => {
    expect(() => emulator.inject({ kind: "status", status: 500, rate: 2 })).toThrow(/rate must be between 0 and 1/);
    expect(() => emulator.inject({ kind: "explode" } as never)).toThrow(/kind must be/);
  });
});

describe("the fault admin routes, for a chaos harness in another process", () => {
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${emulator.url}/_emulator/faults${path}`, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  it("turns a fault on with a path pattern, lists it, and turns it off", async () => {
    const created = await admin("POST", "", { kind: "status", status: 502, method: "GET", pathPattern: "^/repos/acme/", rate: 1 });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    expect((await get()).status).toBe(502);
    expect(await (await admin("GET", "")).json()).toEqual([{ id, kind: "status", status: 502, method: "GET", pathPattern: new RegExp("^/repos/acme/").source, rate: 1, hits: 1, remaining: null }]);
    expect((await admin("DELETE", `/${id}`)).status).toBe(200);
    expect((await get()).status).toBe(200);
    expect((await admin("DELETE", `/${id}`)).status).toBe(404);
  });

  it("clears every fault at once", async () => {
    await admin("POST", "", { kind: "reset", path: PATH });
    await admin("POST", "", { kind: "delay", ms: 10_000 });
    expect((await admin("DELETE", "")).status).toBe(200);
    expect((await get()).status).toBe(200);
  });

  it("refuses a fault it cannot carry out, naming the problem", async () => {
    const response = await admin("POST", "", { kind: "delay" });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ message: expect.stringContaining("a delay needs ms") });
  });
});
