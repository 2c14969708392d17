/**
 * The Dynamic Worker load bench Worker: `env.LOADER.get(id, cb)` and one RPC,
 * `getEntrypoint("TenantControl").describe()`, timed around both inside the
 * Worker. POST /bundle hands it a compiled bundle once; GET /load?id=…&kind=…
 * loads either the real tenant (RUNTIME_MODULES from src/runtime/generated plus
 * that bundle, as src/dispatch/loader.ts builds it) or a trivial one-module
 * Worker with the same entrypoint, the baseline.
 *
 * Shaped by two runtime facts: LOADER.get caches isolates by id in the process,
 * so a new id is a cold load and the same id a warm one; and workerd's clock
 * advances across I/O, which the RPC into the Dynamic Worker is, so Date.now()
 * around it measures the load and the call (in whole milliseconds; the runner
 * also times the round trip from Node).
 *
 * The tenant has no gateway here (`globalOutbound: null`): describe() makes no
 * request, and the gateway is the service's export, not this Worker's.
 */
import { RUNTIME_MODULES } from "../../../src/runtime/generated/modules.ts";

interface Env {
  LOADER: WorkerLoader;
}

interface TenantControl {
  describe(): Promise<{ workflows: unknown[]; problems: unknown[] }>;
}

const TRIVIAL = `import { WorkerEntrypoint } from "cloudflare:workers";
export class TenantControl extends WorkerEntrypoint {
  async describe() { return { workflows: [], problems: [] }; }
}
export default { fetch() { return new Response("ok"); } };
`;

let bundleCode: string | undefined;

function workerCode(kind: string): WorkerLoaderWorkerCode {
  const base = { compatibilityDate: "2026-11-01", env: {}, globalOutbound: null };
  if (kind === "trivial") return { ...base, mainModule: "main.js", modules: { "main.js": TRIVIAL } };
  if (bundleCode === undefined) throw new Error("repoflow: no bundle yet. POST the compiled bundle.js to /bundle before GET /load?kind=tenant.");
  // The same shape as src/dispatch/loader.ts: the runtime's host and SDK beside the repository's bundle.
  return { ...base, compatibilityFlags: ["nodejs_als"], mainModule: "host.js", modules: { ...RUNTIME_MODULES, "bundle.js": bundleCode } };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/bundle") {
      bundleCode = await request.text();
      return Response.json({ ok: true });
    }
    if (url.pathname === "/noop") return Response.json({ ok: true });
    if (url.pathname !== "/load") return new Response("POST /bundle, GET /load?id=&kind=tenant|trivial, GET /noop", { status: 404 });
    const id = url.searchParams.get("id") ?? "";
    const kind = url.searchParams.get("kind") ?? "tenant";
    let loaded = false;
    const started = Date.now();
    const stub = env.LOADER.get(id, () => {
      loaded = true;
      return workerCode(kind);
    });
    const control = stub.getEntrypoint("TenantControl") as unknown as TenantControl;
    const described = await control.describe();
    return Response.json({ ms: Date.now() - started, loaded, workflows: described.workflows.length, problems: described.problems });
  },
} satisfies ExportedHandler<Env>;
