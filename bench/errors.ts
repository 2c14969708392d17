/**
 * One named error per way the bench can fail. The bench is a report, so a
 * goal it misses is printed, never thrown; these are for the cases where the
 * figures would be meaningless: a target that did not start, answered
 * non-2xx, or skipped the path under test. Each message ends in the fix.
 */

export class BenchConfigError extends Error {
  override readonly name = "BenchConfigError";
  constructor(variable: string, value: string, expected: string) {
    super(`repoflow: ${variable}="${value}" is not ${expected}. Set it to such a number, or unset it for the default.`);
  }
}

export class BuildError extends Error {
  override readonly name = "BuildError";
  constructor(what: string, detail: string) {
    super(`repoflow: the bench could not bundle ${what}: ${detail}\nFix the build error above; \`npx wrangler deploy --dry-run\` shows the same bundling step alone.`);
  }
}

export class TargetStartError extends Error {
  override readonly name = "TargetStartError";
  constructor(target: string, detail: string) {
    super(`repoflow: bench target "${target}" did not start: ${detail}\nRun that target alone (see bench/README.md) to see its own log.`);
  }
}

export class TargetAnswerError extends Error {
  override readonly name = "TargetAnswerError";
  constructor(target: string, detail: string) {
    super(`repoflow: bench target "${target}" ${detail}\nEvery request must be answered 2xx for its figures to mean anything; fix the target (its log is above) and run the bench again.`);
  }
}

export class PathSkippedError extends Error {
  override readonly name = "PathSkippedError";
  constructor(target: string, detail: string) {
    super(`repoflow: bench target "${target}" answered 2xx without taking the path under test: ${detail}\nCheck that each request carries a fresh X-GitHub-Delivery and a known X-GitHub-Event.`);
  }
}
