export { acceptDelivery, ingestInstanceId, payloadKey } from "./delivery";
export type { AcceptEnv } from "./delivery";
export { runIngest, MissingPayloadError } from "./ingest";
export type { IngestEnv, StepLike } from "./ingest";
export type { Delivery, IngestParams, AcceptOutcome } from "./types";
