/**
 * The emulator's public types: what tests, `npm run dev` and the demo seed it
 * with and read back from it. Other rooms code against these names; change
 * them only together with every caller.
 */
import type { FaultSpec } from "./faults.ts";
import type { Delivery, WebhookOptions } from "./webhooks.ts";

export type { Delivery, FaultSpec, WebhookOptions };

export interface EmulatorOptions {
  /** 0 (default) = a free port. The server binds 127.0.0.1 only. */
  port?: number;
  /** Default "1". JWTs must carry it as `iss`. */
  appId?: string;
  /** PEM (SPKI or PKCS#1). When given, app JWTs are verified (RS256, iss = appId, iat/exp window ≤ 10 min like GitHub); when absent, only their shape is checked. */
  appPublicKey?: string;
  /** Default "repoflow"; the app's comments are authored by `${appSlug}[bot]`. */
  appSlug?: string;
  /** What every installation grants. Default: `default_permissions` of app.yml, what the real App asks for. */
  permissions?: Record<string, "read" | "write">;
  /** Called after each request is answered, with the violations it added (the CLI logs through it). */
  onRequest?: (request: RecordedRequest, violations: string[]) => void;
  /** Send webhooks for what happens in the emulator to this URL. Absent = no webhooks. */
  webhooks?: WebhookOptions;
  /** Called after each delivery attempt (the CLI logs through it). */
  onDelivery?: (delivery: Delivery) => void;
  /** Seeds the PRNG of faults with a `rate` (default 1), so chaos runs are reproducible. */
  faultSeed?: number;
  /** The App's OAuth client secret for `POST /login/oauth/access_token` (default "emulator-client-secret"); the client id is GET /app's `client_id`. */
  oauthClientSecret?: string;
}

/** A person acting in a test; default "octocat". */
export interface ActingUser {
  user?: string;
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
  /** Default "User". An organization's repositories carry `organization` in their webhook payloads. */
  ownerType?: "User" | "Organization";
  /** People's roles on the repository (login → role). The owner is admin without being listed; anybody else unlisted may read a public repository and nothing of a private one. */
  collaborators?: Record<string, Role>;
}

/** GitHub's repository roles, weakest first. */
export type Role = "read" | "triage" | "write" | "maintain" | "admin";

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
  /** The App's OAuth client, for a service's GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the web flow: oauth.ts). */
  oauthClient: { clientId: string; clientSecret: string };
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** Every request the real API would reject for its own sake (endpoint, auth, schema, limits), explained; empty = clean. */
  violations: string[];
  /** Creates or replaces the repo, returns the head commit sha. */
  addRepo(seed: RepoSeed): { sha: string };
  /** New commit on the default branch (or `branch`, created from the default head if new); null deletes a path. Sends `push` (and `pull_request.synchronize` for pull requests from that branch), pushed by `as.user`. */
  commit(fullName: string, files: Record<string, string | null>, message?: string, branch?: string, as?: ActingUser): { sha: string };
  headSha(fullName: string, branch?: string): string;
  /** Current state of every check run, in creation order. */
  checkRuns(fullName: string): CheckRunState[];
  comments(fullName: string, issueNumber: number): { id: number; body: string; user: string }[];
  labels(fullName: string, issueNumber: number): string[];
  /** Reaction contents ("+1", "eyes", …) on an issue or on an issue comment. */
  reactions(fullName: string, target: { issue: number } | { comment: number }): string[];
  /** Opened by `seed.user`: sends `issues.opened` (and `issues.labeled` per label). */
  openIssue(fullName: string, seed: IssueSeed): void;
  /** Opened by `seed.user`: sends `pull_request.opened`. */
  openPullRequest(fullName: string, seed: PullRequestSeed): void;
  /** The next `times` (default 1) requests matching answer `response` instead; a string path matches exactly, a RegExp is tested on the path. */
  failNext(match: { method?: string; path: RegExp | string }, response: FailureResponse, times?: number): void;
  /** Adds a fault (500/502, secondary or primary rate limit, delay, reset) aimed by method, path, `rate` and `times`; returns its id. */
  inject(fault: FaultSpec): number;
  /** Removes one fault, or every fault (including `failNext` ones) without an id. */
  clearFaults(id?: number): void;
  /** Every webhook delivery attempt so far, oldest first (redeliveries included). */
  deliveries(): Delivery[];
  /** Resolves once every webhook queued so far has been attempted. */
  webhooksSettled(): Promise<void>;
  /** A person comments (`issue_comment.created`); returns the comment id. */
  comment(fullName: string, issueNumber: number, body: string, as?: ActingUser): { id: number };
  /** A person adds a label (`issues.labeled` / `pull_request.labeled`). */
  label(fullName: string, issueNumber: number, name: string, as?: ActingUser): void;
  /** A person removes a label (`…unlabeled`). */
  unlabel(fullName: string, issueNumber: number, name: string, as?: ActingUser): void;
  /** A person submits a review (`pull_request_review.submitted`); returns the review id. */
  review(fullName: string, pullNumber: number, review: { state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED"; body?: string } & ActingUser): { id: number };
  /** A person closes an issue or pull request without merging (`issues.closed` / `pull_request.closed` with `merged: false`). */
  closeIssue(fullName: string, issueNumber: number, as?: ActingUser & { reason?: "completed" | "not_planned" }): void;
  /** A person reopens it (`…reopened`). */
  reopenIssue(fullName: string, issueNumber: number, as?: ActingUser): void;
  /** A person edits a comment (`issue_comment.edited` with `changes.body.from`); by default its author. */
  editComment(fullName: string, commentId: number, body: string, as?: ActingUser): void;
  /** A person clicks a button the App put on a check run with `actions` (`check_run.requested_action`); the identifier must be one of them. */
  clickCheckRunAction(fullName: string, checkRunId: number, identifier: string, as?: ActingUser): void;
  /** A person clicks "Re-run" on a check run (`check_run.rerequested`); the App is expected to create a new one. */
  rerequestCheckRun(fullName: string, checkRunId: number, as?: ActingUser): void;
  /**
   * CI reports a commit status, as an outside service would with its own token (the App
   * cannot: it has statuses: read): the status is stored and the `status` webhook goes out
   * with `user` (default "ci-bot") as sender.
   */
  reportStatus(fullName: string, sha: string, status: { context: string; state: "pending" | "success" | "failure" | "error"; description?: string; user?: string }): void;
  /** Gives a person a role on the repository (what `GET …/collaborators/{username}/permission` answers); no webhook. */
  setPermission(fullName: string, login: string, role: Role): void;
  /** Moves an issue or pull request and its comments `days` into the past (created_at, updated_at, closed_at, merged_at); no webhook. */
  ageIssue(fullName: string, issueNumber: number, age: { days: number }): void;
  /** Forget requests and violations (keeps repos). */
  reset(): void;
  close(): Promise<void>;
}
