/**
 * The emulator's public types: what tests, `npm run dev` and the demo seed it
 * with and read back from it. Other rooms code against these names; change
 * them only together with every caller.
 */

export interface EmulatorOptions {
  /** 0 (default) = a free port. The server binds 127.0.0.1 only. */
  port?: number;
  /** Default "1". JWTs must carry it as `iss`. */
  appId?: string;
  /** PEM (SPKI or PKCS#1). When given, app JWTs are verified (RS256, iss = appId, iat/exp window ≤ 10 min like GitHub); when absent, only their shape is checked. */
  appPublicKey?: string;
  /** Default "repoflow"; the app's comments are authored by `${appSlug}[bot]`. */
  appSlug?: string;
  /** What every installation grants. Default: metadata read; contents, checks, issues, pull_requests write. */
  permissions?: Record<string, "read" | "write">;
  /** Called after each request is answered, with the violations it added (the CLI logs through it). */
  onRequest?: (request: RecordedRequest, violations: string[]) => void;
}

export interface RepoSeed {
  /** "owner/name" */
  fullName: string;
  installationId: number;
  /** Default "main". */
  defaultBranch?: string;
  /** path -> utf8 content, the initial commit (applied over `dir` when both are given). */
  files?: Record<string, string>;
  /** Or: load every file under this directory (recursively) as the initial commit; executable bits and symlinks are kept. */
  dir?: string;
  /** Git modes for paths of `files`: "100755" executable, "120000" symlink (content = target), "160000" submodule (content = the submodule's commit sha). */
  modes?: Record<string, "100644" | "100755" | "120000" | "160000">;
  /** Default true: an App's repositories are usually private, and then a token that may not see a repo gets GitHub's 404. */
  private?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Percent-decoded path, without the query. */
  path: string;
  query: Record<string, string>;
  /** Lowercased names. */
  headers: Record<string, string>;
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  status: number;
  operationId: string | null;
}

export interface AnnotationState {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
  raw_details?: string;
}

export interface CheckRunState {
  id: number;
  name: string;
  head_sha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  started_at: string;
  completed_at: string | null;
  external_id: string;
  details_url: string | null;
  output: { title: string | null; summary: string | null; text: string | null; annotations: AnnotationState[] };
  actions: { label: string; description: string; identifier: string }[];
}

export interface IssueSeed {
  number: number;
  title: string;
  body?: string;
  /** Login of the author; default "octocat". */
  user?: string;
  labels?: string[];
}

export interface PullRequestSeed {
  number: number;
  title: string;
  /** Head branch in the same repository; created from the default branch's head when missing (then `commit(…, branch)` adds to it). */
  head: string;
  /** Base branch; must exist. */
  base: string;
  draft?: boolean;
  /** Login of the author; default "octocat". */
  user?: string;
  body?: string;
}

export interface FailureResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface Emulator {
  /** "http://127.0.0.1:PORT" */
  url: string;
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** Every request the real API would reject for its own sake (endpoint, auth, schema, limits), explained; empty = clean. */
  violations: string[];
  /** Creates or replaces the repo, returns the head commit sha. */
  addRepo(seed: RepoSeed): { sha: string };
  /** New commit on the default branch (or `branch`, created from the default head if new); null deletes a path. */
  commit(fullName: string, files: Record<string, string | null>, message?: string, branch?: string): { sha: string };
  headSha(fullName: string, branch?: string): string;
  /** Current state of every check run, in creation order. */
  checkRuns(fullName: string): CheckRunState[];
  comments(fullName: string, issueNumber: number): { id: number; body: string; user: string }[];
  labels(fullName: string, issueNumber: number): string[];
  /** Reaction contents ("+1", "eyes", …) on an issue or on an issue comment. */
  reactions(fullName: string, target: { issue: number } | { comment: number }): string[];
  openIssue(fullName: string, seed: IssueSeed): void;
  openPullRequest(fullName: string, seed: PullRequestSeed): void;
  /** The next `times` (default 1) requests matching answer `response` instead; a string path matches exactly, a RegExp is tested on the path. */
  failNext(match: { method?: string; path: RegExp | string }, response: FailureResponse, times?: number): void;
  /** Forget requests and violations (keeps repos). */
  reset(): void;
  close(): Promise<void>;
}
