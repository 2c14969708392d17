/**
 * The dashboard's routes, served by the Worker with hono JSX (no front-end
 * build): `/` (runs with filters, installations), `/runs/:id` (one run), the
 * run controls as plain form posts, and sign-in (auth.ts). Pages need a viewer
 * and show only the repositories GitHub lets that viewer read, through the
 * same queries as the JSON API (api.ts); what they may not read is "not
 * found". Cancel, Re-run, Redeliver and Run need CONTROL_ROLE on the
 * repository: the buttons are left out for a viewer without it, and a post
 * from them is refused with 403, naming the role. The controls are POSTs
 * from forms: the session cookie is SameSite=Lax, so another site cannot
 * make a browser send them.
 */
/** @jsxImportSource hono/jsx */
import { Hono, type Context } from "hono";
import { readConfig } from "../../config";
import {
  BadInputsError,
  cancelRun,
  DeliveryNotFailedError,
  DeliveryUnavailableError,
  EventUnavailableError,
  NoFailedStepError,
  NotRunnableError,
  redeliverDelivery,
  requestManualRun,
  rerunFromFailedStep,
  rerunRun,
  UnknownRepositoryError,
} from "../../dispatch";
import { installationOfRepository, latestBundleOf, listBundleHistory, type RunRecord } from "../../store";
import type { WorkflowManifestEntry } from "../../runtime";
import {
  BadRunQueryError,
  deliveryControlRefusal,
  parseRunQuery,
  runControlRefusal,
  runDetail,
  visibleDeliveries,
  visibleDelivery,
  visibleInstallations,
  visibleRun,
  visibleRuns,
  visibleRunsOfDelivery,
  type RunQuery,
} from "../api";
import { authRoutes, canRead, requireViewer, type AuthEnv, type Viewer } from "../auth";
import { DeliveryPage, DispatchPage, HomePage, MessagePage, RunPage } from "./pages";
import { RepositoryPage } from "./repository-page";

/** A repository the viewer may not see looks exactly like one that does not exist. */
function RepositoryNotFound({ viewer, repository }: { viewer: Viewer; repository: string }) {
  return (
    <MessagePage viewer={viewer} title="Not found">
      <p>No repository {repository} is known here, or you may not see it.</p>
    </MessagePage>
  );
}

/** A viewer who may see a run or repository but not control it: what they tried, and the role it needs. */
function NotAllowed({ viewer, message, back }: { viewer: Viewer; message: string; back: string }) {
  return (
    <MessagePage viewer={viewer} title="Not allowed">
      <p>{message}</p>
      <p>
        <a href={back}>Back</a>
      </p>
    </MessagePage>
  );
}

/** The workflows of a repository the viewer may read that can be run by hand; null when the viewer may not read it. */
async function dispatchableWorkflows(db: D1Database, viewer: Viewer, repository: string): Promise<{ file: string; name: string; inputs: Record<string, unknown> }[] | null> {
  const installationId = await installationOfRepository(db, repository);
  if (installationId === null || !canRead(viewer, repository)) return null;
  const bundle = await latestBundleOf(db, repository);
  const workflows = bundle?.ok ? (bundle.manifest as WorkflowManifestEntry[]) : [];
  return workflows.filter((w) => w.dispatch).map((w) => ({ file: w.file, name: w.name, inputs: w.dispatch?.inputs ?? {} }));
}

/** A run the viewer asked to control: back to its page when they may not see it, 403 when they may not control it. */
async function runToControl(c: Context<AuthEnv>, action: string): Promise<RunRecord | Response> {
  const viewer = c.get("viewer");
  const run = await visibleRun(c.env.DB, viewer, c.req.param("id") ?? "");
  if (!run) return c.redirect(`/runs/${encodeURIComponent(c.req.param("id") ?? "")}`, 303);
  const refusal = runControlRefusal(c.env, viewer, run.repository, action);
  if (refusal) return c.html(<NotAllowed viewer={viewer} message={refusal} back={`/runs/${encodeURIComponent(run.id)}`} />, 403);
  return run;
}

