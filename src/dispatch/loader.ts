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
 */
import { exports } from "cloudflare:workers";
import { readArtifact } from "./artifacts";

export const TENANT_COMPATIBILITY_DATE = "2026-11-01";

/** CPU per invocation of tenant code: ends endless loops; generous for real work, which waits on I/O. */
export const TENANT_CPU_MS = 5_000;

export interface TenantRef {
  installationId: number;
  repository: string;
  bundleHash: string;
}

export interface LoaderEnv {
  LOADER: WorkerLoader;
  BLOBS: R2Bucket;
}

export function tenantWorkerId(ref: TenantRef): string {
  return `${ref.installationId}/${ref.repository}@${ref.bundleHash}`;
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
      globalOutbound: exports.GitHubGateway({ props: { installationId: ref.installationId, repository: ref.repository } }),
      limits: { cpuMs: TENANT_CPU_MS },
    };
  });
}
