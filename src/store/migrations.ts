/**
 * The D1 schema as an ordered list of migrations, applied by the Worker itself
 * (see schema.ts) so `npm run dev` and a fresh deploy need no separate migrate
 * step. Append only: a shipped migration never changes.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "installations, repositories, deliveries",
    statements: [
      `CREATE TABLE installations (
        id INTEGER PRIMARY KEY,
        account_login TEXT NOT NULL,
        account_type TEXT NOT NULL,
        repository_selection TEXT,
        suspended_at TEXT,
        updated_at TEXT NOT NULL
      )`,
      `CREATE TABLE repositories (
        id INTEGER PRIMARY KEY,
        installation_id INTEGER NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
        full_name TEXT NOT NULL,
        private INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX repositories_by_installation ON repositories(installation_id)`,
      `CREATE INDEX repositories_by_name ON repositories(full_name)`,
      `CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        instance_id TEXT NOT NULL,
        event TEXT NOT NULL,
        action TEXT,
        installation_id INTEGER,
        repository TEXT,
        received_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('accepted', 'processed', 'failed')),
        processed_at TEXT,
        error TEXT
      )`,
      `CREATE INDEX deliveries_by_status ON deliveries(status, received_at)`,
    ],
  },
  {
    version: 2,
    name: "bundles, runs, run steps",
    statements: [
      // One row per compiled .workflows tree. source_key is derived from the git tree
      // sha plus compiler and runtime versions, so an unchanged tree is found without
      // downloading a single blob; hash names the immutable artifact in R2.
      `CREATE TABLE bundles (
        source_key TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        ok INTEGER NOT NULL,
        manifest TEXT NOT NULL,
        diagnostics TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        repository TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        installation_id INTEGER NOT NULL,
        repository TEXT NOT NULL,
        workflow_file TEXT NOT NULL,
        workflow_name TEXT NOT NULL,
        event TEXT NOT NULL,
        action TEXT,
        delivery_id TEXT NOT NULL,
        bundle_hash TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        head_sha TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        check_run_id INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL
      )`,
      `CREATE INDEX runs_by_repository ON runs(repository, created_at)`,
      `CREATE INDEX runs_by_status ON runs(status, updated_at)`,
      `CREATE INDEX runs_by_repository_status ON runs(repository, status)`,
      `CREATE TABLE run_steps (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('do', 'sleep', 'wait')),
        position INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'sleeping', 'waiting', 'succeeded', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        output_bytes INTEGER,
        error TEXT,
        wait_for TEXT,
        wake_at TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        PRIMARY KEY (run_id, name)
      )`,
    ],
  },
  {
    version: 3,
    name: "run logs",
    statements: [
      // console output of tenant code, per run, capped (see logs.ts).
      `CREATE TABLE run_logs (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        level TEXT NOT NULL,
        step TEXT,
        message TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      )`,
      `ALTER TABLE runs ADD COLUMN log_bytes INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE runs ADD COLUMN logs_capped INTEGER NOT NULL DEFAULT 0`,
    ],
  },
  {
    version: 4,
    name: "bundle per commit",
    statements: [
      // Which bundle a default-branch commit resolved to: an event on an unchanged HEAD
      // needs no tree listing at all.
      `CREATE TABLE bundle_commits (
        repository TEXT NOT NULL,
        commit_sha TEXT NOT NULL,
        source_key TEXT NOT NULL REFERENCES bundles(source_key),
        PRIMARY KEY (repository, commit_sha)
      )`,
    ],
  },
  {
    version: 5,
    name: "run problems, cancel requests, ingest attempts",
    statements: [
      // What went wrong around a run that is not the run's own outcome: a check run GitHub refused
      // or that could not be completed, a cancel that could not stop the engine. Shown, never hidden.
      `ALTER TABLE runs ADD COLUMN problem TEXT`,
      // Set when a person asks to cancel; the row says cancelled only once the engine confirms it stopped.
      `ALTER TABLE runs ADD COLUMN cancel_requested_at TEXT`,
      // An ingest still being retried says why: its latest failed attempt.
      `ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE deliveries ADD COLUMN last_error TEXT`,
      // Failed attempts per step: the author's retry budget, which a process death must not use up.
      `ALTER TABLE run_steps ADD COLUMN failures INTEGER NOT NULL DEFAULT 0`,
      // Whether the check run says the row's outcome yet: a finished row whose close was cut short is
      // what recovery looks for. Rows from before this column count as closed.
      `ALTER TABLE runs ADD COLUMN check_closed INTEGER NOT NULL DEFAULT 1`,
      `CREATE INDEX runs_unclosed ON runs(check_closed, updated_at)`,
    ],
  },
  {
    version: 6,
    name: "parked check runs, schedules, run lineage",
    statements: [
      // A "report" run that sleeps or waits completes its check run as neutral (so it never holds a merge)
      // and opens a new one when it resumes: while parked, the row has no open check run.
      `ALTER TABLE runs ADD COLUMN check_parked INTEGER NOT NULL DEFAULT 0`,
      // Debounce and concurrency: which events a run absorbed, which runs it superseded or was superseded by.
      `ALTER TABLE runs ADD COLUMN lineage TEXT`,
      // A wait's check-run button ({ label, identifier } as JSON), shown on the check run while the step waits.
      `ALTER TABLE run_steps ADD COLUMN button TEXT`,
      // A workflow's own check-run annotations (step.annotate), sent with the check run that says the outcome.
      `CREATE TABLE run_annotations (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step TEXT NOT NULL,
        position INTEGER NOT NULL,
        annotation TEXT NOT NULL,
        PRIMARY KEY (run_id, step, position)
      )`,
      // Each repository's scheduler (a Durable Object) and its next tick: recovery pokes the overdue ones,
      // so a tick whose alarm a restart lost still fires.
      `CREATE TABLE schedule_index (
        repository TEXT PRIMARY KEY,
        installation_id INTEGER NOT NULL,
        next_at INTEGER
      )`,
      `CREATE INDEX schedule_index_due ON schedule_index(next_at)`,
    ],
  },
  {
    version: 7,
    name: "delivery outcomes",
    statements: [
      // What processing a delivery did (JSON: runs started and woken, the bundle and its diagnostics, why
      // nothing), so replay and the dashboard can say it instead of "no workflow matched".
      `ALTER TABLE deliveries ADD COLUMN outcome TEXT`,
    ],
  },
  {
    version: 8,
    name: "step outputs, run results, step notes",
    statements: [
      // A preview of each step's result (JSON, cut at OUTPUT_PREVIEW_CHARS) and of the run's return value, for the run page.
      `ALTER TABLE run_steps ADD COLUMN output TEXT`,
      `ALTER TABLE runs ADD COLUMN result TEXT`,
      // What the step's status does not say: a sleep --skip-sleeps skipped.
      `ALTER TABLE run_steps ADD COLUMN note TEXT`,
    ],
  },
  {
    version: 9,
    name: "the default branch's bundle per repository",
    statements: [
      // What the inbox decides with before any Workflow exists (src/dispatch/triage.ts): the bundle of
      // the default branch's HEAD as ingest last saw it, by lower-cased repository name. observed_at (ms)
      // and observed_from ('push' or 'github') order writes (store/repo-heads.ts), so a slow ingest or a
      // lagging read of GitHub never puts an older HEAD back; pending_sha is the newest push to the default
      // branch that changed (or may have changed) .workflows/ and whose bundle nobody has built yet: while
      // it is set, every event of the repository goes to ingest, which resolves HEAD itself.
      `CREATE TABLE repo_heads (
        repository TEXT PRIMARY KEY,
        installation_id INTEGER NOT NULL,
        commit_sha TEXT NOT NULL,
        source_key TEXT,
        observed_at INTEGER NOT NULL,
        observed_from TEXT NOT NULL,
        pending_sha TEXT,
        pending_at INTEGER,
        confirmed_at INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      // What ingest learned about the App itself that the inbox needs to recognise its own events
      // without calling GitHub: its bot's login.
      `CREATE TABLE app_facts (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL)`,
    ],
  },
];
