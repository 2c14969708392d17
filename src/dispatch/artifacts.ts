/**
 * Bundles in R2, by content hash. Written once and never changed, so any
 * process can rebuild a run's Dynamic Worker from it months later.
 */
import type { BundleArtifact } from "./types";

export class BundleMissingError extends Error {
  override readonly name = "BundleMissingError";
  constructor(hash: string) {
    super(`repoflow: bundle ${hash} is missing from the BLOBS bucket, so runs pinned to it cannot resume. Restore the object bundles/${hash}.json.`);
  }
}

export function artifactKey(hash: string): string {
  return `bundles/${hash}.json`;
}

export async function putArtifact(blobs: R2Bucket, artifact: BundleArtifact): Promise<void> {
  // Content-addressed: an object already under this key holds the same bytes.
  if (await blobs.head(artifactKey(artifact.hash))) return;
  await blobs.put(artifactKey(artifact.hash), JSON.stringify(artifact), { httpMetadata: { contentType: "application/json" } });
}

export async function readArtifact(blobs: R2Bucket, hash: string): Promise<BundleArtifact> {
  const object = await blobs.get(artifactKey(hash));
  if (!object) throw new BundleMissingError(hash);
  return object.json<BundleArtifact>();
}
