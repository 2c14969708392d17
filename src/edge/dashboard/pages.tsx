/**
 * The dashboard's pages as components of plain data: the routes in index.tsx
 * load records, these render them. Tables have a caption and scoped headers;
 * each wide table scrolls inside a labelled, focusable region so a keyboard
 * can scroll it too. Pages with active runs carry a polling script (live.ts)
 * and say so in a status line.
 */
/** @jsxImportSource hono/jsx */
import type { Child, FC } from "hono/jsx";
import { MAX_LOG_BYTES_PER_RUN, type DeliveryRecord, type RunRecord, type StepRecord } from "../../store";
import { RUN_STATUSES, type InstallationWithRepositories, type RunDetail, type RunQuery } from "../api";
import type { Viewer } from "../auth";
import { checkRunUrl, eventSubject, formatBytes, formatDuration, formatTime, prettyJson, relativeTime, splitError, stepWaitNote, triggerLabel } from "./format";
import { Layout, ScrollRegion, Status } from "./layout";
import { HOME_PAGE_SCRIPT, POLL_MS, RUN_PAGE_SCRIPT, runFingerprint } from "./live";
import { OutcomeSection } from "./repository-page";

const isActive = (run: RunRecord) => run.status === "queued" || run.status === "running";

const LiveNote: FC = () => (
  <p class="live" role="status">
    Updating every {POLL_MS / 1000} s while runs are active.
  </p>
);

const Filters: FC<{ query: Partial<RunQuery>; problem?: string }> = ({ query, problem }) => (
  <form class="filters" method="get" action="/" role="search" aria-label="Filter runs">
    <label for="filter-repo">
      Repository
      <input id="filter-repo" name="repo" value={query.repo ?? ""} placeholder="owner/name" autocomplete="off" />
    </label>
    <label for="filter-workflow">
      Workflow
      <input id="filter-workflow" name="workflow" value={query.workflow ?? ""} placeholder="name or .workflows/file.ts" autocomplete="off" />
    </label>
    <label for="filter-status">
      Status
      <select id="filter-status" name="status" aria-describedby={problem ? "filter-problem" : undefined}>
        <option value="">any</option>
        {RUN_STATUSES.map((status) => (
          <option value={status} selected={query.status === status}>
            {status}
          </option>
        ))}
      </select>
    </label>
    <button type="submit">Filter</button>
    {problem ? (
      <p id="filter-problem" class="note" role="alert">
        {problem}
      </p>
    ) : null}
  </form>
);

/** How many runs in a row, from `i`, share run i's delivery, when run i is the first of them (0 otherwise). */
function deliveryStarts(runs: RunRecord[], i: number): number {
  const id = runs[i]!.deliveryId;
  if (i > 0 && runs[i - 1]!.deliveryId === id) return 0;
  let n = 0;
  while (runs[i + n]?.deliveryId === id) n++;
  return n;
}

const RunsTable: FC<{ runs: RunRecord[]; filtered: boolean }> = ({ runs, filtered }) => (
  <ScrollRegion label="Runs">
    <table>
      <caption>{runs.length === 0 ? (filtered ? "No run matches these filters." : "No run yet.") : `${runs.length} most recent ${runs.length === 1 ? "run" : "runs"}`}</caption>
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
        {runs.map((run, i) => (
          <>
          {deliveryStarts(runs, i) > 1 ? (
            // Runs one delivery started sit together under it (each workflow the event matched is one run).
            <tr class="group" data-delivery-group={run.deliveryId}>
              <td colspan={7}>
                <code>{triggerLabel(run)}</code> <span class="muted">delivery</span> <a href={`/deliveries/${encodeURIComponent(run.deliveryId)}`}><code>{run.deliveryId.slice(0, 13)}</code></a>{" "}
                <span class="muted">started {deliveryStarts(runs, i)} runs</span>
              </td>
            </tr>
          ) : null}
          <tr data-run-id={run.id} data-status={run.status}>
            <td>
              <Status status={run.status} />
            </td>
            <th scope="row">
              <a href={`/runs/${encodeURIComponent(run.id)}`}>{run.workflowName}</a>
            </th>
            <td>
              <code>{triggerLabel(run)}</code>
            </td>
            <td>{run.repository}</td>
            <td>
              <code title={`bundle ${run.bundleHash}`}>{run.bundleHash.slice(0, 8)}</code> · <code title={`commit ${run.commitSha}`}>{run.commitSha.slice(0, 7)}</code>
            </td>
            <td>
              <time datetime={run.startedAt ?? run.createdAt} title={formatTime(run.startedAt ?? run.createdAt)}>
                {relativeTime(run.startedAt ?? run.createdAt)}
              </time>
            </td>
            <td class="num">{formatDuration(run.startedAt ?? run.createdAt, run.finishedAt)}</td>
          </tr>
          </>
        ))}
      </tbody>
    </table>
  </ScrollRegion>
);

