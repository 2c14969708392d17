/**
 * esbuild-wasm for the compiler inside workerd, initialized once per isolate and kept.
 *
 * Measured with `wrangler dev` 4.164.0 on this machine (a scratch Worker, 2026-11):
 * - kept initialized, a warm two-file compile takes 20-40 ms, and only the first one in
 *   an isolate pays instantiation (≈270-300 ms in all);
 * - initialize→build→stop costs 60-110 ms on every compile and cannot serve two at once
 *   ("Cannot call initialize more than once"), so it would also need a queue;
 * - kept, the Go runtime leaves one timer (≈250 ms) per compile in the request or step
 *   that ran it. workerd drops it when that request ends; it delayed no response and kept
 *   no Workflow step from completing;
 * - 120 sequential and concurrent compiles, compiles inside `step.do`, and builds
 *   abandoned by a finished request (before and in the middle of a plugin callback) all
 *   left the instance serving later compiles.
 * So the instance is kept.
 */
import { build, initialize } from "esbuild-wasm";
import wasmModule from "esbuild-wasm/esbuild.wasm";
import type { EsbuildLike } from "./types.ts";

export class EsbuildInitError extends Error {
  override readonly name = "EsbuildInitError";
  constructor(cause: unknown) {
    super(
      `repoflow: esbuild-wasm failed to initialize (${cause instanceof Error ? cause.message : String(cause)}). ` +
        `Check that esbuild.wasm is bundled as a WebAssembly module (wrangler's default for "esbuild-wasm/esbuild.wasm") and matches the installed esbuild-wasm version.`,
      { cause },
    );
  }
}

let ready: Promise<EsbuildLike> | undefined;

/** The isolate's esbuild. A failed initialization is not cached, so the next call tries again. */
export function initEsbuildWasm(): Promise<EsbuildLike> {
  ready ??= initialize({ wasmModule, worker: false }).then(
    (): EsbuildLike => ({ build }),
    (cause: unknown) => {
      ready = undefined;
      throw new EsbuildInitError(cause);
    },
  );
  return ready;
}
