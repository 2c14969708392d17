/**
 * Console output of a run's tenant code. Capped per run so a chatty or
 * hostile workflow cannot fill the database; the run row says when the cap
 * cut lines off, so the dashboard can say so.
 */
import { ensureSchema } from "./schema";

export const MAX_LOG_BYTES_PER_RUN = 256 * 1024;
export const MAX_LOG_LINE_CHARS = 4096;

export interface LogLine {
  level: "log" | "info" | "warn" | "error" | "debug";
  message: string;
  step: string | null;
  at: string;
}

export interface RunLogs {
  lines: (LogLine & { seq: number })[];
  capped: boolean;
}

/** Appends what fits under the cap. The first line the cap refuses becomes a marker saying so, and the run is marked capped. */
export async function appendRunLogs(db: D1Database, runId: string, lines: readonly LogLine[], options: { capped?: boolean } = {}): Promise<void> {
  if (lines.length === 0 && !options.capped) return;
  await ensureSchema(db);
  const row = await db
    .prepare("SELECT log_bytes, logs_capped, (SELECT COALESCE(MAX(seq), 0) FROM run_logs WHERE run_id = ?) AS seq FROM runs WHERE id = ?")
    .bind(runId, runId)
    .first<{ log_bytes: number; logs_capped: number; seq: number }>();
  if (!row) return;
  let used = row.log_bytes;
  let seq = row.seq;
  let capped = options.capped === true;
  let full = Number(row.logs_capped) === 2;
  const statements: D1PreparedStatement[] = [];
  const insert = (line: LogLine, message: string) =>
    statements.push(db.prepare("INSERT OR IGNORE INTO run_logs (run_id, seq, level, step, message, at) VALUES (?, ?, ?, ?, ?, ?)").bind(runId, ++seq, line.level, line.step, message, line.at));
  for (const line of lines) {
    if (full) break;
    const message = line.message.length > MAX_LOG_LINE_CHARS ? `${line.message.slice(0, MAX_LOG_LINE_CHARS)}… (line cut at ${MAX_LOG_LINE_CHARS} characters)` : line.message;
    const size = new TextEncoder().encode(message).byteLength;
    if (used + size > MAX_LOG_BYTES_PER_RUN) {
      // Once per run, outside the budget: the reader learns where the logs stop and why.
      insert({ ...line, level: "warn" }, `repoflow: this run's logs reached ${MAX_LOG_BYTES_PER_RUN / 1024} KB; later lines are not kept.`);
      capped = true;
      full = true;
      break;
    }
    used += size;
    insert(line, message);
  }
  // logs_capped: 0 whole, 1 lines were dropped, 2 the byte budget is spent (nothing more is kept).
  const state = full ? 2 : capped ? 1 : 0;
  statements.push(db.prepare("UPDATE runs SET log_bytes = ?, logs_capped = MAX(logs_capped, ?) WHERE id = ?").bind(used, state, runId));
  await db.batch(statements);
}

export async function listRunLogs(db: D1Database, runId: string): Promise<RunLogs> {
  await ensureSchema(db);
  const [lines, run] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT seq, level, step, message, at FROM run_logs WHERE run_id = ? ORDER BY seq").bind(runId),
    db.prepare("SELECT logs_capped FROM runs WHERE id = ?").bind(runId),
  ]);
  return {
    lines: (lines?.results ?? []).map((r) => ({
      seq: Number(r.seq),
      level: r.level as LogLine["level"],
      step: (r.step as string | null) ?? null,
      message: String(r.message),
      at: String(r.at),
    })),
    capped: Number(run?.results[0]?.logs_capped ?? 0) > 0,
  };
}
