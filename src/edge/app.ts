/**
 * The HTTP surface. Bad input never reaches onError: handlers answer it with
 * 4xx. onError is for our own faults, and it still answers JSON without
 * internals, logging the detail for the operator.
 */
import { Hono } from "hono";
import { ConfigError, inspectConfig } from "../config";
import { recoveryCoordinator, recoveryDue } from "../dispatch";
import { apiRoutes } from "./api";
import { AuthConfigError } from "./auth";
import { dashboardRoutes } from "./dashboard";
import { configurationProblems, requireConfiguration, setupRoutes } from "./setup";
import { handleWebhook } from "./webhook";

export function createApp() {
  const app = new Hono<{ Bindings: Cloudflare.Env }>();

  // A misconfigured Worker answers every route but /healthz and /setup with 503 naming what to fix.
  app.use(requireConfiguration());

  // Locally, recovery piggybacks on traffic: the first request after a restart
  // finds stranded runs (production runs it from the cron only). It is
  // idempotent and repeated, so waitUntil is enough here.
  app.use(async (c, next) => {
    if (inspectConfig(c.env).config && recoveryDue(c.env)) {
      c.executionCtx.waitUntil(recoveryCoordinator(c.env).pass().catch((error: unknown) => console.error("repoflow: recovery failed", error)));
    }
    await next();
  });

  // Liveness: the Worker runs and /setup answers. A misconfigured one says so and names the variables.
  app.get("/healthz", async (c) => {
    const { mode } = inspectConfig(c.env);
    const problems = await configurationProblems(c.env);
    if (problems.length === 0) return c.json({ ok: true, mode });
    return c.json({ ok: true, mode, configured: false, variables: [...new Set(problems.map((problem) => problem.variable))], setup: "/setup" });
  });

  app.post("/webhooks/github", handleWebhook);
  app.route("/", setupRoutes());
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
