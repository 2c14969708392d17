/**
 * The edge's cost ladder in one Worker: the same bundle as src/index.ts, with
 * `X-Bench-Variant` choosing how much of the durable handoff runs, so the
 * breakdown table can attribute the time between signature checking, the D1
 * ledger row and the Workflow create without editing src/.
 *
 * Shaped by one runtime fact: the Workflow and D1 bindings are plain objects
 * on `env`, so a variant swaps one for an in-memory stand-in and hands the
 * real request, unchanged, to the real hono app.
 */
import app from "../../src/index.ts";
import { readConfig } from "../../src/config.ts";
import { verifySignature } from "../../src/github/index.ts";

import { EDGE_VARIANTS, VARIANT_HEADER, type EdgeVariant } from "../variants.ts";

// The Workflow classes and entrypoints the bindings in wrangler.toml name.
export * from "../../src/index.ts";

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

/** HMAC over the raw bytes and JSON.parse, then 202: the floor under any webhook receiver. */
async function verifyOnly(request: Request, env: Cloudflare.Env): Promise<Response> {
  const body = new Uint8Array(await request.arrayBuffer());
  const check = await verifySignature(body, request.headers.get("x-hub-signature-256"), readConfig(env).webhookSecrets);
  if (!check.ok) return new Response(`signature ${check.reason}`, { status: 401 });
  JSON.parse(new TextDecoder().decode(body));
  return new Response(null, { status: 202 });
}

export default {
  async fetch(request: Request, env: Cloudflare.Env, ctx: ExecutionContext): Promise<Response> {
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
      case "workflow-only":
        return app.fetch(request, withoutLedger(env), ctx);
    }
  },
} satisfies ExportedHandler<Cloudflare.Env>;
