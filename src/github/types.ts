/** Values that leave the github room: what the compiler reads and what the reporter renders. None of them holds a secret. */

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface WorkflowFile {
  /** Repository-relative, always under `.workflows/`. */
  path: string;
  content: string;
}

export interface WorkflowTreeProblem {
  path: string;
  message: string;
}

export interface WorkflowTree {
  /** The commit the files were read at. */
  sha: string;
  /** The git tree sha of `.workflows/`, which names its whole content; null when there is no such folder. */
  treeSha: string | null;
  /** True when `alreadyKnown` recognised the tree and no blob was downloaded. */
  skipped?: boolean;
  files: WorkflowFile[];
  problems: WorkflowTreeProblem[];
}

export interface WorkflowTreeLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
}

export type StepStatus = "running" | "succeeded" | "failed" | "sleeping" | "waiting";

export interface RunStepReport {
  name: string;
  status: StepStatus;
  durationMs?: number;
  attempts?: number;
  error?: string;
}

export interface RunErrorReport {
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** What the reporter knows about a run when it renders the check run. */
export interface RunReport {
  title: string;
  /** A sentence under the headline, for what the steps do not say (a parked run goes on). */
  note?: string;
  steps: RunStepReport[];
  error?: RunErrorReport;
  /** The workflow's own annotations (step.annotate), after the error's. */
  annotations?: CheckRunAnnotation[];
  /** What the run's token may do, e.g. "contents: read, issues: write, metadata: read". */
  permissions?: string;
}

export interface CheckRunAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
  annotations: CheckRunAnnotation[];
}

export interface CheckRunLimits {
  /** GitHub: summary and text are "Maximum length: 65535 characters". */
  maxSummaryChars: number;
  maxTextChars: number;
  /** GitHub: "The Checks API limits the number of annotations to a maximum of 50 per API request." */
  annotationsPerRequest: number;
}

export type CheckRunConclusion = "success" | "failure" | "cancelled" | "skipped" | "neutral";
