/**
 * Schedules and manual runs end to end under `wrangler dev`: a schedule
 * registered by the push that compiles it fires on its own (and again after
 * the service restarts), fires at once on request, and a manual run starts
 * from the API with checked inputs or from a writer's `/run` comment.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startStack, waitFor, type Stack } from "../support/stack.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ webhooks: true });
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expect(stack.emulator.violations, "requests the real GitHub API would reject").toEqual([]);
});

const REPO = "octo-org/scheduled";

const FLOW = `
import { upsertComment, workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Ticker",
  on: {
    schedule: "* * * * *",
    dispatch: { inputs: { target: { type: "choice", options: ["staging", "production"], required: true }, dryRun: { type: "boolean", default: true } } },
  },
  async run({ event, eventName, deliveryId, step, github, repo }) {
    const body = eventName === "schedule" ? "tick " + (event as { tick: string }).tick : "dispatch " + JSON.stringify((event as { inputs: unknown }).inputs) + " by " + (event as { sender: { login: string } }).sender.login;
    // At least once: a restart mid-step runs the body again, so the note is keyed by the run's event.
    await step.do("note", () => upsertComment(github, { ...repo, issue_number: 1, marker: "note-" + deliveryId.replace(/[^A-Za-z0-9._:-]/g, "-").slice(0, 90), body }));
  },
});
`;

/** The workflow's notes, without upsertComment's hidden marker. */
const notes = (prefix: string) => stack.emulator.comments(REPO, 1).map((c) => c.body.split("\n\n<!-- repoflow:")[0]!).filter((body) => body.startsWith(prefix));

/** The tick of every run the schedule started: each tick is run once, however the service restarts. */
async function tickRuns(): Promise<string[]> {
  const { runs } = (await (await fetch(`${stack.service.url}/api/runs?repo=${encodeURIComponent(REPO)}&limit=200`)).json()) as { runs: { id: string; event: string }[] };
  const ticks: string[] = [];
  for (const run of runs.filter((r) => r.event === "schedule")) {
    const detail = (await (await fetch(`${stack.service.url}/api/runs/${run.id}`)).json()) as { event: { tick?: string } | null };
    ticks.push(detail.event?.tick ?? `unknown (${run.id})`);
  }
  return ticks;
}

async function api(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${stack.service.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("schedules and manual runs", () => {
  beforeAll(async () => {
    stack.emulator.addRepo({ fullName: REPO, installationId: 9500, collaborators: { maintainer: "write", reader: "read" }, files: { "README.md": "# scheduled\n" } });
    stack.emulator.openIssue(REPO, { number: 1, title: "Notes", user: "maintainer" });
    // The push that adds the workflow is what compiles it and registers its schedule.
    stack.emulator.commit(REPO, { ".workflows/ticker.ts": FLOW }, "Add the ticker");
    await stack.emulator.webhooksSettled();
  });

  it("fires a schedule now on request, and a manual run from the API with its inputs checked", async () => {
    const fired = await waitFor("the schedule to be registered", async () => {
      const answer = await api(`/api/repos/${REPO}/schedules/fire`, { workflow: "ticker" });
      return answer.status === 202 ? answer : null;
    }, 60_000);
    expect(fired.json).toMatchObject({ workflow: ".workflows/ticker.ts" });
    await waitFor("the fired tick's run", () => notes("tick ").length > 0, 60_000);

    const bad = await api(`/api/repos/${REPO}/dispatch`, { workflow: "ticker", inputs: { target: "moon" } });
    expect(bad.status).toBe(422);
    expect(bad.json.problems).toEqual([`"target" must be one of "staging", "production"; got "moon".`]);
    const good = await api(`/api/repos/${REPO}/dispatch`, { workflow: "ticker", inputs: { target: "staging" } });
    expect(good.status).toBe(202);
    await waitFor("the manual run", () => notes("dispatch ").length > 0, 60_000);
    expect(notes("dispatch ")).toEqual([`dispatch {"target":"staging","dryRun":true} by local`]);
  });

  it("starts a manual run from a writer's /run comment and refuses a reader's", async () => {
    stack.emulator.comment(REPO, 1, "/run ticker target=production dryRun=false", { user: "reader" });
    await waitFor("the refusal", () => stack.emulator.comments(REPO, 1).some((c) => c.body.includes("needs write access")), 60_000);
    stack.emulator.comment(REPO, 1, "/run ticker target=production dryRun=false", { user: "maintainer" });
    await waitFor("the run", () => notes(`dispatch {"target":"production","dryRun":false} by maintainer`).length > 0, 60_000);
  });

  it("fires on its own every minute, and again after the service restarts", async () => {
    const before = notes("tick ").length;
    await waitFor("a tick on its own", () => notes("tick ").length > before, 90_000);
    await stack.service.stop();
    const seen = notes("tick ").length;
    await stack.restart();
    // The alarm, or the recovery pass a request starts, fires the tick the restart made overdue.
    await waitFor("a tick after the restart", async () => {
      await fetch(`${stack.service.url}/api/runs?limit=1`).catch(() => undefined);
      return notes("tick ").length > seen;
    }, 150_000);
    const ticks = await tickRuns();
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ticks).size).toBe(ticks.length);
    expect(new Set(notes("tick ")).size).toBe(notes("tick ").length);
  }, 300_000);
});

describe("the dashboard's Run button", () => {
  it("starts a manual run from the form, and shows the inputs' problems on the page", async () => {
    const page = await fetch(`${stack.service.url}/repos/${REPO}/run`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Ticker (.workflows/ticker.ts)");
    const form = (inputs: string) =>
      fetch(`${stack.service.url}/repos/${REPO}/run`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: stack.service.url },
        body: new URLSearchParams({ workflow: ".workflows/ticker.ts", inputs, click: crypto.randomUUID() }).toString(),
      });
    const bad = await form(`{"target":"moon"}`);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("must be one of");
    const good = await form(`{"target":"production"}`);
    expect(good.status).toBe(303);
    await waitFor("the button's run", () => notes(`dispatch {"target":"production","dryRun":true} by local`).length > 0, 60_000);
  });
});
