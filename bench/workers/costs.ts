/**
 * The service (src/index.ts: every request outside /bench/costs/ goes to its
 * app) with each runtime class wrangler.toml names subclassed to count what
 * a webhook delivery costs: Workflow instances and steps, D1 statements and
 * rows, R2 operations by class, Durable Object requests and SQL rows,
 * Dynamic Worker calls, outbound fetches. The runner (bench/costs.ts) resets
 * the counters, sends one signed delivery, waits until everything it caused
 * is over, and reads them back through the routes below.
 *
 * The same file is bundled twice: against the working tree's src/ and,
 * copied beside the baseline commit's src/, against that (bench/costs/baseline.ts),
 * so it imports nothing from src/ but what src/index.ts exports.
 */
import * as service from "../../src/index.ts";
import { COSTS_ROUTES, COUNTER, type CountsAnswer, type DeliveryAnswer } from "../costs/api.ts";
import { countingEnv, isGitHub } from "./costs/bindings.ts";
import { countingDurableObject, countingEntrypoint, countingGateway, countingWorkflowClass } from "./costs/classes.ts";
import { count, firstAuthorCall, reset, snapshot } from "./costs/counters.ts";

// Everything wrangler.toml may name; the classes below shadow these star exports.
export * from "../../src/index.ts";

export const DeliveryInbox = countingDurableObject(service.DeliveryInbox, "DeliveryInbox");
export const RecoveryCoordinator = countingDurableObject(service.RecoveryCoordinator, "RecoveryCoordinator");
export const WaitRegistry = countingDurableObject(service.WaitRegistry, "WaitRegistry");
export const Scheduler = countingDurableObject(service.Scheduler, "Scheduler");
export const Lanes = countingDurableObject(service.Lanes, "Lanes");
export const IngestWorkflow = countingWorkflowClass(service.IngestWorkflow, "IngestWorkflow");
export const ControlWorkflow = countingWorkflowClass(service.ControlWorkflow, "ControlWorkflow");
export const DynamicWorkflow = countingWorkflowClass(service.DynamicWorkflow, "DynamicWorkflow");
// Reached through `exports` by name (@cloudflare/dynamic-workflows' wrapper, the loader's globalOutbound), so these names must stay.
export const DynamicWorkflowBinding = countingEntrypoint(service.DynamicWorkflowBinding, "DynamicWorkflowBinding");
export const GitHubGateway = countingGateway(service.GitHubGateway, "GitHubGateway");

// Every subrequest of this isolate, the service's and the gateway's: Octokit and the gateway look fetch up on the global at call time.
const realFetch = globalThis.fetch;
globalThis.fetch = function countedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  count(isGitHub(url) ? COUNTER.fetchGitHub : COUNTER.fetchOther);
  return realFetch.call(globalThis, input, init);
} as typeof fetch;

/** Read with the real binding, so the bench's own polling costs nothing in the counts. */
async function delivery(env: Cloudflare.Env, id: string): Promise<DeliveryAnswer> {
  try {
    const row = await env.DB.prepare("SELECT status FROM deliveries WHERE id = ?").bind(id).first<{ status: string }>();
    const { results } = await env.DB.prepare("SELECT id, status FROM runs WHERE delivery_id = ?").bind(id).all<{ id: string; status: string }>();
    return { status: row?.status ?? null, runs: results };
  } catch {
    // Before the service's first delivery its tables do not exist yet.
    return { status: null, runs: [] };
  }
}

async function benchRoute(request: Request, env: Cloudflare.Env): Promise<Response> {
  const url = new URL(request.url);
  switch (url.pathname) {
    case COSTS_ROUTES.counts:
      return Response.json({ counts: snapshot(), atFirstAuthorCall: firstAuthorCall() } satisfies CountsAnswer);
    case COSTS_ROUTES.reset:
      reset();
      return Response.json({});
    case COSTS_ROUTES.delivery:
      return Response.json(await delivery(env, url.searchParams.get("id") ?? ""));
    default:
      return new Response("no such bench route", { status: 404 });
  }
}

export default {
  async fetch(request: Request, env: Cloudflare.Env, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname.startsWith(COSTS_ROUTES.prefix)) return benchRoute(request, env);
    count(COUNTER.workerRequests);
    return service.default.fetch(request, countingEnv(env), ctx);
  },
  scheduled(controller: ScheduledController, env: Cloudflare.Env, ctx: ExecutionContext) {
    return service.default.scheduled(controller, countingEnv(env), ctx);
  },
} satisfies ExportedHandler<Cloudflare.Env>;
