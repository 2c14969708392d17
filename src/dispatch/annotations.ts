/**
 * A workflow's own annotations on its check run (step.annotate), in GitHub's
 * shape. Plain data, so the check-run code (unit-tested in Node) and the
 * ReportingStep (which needs workerd) share it.
 */
export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
}

/** GitHub shows at most this many annotations of a check run in its files view; more would only cost requests. */
export const MAX_ANNOTATIONS_PER_RUN = 500;
