/**
 * Scripted access to deliveries and run controls: what the replay tool follows
 * and what the dashboard's Cancel and Re-run buttons call.
 */
import { Hono } from "hono";
import { readConfig } from "../config";
import { cancelRun, EventUnavailableError, rerunRun, RunNotFoundError } from "../dispatch";
import { getDelivery, getRun, listRunLogs, listRuns, listSteps } from "../store";

export function controlRoutes() {
  const routes = new Hono<{ Bindings: Cloudflare.Env }>();

  // Until sign-in covers these routes, they exist only where the service is bound to 127.0.0.1.
  routes.use("/api/*", async (c, next) => {
    if (readConfig(c.env).mode !== "local") return c.json({ error: "unauthorized", message: "repoflow: sign in to use the API." }, 401);
    await next();
  });

  routes.get("/api/deliveries/:id", async (c) => {
    const id = c.req.param("id");
    const delivery = await getDelivery(c.env.DB, id);
    if (!delivery) return c.json({ error: "not_found", message: `repoflow: no delivery ${id} was accepted.` }, 404);
    const runs = await listRuns(c.env.DB, { deliveryId: id, limit: 100 });
    const withSteps = await Promise.all(runs.map(async (run) => ({ ...run, steps: await listSteps(c.env.DB, run.id) })));
    return c.json({ delivery, runs: withSteps });
  });

  routes.get("/api/runs/:id/logs", async (c) => {
    const id = c.req.param("id");
    if (!(await getRun(c.env.DB, id))) return c.json({ error: "not_found", message: `repoflow: there is no run ${id}.` }, 404);
    return c.json(await listRunLogs(c.env.DB, id));
  });

  routes.post("/api/runs/:id/cancel", async (c) => {
    try {
      return c.json({ run: await cancelRun(c.env, c.req.param("id")) });
    } catch (error) {
      if (error instanceof RunNotFoundError) return c.json({ error: "not_found", message: error.message }, 404);
      throw error;
    }
  });

  routes.post("/api/runs/:id/rerun", async (c) => {
    try {
      return c.json(await rerunRun(c.env, c.req.param("id")), 202);
    } catch (error) {
      if (error instanceof RunNotFoundError) return c.json({ error: "not_found", message: error.message }, 404);
      if (error instanceof EventUnavailableError) return c.json({ error: "event_unavailable", message: error.message }, 409);
      throw error;
    }
  });

  return routes;
}
