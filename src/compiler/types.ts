/**
 * The compiler's boundary types: what dispatch hands in (a repository's `.workflows/`
 * files at one commit) and what it gets back (one content-addressed ESM bundle, or
 * diagnostics a check run can annotate). Positions are 1-based and count UTF-16 code
 * units, as editors, GitHub annotations and V8 stack traces do; esbuild reports 0-based
 * byte columns, which the compiler converts.
 */
import type { build } from "esbuild";

/** One file of the repository, its path repo-relative: `.workflows/nudge.ts`. */
export interface SourceFile {
  path: string;
  content: string;
}

/**
 * A problem found in the repository's workflow code. `file` is repo-relative, or
 * `.workflows` for a problem of the tree as a whole (no workflows, too many files).
 * The range is inclusive: `endColumn` is the column of its last character.
 */
export interface Diagnostic {
  file: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  message: string;
  severity: "error" | "warning";
}

export interface CompileLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  maxBundleBytes: number;
}

/**
 * The compiled repository. `code` is the `bundle.js` module of the tenant's Dynamic
 * Worker: it imports `./repoflow.js` and exports `workflows`, keyed by repo path.
 * `hash` addresses it (see contentHash); `bytes` is the UTF-8 size of `code`.
 */
export interface Bundle {
  hash: string;
  code: string;
  workflowFiles: string[];
  bytes: number;
}

/** `diagnostics` holds only warnings when `ok` is true. */
export type CompileResult =
  | { ok: true; bundle: Bundle; diagnostics: Diagnostic[] }
  | { ok: false; hash: string; diagnostics: Diagnostic[] };

/** An initialized esbuild: esbuild-wasm inside workerd, native esbuild in Node tests and benchmarks. */
export interface EsbuildLike {
  build: typeof build;
}

/** Where a position in `bundle.js` came from in the repository. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}
