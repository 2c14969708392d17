/**
 * The dashboard's routes, served by the Worker with hono JSX (no front-end
 * build): `/` (runs with filters, installations), `/runs/:id` (one run), the
 * run controls as plain form posts, and sign-in (auth.ts). Pages need a viewer
 * and show only that viewer's installations, through the same queries as the
 * JSON API (api.ts). Cancel and Re-run are POSTs from forms: the session
 * cookie is SameSite=Lax, so another site cannot make a browser send them.
 */
/** @jsxImportSource hono/jsx */
import { Hono } from "hono";
import { readConfig } from "../../config";
import { cancelRun, DeliveryNotFailedError, DeliveryUnavailableError, EventUnavailableError, NoFailedStepError, redeliverDelivery, rerunFromFailedStep, rerunRun } from "../../dispatch";
import { listRuns } from "../../store";
import {
  BadRunQueryError,
  parseRunQuery,
  runDetail,
  visibleDeliveries,
  visibleDelivery,
  visibleInstallations,
  visibleRun,
  visibleRuns,
  type RunQuery,
} from "../api";
import { authRoutes, requireViewer, visibleInstallationIds, type AuthEnv } from "../auth";
import { DeliveryPage, HomePage, MessagePage, RunPage } from "./pages";

export function dashboardRoutes() {
  const app = new Hono<AuthEnv>();
  app.use("/", requireViewer("redirect"));
  app.use("/runs/*", requireViewer("redirect"));
  app.use("/deliveries/*", requireViewer("redirect"));
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
    return c.html(<RunPage viewer={viewer} detail={await runDetail(c.env, run)} githubApiUrl={readConfig(c.env).githubApiUrl} />);
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
    const installationIds = visibleInstallationIds(viewer);
    const runs = await listRuns(c.env.DB, { deliveryId: id, limit: 100, ...(installationIds ? { installationIds } : {}) });
    return c.html(<DeliveryPage viewer={viewer} delivery={delivery} runs={runs} />);
  });

  app.post("/deliveries/:id/redeliver", async (c) => {
    const viewer = c.get("viewer");
    const id = c.req.param("id");
    const back = `/deliveries/${encodeURIComponent(id)}`;
    if (!(await visibleDelivery(c.env.DB, viewer, id))) return c.redirect(back, 303);
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
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.redirect(`/runs/${encodeURIComponent(c.req.param("id"))}`, 303);
    await cancelRun(c.env, run.id);
    return c.redirect(`/runs/${encodeURIComponent(run.id)}`, 303);
  });

  app.post("/runs/:id/rerun-failed", async (c) => {
    const viewer = c.get("viewer");
    const run = await visibleRun(c.env.DB, viewer, c.req.param("id"));
    if (!run) return c.redirect(`/runs/${encodeURIComponent(c.req.param("id"))}`, 303);
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
    const run = await visibleRun(c.env.DB, viewer, c.req.param("id"));
    if (!run) return c.redirect(`/runs/${encodeURIComponent(c.req.param("id"))}`, 303);
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
