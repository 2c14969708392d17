/**
 * The compiler's public surface: a repository's `.workflows/` files in, one ESM bundle
 * (or diagnostics) out. Pure: no I/O but the esbuild it is handed. The esbuild-wasm
 * setup for workerd lives in ./esbuild-wasm.ts and is imported from there, not
 * re-exported here, because its `.wasm` import only loads inside workerd and this
 * surface must also load in Node (unit tests, benchmarks with native esbuild).
 */
export { compile, EsbuildFailedError } from "./compile.ts";
export { COMPILER_VERSION, contentHash } from "./hash.ts";
export { DEFAULT_LIMITS } from "./input.ts";
export { mapStackLocation } from "./source-map.ts";
export type { Bundle, CompileLimits, CompileResult, Diagnostic, EsbuildLike, SourceFile, SourceLocation } from "./types.ts";
