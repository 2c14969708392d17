/**
 * The edge's cost ladder in one Worker: the same bundle as src/index.ts, with
 * `X-Bench-Variant` choosing how much of the durable handoff runs, so the
 * breakdown table can attribute the time between signature checking, the D1
 * ledger row and the Workflow create without editing src/. PROFILE_PATH times
 * the handoff's single operations from inside the Worker, one at a time and
 * ten at a time, which tells a slow operation from a serialized one.
 *
 * Shaped by two runtime facts: the Workflow and D1 bindings are plain objects
 * on `env`, so a variant swaps one for an in-memory stand-in and hands the
 * real request, unchanged, to the real hono app; and a Worker's clock only
 * advances across I/O, which is exactly what the profile times.
 */
import app from "../../src/index.ts";
import { readConfig } from "../../src/config.ts";
import { verifySignature } from "../../src/github/index.ts";

import { ingestInstanceId, payloadKey, type Delivery } from "../../src/dispatch/index.ts";
import { recordDelivery } from "../../src/store/index.ts";
import { WorkflowEntrypoint } from "cloudflare:workers";
import { EDGE_VARIANTS, EMPTY_WORKFLOW, PROFILE_BATCH, PROFILE_PATH, PROFILE_ROUNDS, VARIANT_HEADER, type EdgeVariant, type HandoffProfile } from "../variants.ts";

// The Workflow classes and entrypoints the bindings in wrangler.toml name.
export * from "../../src/index.ts";

/** EMPTY_WORKFLOW's class: the engine's own cost of a create, with no run behind it. */
export class BenchEmptyWorkflow extends WorkflowEntrypoint<Cloudflare.Env, unknown> {
  override async run(): Promise<null> {
    return null;
  }
}

type BenchEnv = Cloudflare.Env & { [EMPTY_WORKFLOW.binding]: Cloudflare.Env["INGEST"] };

function isVariant(value: string | null): value is EdgeVariant {
  return (EDGE_VARIANTS as readonly (string | null)[]).includes(value);
}

/** Answers like a Workflow binding whose create always succeeds at once. */
const instantWorkflow = {
  async create(options?: WorkflowInstanceCreateOptions) {
    return { id: options?.id ?? "bench" };
  },
  async get(id: string) {
    return { id };
  },
};

/** Answers like a D1 database whose every statement succeeds and returns no rows. */
const instantStatement = {
  bind() {
    return instantStatement;
  },
  async run() {
    return { success: true, results: [], meta: {} };
  },
  async first() {
    return null;
  },
  async all() {
    return { success: true, results: [], meta: {} };
  },
};
const instantDatabase = {
  prepare() {
    return instantStatement;
  },
  async batch(statements: unknown[]) {
    return statements.map(() => ({ success: true, results: [], meta: {} }));
  },
};

// The stand-ins implement only what acceptDelivery and the store call; the
// casts sit at this one seam, where the real binding types are far wider.
const withoutWorkflow = (env: Cloudflare.Env): Cloudflare.Env => ({ ...env, INGEST: instantWorkflow as unknown as Cloudflare.Env["INGEST"] });
const withoutLedger = (env: Cloudflare.Env): Cloudflare.Env => ({ ...env, DB: instantDatabase as unknown as D1Database });
const withEmptyWorkflow = (env: BenchEnv): Cloudflare.Env => ({ ...env, INGEST: env[EMPTY_WORKFLOW.binding] });

/** HMAC over the raw bytes and JSON.parse, then 202: the floor under any webhook receiver. */
async function verifyOnly(request: Request, env: Cloudflare.Env): Promise<Response> {
  const body = new Uint8Array(await request.arrayBuffer());
  const check = await verifySignature(body, request.headers.get("x-hub-signature-256"), readConfig(env).webhookSecrets);
  if (!check.ok) return new Response(`signature ${check.reason}`, { status: 401 });
  JSON.parse(new TextDecoder().decode(body));
  return new Response(null, { status: 202 });
}

async function elapsed(operation: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await operation();
  return performance.now() - start;
}

/** Times each handoff operation PROFILE_ROUNDS times one at a time, then as many again PROFILE_BATCH at a time. */
async function profileHandoff(request: Request, env: BenchEnv): Promise<Response> {
  const body = new Uint8Array(await request.arrayBuffer());
  const payload: unknown = JSON.parse(new TextDecoder().decode(body));
  const event = request.headers.get("x-github-event") ?? "push";
  const fresh = (): Delivery => ({ id: crypto.randomUUID(), event, action: null, installationId: null, repository: null, receivedAt: new Date().toISOString() });
  const operations: Record<string, () => Promise<unknown>> = {
    "D1 ledger insert (recordDelivery)": async () => {
      const delivery = fresh();
      await recordDelivery(env.DB, { ...delivery, instanceId: await ingestInstanceId(delivery.id) });
    },
    "Workflow create (INGEST.create)": async () => {
      const delivery = fresh();
      await env.INGEST.create({ id: await ingestInstanceId(delivery.id), params: { delivery, payload } });
    },
    "create of an empty Workflow, same params": async () => {
      const delivery = fresh();
      await env[EMPTY_WORKFLOW.binding].create({ id: await ingestInstanceId(delivery.id), params: { delivery, payload } });
    },
    [`Workflow createBatch of ${PROFILE_BATCH} (per call)`]: async () => {
      const deliveries = Array.from({ length: PROFILE_BATCH }, fresh);
      const instances = await Promise.all(deliveries.map(async (delivery) => ({ id: await ingestInstanceId(delivery.id), params: { delivery, payload } })));
      await env.INGEST.createBatch({ instances });
    },
    "R2 put of the raw body (payloadKey)": async () => {
      await env.BLOBS.put(payloadKey(crypto.randomUUID()), body);
    },
  };
  const profile: HandoffProfile = [];
  for (const [operation, run] of Object.entries(operations)) {
    // The first call of each pays one-time costs (D1 migrations, a cold binding).
    await run();
    const sequential: number[] = [];
    for (let round = 0; round < PROFILE_ROUNDS; round++) sequential.push(await elapsed(run));
    const concurrent: number[] = [];
    for (let wave = 0; wave < PROFILE_ROUNDS / PROFILE_BATCH; wave++) {
      concurrent.push(...(await Promise.all(Array.from({ length: PROFILE_BATCH }, () => elapsed(run)))));
    }
    profile.push({ operation, sequential, concurrent });
  }
  return Response.json(profile);
}

export default {
  async fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname === PROFILE_PATH) return profileHandoff(request, env);
    const variant = request.headers.get(VARIANT_HEADER);
    if (!isVariant(variant)) {
      return new Response(`repoflow bench: ${VARIANT_HEADER} must be one of ${EDGE_VARIANTS.join(", ")}.`, { status: 400 });
    }
    switch (variant) {
      case "verify-only":
        return verifyOnly(request, env);
      case "no-handoff":
        return app.fetch(request, withoutLedger(withoutWorkflow(env)), ctx);
      case "ledger-only":
        return app.fetch(request, withoutWorkflow(env), ctx);
      case "empty-workflow-only":
        return app.fetch(request, withoutLedger(withEmptyWorkflow(env)), ctx);
      case "workflow-only":
        return app.fetch(request, withoutLedger(env), ctx);
    }
  },
} satisfies ExportedHandler<BenchEnv>;