const Installations: FC<{ installations: InstallationWithRepositories[] }> = ({ installations }) =>
  installations.length === 0 ? (
    <p class="muted">No installation event has arrived yet. GitHub sends one when the App is installed; until then runs still show above (the local emulator sends none).</p>
  ) : (
    <ul class="installations">
      {installations.map((installation) => (
        <li>
          <strong>{installation.accountLogin}</strong>{" "}
          <span class="muted">
            ({installation.accountType}, installation {installation.id}
            {installation.suspendedAt ? `, suspended since ${formatTime(installation.suspendedAt)}` : ""})
          </span>
          {installation.repositories.length > 0 ? (
            <ul>
              {installation.repositories.map((repository) => (
                <li>
                  <a href={`/repos/${repository.fullName}`}>{repository.fullName}</a>
                  {repository.private ? <span class="muted"> (private)</span> : null} <a href={`/?repo=${encodeURIComponent(repository.fullName)}`}>runs</a>
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">No repository selected.</p>
          )}
        </li>
      ))}
    </ul>
  );

const deliveryLabel = (delivery: DeliveryRecord) => (delivery.action ? `${delivery.event}.${delivery.action}` : delivery.event);

/** Deliveries whose processing gave up after its retries: each with what went wrong and a way to try again. */
const FailedDeliveries: FC<{ deliveries: DeliveryRecord[] }> = ({ deliveries }) =>
  deliveries.length === 0 ? null : (
    <section aria-labelledby="failed-deliveries">
      <h2 id="failed-deliveries">Deliveries that failed</h2>
      <ul>
        {deliveries.map((delivery) => (
          <li data-delivery-id={delivery.id}>
            <a href={`/deliveries/${encodeURIComponent(delivery.id)}`}>
              <code>{deliveryLabel(delivery)}</code>
            </a>{" "}
            <span class="muted">
              {delivery.repository ?? "no repository"}, received <time datetime={delivery.receivedAt}>{formatTime(delivery.receivedAt)}</time>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );

export const HomePage: FC<{
  viewer: Viewer;
  query: Partial<RunQuery>;
  problem?: string;
  runs: RunRecord[];
  installations: InstallationWithRepositories[];
  failedDeliveries?: DeliveryRecord[];
  /** A re-run was just requested: its run appears once ingest has created it. */
  expectingRerun: boolean;
}> = ({ viewer, query, problem, runs, installations, failedDeliveries = [], expectingRerun }) => {
  const live = expectingRerun || runs.some(isActive);
  return (
    <Layout title="Runs" viewer={viewer} {...(live ? { script: HOME_PAGE_SCRIPT } : {})}>
      <h1>Runs</h1>
      <Filters query={query} {...(problem ? { problem } : {})} />
      {expectingRerun ? <p class="note">Re-run requested; its run appears here in a moment.</p> : null}
      {live ? <LiveNote /> : null}
      <RunsTable runs={runs} filtered={Boolean(query.repo || query.workflow || query.status)} />
      <FailedDeliveries deliveries={failedDeliveries} />
      <h2>Installations</h2>
      <Installations installations={installations} />
    </Layout>
  );
};

/**
 * Where each step falls in the run, as a bar on a shared time axis: the waterfall shows at a glance
 * which step took the time and where the run slept or waited. CSS only.
 */
function timeline(steps: StepRecord[], now = Date.now()): Map<string, { left: number; width: number; title: string }> {
  const bars = new Map<string, { left: number; width: number; title: string }>();
  if (steps.length === 0) return bars;
  const start = Math.min(...steps.map((step) => Date.parse(step.startedAt)));
  const end = Math.max(...steps.map((step) => (step.finishedAt ? Date.parse(step.finishedAt) : now)), start + 1);
  for (const step of steps) {
    const from = Date.parse(step.startedAt);
    const to = step.finishedAt ? Date.parse(step.finishedAt) : now;
    const left = ((from - start) / (end - start)) * 100;
    bars.set(step.name, { left: Math.min(left, 99), width: Math.max(1, Math.min(100 - left, ((to - from) / (end - start)) * 100)), title: `+${formatDuration(new Date(start).toISOString(), step.startedAt)} for ${formatDuration(step.startedAt, step.finishedAt)}` });
  }
  return bars;
}

const StepsTable: FC<{ steps: StepRecord[] }> = ({ steps }) => {
  const bars = timeline(steps);
  return (
  <ScrollRegion label="Steps">
    <table>
      <caption>{steps.length === 0 ? "No step has started yet." : `${steps.length} ${steps.length === 1 ? "step" : "steps"}, in the order they started`}</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Step</th>
          <th scope="col">Kind</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Duration</th>
          <th scope="col">Timeline</th>
          <th scope="col">Output</th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((step) => {
          const note = stepWaitNote(step);
          const error = step.error === null ? null : splitError(step.error);
          return (
            <tr data-step={step.name} data-status={step.status}>
              <td class="num">{step.position + 1}</td>
              <th scope="row">{step.name}</th>
              <td>{step.kind}</td>
              <td>
                <Status status={step.status} />
                {note ? <div class="muted">{note}</div> : null}
                {step.note ? <div class="note-inline" data-note>{step.note}</div> : null}
              </td>
              <td class="num">{step.kind === "do" ? step.attempts : ""}</td>
              <td class="num">{formatDuration(step.startedAt, step.finishedAt)}</td>
              <td>
                <div class="track" title={bars.get(step.name)?.title}>
                  <div class={`bar ${step.kind} ${step.status}`} style={`margin-left:${(bars.get(step.name)?.left ?? 0).toFixed(2)}%;width:${(bars.get(step.name)?.width ?? 1).toFixed(2)}%`}></div>
                </div>
              </td>
              <td>
                {step.output !== null ? (
                  <details class="output">
                    <summary>{formatBytes(step.outputBytes)}</summary>
                    <pre>{prettyJson(step.output)}</pre>
                  </details>
                ) : step.outputBytes ? (
                  // Recorded before previews were kept: only its size is known.
                  <span class="num">{formatBytes(step.outputBytes)}</span>
                ) : (
                  <span class="muted">{step.kind === "do" ? "none" : ""}</span>
                )}
              </td>
              <td>
                {error ? (
                  <>
                    <pre>{error.message}</pre>
                    {error.stack ? (
                      <details>
                        <summary>Stack</summary>
                        <pre>{error.stack}</pre>
                      </details>
                    ) : null}
                  </>
                ) : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </ScrollRegion>
  );
};

/** Why the viewer sees no buttons: they may read the repository but not control its runs (invariant 11). */
const ControlNote: FC<{ refusal: string }> = ({ refusal }) => (
  <p class="note" data-control="refused">
    {refusal.replace(/^repoflow: /, "")}
  </p>
);

/** An absolute time, and how long ago it was (the page is rendered on the server, in UTC). */
const When: FC<{ iso: string }> = ({ iso }) => (
  <>
    <time datetime={iso} title={formatTime(iso)}>
      {relativeTime(iso)}
    </time>{" "}
    <span class="muted">({formatTime(iso)})</span>
  </>
);

/** Console lines grouped by the step that printed them, in the order the steps first logged. */
function logsByStep(lines: RunDetail["logs"]["lines"]): { step: string | null; lines: RunDetail["logs"]["lines"] }[] {
  const groups = new Map<string | null, RunDetail["logs"]["lines"]>();
  for (const line of lines) {
    const group = groups.get(line.step) ?? [];
    group.push(line);
    groups.set(line.step, group);
  }
  return [...groups].map(([step, grouped]) => ({ step, lines: grouped }));
}

export const RunPage: FC<{ viewer: Viewer; detail: RunDetail; githubApiUrl: string; controlRefusal: string | null; local?: boolean }> = ({ viewer, detail, githubApiUrl, controlRefusal, local = false }) => {
  const { run, steps, logs, event } = detail;
  const subject = eventSubject(event);
  const active = isActive(run);
  const trigger = triggerLabel(run);
  const eventJson = event === null ? null : JSON.stringify(event, null, 2);
  // The last do-step that failed: where a re-run from the failed step resumes.
  const failedStep = [...steps].reverse().find((step) => step.kind === "do" && step.status === "failed")?.name ?? null;
  return (
    <Layout title={`${run.workflowName} (${run.status})`} viewer={viewer} {...(active ? { script: RUN_PAGE_SCRIPT } : {})}>
      <article id="run" data-run-id={run.id} data-active={String(active)} data-fingerprint={runFingerprint(detail)}>
        <h1>
          {run.workflowName} <Status status={run.status} />
          {active && run.cancelRequestedAt ? <span class="muted"> cancelling…</span> : null}
        </h1>
        {active ? <LiveNote /> : null}
        <dl>
          <dt>Run</dt>
          <dd>
            <code>{run.id}</code>
          </dd>
          <dt>Repository</dt>
          <dd>
            <a href={`/?repo=${encodeURIComponent(run.repository)}`}>{run.repository}</a> (<a href={`/repos/${run.repository}`}>code and compiles</a>)
          </dd>
          {subject.number !== null ? (
            <>
              <dt>About</dt>
              <dd data-subject>
                {subject.url && !local ? (
                  <a href={subject.url}>
                    {subject.kind} #{subject.number}
                  </a>
                ) : (
                  <span>
                    {subject.kind} #{subject.number}
                  </span>
                )}
                {subject.title ? <> {subject.title}</> : null}
              </dd>
            </>
          ) : null}
          {subject.sender ? (
            <>
              <dt>Sent by</dt>
              <dd data-sender>{subject.sender}</dd>
            </>
          ) : null}
          <dt>Trigger</dt>
          <dd>
            <code>{trigger}</code> <span class="muted">delivery</span>{" "}
            <a href={`/deliveries/${encodeURIComponent(run.deliveryId)}`}>
              <code>{run.deliveryId}</code>
            </a>
          </dd>
          <dt>Workflow file</dt>
          <dd>
            <code>{run.workflowFile}</code>
          </dd>
          <dt>Pinned bundle</dt>
          <dd>
            <code>{run.bundleHash}</code> <span class="muted">compiled from commit</span> <code>{run.commitSha}</code>
          </dd>
          <dt>Check run</dt>
          <dd>
            {run.checkRunId === null ? (
              <span class="muted">{run.problem ? "none" : "not created yet"}</span>
            ) : local ? (
              // The emulator serves GitHub's API, not its web pages: a link would answer 404.
              <span data-check-run={run.checkRunId}>check run {run.checkRunId} <span class="muted">(in the GitHub emulator)</span></span>
            ) : (
              <a href={checkRunUrl(githubApiUrl, run.repository, run.checkRunId)}>check run {run.checkRunId}</a>
            )}{" "}
            <span class="muted">on commit</span> <code>{run.headSha.slice(0, 12)}</code>
          </dd>
          <dt>{run.startedAt ? "Started" : "Queued"}</dt>
          <dd>
            <When iso={run.startedAt ?? run.createdAt} />
          </dd>
          {run.finishedAt ? (
            <>
              <dt>Finished</dt>
              <dd>
                <When iso={run.finishedAt} />
              </dd>
            </>
          ) : null}
          <dt>Duration</dt>
          <dd>{formatDuration(run.startedAt ?? run.createdAt, run.finishedAt) + (active ? " so far" : "")}</dd>
        </dl>
        {controlRefusal ? (
          <ControlNote refusal={controlRefusal} />
        ) : (
          <>
            <div class="actions">
              {active && !run.cancelRequestedAt ? (
                <form method="post" action={`/runs/${encodeURIComponent(run.id)}/cancel`}>
                  <button type="submit">Cancel run</button>
                </form>
              ) : null}
              <form method="post" action={`/runs/${encodeURIComponent(run.id)}/rerun`}>
                {/* Names this click: submitting the same page twice starts one re-run. */}
                <input type="hidden" name="click" value={crypto.randomUUID()} />
                <button type="submit" title="Starts this event again from scratch, on the default branch's current code">
                  Re-run
                </button>
              </form>
              {run.status === "failed" && failedStep ? (
                <form method="post" action={`/runs/${encodeURIComponent(run.id)}/rerun-failed`}>
                  <button type="submit" title={`Resumes from "${failedStep}" on the code this run started with; the steps before it keep their results`}>
                    Re-run from failed step
                  </button>
                </form>
              ) : null}
            </div>
            <p class="muted">
              <a href={`/repos/${run.repository}/run?workflow=${encodeURIComponent(run.workflowFile)}`}>Run a workflow of {run.repository} by hand</a>
            </p>
          </>
        )}
        {run.lineage ? <p class="muted">{run.lineage}</p> : null}
        {run.problem ? (
          <section aria-labelledby="run-problem">
            <h2 id="run-problem">Problem</h2>
            <pre>{run.problem}</pre>
          </section>
        ) : null}
        {run.error ? (
          <section aria-labelledby="run-error">
            <h2 id="run-error">Error</h2>
            <pre>{splitError(run.error).message}</pre>
            {splitError(run.error).stack ? (
              <details open>
                <summary>Where, in your code</summary>
                <pre>{splitError(run.error).stack}</pre>
              </details>
            ) : null}
          </section>
        ) : null}
        {run.result !== null ? (
          <section aria-labelledby="run-result">
            <h2 id="run-result">Result</h2>
            <details open>
              <summary>What run() returned</summary>
              <pre>{prettyJson(run.result)}</pre>
            </details>
          </section>
        ) : null}
        <section aria-labelledby="steps">
          <h2 id="steps">Steps</h2>
          <StepsTable steps={steps} />
        </section>
        <section aria-labelledby="logs">
          <h2 id="logs">Logs</h2>
          {logs.capped ? (
            <p class="note">
              Not every line was kept: a step keeps at most 1,000 lines and a run {formatBytes(MAX_LOG_BYTES_PER_RUN)}; the marker lines below say where they stopped.
            </p>
          ) : null}
          {logs.lines.length === 0 ? (
            <p class="muted">No console output.</p>
          ) : (
            logsByStep(logs.lines).map((group) => (
              <details open data-log-step={group.step ?? ""}>
                <summary>
                  {group.step === null ? "Outside steps" : <>Step <code>{group.step}</code></>} <span class="muted">({group.lines.length} {group.lines.length === 1 ? "line" : "lines"})</span>
                </summary>
                <pre>{group.lines.map((l) => `${l.at.slice(11, 23)} ${l.level.padEnd(5)} ${l.message}\n`).join("")}</pre>
              </details>
            ))
          )}
        </section>
        <section aria-labelledby="event">
          <h2 id="event">Triggering event</h2>
          {eventJson === null ? (
            <p class="muted">
              The payload of delivery <code>{run.deliveryId}</code> is no longer kept.
            </p>
          ) : (
            <details>
              <summary>
                <code>{trigger}</code> payload ({formatBytes(new TextEncoder().encode(eventJson).byteLength)})
              </summary>
              <pre>{eventJson}</pre>
            </details>
          )}
        </section>
      </article>
    </Layout>
  );
};

export const DeliveryPage: FC<{ viewer: Viewer; delivery: DeliveryRecord; runs: RunRecord[]; controlRefusal: string | null }> = ({ viewer, delivery, runs, controlRefusal }) => (
  <Layout title={`Delivery ${delivery.id} (${delivery.status})`} viewer={viewer}>
    <article id="delivery" data-delivery-id={delivery.id} data-status={delivery.status}>
      <h1>
        <code>{deliveryLabel(delivery)}</code> <Status status={delivery.status} />
      </h1>
      <dl>
        <dt>Delivery</dt>
        <dd>
          <code>{delivery.id}</code>
        </dd>
        <dt>Repository</dt>
        <dd>{delivery.repository ?? <span class="muted">none</span>}</dd>
        <dt>Received</dt>
        <dd>
          <time datetime={delivery.receivedAt}>{formatTime(delivery.receivedAt)}</time>
        </dd>
        <dt>Failed attempts</dt>
        <dd>{delivery.attempts}</dd>
      </dl>
      {delivery.status === "failed" && controlRefusal ? <ControlNote refusal={controlRefusal} /> : null}
      {delivery.status === "failed" && !controlRefusal ? (
        <div class="actions">
          <form method="post" action={`/deliveries/${encodeURIComponent(delivery.id)}/redeliver`}>
            <button type="submit" title="Processes this delivery again from the start">
              Redeliver
            </button>
          </form>
        </div>
      ) : null}
      {delivery.error || delivery.lastError ? (
        <section aria-labelledby="delivery-error">
          <h2 id="delivery-error">{delivery.status === "failed" ? "Why it failed" : "Latest failed attempt"}</h2>
          <pre>{delivery.error ?? delivery.lastError}</pre>
        </section>
      ) : null}
      <OutcomeSection outcome={delivery.outcome} repository={delivery.repository} />
      <section aria-labelledby="delivery-runs">
        <h2 id="delivery-runs">Runs</h2>
        <RunsTable runs={runs} filtered={true} />
      </section>
    </article>
  </Layout>
);

export const MessagePage: FC<{ viewer: Viewer | null; title: string; children?: Child }> = ({ viewer, title, children }) => (
  <Layout title={title} viewer={viewer}>
    <h1>{title}</h1>
    {children}
  </Layout>
);

/** The Run button's page: a workflow that declares on.dispatch, and its inputs as JSON. */
export const DispatchPage: FC<{
  viewer: Viewer;
  repository: string;
  workflows: { file: string; name: string; inputs: Record<string, unknown> }[];
  chosen?: string;
  inputs?: string;
  problems?: string[];
}> = ({ viewer, repository, workflows, chosen, inputs, problems }) => (
  <Layout title={`Run a workflow of ${repository}`} viewer={viewer}>
    <h1>Run a workflow of {repository}</h1>
    {workflows.length === 0 ? (
      <p>
        No workflow of {repository} declares <code>on: {"{ dispatch }"}</code> in the code repoflow last compiled for its default branch.
      </p>
    ) : (
      <form method="post" action={`/repos/${repository}/run`}>
        {problems && problems.length > 0 ? (
          <ul class="problems">
            {problems.map((problem) => (
              <li>{problem}</li>
            ))}
          </ul>
        ) : null}
        <label>
          Workflow{" "}
          <select name="workflow">
            {workflows.map((workflow) => (
              <option value={workflow.file} selected={workflow.file === chosen}>
                {workflow.name} ({workflow.file})
              </option>
            ))}
          </select>
        </label>
        <label>
          Inputs (JSON)
          <textarea name="inputs" rows={8} cols={60}>
            {inputs ?? "{}"}
          </textarea>
        </label>
        <details>
          <summary>Declared inputs</summary>
          <pre>{JSON.stringify(Object.fromEntries(workflows.map((w) => [w.file, w.inputs])), null, 2)}</pre>
        </details>
        {/* Names this click: submitting the same page twice starts one run. */}
        <input type="hidden" name="click" value={crypto.randomUUID()} />
        <button type="submit">Run</button>
      </form>
    )}
  </Layout>
);
