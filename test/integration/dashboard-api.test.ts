/**
 * The dashboard and its JSON API in local mode, inside workerd with real D1
 * and R2, through the Worker's own fetch: runs seeded with the store's writes,
 * read back through /api/* and the HTML pages.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { payloadKey, recoveryDue } from "../../src/dispatch";
import { finishRun, finishStep, insertRun, markRunStarted, startStep, updateRepositories, upsertInstallation } from "../../src/store";

const INSTALLATION = 7301;
const REPO = "dash-org/api";
const OTHER_REPO = "dash-org/other";
const PAYLOAD = { action: "opened", number: 7, pull_request: { number: 7, title: "Dashboard payload marker" } };

const get = (path: string) => exports.default.fetch(`http://127.0.0.1${path}`);

async function seedRun(id: string, fields: { repository?: string; workflowName?: string; workflowFile?: string; status: "queued" | "running" | "succeeded" | "failed"; error?: string }) {
  await insertRun(env.DB, {
    id,
    installationId: INSTALLATION,
    repository: fields.repository ?? REPO,
    workflowFile: fields.workflowFile ?? ".workflows/triage.ts",
    workflowName: fields.workflowName ?? "Triage",
    event: "pull_request",
    action: "opened",
    deliveryId: `delivery-${id}`,
    bundleHash: "ab12cd34".padEnd(64, "0"),
    commitSha: "fe98dc76".padEnd(40, "1"),
    headSha: "0123abcd".padEnd(40, "2"),
  });
  if (fields.status === "queued") return;
  await markRunStarted(env.DB, id, 4242);
  if (fields.status !== "running") await finishRun(env.DB, id, fields.status, fields.error);
}

beforeAll(async () => {
  // Recovery runs on a process's first request and would settle these seeded runs (they have no engine
  // instance) as failed; taking this minute's turn keeps them as seeded.
  recoveryDue(env);
  await upsertInstallation(env.DB, { id: INSTALLATION, accountLogin: "dash-org", accountType: "Organization", repositorySelection: "selected", suspendedAt: null });
  await updateRepositories(env.DB, INSTALLATION, { added: [{ id: 73011, fullName: REPO, private: true }, { id: 73012, fullName: OTHER_REPO, private: false }], removed: [] });

  await seedRun("run-dash-ok", { status: "succeeded" });
  await startStep(env.DB, "run-dash-ok", { name: "label it", kind: "do", status: "running" });
  await finishStep(env.DB, "run-dash-ok", "label it", { status: "succeeded", outputBytes: 2048 });
  await startStep(env.DB, "run-dash-ok", { name: "cool off", kind: "sleep", status: "sleeping", wakeAt: new Date("2026-01-01T00:00:00Z") });
  await finishStep(env.DB, "run-dash-ok", "cool off", { status: "succeeded" });
  await env.BLOBS.put(payloadKey("delivery-run-dash-ok"), JSON.stringify(PAYLOAD));

  await seedRun("run-dash-failed", { status: "failed", workflowName: "Release", workflowFile: ".workflows/release.ts", error: "repoflow: the release step gave up" });
  await startStep(env.DB, "run-dash-failed", { name: "publish", kind: "do", status: "running" });
  await finishStep(env.DB, "run-dash-failed", "publish", { status: "failed", error: "npm said no\n--- repoflow stack ---\nError: npm said no\n    at bundle.js:3:9" });

  await seedRun("run-dash-running", { status: "running", repository: OTHER_REPO, workflowName: "Nudge", workflowFile: ".workflows/nudge.ts" });
  await startStep(env.DB, "run-dash-running", { name: "approval", kind: "wait", status: "waiting", waitFor: "issue_comment", wakeAt: new Date("2030-01-01T00:00:00Z") });
});

interface RunJson {
  id: string;
  repository: string;
  workflowName: string;
  status: string;
}

async function runIds(query: string): Promise<string[]> {
  const res = await get(`/api/runs${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { runs: RunJson[] }).runs.map((r) => r.id).filter((id) => id.startsWith("run-dash-"));
}

describe("JSON API", () => {
  it("lists runs newest first and filters them by repo, workflow name or file, and status", async () => {
    expect(await runIds("")).toEqual(["run-dash-running", "run-dash-failed", "run-dash-ok"]);
    expect(await runIds(`?repo=${encodeURIComponent(OTHER_REPO)}`)).toEqual(["run-dash-running"]);
    expect(await runIds("?workflow=Release")).toEqual(["run-dash-failed"]);
    expect(await runIds(`?workflow=${encodeURIComponent(".workflows/triage.ts")}`)).toEqual(["run-dash-ok"]);
    expect(await runIds("?status=succeeded")).toEqual(["run-dash-ok"]);
    expect(await runIds(`?repo=${encodeURIComponent(REPO)}&status=running`)).toEqual([]);
  });

  it("honours limit", async () => {
    const res = await get("/api/runs?limit=1");
    expect(((await res.json()) as { runs: RunJson[] }).runs).toHaveLength(1);
  });

  it("answers a filter it cannot use with 400 and what to send instead", async () => {
    for (const query of ["?status=done", "?limit=-3", "?limit=many"]) {
      const res = await get(`/api/runs${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe("bad_query");
      expect(body.message).toMatch(/^repoflow: (status must be one of queued, running, succeeded, failed, cancelled|limit must be a whole number)/);
    }
  });

  it("returns a run with its steps and the triggering event", async () => {
    const res = await get("/api/runs/run-dash-ok");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { run: RunJson & { checkRunId: number }; steps: { name: string; kind: string; status: string; attempts: number; outputBytes: number | null }[]; event: unknown };
    expect(body.run).toMatchObject({ id: "run-dash-ok", status: "succeeded", checkRunId: 4242 });
    expect(body.steps.map((s) => [s.name, s.kind, s.status, s.outputBytes])).toEqual([
      ["label it", "do", "succeeded", 2048],
      ["cool off", "sleep", "succeeded", null],
    ]);
    expect(body.event).toEqual(PAYLOAD);
  });

  it("answers an unknown run id with 404 JSON", async () => {
    const res = await get("/api/runs/run-that-never-was");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ error: "not_found", message: "repoflow: there is no run run-that-never-was you can see; list yours at /api/runs." });
  });

  it("lists installations with their repositories", async () => {
    const res = await get("/api/installations");
    const { installations } = (await res.json()) as { installations: { id: number; accountLogin: string; repositories: { fullName: string }[] }[] };
    const mine = installations.find((i) => i.id === INSTALLATION);
    expect(mine?.accountLogin).toBe("dash-org");
    expect(mine?.repositories.map((r) => r.fullName).sort()).toEqual([REPO, OTHER_REPO]);
  });
});

describe("dashboard pages", () => {
  it("lists runs with status as text, trigger, repository, bundle and commit, and links each to its page", async () => {
    const res = await get(`/?repo=${encodeURIComponent(REPO)}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<main id="main"');
    expect(html).toContain('<nav aria-label="Main">');
    expect(html).toMatch(/<tr data-run-id="run-dash-ok" data-status="succeeded">[\s\S]*?<svg class="symbol" aria-hidden="true"[\s\S]*?<\/svg> succeeded[\s\S]*?<a href="\/runs\/run-dash-ok">Triage<\/a>[\s\S]*?<code>pull_request.opened<\/code>[\s\S]*?dash-org\/api[\s\S]*?<code[^>]*>ab12cd34<\/code> · <code[^>]*>fe98dc7<\/code>/);
    expect(html).toContain("run-dash-failed");
    expect(html).not.toContain("run-dash-running");
    expect(html).toContain("dash-org/other");
  });

  it("has a filter form whose fields all have labels, and scoped table headers", async () => {
    const html = await (await get("/")).text();
    for (const field of ["repo", "workflow", "status"]) {
      const id = html.match(new RegExp(`<(?:input|select) id="([^"]+)" name="${field}"`))?.[1];
      expect(id, `the ${field} field has an id`).toBeDefined();
      expect(html).toContain(`<label for="${id}">`);
    }
    expect(html).toContain('<form class="filters" method="get" action="/"');
    expect(html.match(/<th scope="col">/g)?.length).toBeGreaterThanOrEqual(7);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
  });

  it("puts the runs one delivery started under one row naming it, and draws each step on the run's timeline", async () => {
    for (const [id, name] of [["run-group-a", "Alpha"], ["run-group-b", "Beta"]] as const) {
      await insertRun(env.DB, {
        id,
        installationId: INSTALLATION,
        repository: OTHER_REPO,
        workflowFile: `.workflows/${name.toLowerCase()}.ts`,
        workflowName: name,
        event: "issues",
        action: "opened",
        deliveryId: "delivery-grouped",
        bundleHash: "ab12cd34".padEnd(64, "0"),
        commitSha: "fe98dc76".padEnd(40, "1"),
        headSha: "0123abcd".padEnd(40, "2"),
      });
    }
    const home = await (await get(`/?repo=${encodeURIComponent(OTHER_REPO)}`)).text();
    expect(home).toMatch(/<tr class="group" data-delivery-group="delivery-grouped">[\s\S]*?started 2 runs[\s\S]*?<\/tr><tr data-run-id="run-group-[ab]"/);
    expect(home.match(/data-delivery-group=/g)).toHaveLength(1);
    const run = await (await get("/runs/run-dash-ok")).text();
    expect(run).toMatch(/<div class="bar do succeeded" style="margin-left:0\.00%;width:[\d.]+%"><\/div>/);
    expect(run).toContain('class="bar sleep succeeded"');
  });

  it("polls only while a listed run is queued or running", async () => {
    const live = await (await get(`/?repo=${encodeURIComponent(OTHER_REPO)}`)).text();
    expect(live).toContain('fetch("/api/runs?"');
    expect(live).toContain('role="status"');
    const settled = await (await get(`/?repo=${encodeURIComponent(REPO)}`)).text();
    expect(settled).not.toContain("<script>");
  });

  it("explains a bad status filter on the page with 400", async () => {
    const res = await get("/?status=done");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("status must be one of queued, running, succeeded, failed, cancelled");
  });

  it("shows a run's steps, error, pinned bundle and commit, check run link and the event as collapsible JSON", async () => {
    const res = await get("/runs/run-dash-failed");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("repoflow: the release step gave up");
    expect(html).toMatch(/<tr data-step="publish" data-status="failed">[\s\S]*?<th scope="row">publish<\/th><td>do<\/td>[\s\S]*?<\/svg> failed[\s\S]*?<pre>npm said no<\/pre><details><summary>Stack<\/summary>/);
    expect(html).toContain(`<code>${"ab12cd34".padEnd(64, "0")}</code>`);
    expect(html).toContain(`<code>${"fe98dc76".padEnd(40, "1")}</code>`);
    // Local mode talks to the emulator, which serves no web pages: the check run is named, not linked to a 404.
    expect(html).toContain('<span data-check-run="4242">check run 4242 <span class="muted">(in the GitHub emulator)</span></span>');
    expect(html).not.toContain("/dash-org/api/runs/4242");
    expect(html).toContain("delivery-run-dash-failed");
    expect(html).not.toContain("<script>");

    const ok = await (await get("/runs/run-dash-ok")).text();
    expect(ok).toMatch(/<th scope="row">label it<\/th><td>do<\/td>[\s\S]*?succeeded[\s\S]*?2\.0 KiB/);
    expect(ok).toMatch(/<details><summary><code>pull_request.opened<\/code> payload \([\d.]+ B\)<\/summary><pre>[^<]*Dashboard payload marker/);
  });

  it("says what a waiting step waits for and polls while the run is active", async () => {
    const html = await (await get("/runs/run-dash-running")).text();
    expect(html).toContain("for issue_comment, at most until 2030-01-01 00:00:00 UTC");
    expect(html).toContain('data-active="true"');
    expect(html).toContain('fetch("/api/runs/" + encodeURIComponent(id)');
    expect(html).toContain("The payload of delivery <code>delivery-run-dash-running</code> is no longer kept.");
  });

  it("answers an unknown run page with 404", async () => {
    const res = await get("/runs/run-that-never-was");
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("There is no run <code>run-that-never-was</code> you can see.");
  });
});
