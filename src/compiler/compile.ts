/**
 * Files in, bundle out. A virtual entry imports every workflow file and exports
 * `workflows` keyed by repo path; esbuild bundles it from an in-memory file system
 * (a plugin with its own namespace, so no real disk is ever consulted, natively or in
 * wasm), leaving `repoflow` as the external `./repoflow.js` the tenant's Worker provides.
 *
 * esbuild strips TypeScript types without checking them, and this compiler adds no
 * type-level checks: a checker inside the Worker would be megabytes of code, need the
 * SDK's and GitHub's declarations at hand, and spend far more CPU than a compile step
 * should. What matters most (is the default export a `workflow()`, are its triggers real
 * events) is checked where it is certain, by the runtime's describe() on the bundle.
 *
 * The bundle carries an inline source map without sources content (the repository has
 * them): workerd reports stack positions in bundle.js, and mapStackLocation turns them
 * back into file:line:column for a failure annotation, with no second artifact to store.
 */
import type { BuildFailure, Message, Plugin } from "esbuild";
import { checkInput, compareCodeUnits, DEFAULT_LIMITS, TREE, utf8Bytes, WORKFLOWS_DIR, workflowFiles } from "./input.ts";
import { contentHash } from "./hash.ts";
import { LOADERS, moduleExtension, resolveImport, SDK_MODULE } from "./resolve.ts";
import type { CompileLimits, CompileResult, Diagnostic, EsbuildLike, SourceFile } from "./types.ts";

/** esbuild namespaces: repository files, and the generated entry. */
export const FILE_NAMESPACE = "repoflow-vfs";
const ENTRY_NAMESPACE = "repoflow-entry";
const ENTRY_PATH = "workflows-entry.js";

/** Thrown only for our own faults, never for a repository's content. */
export class EsbuildFailedError extends Error {
  override readonly name = "EsbuildFailedError";
  constructor(cause: unknown) {
    super(
      `repoflow: esbuild failed outside the repository's code (${cause instanceof Error ? cause.message : String(cause)}). ` +
        `This is a fault of the compiler's setup, not of the workflows: pass an initialized esbuild (initEsbuildWasm() in workerd) and retry.`,
      { cause },
    );
  }
}

export async function compile(
  files: SourceFile[],
  esbuild: EsbuildLike,
  options: { limits?: Partial<CompileLimits>; salt?: string } = {},
): Promise<CompileResult> {
  const limits = withDefaults(options.limits);
  const hash = await contentHash(files, options.salt);
  const inputErrors = checkInput(files, limits);
  if (inputErrors.length > 0) return { ok: false, hash, diagnostics: sortDiagnostics(inputErrors) };

  const workflows = workflowFiles(files);
  const entry = virtualEntry(workflows);
  let code: string;
  let messages: Diagnostic[];
  try {
    const result = await esbuild.build({
      entryPoints: [ENTRY_PATH],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      sourcemap: "inline",
      sourcesContent: false,
      logLevel: "silent",
      // Computed import()/require() are only debug notes by default: raised to warnings
      // so they reach the result (and are then reported as errors) without stopping the
      // build before every bad import has been found.
      logOverride: { "unsupported-dynamic-import": "warning", "unsupported-require-call": "warning" },
      plugins: [virtualFiles(new Map(files.map((file) => [file.path, file.content])), entry.code)],
    });
    code = result.outputFiles[0]!.text;
    // build() rejects whenever there is an error, so a resolved result carries warnings only.
    messages = result.warnings.map((m) => toDiagnostic(m, "warning", entry.fileAtLine));
  } catch (error) {
    if (!isBuildFailure(error)) throw new EsbuildFailedError(error);
    const diagnostics = [...error.errors.map((m) => toDiagnostic(m, "error", entry.fileAtLine)), ...error.warnings.map((m) => toDiagnostic(m, "warning", entry.fileAtLine))];
    return { ok: false, hash, diagnostics: sortDiagnostics(diagnostics) };
  }

  const bytes = utf8Bytes(code);
  if (bytes > limits.maxBundleBytes) {
    messages.push({ file: TREE, message: `the compiled bundle has ${bytes} bytes, over the limit of ${limits.maxBundleBytes}: import less code into the workflows`, severity: "error" });
  }
  const diagnostics = sortDiagnostics(messages);
  if (diagnostics.some((d) => d.severity === "error")) return { ok: false, hash, diagnostics };
  return { ok: true, bundle: { hash, code, workflowFiles: workflows, bytes }, diagnostics };
}

