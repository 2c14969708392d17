/**
 * Maps a position in a tenant's `bundle.js` back to the repository file it came from.
 * workerd does not apply source maps to a Dynamic Worker's stack traces, so a failed
 * run reports `bundle.js:LINE:COL`; the bundle carries esbuild's inline map (Source
 * Map v3, columns in UTF-16 units) and this decodes it on demand, only when a run fails.
 */
import { displayPath, FILE_NAMESPACE } from "./compile.ts";
import type { Bundle, SourceLocation } from "./types.ts";

const INLINE_MAP = "\n//# sourceMappingURL=data:application/json;base64,";
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_VALUE = new Map(Array.from(BASE64, (char, i) => [char, i]));

interface SourceMapV3 {
  sources: string[];
  mappings: string;
}

/**
 * `line` and `column` are 1-based, as in V8 stack traces (`at run (bundle.js:12:5)`).
 * Returns the 1-based position in the repository file, or null when the position is
 * not inside code from the repository (the generated entry, a helper esbuild injected)
 * or the bundle has no inline map.
 */
export function mapStackLocation(bundle: Pick<Bundle, "code">, line: number, column: number): SourceLocation | null {
  const map = readInlineMap(bundle.code);
  if (map === null || line < 1 || column < 1) return null;
  const segment = findSegment(map.mappings, line - 1, column - 1);
  if (segment === null) return null;
  const source = map.sources[segment.source];
  if (source === undefined || !source.startsWith(`${FILE_NAMESPACE}:`)) return null;
  return { file: displayPath(source), line: segment.line + 1, column: segment.column + 1 };
}

function readInlineMap(code: string): SourceMapV3 | null {
  const at = code.lastIndexOf(INLINE_MAP);
  if (at === -1) return null;
  const binary = atob(code.slice(at + INLINE_MAP.length).trim());
  const json = new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  return JSON.parse(json) as SourceMapV3;
}

/**
 * The mapping in effect at (generatedLine, generatedColumn), all 0-based: the last
 * segment of that line starting at or before the column. Source, line and column are
 * deltas carried across lines, so every line before the target is decoded too.
 */
function findSegment(mappings: string, generatedLine: number, generatedColumn: number): { source: number; line: number; column: number } | null {
  const state = { source: 0, line: 0, column: 0 };
  const lines = mappings.split(";");
  let found: { source: number; line: number; column: number } | null = null;
  for (let l = 0; l <= generatedLine && l < lines.length; l++) {
    let column = 0;
    for (const segment of lines[l]!.split(",")) {
      if (segment === "") continue;
      const fields = decodeVlq(segment);
      column += fields[0]!;
      if (fields.length < 4) {
        if (l === generatedLine && column <= generatedColumn) found = null;
        continue;
      }
      state.source += fields[1]!;
      state.line += fields[2]!;
      state.column += fields[3]!;
      if (l === generatedLine && column <= generatedColumn) found = { ...state };
    }
  }
  return found;
}

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64_VALUE.get(char) ?? 0;
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}
