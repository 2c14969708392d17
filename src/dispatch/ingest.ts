/**
 * What the durable ingest run does with one delivery. The Workflow class in
 * src/index.ts is a thin shell over runIngest, so tests drive this with a
 * fake step. Every step body is idempotent: a step interrupted by a process
 * death runs again on resume (measured: at-least-once).
 */
import { deleteInstallation, finishDelivery, updateRepositories, upsertInstallation } from "../store";
import type { IngestParams } from "./types";

export interface IngestEnv {
  DB: D1Database;
  BLOBS: R2Bucket;
}

/** The part of Cloudflare's WorkflowStep that ingest uses, typed structurally. */
export interface StepLike {
  do<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export class MissingPayloadError extends Error {
  override readonly name = "MissingPayloadError";
  constructor(key: string) {
    super(`repoflow: the stored payload ${key} is gone from the BLOBS bucket. Redeliver the webhook from the GitHub App's "Advanced" settings.`);
  }
}

export async function runIngest(env: IngestEnv, params: IngestParams, step: StepLike): Promise<{ event: string; handled: string[] }> {
  const { delivery } = params;
  const payload = "payload" in params ? params.payload : await loadPayload(env.BLOBS, params.payloadKey);
  const handled: string[] = [];

  if (delivery.event === "installation" || delivery.event === "installation_repositories") {
    await step.do("sync installation", () => syncInstallation(env.DB, delivery.event, payload as InstallationPayload));
    handled.push("installation");
  }

  await step.do("mark processed", () => finishDelivery(env.DB, delivery.id, "processed"));
  return { event: delivery.action ? `${delivery.event}.${delivery.action}` : delivery.event, handled };
}

async function loadPayload(blobs: R2Bucket, key: string): Promise<unknown> {
  const object = await blobs.get(key);
  if (!object) throw new MissingPayloadError(key);
  return object.json();
}

interface RepositoryRef {
  id: number;
  full_name: string;
  private: boolean;
}

/** The fields of installation and installation_repositories payloads that the store keeps. */
interface InstallationPayload {
  action: string;
  installation: {
    id: number;
    account: { login?: string; slug?: string; type?: string } | null;
    repository_selection?: string;
    suspended_at?: string | null;
    target_type?: string;
  };
  repositories?: RepositoryRef[];
  repositories_added?: RepositoryRef[];
  repositories_removed?: Pick<RepositoryRef, "id">[];
}

async function syncInstallation(db: D1Database, event: string, payload: InstallationPayload): Promise<void> {
  const { installation } = payload;
  if (event === "installation" && payload.action === "deleted") {
    await deleteInstallation(db, installation.id);
    return;
  }
  await upsertInstallation(db, {
    id: installation.id,
    // Enterprise installations have a slug instead of a login.
    accountLogin: installation.account?.login ?? installation.account?.slug ?? String(installation.id),
    accountType: installation.account?.type ?? installation.target_type ?? "unknown",
    repositorySelection: installation.repository_selection ?? null,
    suspendedAt: installation.suspended_at ?? null,
  });
  const toRepo = (repo: RepositoryRef) => ({ id: repo.id, fullName: repo.full_name, private: repo.private });
  const added = [...(payload.repositories ?? []), ...(payload.repositories_added ?? [])].map(toRepo);
  const removed = (payload.repositories_removed ?? []).map((repo) => repo.id);
  await updateRepositories(db, installation.id, { added, removed });
}