function withDefaults(limits: Partial<CompileLimits> = {}): CompileLimits {
  const merged = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(merged) as (keyof CompileLimits)[]) {
    const value = limits[key];
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/**
 * The generated entry. `import * as` and `.default` rather than a default import: a
 * workflow file without a default export must still bundle (describe() reports it), and
 * esbuild then warns on the `.default` line, which `fileAtLine` maps back to the file.
 */
function virtualEntry(workflows: readonly string[]): { code: string; fileAtLine: Map<number, string> } {
  const fileAtLine = new Map<number, string>();
  const lines: string[] = [];
  workflows.forEach((path, i) => {
    lines.push(`import * as w${i} from ${JSON.stringify(path)};`);
    fileAtLine.set(lines.length, path);
  });
  lines.push("export const workflows = {");
  workflows.forEach((path, i) => {
    lines.push(`  ${JSON.stringify(path)}: w${i}.default,`);
    fileAtLine.set(lines.length, path);
  });
  lines.push("};", "");
  return { code: lines.join("\n"), fileAtLine };
}

function virtualFiles(sources: ReadonlyMap<string, string>, entryCode: string): Plugin {
  const paths = new Set(sources.keys());
  return {
    name: "repoflow-virtual-files",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === "entry-point") return { path: ENTRY_PATH, namespace: ENTRY_NAMESPACE };
        if (args.namespace === ENTRY_NAMESPACE) return { path: args.path, namespace: FILE_NAMESPACE };
        const resolution = resolveImport(args.path, args.importer, args.kind, paths);
        switch (resolution.kind) {
          case "sdk":
            return { path: SDK_MODULE, external: true };
          case "file":
            return { path: resolution.path, namespace: FILE_NAMESPACE };
          case "refused":
            return { errors: [{ text: resolution.message }] };
        }
      });
      build.onLoad({ filter: /.*/, namespace: ENTRY_NAMESPACE }, () => ({ contents: entryCode, loader: "js" }));
      build.onLoad({ filter: /.*/, namespace: FILE_NAMESPACE }, (args) => ({
        // resolveImport and the entry only yield paths of files in `sources` with a module extension.
        contents: sources.get(args.path)!,
        loader: LOADERS[moduleExtension(args.path)!],
      }));
    },
  };
}

const COMPUTED_IMPORT: Record<string, string> = {
  "unsupported-dynamic-import": `import() needs a string literal, so that what it loads can be checked and bundled: import "repoflow" or a relative file in ${WORKFLOWS_DIR}/`,
  "unsupported-require-call": `require() needs a string literal, so that what it loads can be checked and bundled: import "repoflow" or a relative file in ${WORKFLOWS_DIR}/`,
};

function toDiagnostic(message: Message, severity: Diagnostic["severity"], entryFileAtLine: ReadonlyMap<number, string>): Diagnostic {
  const text = message.text.replaceAll(`${FILE_NAMESPACE}:`, "");
  const location = message.location;
  if (location === null) return { file: TREE, message: text, severity };
  if (!location.file.startsWith(`${FILE_NAMESPACE}:`)) {
    const file = entryFileAtLine.get(location.line) ?? TREE;
    if (message.id === "import-is-undefined") {
      return { file, message: `${file} has no default export, so it is not a workflow: end it with export default workflow({ ... }), or move it into ${WORKFLOWS_DIR}/lib/ if it is a helper`, severity: "warning" };
    }
    return { file, message: text, severity };
  }
  const start = utf16Column(location.lineText, location.column);
  const end = utf16Column(location.lineText, location.column + location.length);
  return {
    file: displayPath(location.file),
    line: location.line,
    column: start + 1,
    endLine: location.line,
    endColumn: Math.max(start + 1, end),
    message: COMPUTED_IMPORT[message.id] ?? text,
    severity: message.id in COMPUTED_IMPORT ? "error" : severity,
  };
}

/** esbuild's `repoflow-vfs:.workflows/a.ts` as the repo path `.workflows/a.ts`. */
export function displayPath(esbuildPath: string): string {
  return esbuildPath.startsWith(`${FILE_NAMESPACE}:`) ? esbuildPath.slice(FILE_NAMESPACE.length + 1) : esbuildPath;
}

/** esbuild columns count UTF-8 bytes; editors and GitHub count UTF-16 units. */
function utf16Column(lineText: string, byteColumn: number): number {
  let bytes = 0;
  let units = 0;
  for (const char of lineText) {
    if (bytes >= byteColumn) return units;
    const codePoint = char.codePointAt(0)!;
    bytes += codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    units += char.length;
  }
  return units + Math.max(0, byteColumn - bytes);
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return typeof error === "object" && error !== null && Array.isArray((error as Partial<BuildFailure>).errors) && Array.isArray((error as Partial<BuildFailure>).warnings);
}

function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      compareCodeUnits(a.file, b.file) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      compareCodeUnits(a.message, b.message),
  );
}
