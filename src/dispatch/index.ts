export { acceptDelivery, ingestInstanceId, payloadKey } from "./delivery";
export type { AcceptEnv } from "./delivery";
export { acceptIntoInbox, createInboxSchema, drainInbox, inboxHolds, inboxName, rearmInbox, INBOX_SHARDS } from "./inbox";
export { runIngest, MissingPayloadError, OWN_ECHO } from "./ingest";
export type { IngestEnv, IngestOutcome } from "./ingest";
export { INGEST_RETRY_LIMIT, INGEST_STEP_CONFIG, ingestRetryDelayMs } from "./ingest-retries";
export type { EngineIngestStep, StepLike } from "./ingest-retries";
export { executeRun } from "./execute-run";
export type { RunEnv, RunEvent } from "./execute-run";
export { gatewayFetch } from "./gateway";
export type { GatewayProps } from "./gateway";
export { recoverNow, recoveryCoordinator, recoveryDue } from "./recovery-schedule";
export type { RecoveryReport } from "./recovery";
export { recoverStranded, KICK_EVENT_TYPE, INSTANCE_GONE, ORPHAN_AFTER_MS } from "./recovery";
export { lookUpInstance, isInstanceNotFound } from "./engine";
export { tenantWorkerId, loadTenant } from "./loader";
export type { Arrival, ControlParams, Delivery, IngestParams, AcceptOutcome, RunMetadata, BundleArtifact } from "./types";
export {
  cancelRun,
  cancelInstanceId,
  rerunRun,
  rerunFromFailedStep,
  NoFailedStepError,
  runCancel,
  redeliverDelivery,
  RunNotFoundError,
  EventUnavailableError,
  DeliveryNotFoundError,
  DeliveryNotFailedError,
  DeliveryUnavailableError,
} from "./controls";
export type { ControlStep, CancelOutcome } from "./controls";
export type { ControlEnv } from "./controls";
export { applyRetention } from "./retention";
export type { RetentionReport } from "./retention";
export { createWaitSchema, waitOfButton, offerEvent, offerEvents, claimWaits, registerWait, forgetRun, pruneWaits, PRUNE_EVERY_MS } from "./wait-registry";
export type { WaitCandidate, Claimed, Registration, Registered } from "./wait-registry";
export type { EventFacts } from "./event-facts";
export { createSchedulerSchema, applySchedules, fireDueTicks, fireNow, schedulerOf } from "./scheduler";
export type { SchedulerState, ScheduleEntry, DueTick } from "./scheduler";
export { requestManualRun, fireScheduleNow, UnknownRepositoryError, NotRunnableError, BadInputsError } from "./manual-runs";
export { createLaneSchema, supersede, enterLane, leaveLane, leaveAll, absorb, startDueDebounces } from "./lanes";
export type { DebouncedStart } from "./lanes";
export { startDebouncedRun } from "./start-runs";
export { withAuthorFrames } from "./failure-text";
