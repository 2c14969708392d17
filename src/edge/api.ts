/**
 * The JSON API behind the dashboard, for scripts too. Every route needs a
 * viewer (see auth.ts) and shows only the installations that viewer may see;
 * a run of another installation is answered 404, like one that does not exist.
 */
import { Hono } from "hono";
import { cancelRun, EventUnavailableError, payloadKey, rerunRun, RunNotFoundError } from "../dispatch";
import { getDelivery, getRun, listInstallations, listRepositories, listRunLogs, listRuns, listSteps, type RunRecord, type RunStatus } from "../store";
import { canSee, requireViewer, visibleInstallations, type AuthEnv, type Viewer } from "./auth";

const STATUSES: readonly RunStatus[] = ["queued", "running", "succeeded", "failed", "cancelled"];

export interface RunQuery {
  repo?: string;
  workflow?: string;
  status?: RunStatus;
  limit?: number;
}

export function runQuery(query: Record<string, string | undefined>): RunQuery {
  const status = STATUSES.find((s) => s === query.status);
  const limit = Number(query.limit);
  return {
    ...(query.repo ? { repo: query.repo } : {}),
    ...(query.workflow ? { workflow: query.workflow } : {}),
    ...(status ? { status } : {}),
    ...(Number.isInteger(limit) && limit > 0 ? { limit: Math.min(limit, 200) } : {}),
  };
}

export async function visibleRuns(db: D1Database, viewer: Viewer, query: RunQuery): Promise<RunRecord[]> {
  const installationIds = visibleInstallations(viewer);
  return listRuns(db, {
    ...(query.repo ? { repository: query.repo } : {}),
    ...(query.workflow ? { workflow: query.workflow } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(installationIds ? { installationIds } : {}),
    limit: query.limit ?? 50,
  });
}

export async function visibleRun(db: D1Database, viewer: Viewer, id: string): Promise<RunRecord | null> {
  const run = await getRun(db, id);
  return run && canSee(viewer, run.installationId) ? run : null;
}

export async function runDetail(env: Cloudflare.Env, run: RunRecord) {
  const [steps, logs, event] = await Promise.all([
    listSteps(env.DB, run.id),
    listRunLogs(env.DB, run.id),
    env.BLOBS.get(payloadKey(run.deliveryId)).then((o) => (o ? o.json<unknown>() : null)),
  ]);
  return { run, steps, logs, event };
}

export async function visibleInstallationsWithRepos(db: D1Database, viewer: Viewer) {
  const installations = (await listInstallations(db)).filter((i) => canSee(viewer, i.id));
  return Promise.all(installations.map(async (installation) => ({ ...installation, repositories: await listRepositories(db, installation.id) })));
}

const notFound = (id: string) => ({ error: "not_found", message: `repoflow: there is no run ${id} you can see.` });

export function apiRoutes() {
  const api = new Hono<AuthEnv>();
  api.use("/api/*", requireViewer());

  api.get("/api/installations", async (c) => c.json({ installations: await visibleInstallationsWithRepos(c.env.DB, c.get("viewer")) }));

  api.get("/api/runs", async (c) => c.json({ runs: await visibleRuns(c.env.DB, c.get("viewer"), runQuery(c.req.query())) }));

  api.get("/api/runs/:id", async (c) => {
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.json(notFound(c.req.param("id")), 404);
    return c.json(await runDetail(c.env, run));
  });

  api.get("/api/runs/:id/logs", async (c) => {
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.json(notFound(c.req.param("id")), 404);
    return c.json(await listRunLogs(c.env.DB, run.id));
  });

  api.get("/api/deliveries/:id", async (c) => {
    const id = c.req.param("id");
    const delivery = await getDelivery(c.env.DB, id);
    const viewer = c.get("viewer");
    if (!delivery || (delivery.installationId !== null && !canSee(viewer, delivery.installationId))) {
      return c.json({ error: "not_found", message: `repoflow: no delivery ${id} was accepted, or it is still in the inbox.` }, 404);
    }
    const runs = await listRuns(c.env.DB, { deliveryId: id, limit: 100 });
    return c.json({ delivery, runs: await Promise.all(runs.map(async (run) => ({ ...run, steps: await listSteps(c.env.DB, run.id) }))) });
  });

  api.post("/api/runs/:id/cancel", async (c) => {
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.json(notFound(c.req.param("id")), 404);
    return c.json({ run: await cancelRun(c.env, run.id) });
  });

  api.post("/api/runs/:id/rerun", async (c) => {
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.json(notFound(c.req.param("id")), 404);
    try {
      return c.json(await rerunRun(c.env, run.id), 202);
    } catch (error) {
      if (error instanceof RunNotFoundError) return c.json(notFound(run.id), 404);
      if (error instanceof EventUnavailableError) return c.json({ error: "event_unavailable", message: error.message }, 409);
      throw error;
    }
  });

  return api;
}
