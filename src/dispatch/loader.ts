/**
 * Builds a run's Dynamic Worker from its pinned bundle.
 *
 * The loader id is `installation/owner/repo@bundleHash` (invariant 3 and 4):
 * LOADER.get caches isolates by id within a process, so an id without the
 * hash would serve stale code to new runs and finish old runs on new code
 * (measured). The callback may run any number of times (after eviction or a
 * restart); it reads the immutable artifact, so it always returns identical
 * code for the same id.
 *
 * The tenant gets no bindings (`env: {}`), so there is no token, Workflow
 * binding or database to find there; all egress goes through the gateway.
 * A gateway is fixed per Dynamic Worker, so runs get one Worker per
 * permission set (`…@bundleHash~contents=read,…`): a workflow's code shares
 * an isolate only with workflows that may do exactly as much. The control
 * entrypoint (describe(), `if`, lane keys) gets a Worker with no egress.
 */
import { exports } from "cloudflare:workers";
import type { Permissions } from "../runtime";
import { readArtifact } from "./artifacts";

export const TENANT_COMPATIBILITY_DATE = "2026-11-01";

/** CPU per invocation of tenant code: ends endless loops; generous for real work, which waits on I/O. */
export const TENANT_CPU_MS = 5_000;

export interface TenantRef {
  installationId: number;
  repository: string;
  bundleHash: string;
  /** A run's token permissions; null for the control entrypoint (no egress); absent for runs from before declarations. */
  permissions?: Permissions | null;
}

export interface LoaderEnv {
  LOADER: WorkerLoader;
  BLOBS: R2Bucket;
}

export function tenantWorkerId(ref: TenantRef): string {
  const base = `${ref.installationId}/${ref.repository}@${ref.bundleHash}`;
  if (ref.permissions === undefined) return base;
  if (ref.permissions === null) return `${base}~control`;
  return `${base}~${Object.keys(ref.permissions).sort().map((name) => `${name}=${ref.permissions![name]}`).join(",")}`;
}

export function loadTenant(env: LoaderEnv, ref: TenantRef): WorkerStub {
  return env.LOADER.get(tenantWorkerId(ref), async () => {
    const artifact = await readArtifact(env.BLOBS, ref.bundleHash);
    return {
      compatibilityDate: TENANT_COMPATIBILITY_DATE,
      // AsyncLocalStorage only, to attribute console output to runs; no other Node APIs.
      compatibilityFlags: ["nodejs_als"],
      mainModule: "host.js",
      modules: artifact.modules,
      env: {},
      globalOutbound: exports.GitHubGateway({
        props: { installationId: ref.installationId, repository: ref.repository, ...(ref.permissions === undefined ? {} : { permissions: ref.permissions }) },
      }),
      limits: { cpuMs: TENANT_CPU_MS },
    };
  });
}
