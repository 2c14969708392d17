/**
 * The content address of a compiled repository. Bundles are immutable and pinned by
 * this hash (a run resumes on the bundle it started with), so it covers everything the
 * bundle's bytes depend on: the compiler's own version (which names the esbuild it
 * was built against), the caller's salt (dispatch mixes in the runtime SDK version) and
 * every file. crypto.subtle, because it exists in both workerd and Node.
 */
import { compareCodeUnits } from "./input.ts";
import type { SourceFile } from "./types.ts";

/**
 * Bump the first part whenever the compiler's output for the same input changes; the
 * second must name the esbuild(-wasm) version installed (a unit test checks it).
 */
export const COMPILER_VERSION = "repoflow-compiler/1 esbuild/0.28.2";

/** sha256 hex, independent of the order of `files`. */
export async function contentHash(files: readonly SourceFile[], salt = ""): Promise<string> {
  const pairs = files
    .map((file): [string, string] => [file.path, file.content])
    .sort((a, b) => compareCodeUnits(a[0], b[0]) || compareCodeUnits(a[1], b[1]));
  // JSON keeps the boundaries between paths and contents unambiguous.
  const input = new TextEncoder().encode(JSON.stringify([COMPILER_VERSION, salt, pairs]));
  const digest = await crypto.subtle.digest("SHA-256", input);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
