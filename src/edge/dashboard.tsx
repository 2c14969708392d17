/**
 * The dashboard: server-rendered with hono JSX, no front-end build. Pages work
 * without JavaScript; a small inline script refreshes them while runs are
 * active by polling the JSON API. Semantic HTML (tables with scoped headers,
 * labelled form fields), status shown as text and symbol, not colour alone.
 */
import { Hono } from "hono";
import type { Child, FC } from "hono/jsx";
import { raw } from "hono/html";
import { cancelRun, rerunRun, EventUnavailableError } from "../dispatch";
import type { RunRecord, RunStatus, StepRecord } from "../store";
import type { RunLogs } from "../store";
import { deleteCookie } from "hono/cookie";
import { callback, login, requireViewer, type AuthEnv, type Viewer } from "./auth";
import { runDetail, runQuery, visibleInstallationsWithRepos, visibleRun, visibleRuns, type RunQuery } from "./api";

const SYMBOL: Record<string, string> = {
  queued: "◌",
  running: "⏳",
  sleeping: "💤",
  waiting: "⏸",
  succeeded: "✓",
  failed: "✗",
  cancelled: "⊘",
};

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #fff; --soft: #f6f8fa; --ok: #1a7f37; --bad: #cf222e; --act: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --fg: #f0f6fc; --muted: #9198a1; --line: #3d444d; --bg: #0d1117; --soft: #151b23; --ok: #3fb950; --bad: #f85149; --act: #d29922; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { border-bottom: 1px solid var(--line); background: var(--soft); }
nav, main { max-width: 72rem; margin: 0 auto; padding: 0.75rem 1rem; }
nav { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
nav .brand { font-weight: 700; }
nav .who { margin-left: auto; color: var(--muted); }
a { color: inherit; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #0969da; outline-offset: 2px; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.45rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
.status { white-space: nowrap; font-weight: 600; }
.status.succeeded { color: var(--ok); } .status.failed { color: var(--bad); } .status.running, .status.queued, .status.sleeping, .status.waiting { color: var(--act); }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
form.filters { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: end; margin-bottom: 1rem; }
form.filters label { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); }
input, select, button { font: inherit; padding: 0.35rem 0.5rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
button { cursor: pointer; background: var(--soft); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0 0 1rem; }
dt { color: var(--muted); } dd { margin: 0; word-break: break-all; }
.actions { display: flex; gap: 0.5rem; margin: 0 0 1rem; }
.muted { color: var(--muted); }
.note { border-left: 3px solid var(--act); padding: 0.25rem 0.75rem; }
@media (max-width: 40rem) { dl { grid-template-columns: 1fr; } dd { margin-bottom: 0.4rem; } th, td { padding: 0.4rem; } }
`;

const Layout: FC<{ title: string; viewer: Viewer; children?: Child; script?: string }> = ({ title, viewer, children, script }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title} · repoflow</title>
      <style>{raw(STYLE)}</style>
    </head>
    <body>
      <header>
        <nav aria-label="Main">
          <a class="brand" href="/">repoflow</a>
          <a href="/">Runs</a>
          <span class="who">{viewer.login === "local" ? "local mode" : `signed in as ${viewer.login}`}</span>
        </nav>
      </header>
      <main id="main">{children}</main>
      {script ? <script>{raw(script)}</script> : null}
    </body>
  </html>
);

const Status: FC<{ status: string }> = ({ status }) => (
  <span class={`status ${status}`} data-status={status}>
    <span aria-hidden="true">{SYMBOL[status] ?? "•"}</span> {status}
  </span>
);

function durationOf(start: string | null, end: string | null, now = Date.now()): string {
  if (!start) return "";
  const ms = (end ? Date.parse(end) : now) - Date.parse(start);
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

const ACTIVE: readonly RunStatus[] = ["queued", "running"];

const HOME_SCRIPT = `
(function () {
  if (!document.querySelector('[data-active="true"]')) return;
  var timer = setInterval(function () {
    fetch('/api/runs' + location.search, { headers: { accept: 'application/json' } }).then(function (r) { return r.json(); }).then(function (body) {
      var active = false;
      body.runs.forEach(function (run) {
        var row = document.querySelector('tr[data-run-id="' + run.id + '"]');
        if (!row) return;
        var cell = row.querySelector('[data-cell="status"]');
        if (cell && cell.getAttribute('data-value') !== run.status) location.reload();
        if (run.status === 'queued' || run.status === 'running') active = true;
      });
      if (!active) clearInterval(timer);
    }).catch(function () {});
  }, 2000);
})();`;

const RUN_SCRIPT = `
(function () {
  var main = document.getElementById('run');
  if (!main || main.getAttribute('data-active') !== 'true') return;
  var id = main.getAttribute('data-run-id');
  var seen = main.getAttribute('data-fingerprint');
  var timer = setInterval(function () {
    fetch('/api/runs/' + encodeURIComponent(id), { headers: { accept: 'application/json' } }).then(function (r) { return r.json(); }).then(function (body) {
      var fingerprint = body.run.status + ':' + body.steps.map(function (s) { return s.name + '=' + s.status + '/' + s.attempts; }).join(',') + ':' + body.logs.lines.length;
      if (fingerprint !== seen) location.reload();
      if (body.run.status !== 'queued' && body.run.status !== 'running') clearInterval(timer);
    }).catch(function () {});
  }, 2000);
})();`;

export function fingerprint(run: RunRecord, steps: StepRecord[], logs: RunLogs): string {
  return `${run.status}:${steps.map((s) => `${s.name}=${s.status}/${s.attempts}`).join(",")}:${logs.lines.length}`;
}

const RunsTable: FC<{ runs: RunRecord[] }> = ({ runs }) => (
  <div class="table-wrap">
    <table>
      <caption class="muted" style="text-align:left;padding:0.4rem 0.6rem">{runs.length === 0 ? "No runs match." : `${runs.length} most recent runs`}</caption>
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Workflow</th>
          <th scope="col">Trigger</th>
          <th scope="col">Repository</th>
          <th scope="col">Bundle · commit</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr data-run-id={run.id} data-active={ACTIVE.includes(run.status) ? "true" : "false"}>
            <td data-cell="status" data-value={run.status}>
              <Status status={run.status} />
            </td>
            <td>
              <a href={`/runs/${run.id}`}>{run.workflowName}</a>
            </td>
            <td>
              <code>{run.action ? `${run.event}.${run.action}` : run.event}</code>
            </td>
            <td>{run.repository}</td>
            <td>
              <code>{run.bundleHash.slice(0, 8)}</code> · <code>{run.commitSha.slice(0, 7)}</code>
            </td>
            <td>
              <time datetime={run.createdAt}>{run.createdAt.replace("T", " ").slice(0, 19)}</time>
            </td>
            <td>{durationOf(run.startedAt ?? run.createdAt, run.finishedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const Filters: FC<{ query: RunQuery }> = ({ query }) => (
  <form class="filters" method="get" action="/" role="search" aria-label="Filter runs">
    <label>
      Repository
      <input name="repo" value={query.repo ?? ""} placeholder="owner/name" />
    </label>
    <label>
      Workflow
      <input name="workflow" value={query.workflow ?? ""} placeholder="name or file" />
    </label>
    <label>
      Status
      <select name="status">
        <option value="">any</option>
        {(["queued", "running", "succeeded", "failed", "cancelled"] as const).map((s) => (
          <option value={s} selected={query.status === s}>
            {s}
          </option>
        ))}
      </select>
    </label>
    <button type="submit">Filter</button>
  </form>
);

export function dashboardRoutes() {
  const app = new Hono<AuthEnv>();
  app.use("/", requireViewer());
  app.use("/runs/*", requireViewer());

  app.get("/auth/login", login);
  app.get("/auth/callback", callback);
  app.post("/auth/logout", (c) => {
    deleteCookie(c, "repoflow_session", { path: "/" });
    return c.redirect("/", 303);
  });

  app.get("/", async (c) => {
    const viewer = c.get("viewer");
    const query = runQuery(c.req.query());
    const [runs, installations] = await Promise.all([visibleRuns(c.env.DB, viewer, query), visibleInstallationsWithRepos(c.env.DB, viewer)]);
    return c.html(
      <Layout title="Runs" viewer={viewer} script={HOME_SCRIPT}>
        <h1>Runs</h1>
        <Filters query={query} />
        <RunsTable runs={runs} />
        <h2>Installations</h2>
        {installations.length === 0 ? (
          <p class="muted">No installation is known yet; they appear when GitHub sends an installation event.</p>
        ) : (
          <ul>
            {installations.map((i) => (
              <li>
                <strong>{i.accountLogin}</strong> <span class="muted">({i.accountType}, installation {i.id})</span>
                {i.repositories.length > 0 ? (
                  <ul>
                    {i.repositories.map((r) => (
                      <li>
                        <a href={`/?repo=${encodeURIComponent(r.fullName)}`}>{r.fullName}</a>
                      </li>
                    ))}
                  </ul>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </Layout>,
    );
  });

  app.get("/runs/:id", async (c) => {
    const viewer = c.get("viewer");
    const run = await visibleRun(c.env.DB, viewer, c.req.param("id"));
    if (!run) {
      return c.html(
        <Layout title="Not found" viewer={viewer}>
          <h1>No such run</h1>
          <p>There is no run {c.req.param("id")} you can see.</p>
        </Layout>,
        404,
      );
    }
    const { steps, logs, event } = await runDetail(c.env, run);
    const active = ACTIVE.includes(run.status);
    const trigger = run.action ? `${run.event}.${run.action}` : run.event;
    return c.html(
      <Layout title={run.workflowName} viewer={viewer} script={RUN_SCRIPT}>
        <div id="run" data-run-id={run.id} data-active={String(active)} data-fingerprint={fingerprint(run, steps, logs)}>
          <h1>
            {run.workflowName} <Status status={run.status} />
          </h1>
          <dl>
            <dt>Repository</dt>
            <dd>{run.repository}</dd>
            <dt>Trigger</dt>
            <dd>
              <code>{trigger}</code> <span class="muted">delivery {run.deliveryId}</span>
            </dd>
            <dt>Workflow file</dt>
            <dd>
              <code>{run.workflowFile}</code>
            </dd>
            <dt>Pinned bundle</dt>
            <dd>
              <code>{run.bundleHash}</code> <span class="muted">compiled from commit</span> <code>{run.commitSha.slice(0, 12)}</code>
            </dd>
            <dt>Check run</dt>
            <dd>
              {run.checkRunId ? (
                <a href={`https://github.com/${run.repository}/runs/${run.checkRunId}`}>check run {run.checkRunId}</a>
              ) : (
                <span class="muted">not created</span>
              )}{" "}
              <span class="muted">on</span> <code>{run.headSha.slice(0, 12)}</code>
            </dd>
            <dt>Started</dt>
            <dd>{(run.startedAt ?? run.createdAt).replace("T", " ").slice(0, 19)}</dd>
            <dt>Duration</dt>
            <dd>{durationOf(run.startedAt ?? run.createdAt, run.finishedAt)}</dd>
          </dl>
          <div class="actions">
            {active ? (
              <form method="post" action={`/runs/${run.id}/cancel`}>
                <button type="submit">Cancel run</button>
              </form>
            ) : null}
            <form method="post" action={`/runs/${run.id}/rerun`}>
              <button type="submit" title="Start this event again from scratch, on the default branch's current code">
                Re-run
              </button>
            </form>
          </div>
          {run.error ? (
            <section aria-labelledby="error">
              <h2 id="error">Error</h2>
              <pre>{run.error}</pre>
            </section>
          ) : null}
          <section aria-labelledby="steps">
            <h2 id="steps">Steps</h2>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">Step</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Status</th>
                    <th scope="col">Attempts</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Output</th>
                  </tr>
                </thead>
                <tbody>
                  {steps.length === 0 ? (
                    <tr>
                      <td colspan={7} class="muted">
                        No step has started yet.
                      </td>
                    </tr>
                  ) : null}
                  {steps.map((step) => (
                    <tr data-step={step.name}>
                      <td>{step.position + 1}</td>
                      <th scope="row">
                        {step.name}
                        {step.error ? <pre>{step.error.split("\n--- repoflow stack ---\n")[0]}</pre> : null}
                      </th>
                      <td>{step.kind}</td>
                      <td>
                        <Status status={step.status} />
                      </td>
                      <td>{step.kind === "do" ? step.attempts : ""}</td>
                      <td>{durationOf(step.startedAt, step.finishedAt)}</td>
                      <td>{step.outputBytes === null ? "" : `${step.outputBytes} B`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section aria-labelledby="logs">
            <h2 id="logs">Logs</h2>
            {logs.capped ? <p class="note">Logs were capped at 256 KiB for this run; later lines were dropped.</p> : null}
            {logs.lines.length === 0 ? (
              <p class="muted">No console output.</p>
            ) : (
              <pre>
                {logs.lines.map((l) => `${l.at.slice(11, 23)} ${l.level.padEnd(5)} ${l.step ? `[${l.step}] ` : ""}${l.message}\n`).join("")}
              </pre>
            )}
          </section>
          <section aria-labelledby="event">
            <h2 id="event">Triggering event</h2>
            {event === null ? (
              <p class="muted">The payload is not stored.</p>
            ) : (
              <details>
                <summary>
                  <code>{trigger}</code> payload
                </summary>
                <pre>{JSON.stringify(event, null, 2)}</pre>
              </details>
            )}
          </section>
        </div>
      </Layout>,
    );
  });

  app.post("/runs/:id/cancel", async (c) => {
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.notFound();
    await cancelRun(c.env, run.id);
    return c.redirect(`/runs/${run.id}`, 303);
  });

  app.post("/runs/:id/rerun", async (c) => {
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.notFound();
    try {
      await rerunRun(c.env, run.id);
    } catch (error) {
      if (error instanceof EventUnavailableError) return c.text(error.message, 409);
      throw error;
    }
    return c.redirect(`/?workflow=${encodeURIComponent(run.workflowName)}&repo=${encodeURIComponent(run.repository)}`, 303);
  });

  return app;
}
