export { RUNTIME_MODULES, RUNTIME_VERSION } from "./generated/modules";
export { STACK_MARKER } from "./host-protocol";
export type { RunParams, TriggerContext, WorkflowManifestEntry, DescribeResult } from "./types";
