/**
 * Checks on the file list that run before esbuild sees anything: limits, file names,
 * and which files are workflows. These bound the work a repository can ask of a
 * Worker with a 128 MB isolate, so they are counted on the raw input, not on what
 * esbuild would read.
 */
import type { CompileLimits, Diagnostic, SourceFile } from "./types.ts";

export const DEFAULT_LIMITS: CompileLimits = {
  maxFiles: 200,
  maxFileBytes: 256 * 1024,
  maxTotalBytes: 2 * 1024 * 1024,
  maxBundleBytes: 5 * 1024 * 1024,
};

export const WORKFLOWS_DIR = ".workflows";
/** The file for diagnostics about the tree as a whole. */
export const TREE = WORKFLOWS_DIR;

const MAX_PATH_CHARS = 200;
const PATH_CHARS = /^[A-Za-z0-9._/-]+$/;
const WORKFLOW_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"];
const DECLARATION_FILE = /\.d\.m?ts$/;

const utf8 = new TextEncoder();

export function utf8Bytes(text: string): number {
  return utf8.encode(text).byteLength;
}

/**
 * Every check that needs no parsing. Returns errors only; an empty list means the
 * files may go to esbuild. Past `maxFiles` nothing else is checked, so the list of
 * diagnostics stays as short as the limit.
 */
export function checkInput(files: readonly SourceFile[], limits: CompileLimits): Diagnostic[] {
  if (files.length > limits.maxFiles) {
    return [treeError(`${files.length} files in ${WORKFLOWS_DIR}/, over the limit of ${limits.maxFiles}: move what the workflows do not import out of ${WORKFLOWS_DIR}/`)];
  }
  const errors: Diagnostic[] = [];
  const seen = new Set<string>();
  let total = 0;
  for (const file of files) {
    const nameProblem = pathProblem(file.path);
    if (nameProblem) errors.push({ file: file.path, message: nameProblem, severity: "error" });
    if (seen.has(file.path)) errors.push({ file: file.path, message: "this path was given twice: each file must appear once", severity: "error" });
    seen.add(file.path);
    // A string never has more UTF-16 units than UTF-8 bytes: past the limit in units it
    // is past it in bytes, and a hostile 100 MB file costs a length check, not a copy.
    const bytes = file.content.length > limits.maxFileBytes ? file.content.length : utf8Bytes(file.content);
    total += bytes;
    if (bytes > limits.maxFileBytes) {
      errors.push({ file: file.path, message: `the file has more than ${limits.maxFileBytes} bytes, the limit per file: split it into smaller modules`, severity: "error" });
    }
  }
  if (total > limits.maxTotalBytes) {
    errors.push(treeError(`${WORKFLOWS_DIR}/ holds more than ${limits.maxTotalBytes} bytes, the limit for all files together: move what the workflows do not import out of ${WORKFLOWS_DIR}/`));
  }
  if (workflowFiles(files).length === 0) {
    errors.push(treeError(`no workflow found: add a file directly in ${WORKFLOWS_DIR}/ ending in ${WORKFLOW_EXTENSIONS.join(", ")} whose default export is workflow({ ... })`));
  }
  return errors;
}

/** Why a repo path is not acceptable, or null. The rules keep paths safe to print, to use as keys and to resolve. */
export function pathProblem(path: string): string | null {
  const fix = "rename it using letters, digits, '.', '_', '-' and '/'";
  if (path.length > MAX_PATH_CHARS) return `the path is ${path.length} characters long, over ${MAX_PATH_CHARS}: use a shorter name`;
  if (!PATH_CHARS.test(path)) return `the path has characters other than A-Z a-z 0-9 . _ - /: ${fix}`;
  const segments = path.split("/");
  if (segments[0] !== WORKFLOWS_DIR || segments.length < 2) return `the file is outside ${WORKFLOWS_DIR}/: only files under ${WORKFLOWS_DIR}/ are compiled`;
  for (const segment of segments.slice(1)) {
    if (segment === "") return `the path has an empty segment ("//" or a trailing "/"): ${fix}`;
    if (segment.startsWith(".") || segment.startsWith("-")) return `"${segment}" starts with "${segment[0]}": names in ${WORKFLOWS_DIR}/ may not start with "." or "-"; ${fix}`;
  }
  return null;
}

/** The files that are workflows, sorted: directly in `.workflows/`, with a module extension, not type declarations. */
export function workflowFiles(files: readonly SourceFile[]): string[] {
  return files
    .map((file) => file.path)
    .filter((path) => {
      const segments = path.split("/");
      return segments.length === 2 && segments[0] === WORKFLOWS_DIR && WORKFLOW_EXTENSIONS.some((ext) => path.endsWith(ext)) && !DECLARATION_FILE.test(path);
    })
    .sort(compareCodeUnits);
}

/** Locale-independent order: `localeCompare` could differ between Node and workerd and break determinism. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function treeError(message: string): Diagnostic {
  return { file: TREE, message, severity: "error" };
}
