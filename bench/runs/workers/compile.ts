/**
 * The compile bench Worker: the real compiler (src/compiler) with esbuild-wasm
 * initialized the way the service does it (src/compiler/esbuild-wasm.ts), one
 * compile per POST /compile. POST /parse reads and parses the same body and
 * compiles nothing, so the runner subtracts the harness's and the body's cost.
 *
 * Shaped by workerd's clock, which only advances across I/O: a compile is CPU
 * in this isolate, so the Worker cannot time it itself; the runner times the
 * round trip from Node instead. Also by the isolate: esbuild-wasm initializes
 * once per isolate, so a fresh Miniflare per cold sample is a fresh isolate.
 */
import { compile, type SourceFile } from "../../../src/compiler/index.ts";
import { initEsbuildWasm } from "../../../src/compiler/esbuild-wasm.ts";

export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const files = (await request.json()) as SourceFile[];
    if (path === "/parse") return Response.json({ ok: true, files: files.length });
    if (path !== "/compile") return new Response("POST /compile or /parse with a JSON array of { path, content }", { status: 404 });
    const result = await compile(files, await initEsbuildWasm());
    return Response.json(result.ok ? { ok: true, bytes: result.bundle.bytes } : { ok: false, diagnostics: result.diagnostics.slice(0, 3) }, { status: result.ok ? 200 : 422 });
  },
} satisfies ExportedHandler;
