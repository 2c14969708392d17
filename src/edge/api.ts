/**
 * The JSON API behind the dashboard, for scripts too, and the queries the
 * dashboard's pages share with it. Every route needs a viewer (auth.ts) and,
 * by invariant 11, shows only what GitHub lets that viewer read: runs, their
 * steps, logs and event, and deliveries of repositories they have a role on.
 * Anything else is answered 404, exactly like an id that does not exist, so
 * ids and repositories cannot be probed. Controls (cancel, re-run,
 * redeliver, manual runs) need CONTROL_ROLE (default write) on the run's
 * repository; a viewer who may read but not control gets 403 naming the role.
 *
 * A delivery about no repository (an installation event, which can name
 * repositories the viewer may not read; a ping) is shown to the people who
 * administer its installation: admin on every repository repoflow knows of
 * it. A delivery of no installation at all is shown in local mode only.
 */
import { Hono } from "hono";
import {
  cancelRun,
  DeliveryNotFailedError,
  DeliveryNotFoundError,
  DeliveryUnavailableError,
  EventUnavailableError,
  payloadKey,
  redeliverDelivery,
  rerunRun,
  RunNotFoundError,
  requestManualRun,
  rerunFromFailedStep,
  NoFailedStepError,
  fireScheduleNow,
  UnknownRepositoryError,
  NotRunnableError,
  BadInputsError,
  withAuthorFrames,
} from "../dispatch";
import { installationOfRepository, listBundleHistory } from "../store";
import {
  getDelivery,
  getRun,
  listDeliveries,
  listInstallations,
  listRepositories,
  listRunLogs,
  listRuns,
  listSteps,
  type DeliveryRecord,
  type DeliveryStatus,
  type Installation,
  type Repository,
  type RunLogs,
  type RunRecord,
  type RunStatus,
  type StepRecord,
} from "../store";
import { readConfig } from "../config";
import { canRead, canSeeInstallation, controlRefusal, readableRepositories, requireViewer, roleIn, type AuthEnv, type Viewer } from "./auth";

export const RUN_STATUSES: readonly RunStatus[] = ["queued", "running", "succeeded", "failed", "cancelled"];
const DEFAULT_RUN_LIMIT = 50;
const MAX_RUN_LIMIT = 200;

/** The filters of `/` and `/api/runs`: `?repo=&workflow=&status=&limit=`. */
export interface RunQuery {
  repo?: string;
  workflow?: string;
  status?: RunStatus;
  limit: number;
}

export interface InstallationWithRepositories extends Installation {
  repositories: Repository[];
}

/** A run with everything its page shows. `event` is the delivery's payload as kept in R2, or null when it is gone. */
export interface RunDetail {
  run: RunRecord;
  steps: StepRecord[];
  logs: RunLogs;
  event: unknown;
}

/** A query-string value the run filters cannot use. */
export class BadRunQueryError extends Error {
  override readonly name = "BadRunQueryError";
}

export function parseRunQuery(params: Record<string, string | undefined>): RunQuery {
  const repo = params.repo?.trim();
  const workflow = params.workflow?.trim();
  const status = params.status?.trim();
  const limitText = params.limit?.trim();
  if (status && !RUN_STATUSES.includes(status as RunStatus)) {
    throw new BadRunQueryError(`repoflow: status must be one of ${RUN_STATUSES.join(", ")}; got "${status}". Leave it empty for any status.`);
  }
  const limit = limitText ? Number(limitText) : DEFAULT_RUN_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new BadRunQueryError(`repoflow: limit must be a whole number from 1 to ${MAX_RUN_LIMIT}; got "${limitText}".`);
  }
  return {
    ...(repo ? { repo } : {}),
    ...(workflow ? { workflow } : {}),
    ...(status ? { status: status as RunStatus } : {}),
    limit: Math.min(limit, MAX_RUN_LIMIT),
  };
}

