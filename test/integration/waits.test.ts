/**
 * Correlated waits against the real WaitRegistry Durable Object (SQLite, in
 * workerd): ingest's side (wakeWaits) and a run's side (RunWaits), with a
 * fake Workflow binding that records every event sent to a run. Invariant 10:
 * an event reaches only the runs waiting for it, one that came before the
 * wait is not lost, and a deadline is absolute.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RunWaits, wakeWaits, type WaitsEnv } from "../../src/dispatch/waits";
import { normalizeWait } from "../../src/dispatch/wait-spec";
import type { WaitRequest } from "../../src/runtime";
import { fakeEngine, type FakeEngine } from "./fake-engine";

let repos = 0;
/** Each test gets its own repository, so its own registry object. */
function repository(): string {
  return `octo-org/waits-${++repos}-${crypto.randomUUID().slice(0, 8)}`;
}

type Role = "read" | "triage" | "write" | "maintain" | "admin" | null;

function setUp(roles: Record<string, Role> = {}) {
  const engine = fakeEngine();
  const waitsEnv: WaitsEnv = { WAITS: env.WAITS, WORKFLOWS: engine.binding };
  const lookups: string[] = [];
  const roleOf = async (login: string) => {
    lookups.push(login);
    return roles[login] ?? null;
  };
  return { engine, waitsEnv, roleOf, lookups, repo: repository() };
}

let deliveries = 0;
function comment(repo: string, number: number, body: string, options: { login?: string; at?: number } = {}) {
  const id = `delivery-${++deliveries}`;
  return {
    delivery: { id, event: "issue_comment", action: "created", receivedAt: new Date(options.at ?? Date.now()).toISOString(), repository: repo },
    payload: { action: "created", issue: { number }, comment: { body }, sender: { login: options.login ?? "mona" } },
  };
}

function run(setup: ReturnType<typeof setUp>, runId: string, origin = { at: Date.now() - 60_000, exclude: "start" as string | null }) {
  setup.engine.set(runId, { status: "waiting" });
  return new RunWaits(setup.waitsEnv, setup.repo, runId, origin, setup.roleOf);
}

function spec(request: WaitRequest) {
  return normalizeWait("test", request);
}

function sentTo(engine: FakeEngine): string[] {
  return engine.calls.filter((c) => c.method === "sendEvent").map((c) => c.id);
}

const APPROVE = { events: ["issue_comment.created"], for: { number: 7 }, command: "/approve" } satisfies WaitRequest;

