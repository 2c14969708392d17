/**
 * Retention (RETENTION_DAYS, default 30): the scheduled pass deletes finished
 * runs with their steps and logs, deliveries no run needs with their stored
 * payloads, and bundles no run is pinned to with their artifacts. The store
 * decides what is expired (store/retention.ts), never anything a live or
 * sleeping run needs; this deletes the R2 objects that go with it.
 */
import { readConfig, type ConfigEnv } from "../config";
import { expireBefore } from "../store";
import { artifactKey } from "./artifacts";
import { payloadKey } from "./delivery";

export interface RetentionEnv extends ConfigEnv {
  DB: D1Database;
  BLOBS: R2Bucket;
}

export interface RetentionReport {
  runs: number;
  payloads: number;
  bundles: number;
}

export async function applyRetention(env: RetentionEnv, now = Date.now()): Promise<RetentionReport> {
  const cutoff = new Date(now - readConfig(env).retentionDays * 86_400_000);
  const expired = await expireBefore(env.DB, cutoff);
  const payloads = expired.deliveryIds.map(payloadKey);
  const artifacts = expired.bundleHashes.map(artifactKey);
  // R2 deletes up to 1,000 keys per call.
  for (let i = 0; i < payloads.length; i += 1000) await env.BLOBS.delete(payloads.slice(i, i + 1000));
  for (let i = 0; i < artifacts.length; i += 1000) await env.BLOBS.delete(artifacts.slice(i, i + 1000));
  return { runs: expired.runs, payloads: payloads.length, bundles: artifacts.length };
}
