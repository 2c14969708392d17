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

/** Appends what fits under the cap; the rest only marks the run as capped. */
export async function appendRunLogs(db: D1Database, runId: string, lines: readonly LogLine[]): Promise<void> {
  if (lines.length === 0) return;
  await ensureSchema(db);
  const row = await db.prepare("SELECT log_bytes, (SELECT COALESCE(MAX(seq), 0) FROM run_logs WHERE run_id = ?) AS seq FROM runs WHERE id = ?").bind(runId, runId).first<{ log_bytes: number; seq: number }>();
  if (!row) return;
  let used = row.log_bytes;
  let seq = row.seq;
  let capped = false;
  const statements: D1PreparedStatement[] = [];
  for (const line of lines) {
    const message = line.message.length > MAX_LOG_LINE_CHARS ? `${line.message.slice(0, MAX_LOG_LINE_CHARS)}… (line cut at ${MAX_LOG_LINE_CHARS} characters)` : line.message;
    const size = new TextEncoder().encode(message).byteLength;
    if (used + size > MAX_LOG_BYTES_PER_RUN) {
      capped = true;
      break;
    }
    used += size;
    seq += 1;
    statements.push(db.prepare("INSERT OR IGNORE INTO run_logs (run_id, seq, level, step, message, at) VALUES (?, ?, ?, ?, ?, ?)").bind(runId, seq, line.level, line.step, message, line.at));
  }
  statements.push(db.prepare("UPDATE runs SET log_bytes = ?, logs_capped = MAX(logs_capped, ?) WHERE id = ?").bind(used, capped ? 1 : 0, runId));
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
    capped: Number(run?.results[0]?.logs_capped ?? 0) === 1,
  };
}
