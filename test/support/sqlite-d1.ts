/**
 * A D1Database over Node's built-in SQLite, for unit tests of dispatch code
 * that needs the store but not workerd (with the GitHub emulator on Node, say).
 * D1 is SQLite underneath, so the store's SQL runs as written; only the parts
 * of the binding the store calls are here: prepare/bind, run/first/all, batch.
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";

type Row = Record<string, unknown>;

export function sqliteD1(): D1Database {
  const db = new DatabaseSync(":memory:");
  const statement = (sql: string, values: SQLInputValue[] = []) => ({
    bind: (...bound: unknown[]) => statement(sql, bound.map((v) => (typeof v === "boolean" ? Number(v) : v ?? null)) as SQLInputValue[]),
    async run() {
      const result = db.prepare(sql).run(...values);
      return { success: true, results: [], meta: { changes: Number(result.changes), last_row_id: Number(result.lastInsertRowid) } };
    },
    async first<T = Row>(column?: string): Promise<T | null> {
      const row = db.prepare(sql).get(...values) as Row | undefined;
      if (row === undefined) return null;
      return (column === undefined ? { ...row } : row[column]) as T;
    },
    async all<T = Row>() {
      return { success: true, meta: {}, results: (db.prepare(sql).all(...values) as Row[]).map((row) => ({ ...row })) as T[] };
    },
  });
  const binding = {
    prepare: (sql: string) => statement(sql),
    async batch(statements: ReturnType<typeof statement>[]) {
      db.exec("BEGIN");
      try {
        const results = [];
        for (const s of statements) results.push(await s.run());
        db.exec("COMMIT");
        return results;
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
    },
    async exec(sql: string) {
      db.exec(sql);
      return { count: 1, duration: 0 };
    },
  };
  // The store calls only these members; the seam between Node's SQLite and the D1 type is here.
  return binding as unknown as D1Database;
}
