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
];