export function visibleRuns(db: D1Database, viewer: Viewer, query: RunQuery): Promise<RunRecord[]> {
  const repositories = readableRepositories(viewer);
  return listRuns(db, {
    ...(query.repo ? { repository: query.repo } : {}),
    ...(query.workflow ? { workflow: query.workflow } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(repositories ? { repositories } : {}),
    limit: query.limit,
  });
}

/** The runs a delivery started that the viewer may read. */
export function visibleRunsOfDelivery(db: D1Database, viewer: Viewer, deliveryId: string): Promise<RunRecord[]> {
  const repositories = readableRepositories(viewer);
  return listRuns(db, { deliveryId, limit: 100, ...(repositories ? { repositories } : {}) });
}

export async function visibleRun(db: D1Database, viewer: Viewer, id: string): Promise<RunRecord | null> {
  const run = await getRun(db, id);
  return run && canRead(viewer, run.repository) ? run : null;
}

/** A run with everything its page shows; errors name the author's .ts files and lines (the pinned bundle's source map). */
export async function runDetail(env: Pick<Cloudflare.Env, "DB" | "BLOBS">, run: RunRecord): Promise<RunDetail> {
  const [steps, logs, event] = await Promise.all([
    listSteps(env.DB, run.id),
    listRunLogs(env.DB, run.id),
    env.BLOBS.get(payloadKey(run.deliveryId)).then((object) => (object ? object.json<unknown>() : null)),
  ]);
  const [error, ...stepErrors] = await withAuthorFrames(env.BLOBS, run.bundleHash, [run.error, ...steps.map((step) => step.error)]);
  return { run: { ...run, error: error ?? null }, steps: steps.map((step, i) => ({ ...step, error: stepErrors[i] ?? null })), logs, event };
}

/** The installations GitHub lists for the viewer, each with only the repositories they may read. */
export async function visibleInstallations(db: D1Database, viewer: Viewer): Promise<InstallationWithRepositories[]> {
  const installations = (await listInstallations(db)).filter((installation) => canSeeInstallation(viewer, installation.id));
  return Promise.all(
    installations.map(async (installation) => ({ ...installation, repositories: (await listRepositories(db, installation.id)).filter((repository) => canRead(viewer, repository.fullName)) })),
  );
}

/**
 * The installations whose repository-less deliveries the viewer may see:
 * those where they are admin on every repository repoflow knows of it
 * (undefined: all, in local mode).
 */
export async function administeredInstallations(db: D1Database, viewer: Viewer): Promise<readonly number[] | undefined> {
  if (viewer.access === "all") return undefined;
  const repositories = await listRepositories(db);
  return viewer.access.installationIds.filter((id) => {
    const own = repositories.filter((repository) => repository.installationId === id);
    return own.length > 0 && own.every((repository) => roleIn(viewer, repository.fullName) === "admin");
  });
}

export async function visibleDelivery(db: D1Database, viewer: Viewer, id: string): Promise<DeliveryRecord | null> {
  const delivery = await getDelivery(db, id);
  if (!delivery) return null;
  if (delivery.repository !== null) return canRead(viewer, delivery.repository) ? delivery : null;
  const administered = await administeredInstallations(db, viewer);
  if (administered === undefined) return delivery;
  return delivery.installationId !== null && administered.includes(delivery.installationId) ? delivery : null;
}

export async function visibleDeliveries(db: D1Database, viewer: Viewer, status: DeliveryStatus | undefined, limit = 20): Promise<DeliveryRecord[]> {
  const repositories = readableRepositories(viewer);
  const visibleTo = repositories ? { repositories, repositorylessOf: (await administeredInstallations(db, viewer)) ?? [] } : undefined;
  return listDeliveries(db, { ...(status ? { status } : {}), ...(visibleTo ? { visibleTo } : {}), limit });
}

/**
 * Why the viewer may not control this delivery (redeliver it), or null: its
 * repository's CONTROL_ROLE, or, for one about no repository, having seen it
 * at all (only its installation's admins do).
 */
export function deliveryControlRefusal(env: Cloudflare.Env, viewer: Viewer, delivery: DeliveryRecord): string | null {
  return delivery.repository === null ? null : controlRefusal(viewer, delivery.repository, readConfig(env).controlRole, "redelivering a delivery");
}

/** Why the viewer may not control the repository's runs, or null. */
export function runControlRefusal(env: Cloudflare.Env, viewer: Viewer, repository: string, action: string): string | null {
  return controlRefusal(viewer, repository, readConfig(env).controlRole, action);
}

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ["accepted", "processed", "failed"];

const runNotFound = (id: string) => ({ error: "not_found", message: `repoflow: there is no run ${id} you can see; list yours at /api/runs.` });
const forbidden = (message: string) => ({ error: "forbidden", message });

export function apiRoutes() {
  const api = new Hono<AuthEnv>();
  api.use("/api/*", requireViewer("unauthorized"));

  api.get("/api/installations", async (c) => c.json({ installations: await visibleInstallations(c.env.DB, c.get("viewer")) }));

  api.get("/api/runs", async (c) => {
    let query: RunQuery;
    try {
      query = parseRunQuery(c.req.query());
    } catch (error) {
      if (error instanceof BadRunQueryError) return c.json({ error: "bad_query", message: error.message }, 400);
      throw error;
    }
    return c.json({ runs: await visibleRuns(c.env.DB, c.get("viewer"), query) });
  });

  api.get("/api/runs/:id", async (c) => {
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.json(runNotFound(c.req.param("id")), 404);
    return c.json(await runDetail(c.env, run));
  });

  api.get("/api/runs/:id/logs", async (c) => {
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.json(runNotFound(c.req.param("id")), 404);
    return c.json(await listRunLogs(c.env.DB, run.id));
  });

  api.get("/api/deliveries", async (c) => {
    const status = c.req.query("status")?.trim() || undefined;
    if (status !== undefined && !DELIVERY_STATUSES.includes(status as DeliveryStatus)) {
      return c.json({ error: "bad_query", message: `repoflow: status must be one of ${DELIVERY_STATUSES.join(", ")}; got "${status}".` }, 400);
    }
    return c.json({ deliveries: await visibleDeliveries(c.env.DB, c.get("viewer"), status as DeliveryStatus | undefined, 100) });
  });

  api.post("/api/deliveries/:id/redeliver", async (c) => {
    const id = c.req.param("id");
    const viewer = c.get("viewer");
    const delivery = await visibleDelivery(c.env.DB, viewer, id);
    if (!delivery) return c.json({ error: "not_found", message: `repoflow: there is no delivery ${id} you can see.` }, 404);
    const refusal = deliveryControlRefusal(c.env, viewer, delivery);
    if (refusal) return c.json(forbidden(refusal), 403);
    try {
      return c.json({ delivery: await redeliverDelivery(c.env, id) }, 202);
    } catch (error) {
      if (error instanceof DeliveryNotFoundError) return c.json({ error: "not_found", message: error.message }, 404);
      if (error instanceof DeliveryNotFailedError) return c.json({ error: "not_failed", message: error.message }, 409);
      if (error instanceof DeliveryUnavailableError) return c.json({ error: "event_unavailable", message: error.message }, 409);
      throw error;
    }
  });

  api.get("/api/deliveries/:id", async (c) => {
    const id = c.req.param("id");
    const viewer = c.get("viewer");
    const delivery = await visibleDelivery(c.env.DB, viewer, id);
    if (!delivery) {
      return c.json({ error: "not_found", message: `repoflow: no delivery ${id} was accepted, or it is still in the inbox; try again in a moment.` }, 404);
    }
    const runs = await visibleRunsOfDelivery(c.env.DB, viewer, id);
    return c.json({ delivery, runs: await Promise.all(runs.map(async (run) => ({ ...run, steps: await listSteps(c.env.DB, run.id) }))) });
  });

  api.post("/api/runs/:id/cancel", async (c) => {
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.json(runNotFound(c.req.param("id")), 404);
    const refusal = runControlRefusal(c.env, c.get("viewer"), run.repository, "cancelling a run");
    if (refusal) return c.json(forbidden(refusal), 403);
    // Accepted, not done: the run says cancelled once the engine confirms it stopped (cancelRequestedAt meanwhile).
    return c.json({ run: await cancelRun(c.env, run.id) }, 202);
  });

  api.post("/api/runs/:id/rerun", async (c) => {
    const run = await visibleRun(c.env.DB, c.get("viewer"), c.req.param("id"));
    if (!run) return c.json(runNotFound(c.req.param("id")), 404);
    const refusal = runControlRefusal(c.env, c.get("viewer"), run.repository, "re-running a run");
    if (refusal) return c.json(forbidden(refusal), 403);
    // ?from=failed: resume from the failed step on the pinned bundle; otherwise from scratch on the current code.
    if (c.req.query("from") === "failed") {
      try {
        return c.json(await rerunFromFailedStep(c.env, run.id), 202);
      } catch (error) {
        if (error instanceof NoFailedStepError) return c.json({ error: "no_failed_step", message: error.message }, 409);
        throw error;
      }
    }
    try {
      // The same Idempotency-Key twice starts one re-run; without one, every request is a new re-run.
      const key = c.req.header("idempotency-key")?.trim();
      return c.json(await (key ? rerunRun(c.env, run.id, key) : rerunRun(c.env, run.id)), 202);
    } catch (error) {
      if (error instanceof RunNotFoundError) return c.json(runNotFound(run.id), 404);
      if (error instanceof EventUnavailableError) return c.json({ error: "event_unavailable", message: error.message }, 409);
      throw error;
    }
  });

  // A manual run of a workflow with on.dispatch: { workflow, inputs } as JSON. 202: the run starts through the inbox.
  api.post("/api/repos/:owner/:repo/dispatch", async (c) => {
    const repository = `${c.req.param("owner")}/${c.req.param("repo")}`;
    const denied = await repositoryDenied(c.env.DB, c.get("viewer"), repository);
    if (denied) return c.json(denied, 404);
    const refusal = runControlRefusal(c.env, c.get("viewer"), repository, "running a workflow by hand");
    if (refusal) return c.json(forbidden(refusal), 403);
    const body = await c.req.json<unknown>().catch(() => null);
    const { workflow, inputs = {} } = (body ?? {}) as { workflow?: unknown; inputs?: unknown };
    if (typeof workflow !== "string" || typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) {
      return c.json({ error: "bad_request", message: 'repoflow: send JSON like { "workflow": "release", "inputs": { "dryRun": true } }.' }, 400);
    }
    try {
      const key = c.req.header("idempotency-key")?.trim();
      const requested = await requestManualRun(c.env, { repository, workflow, inputs: inputs as Record<string, unknown>, sender: c.get("viewer").login, ...(key ? { key } : {}) });
      return c.json(requested, 202);
    } catch (error) {
      return manualRunError(c, error);
    }
  });

  // Each compile of the repository's default-branch .workflows/, newest first, with its diagnostics.
  api.get("/api/repos/:owner/:repo/bundles", async (c) => {
    const repository = `${c.req.param("owner")}/${c.req.param("repo")}`;
    const denied = await repositoryDenied(c.env.DB, c.get("viewer"), repository);
    if (denied) return c.json(denied, 404);
    return c.json({ bundles: await listBundleHistory(c.env.DB, repository) });
  });

  // Fires a scheduled workflow now, whatever its schedule says (npm run replay -- schedule <workflow>).
  api.post("/api/repos/:owner/:repo/schedules/fire", async (c) => {
    const repository = `${c.req.param("owner")}/${c.req.param("repo")}`;
    const denied = await repositoryDenied(c.env.DB, c.get("viewer"), repository);
    if (denied) return c.json(denied, 404);
    const refusal = runControlRefusal(c.env, c.get("viewer"), repository, "firing a schedule");
    if (refusal) return c.json(forbidden(refusal), 403);
    const { workflow } = ((await c.req.json<unknown>().catch(() => null)) ?? {}) as { workflow?: unknown };
    if (typeof workflow !== "string") return c.json({ error: "bad_request", message: 'repoflow: send JSON like { "workflow": "stale" }.' }, 400);
    try {
      return c.json(await fireScheduleNow(c.env, repository, workflow), 202);
    } catch (error) {
      return manualRunError(c, error);
    }
  });

  return api;
}

/** A repository the viewer may not read answers exactly like one that does not exist. */
async function repositoryDenied(db: D1Database, viewer: Viewer, repository: string): Promise<{ error: string; message: string } | null> {
  const installationId = await installationOfRepository(db, repository);
  if (installationId !== null && canRead(viewer, repository)) return null;
  return { error: "not_found", message: `repoflow: no repository ${repository} is known here, or you may not see it.` };
}

function manualRunError(c: { json: (body: unknown, status: 400 | 404 | 409 | 422) => Response }, error: unknown): Response {
  if (error instanceof UnknownRepositoryError) return c.json({ error: "not_found", message: error.message }, 404);
  if (error instanceof NotRunnableError) return c.json({ error: "not_runnable", message: error.message }, 409);
  if (error instanceof BadInputsError) return c.json({ error: "bad_inputs", message: error.message, problems: error.problems }, 422);
  throw error;
}
