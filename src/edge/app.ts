/**
 * The HTTP surface. Bad input never reaches onError: handlers answer it with
 * 4xx. onError is for our own faults, and it still answers JSON without
 * internals, logging the detail for the operator.
 */
import { Hono } from "hono";
import { ConfigError, readConfig } from "../config";
import { recoveryCoordinator, recoveryDue } from "../dispatch";
import { apiRoutes } from "./api";
import { AuthConfigError } from "./auth";
import { dashboardRoutes } from "./dashboard";
import { handleWebhook } from "./webhook";

export function createApp() {
  const app = new Hono<{ Bindings: Cloudflare.Env }>();

  // Locally, recovery piggybacks on traffic: the first request after a restart
  // finds stranded runs (production runs it from the cron only). It is
  // idempotent and repeated, so waitUntil is enough here.
  app.use(async (c, next) => {
    if (recoveryDue(c.env)) {
      c.executionCtx.waitUntil(recoveryCoordinator(c.env).pass().catch((error: unknown) => console.error("repoflow: recovery failed", error)));
    }
    await next();
  });

  app.get("/healthz", (c) => {
    const { mode } = readConfig(c.env);
    return c.json({ ok: true, mode });
  });

  app.post("/webhooks/github", handleWebhook);
  app.route("/", apiRoutes());
  app.route("/", dashboardRoutes());

  app.notFound((c) => c.json({ error: "not_found", message: `No route for ${c.req.method} ${c.req.path}.` }, 404));

  app.onError((error, c) => {
    if (error instanceof ConfigError || error instanceof AuthConfigError) {
      console.error(error.message);
      return c.json({ error: "misconfigured", message: error.message }, 503);
    }
    console.error("repoflow: unhandled error", error);
    return c.json({ error: "internal", message: "Internal error; see the Worker's logs." }, 500);
  });

  return app;
}
