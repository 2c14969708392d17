export { ensureSchema } from "./schema";
export { upsertInstallation, deleteInstallation, updateRepositories, listInstallations, listRepositories } from "./installations";
export { recordDelivery, recordDeliveries, decidedDeliveriesStatement, finishDelivery, finishIngestDelivery, mergeOutcomes, getDelivery, listUnfinishedDeliveries, noteDeliveryAttempt, reopenDelivery, listDeliveries } from "./deliveries";
export type { DeliveryFilter } from "./deliveries";
export { findBundle, findBundleForCommit, linkCommit, saveBundle } from "./bundles";
export {
  loadRepoHeads,
  recordRepoHead,
  recordRepoHeadStatement,
  markRepoHeadPendingStatement,
  advanceRepoHeadStatements,
  forgetRepoHeadsStatement,
  readAppFact,
  writeAppFact,
  PENDING_SETTLES_MS,
} from "./repo-heads";
export type { RepoHead, HeadSighting } from "./repo-heads";
export {
  insertRun,
  markRunStarted,
  finishRun,
  touchRun,
  markCheckClosed,
  listUnclosedRuns,
  recordCheckRunId,
  parkCheckRun,
  noteRunLineage,
  saveAnnotations,
  listAnnotations,
  reopenFromStep,
  failedStepOf,
  setRunProblem,
  requestCancel,
  clearCancelRequest,
  listRunsFailedWith,
  reviveRun,
  getRun,
  listRuns,
  listStalledRuns,
  startStep,
  countAttempt,
  countFailedAttempt,
  finishStep,
  listSteps,
} from "./runs";
export type { RunFilter } from "./runs";
export { expireBefore } from "./retention";
export type { Expired } from "./retention";
export { appendRunLogs, listRunLogs, MAX_LOG_BYTES_PER_RUN } from "./logs";
export type { LogLine, RunLogs } from "./logs";
export type {
  Installation,
  Repository,
  DeliveryRecord,
  DeliveryOutcome,
  OutcomeDiagnostic,
  DeliveryStatus,
  RunRecord,
  RunStatus,
  StepRecord,
  StepKind,
  StepStatus,
  BundleRecord,
} from "./types";
export { indexSchedule, overdueSchedules } from "./schedules";
export { latestBundleOf, listBundleHistory } from "./bundles";
export type { BundleHistoryEntry } from "./bundles";
export { installationOfRepository } from "./installations";