describe("correlated waits (invariant 10)", () => {
  it("sends an event only to the run waiting on its pull request: 200 runs wait on 200 numbers, one comment wakes one", async () => {
    const setup = setUp();
    for (let n = 1; n <= 200; n++) await run(setup, `run-${n}`).register("approval", 1, spec({ ...APPROVE, for: { number: n } }), 86_400_000);
    const { delivery, payload } = comment(setup.repo, 137, "/approve");
    const report = await wakeWaits(setup.waitsEnv, delivery, payload, setup.roleOf);
    expect(report.woken).toEqual(["run-137"]);
    expect(report.waits).toEqual([{ runId: "run-137", wait: "approval" }]);
    expect(sentTo(setup.engine)).toEqual(["run-137"]);
    const sent = setup.engine.calls.find((c) => c.method === "sendEvent")!.arg as { type: string; payload: { deliveryId: string; command: unknown; actor: string } };
    expect(sent.type).toMatch(/^rfw-[0-9a-f]{32}$/);
    expect(sent.payload).toMatchObject({ deliveryId: delivery.id, actor: "mona", command: { name: "/approve", args: [] } });
  });

  it("wakes nobody for comments on other pull requests, comments without the command, or an edited comment", async () => {
    const setup = setUp();
    await run(setup, "run-a").register("approval", 1, spec(APPROVE), 86_400_000);
    for (const [number, body] of [[8, "/approve"], [7, "looks good"], [7, "> /approve\n\nquoting"], [7, "```\n/approve\n```"]] as const) {
      const { delivery, payload } = comment(setup.repo, number, body);
      expect((await wakeWaits(setup.waitsEnv, delivery, payload, setup.roleOf)).woken).toEqual([]);
    }
    const edited = comment(setup.repo, 7, "/approve");
    expect((await wakeWaits(setup.waitsEnv, { ...edited.delivery, action: "edited" }, { ...edited.payload, action: "edited" }, setup.roleOf)).woken).toEqual([]);
    expect(sentTo(setup.engine)).toEqual([]);
  });

  it("delivers an event that arrived after the run started but before its wait registered, and not the event that started it", async () => {
    const setup = setUp();
    const started = Date.now();
    const early = comment(setup.repo, 7, "/approve", { at: started + 1 });
    expect((await wakeWaits(setup.waitsEnv, early.delivery, early.payload, setup.roleOf)).woken).toEqual([]);
    const trigger = comment(setup.repo, 7, "/approve", { at: started });
    await wakeWaits(setup.waitsEnv, trigger.delivery, trigger.payload, setup.roleOf);
    const filed = await run(setup, "run-race", { at: started, exclude: trigger.delivery.id }).register("approval", 1, spec(APPROVE), 86_400_000);
    expect(filed.event).toMatchObject({ deliveryId: early.delivery.id, command: { name: "/approve" } });
    // Taken once: the same delivery offered again (a redelivery, a retried step) reaches the run again, never another wait.
    const retried = await wakeWaits(setup.waitsEnv, early.delivery, early.payload, setup.roleOf);
    expect(retried.woken).toEqual(["run-race"]);
    const second = await run(setup, "run-race", { at: started, exclude: trigger.delivery.id }).register("second approval", 1, spec(APPROVE), 86_400_000);
    expect(second.event).toBeNull();
  });

  it("does not hand a run events from before it started", async () => {
    const setup = setUp();
    const old = comment(setup.repo, 7, "/approve", { at: Date.now() - 120_000 });
    await wakeWaits(setup.waitsEnv, old.delivery, old.payload, setup.roleOf);
    expect((await run(setup, "run-late", { at: Date.now() - 60_000, exclude: null }).register("approval", 1, spec(APPROVE), 86_400_000)).event).toBeNull();
  });

  it("keeps the first attempt's deadline when the tenant's match turns an event down, and drops a late event", async () => {
    const setup = setUp();
    const waits = run(setup, "run-deadline");
    const first = await waits.register("approval", 1, spec({ events: ["issue_comment.created"], for: { number: 7 } }), 60_000);
    const again = await waits.register("approval", 2, spec({ events: ["issue_comment.created"], for: { number: 7 } }), 60_000);
    expect(again.deadline).toBe(first.deadline);
    expect(again.waitId).not.toBe(first.waitId);
    const late = comment(setup.repo, 7, "hello", { at: first.deadline + 1 });
    expect((await wakeWaits(setup.waitsEnv, late.delivery, late.payload, setup.roleOf)).woken).toEqual([]);
  });

  it("asks GitHub for the actor's role once per event, and only when a matching wait asks for one", async () => {
    const setup = setUp({ reader: "read", writer: "write", owner: "admin" });
    for (const id of ["run-1", "run-2", "run-3"]) await run(setup, id).register("approval", 1, spec({ ...APPROVE, from: "write" }), 86_400_000);
    const unrelated = comment(setup.repo, 8, "/approve", { login: "reader" });
    await wakeWaits(setup.waitsEnv, unrelated.delivery, unrelated.payload, setup.roleOf);
    expect(setup.lookups).toEqual([]);
    const byReader = comment(setup.repo, 7, "/approve", { login: "reader" });
    const refused = await wakeWaits(setup.waitsEnv, byReader.delivery, byReader.payload, setup.roleOf);
    expect(refused.woken).toEqual([]);
    // Said, so replay and the delivery page can tell the author why the run goes on waiting.
    expect(refused.refused?.map((r) => `${r.runId} ${r.wait} ${r.needs} ${r.actor}`).sort()).toEqual(["run-1 approval write reader", "run-2 approval write reader", "run-3 approval write reader"]);
    expect(setup.lookups).toEqual(["reader"]);
    const byWriter = comment(setup.repo, 7, "/approve", { login: "writer" });
    expect((await wakeWaits(setup.waitsEnv, byWriter.delivery, byWriter.payload, setup.roleOf)).woken.sort()).toEqual(["run-1", "run-2", "run-3"]);
    expect(setup.lookups).toEqual(["reader", "writer"]);
  });

  it("checks the role of a buffered event too, and takes the first allowed one", async () => {
    const setup = setUp({ reader: "read", writer: "maintain" });
    const origin = { at: Date.now() - 10_000, exclude: null };
    for (const login of ["reader", "writer"]) {
      const c = comment(setup.repo, 7, "/approve", { login });
      await wakeWaits(setup.waitsEnv, c.delivery, c.payload, setup.roleOf);
    }
    const filed = await run(setup, "run-buffered", origin).register("approval", 1, spec({ ...APPROVE, from: "write" }), 86_400_000);
    expect(filed.event).toMatchObject({ actor: "writer" });
  });

  it("matches logins given in from case-insensitively without asking GitHub", async () => {
    const setup = setUp();
    await run(setup, "run-logins").register("approval", 1, spec({ ...APPROVE, from: ["Mona"] }), 86_400_000);
    const other = comment(setup.repo, 7, "/approve", { login: "hubot" });
    expect((await wakeWaits(setup.waitsEnv, other.delivery, other.payload, setup.roleOf)).woken).toEqual([]);
    const mona = comment(setup.repo, 7, "/approve", { login: "mona" });
    expect((await wakeWaits(setup.waitsEnv, mona.delivery, mona.payload, setup.roleOf)).woken).toEqual(["run-logins"]);
    expect(setup.lookups).toEqual([]);
  });

  it("correlates check runs and statuses by head SHA", async () => {
    const setup = setUp();
    const sha = "a".repeat(40);
    await run(setup, "run-checks").register("checks", 1, spec({ events: ["check_suite.completed", "status"], for: { sha } }), 86_400_000);
    const at = new Date().toISOString();
    const other = { id: "status-other", event: "status", action: null, receivedAt: at, repository: setup.repo };
    expect((await wakeWaits(setup.waitsEnv, other, { sha: "b".repeat(40), sender: { login: "ci" } }, setup.roleOf)).woken).toEqual([]);
    const mine = { id: "status-mine", event: "status", action: null, receivedAt: at, repository: setup.repo };
    expect((await wakeWaits(setup.waitsEnv, mine, { sha, sender: { login: "ci" } }, setup.roleOf)).woken).toEqual(["run-checks"]);
  });

  it("sends nothing to a run that has ended, and forgets a run's waits", async () => {
    const setup = setUp();
    const waits = run(setup, "run-ended");
    await waits.register("approval", 1, spec(APPROVE), 86_400_000);
    setup.engine.set("run-ended", { status: "complete" });
    const first = comment(setup.repo, 7, "/approve");
    expect(await wakeWaits(setup.waitsEnv, first.delivery, first.payload, setup.roleOf)).toEqual({ woken: [], waits: [], ended: ["run-ended"] });
    const forgotten = run(setup, "run-forgotten");
    await forgotten.register("approval", 1, spec(APPROVE), 86_400_000);
    await forgotten.forget();
    const second = comment(setup.repo, 7, "/approve");
    expect((await wakeWaits(setup.waitsEnv, second.delivery, second.payload, setup.roleOf)).woken).toEqual([]);
  });
});