export function dashboardRoutes() {
  const app = new Hono<AuthEnv>();
  app.use("/", requireViewer("redirect"));
  app.use("/runs/*", requireViewer("redirect"));
  app.use("/deliveries/*", requireViewer("redirect"));
  app.use("/repos/*", requireViewer("redirect"));
  app.route("/", authRoutes());

  app.get("/auth/signed-out", (c) =>
    c.html(
      <MessagePage viewer={null} title="Signed out">
        <p>
          You are signed out of repoflow. <a href="/auth/login">Sign in with GitHub</a> again.
        </p>
      </MessagePage>,
    ),
  );

  app.get("/", async (c) => {
    const viewer = c.get("viewer");
    const params = c.req.query();
    let query: RunQuery;
    try {
      query = parseRunQuery(params);
    } catch (error) {
      if (!(error instanceof BadRunQueryError)) throw error;
      const installations = await visibleInstallations(c.env.DB, viewer);
      return c.html(<HomePage viewer={viewer} query={{ repo: params.repo, workflow: params.workflow }} problem={error.message} runs={[]} installations={installations} expectingRerun={false} />, 400);
    }
    const [runs, installations, failedDeliveries] = await Promise.all([
      visibleRuns(c.env.DB, viewer, query),
      visibleInstallations(c.env.DB, viewer),
      visibleDeliveries(c.env.DB, viewer, "failed"),
    ]);
    return c.html(
      <HomePage viewer={viewer} query={query} runs={runs} installations={installations} failedDeliveries={failedDeliveries} expectingRerun={"rerun" in params} />,
    );
  });

  app.get("/runs/:id", async (c) => {
    const viewer = c.get("viewer");
    const id = c.req.param("id");
    const run = await visibleRun(c.env.DB, viewer, id);
    if (!run) {
      return c.html(
        <MessagePage viewer={viewer} title="No such run">
          <p>
            There is no run <code>{id}</code> you can see. <a href="/">All runs</a>
          </p>
        </MessagePage>,
        404,
      );
    }
    const refusal = runControlRefusal(c.env, viewer, run.repository, "cancelling or re-running this run, or running a workflow by hand");
    const config = readConfig(c.env);
    return c.html(<RunPage viewer={viewer} detail={await runDetail(c.env, run)} githubApiUrl={config.githubApiUrl} controlRefusal={refusal} local={config.mode === "local"} />);
  });

  app.get("/deliveries/:id", async (c) => {
    const viewer = c.get("viewer");
    const id = c.req.param("id");
    const delivery = await visibleDelivery(c.env.DB, viewer, id);
    if (!delivery) {
      return c.html(
        <MessagePage viewer={viewer} title="No such delivery">
          <p>
            There is no delivery <code>{id}</code> you can see. <a href="/">All runs</a>
          </p>
        </MessagePage>,
        404,
      );
    }
    const runs = await visibleRunsOfDelivery(c.env.DB, viewer, id);
    return c.html(<DeliveryPage viewer={viewer} delivery={delivery} runs={runs} controlRefusal={deliveryControlRefusal(c.env, viewer, delivery)} />);
  });

  app.post("/deliveries/:id/redeliver", async (c) => {
    const viewer = c.get("viewer");
    const id = c.req.param("id");
    const back = `/deliveries/${encodeURIComponent(id)}`;
    const delivery = await visibleDelivery(c.env.DB, viewer, id);
    if (!delivery) return c.redirect(back, 303);
    const refusal = deliveryControlRefusal(c.env, viewer, delivery);
    if (refusal) return c.html(<NotAllowed viewer={viewer} message={refusal} back={back} />, 403);
    try {
      await redeliverDelivery(c.env, id);
    } catch (error) {
      if (!(error instanceof DeliveryNotFailedError || error instanceof DeliveryUnavailableError)) throw error;
      return c.html(
        <MessagePage viewer={viewer} title="Cannot redeliver">
          <p>{error.message}</p>
          <p>
            <a href={back}>Back to the delivery</a>
          </p>
        </MessagePage>,
        409,
      );
    }
    return c.redirect(back, 303);
  });

  app.post("/runs/:id/cancel", async (c) => {
    const run = await runToControl(c, "cancelling a run");
    if (run instanceof Response) return run;
    await cancelRun(c.env, run.id);
    return c.redirect(`/runs/${encodeURIComponent(run.id)}`, 303);
  });

  // A repository's bundle history: each compile of its default branch's .workflows/, with every diagnostic.
  app.get("/repos/:owner/:repo", async (c) => {
    const repository = `${c.req.param("owner")}/${c.req.param("repo")}`;
    const viewer = c.get("viewer");
    if ((await installationOfRepository(c.env.DB, repository)) === null || !canRead(viewer, repository)) return c.html(<RepositoryNotFound viewer={viewer} repository={repository} />, 404);
    return c.html(<RepositoryPage viewer={viewer} repository={repository} bundles={await listBundleHistory(c.env.DB, repository)} />);
  });

  // The Run button: a manual run of a workflow with on.dispatch, its inputs checked against what it declares.
  app.get("/repos/:owner/:repo/run", async (c) => {
    const repository = `${c.req.param("owner")}/${c.req.param("repo")}`;
    const viewer = c.get("viewer");
    const workflows = await dispatchableWorkflows(c.env.DB, viewer, repository);
    if (workflows === null) return c.html(<RepositoryNotFound viewer={viewer} repository={repository} />, 404);
    const refusal = runControlRefusal(c.env, viewer, repository, "running a workflow by hand");
    if (refusal) return c.html(<NotAllowed viewer={viewer} message={refusal} back={`/?${new URLSearchParams({ repo: repository }).toString()}`} />, 403);
    return c.html(<DispatchPage viewer={viewer} repository={repository} workflows={workflows} {...(c.req.query("workflow") ? { chosen: c.req.query("workflow")! } : {})} />);
  });

  app.post("/repos/:owner/:repo/run", async (c) => {
    const repository = `${c.req.param("owner")}/${c.req.param("repo")}`;
    const viewer = c.get("viewer");
    const workflows = await dispatchableWorkflows(c.env.DB, viewer, repository);
    if (workflows === null) return c.html(<RepositoryNotFound viewer={viewer} repository={repository} />, 404);
    const refusal = runControlRefusal(c.env, viewer, repository, "running a workflow by hand");
    if (refusal) return c.html(<NotAllowed viewer={viewer} message={refusal} back={`/?${new URLSearchParams({ repo: repository }).toString()}`} />, 403);
    const form = await c.req.parseBody();
    const workflow = typeof form.workflow === "string" ? form.workflow : "";
    const text = typeof form.inputs === "string" ? form.inputs : "{}";
    const again = (problems: string[], status: 400 | 409 | 422) =>
      c.html(<DispatchPage viewer={viewer} repository={repository} workflows={workflows} chosen={workflow} inputs={text} problems={problems} />, status);
    let inputs: unknown;
    try {
      inputs = JSON.parse(text || "{}");
    } catch {
      return again(["The inputs are not JSON: write an object like { \"target\": \"staging\" }."], 400);
    }
    if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) return again(["The inputs must be a JSON object."], 400);
    try {
      const click = typeof form.click === "string" && form.click !== "" ? form.click : undefined;
      await requestManualRun(c.env, { repository, workflow, inputs: inputs as Record<string, unknown>, sender: viewer.login, ...(click ? { key: click } : {}) });
    } catch (error) {
      if (error instanceof BadInputsError) return again(error.problems, 422);
      if (error instanceof NotRunnableError || error instanceof UnknownRepositoryError) return again([error.message], 409);
      throw error;
    }
    return c.redirect(`/?${new URLSearchParams({ repo: repository }).toString()}`, 303);
  });

  app.post("/runs/:id/rerun-failed", async (c) => {
    const viewer = c.get("viewer");
    const run = await runToControl(c, "re-running a run");
    if (run instanceof Response) return run;
    try {
      await rerunFromFailedStep(c.env, run.id);
    } catch (error) {
      if (!(error instanceof NoFailedStepError)) throw error;
      return c.html(
        <MessagePage viewer={viewer} title="Cannot re-run from the failed step">
          <p>{error.message}</p>
          <p>
            <a href={`/runs/${encodeURIComponent(run.id)}`}>Back to the run</a>
          </p>
        </MessagePage>,
        409,
      );
    }
    return c.redirect(`/runs/${encodeURIComponent(run.id)}`, 303);
  });

  app.post("/runs/:id/rerun", async (c) => {
    const viewer = c.get("viewer");
    const run = await runToControl(c, "re-running a run");
    if (run instanceof Response) return run;
    try {
      const click = (await c.req.parseBody())["click"];
      await (typeof click === "string" && click !== "" ? rerunRun(c.env, run.id, click) : rerunRun(c.env, run.id));
    } catch (error) {
      if (!(error instanceof EventUnavailableError)) throw error;
      return c.html(
        <MessagePage viewer={viewer} title="Cannot re-run">
          <p>{error.message}</p>
          <p>
            <a href={`/runs/${encodeURIComponent(run.id)}`}>Back to the run</a>
          </p>
        </MessagePage>,
        409,
      );
    }
    const list = new URLSearchParams({ repo: run.repository, workflow: run.workflowName, rerun: run.id });
    return c.redirect(`/?${list.toString()}`, 303);
  });

  return app;
}
