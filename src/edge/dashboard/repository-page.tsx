/**
 * A repository's page: the .workflows/ bundles its default branch was
 * compiled into, newest first, each with its commit, its tree, whether it
 * compiled and every diagnostic: what the compile check run says on GitHub,
 * and what `npm run check` prints locally. Also what a delivery did, for the
 * delivery page.
 */
import type { FC } from "hono/jsx";
import type { BundleHistoryEntry, DeliveryOutcome, OutcomeDiagnostic } from "../../store";
import type { Viewer } from "../auth";
import { formatTime } from "./format";
import { Layout, ScrollRegion, Status } from "./layout";

interface ManifestWorkflow {
  file: string;
  name: string;
}

const where = (d: { file?: string; line?: number; column?: number }) => `${d.file ?? ".workflows"}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ""}` : ""}`;

const Diagnostics: FC<{ diagnostics: OutcomeDiagnostic[] }> = ({ diagnostics }) =>
  diagnostics.length === 0 ? null : (
    <ul class="diagnostics">
      {diagnostics.map((d) => (
        <li class={d.severity}>
          <code>{where(d)}</code> <strong>{d.severity}</strong>: {d.message}
        </li>
      ))}
    </ul>
  );

export const RepositoryPage: FC<{ viewer: Viewer; repository: string; bundles: BundleHistoryEntry[] }> = ({ viewer, repository, bundles }) => {
  const latest = bundles[0];
  const q = new URLSearchParams({ repo: repository }).toString();
  return (
    <Layout title={repository} viewer={viewer}>
      <h1>{repository}</h1>
      <p>
        <a href={`/?${q}`}>Its runs</a> · <a href={`/repos/${repository}/run`}>Run a workflow by hand</a>
      </p>
      <section aria-labelledby="compile-status">
        <h2 id="compile-status">Code on the default branch</h2>
        {latest ? (
          <p data-compile={latest.ok ? "ok" : "failed"}>
            <Status status={latest.ok ? "succeeded" : "failed"} /> commit <code>{latest.resolvedCommit.slice(0, 7)}</code>:{" "}
            {latest.ok ? `${(latest.manifest as ManifestWorkflow[]).length} workflows compiled` : "did not compile, so no workflow runs until it does"}
          </p>
        ) : (
          <p class="muted">repoflow has not compiled this repository's .workflows/ yet; it does at the first event from it, and at each push to the default branch that changes .workflows/.</p>
        )}
      </section>
      <section aria-labelledby="bundles">
        <h2 id="bundles">Bundle history</h2>
        {bundles.length === 0 ? null : (
          <ScrollRegion label="Bundle history">
          <table>
            <thead>
              <tr>
                <th scope="col">Commit</th>
                <th scope="col">Tree</th>
                <th scope="col">Compiled</th>
                <th scope="col">Status</th>
                <th scope="col">Workflows and diagnostics</th>
              </tr>
            </thead>
            <tbody>
              {bundles.map((bundle) => (
                <tr data-bundle={bundle.hash}>
                  <td>
                    <code>{bundle.resolvedCommit.slice(0, 7)}</code>
                  </td>
                  <td>
                    <code title={bundle.sourceKey}>{bundle.sourceKey.slice(0, 12)}</code>
                  </td>
                  <td>
                    <time datetime={bundle.createdAt}>{formatTime(bundle.createdAt)}</time>
                  </td>
                  <td>
                    <Status status={bundle.ok ? "succeeded" : "failed"} />
                  </td>
                  <td>
                    {bundle.ok ? (
                      <span>{(bundle.manifest as ManifestWorkflow[]).map((w) => w.name).join(", ") || <span class="muted">no workflows</span>}</span>
                    ) : null}
                    <Diagnostics diagnostics={bundle.diagnostics as OutcomeDiagnostic[]} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          </ScrollRegion>
        )}
      </section>
    </Layout>
  );
};

/** What a delivery did: the runs it started and resumed, the bundle it ran, and why nothing more. */
export const OutcomeSection: FC<{ outcome: DeliveryOutcome | null; repository: string | null }> = ({ outcome, repository }) =>
  outcome === null ? null : (
    <section aria-labelledby="delivery-outcome">
      <h2 id="delivery-outcome">What it did</h2>
      <ul class="outcome">
        {outcome.started.length > 0 ? <li>Started {outcome.started.length === 1 ? "1 run" : `${outcome.started.length} runs`} (below).</li> : null}
        {outcome.woke.map((woke) => (
          <li>
            Resumed run <a href={`/runs/${encodeURIComponent(woke.runId)}`}>{woke.runId}</a>
            {woke.wait ? (
              <>
                {" "}
                at wait <code>{woke.wait}</code>
              </>
            ) : null}
            .
          </li>
        ))}
        {outcome.notes.map((note) => (
          <li>
            <code>{note.workflow}</code>: {note.note}
          </li>
        ))}
        {outcome.ignored ? <li data-ignored>Nothing ran: {outcome.ignored}.</li> : null}
        {outcome.bundle ? (
          <li>
            Matched against the <code>.workflows/</code> of commit <code>{outcome.bundle.commitSha.slice(0, 7)}</code>
            {repository ? (
              <>
                {" "}
                (<a href={`/repos/${repository}`}>bundle history</a>)
              </>
            ) : null}
            {outcome.bundle.ok ? "." : ", which did not compile:"}
            <Diagnostics diagnostics={outcome.bundle.diagnostics} />
          </li>
        ) : null}
      </ul>
    </section>
  );
