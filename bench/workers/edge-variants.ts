/**
 * The edge's cost ladder in one Worker: the same bundle as src/index.ts, with
 * `X-Bench-Variant` choosing how much of the durable handoff runs, so the
 * breakdown table can attribute the time between signature checking, the
 * route and the inbox write without editing src/. PROFILE_PATH times the
 * handoff's single operations from inside the Worker, one at a time and ten
 * at a time, which tells a slow operation from a serialized one.
 *
 * Shaped by three runtime facts: bindings are plain objects on `env`, so a
 * variant swaps one for an in-memory stand-in and hands the real request,
 * unchanged, to the real hono app; the inbox drains from its Durable Object
 * alarm, in the same workerd process as the request, so the bench binds
 * `INBOX` to a subclass whose alarm does nothing (HOLDING_INBOX_CLASS) to
 * measure the acknowledgement without the drain competing for the thread;
 * and a Worker's clock only advances across I/O, which is what the profile times.
 */
import app, { DeliveryInbox } from "../../src/index.ts";
import { readConfig } from "../../src/config.ts";
import { verifySignature } from "../../src/github/index.ts";
import { acceptDelivery, inboxName, ingestInstanceId, payloadKey, type AcceptOutcome, type Arrival, type Delivery } from "../../src/dispatch/index.ts";
import { recordDeliveries } from "../../src/store/index.ts";
import { EDGE_VARIANTS, PROFILE_BATCH, PROFILE_PATH, PROFILE_ROUNDS, VARIANT_HEADER, type EdgeVariant, type HandoffProfile } from "../variants.ts";

// The Workflow classes, entrypoints and Durable Object wrangler.toml names.
export * from "../../src/index.ts";

/** HOLDING_INBOX_CLASS: the real accept(), and an alarm that leaves every delivery pending. */
export class BenchHoldingInbox extends DeliveryInbox {
  protected override async drain(): Promise<void> {}

  /** The `inbox-rpc-only` rung: the same call into the same object, answered before anything is stored. */
  acceptNothing(_arrival: Arrival): AcceptOutcome {
    return "accepted";
  }
}

/** The real shard, called through acceptNothing: one env per env, as for the stub below. */
const rpcOnlyEnvs = new WeakMap<Cloudflare.Env, Cloudflare.Env>();
function withInboxRpcOnly(env: Cloudflare.Env): Cloudflare.Env {
  let wrapped = rpcOnlyEnvs.get(env);
  if (!wrapped) {
    const namespace = {
      idFromName: (name: string) => env.INBOX.idFromName(name),
      get: (id: DurableObjectId) => {
        const shard = env.INBOX.get(id) as unknown as { acceptNothing(arrival: Arrival): Promise<AcceptOutcome> };
        return { accept: (arrival: Arrival) => shard.acceptNothing(arrival) };
      },
    };
    wrapped = { ...env, INBOX: namespace as unknown as Cloudflare.Env["INBOX"] };
    rpcOnlyEnvs.set(env, wrapped);
  }
  return wrapped;
}

function isVariant(value: string | null): value is EdgeVariant {
  return (EDGE_VARIANTS as readonly (string | null)[]).includes(value);
}

/** Answers like the inbox namespace, remembering delivery ids in this isolate only; nothing is ever pending, so recovery's poke finds none. */
const seenInMemory = new Set<string>();
const inMemoryInbox = {
  idFromName(name: string) {
    return name;
  },
  get() {
    return {
      async accept(arrival: Arrival): Promise<AcceptOutcome> {
        if (seenInMemory.has(arrival.delivery.id)) return "duplicate";
        seenInMemory.add(arrival.delivery.id);
        return "accepted";
      },
      async rearm(): Promise<number> {
        return 0;
      },
    };
  },
};

// The stand-in implements only what acceptDelivery calls; the cast sits at
// this one seam, where the real namespace type is far wider.
// One stubbed env per real env, as workerd hands one env to every request: a new object per
// request would miss every cache keyed by the env (the private key's check among them) and
// time those instead of the route.
const stubbedEnvs = new WeakMap<Cloudflare.Env, Cloudflare.Env>();
const withInboxInMemory = (env: Cloudflare.Env): Cloudflare.Env => {
  let stubbed = stubbedEnvs.get(env);
  if (!stubbed) {
    stubbed = { ...env, INBOX: inMemoryInbox as unknown as Cloudflare.Env["INBOX"] };
    stubbedEnvs.set(env, stubbed);
  }
  return stubbed;
};

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

/**
 * Times each handoff operation PROFILE_ROUNDS times one at a time, then as
 * many again PROFILE_BATCH at a time. The request's own write comes first;
 * the drain's operations follow, Workflow creates last, since the ingest runs
 * they start would slow whatever is timed after them.
 */
async function profileHandoff(request: Request, env: Cloudflare.Env): Promise<Response> {
  const body = new Uint8Array(await request.arrayBuffer());
  const text = new TextDecoder().decode(body);
  const payload: unknown = JSON.parse(text);
  const event = request.headers.get("x-github-event") ?? "push";
  const fresh = (): Delivery => ({ id: crypto.randomUUID(), event, action: null, installationId: null, repository: null, receivedAt: new Date().toISOString() });
  const instances = (count: number) =>
    Promise.all(Array.from({ length: count }, fresh).map(async (delivery) => ({ id: await ingestInstanceId(delivery.id), params: { delivery, payload } })));
  const operations: Record<string, () => Promise<unknown>> = {
    "request: INBOX accept, delivery's own shard (acceptDelivery)": async () => {
      const delivery = fresh();
      await acceptDelivery(env, delivery, { bytes: body, text }, inboxName(delivery));
    },
    "request: INBOX accept, all into one shard": async () => {
      await acceptDelivery(env, fresh(), { bytes: body, text }, "inbox-bench-one-shard");
    },
    "request: R2 put of the raw body (bodies over 900 KiB only)": async () => {
      await env.BLOBS.put(payloadKey(crypto.randomUUID()), body);
    },
    [`drain: D1 ledger rows for ${PROFILE_BATCH} (recordDeliveries, per call)`]: async () => {
      const items = await instances(PROFILE_BATCH);
      await recordDeliveries(
        env.DB,
        items.map(({ id, params }) => ({ ...params.delivery, instanceId: id })),
      );
    },
    [`drain: Workflow createBatch of ${PROFILE_BATCH} (per call)`]: async () => {
      await env.INGEST.createBatch(await instances(PROFILE_BATCH));
    },
    "old in-request handoff: one Workflow create": async () => {
      const [item] = await instances(1);
      await env.INGEST.create(item);
    },
  };
  const profile: HandoffProfile = [];
  for (const [operation, run] of Object.entries(operations)) {
    // The first call of each pays one-time costs (D1 migrations, a cold binding, a new Durable Object).
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
  async fetch(request: Request, env: Cloudflare.Env, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname === PROFILE_PATH) return profileHandoff(request, env);
    const variant = request.headers.get(VARIANT_HEADER);
    if (!isVariant(variant)) {
      return new Response(`repoflow bench: ${VARIANT_HEADER} must be one of ${EDGE_VARIANTS.join(", ")}.`, { status: 400 });
    }
    switch (variant) {
      case "verify-only":
        return verifyOnly(request, env);
      case "inbox-stubbed":
        return app.fetch(request, withInboxInMemory(env), ctx);
      case "inbox-rpc-only":
        return app.fetch(request, withInboxRpcOnly(env), ctx);
      case "inbox-held":
        return app.fetch(request, env, ctx);
    }
  },
} satisfies ExportedHandler<Cloudflare.Env>;
