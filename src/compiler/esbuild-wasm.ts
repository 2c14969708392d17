/**
 * esbuild-wasm for the compiler inside workerd, initialized once per isolate and kept.
 *
 * Measured with `wrangler dev` 4.164.0 on this machine (a scratch Worker, 2026-11): kept
 * initialized, a warm two-file compile takes 20-40 ms and instantiation (≈270 ms) is
 * paid once; initialize→build→stop per compile costs 60-110 ms every time and cannot
 * serve two compiles at once ("Cannot call initialize more than once"). Keeping it does
 * leave one Go-runtime timer (≈250 ms) per compile in the request or step that ran it;
 * workerd drops that timer when the request ends, and it neither delayed a response nor
 * kept a Workflow step from completing. 120 sequential and concurrent compiles, builds
 * abandoned before and in the middle of a plugin callback by a finished request, and
 * compiles inside `step.do` all completed afterwards on the same instance. So: keep it.
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
