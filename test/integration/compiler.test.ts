/**
 * The compiler inside workerd, with esbuild-wasm. Few tests on purpose: each test file
 * here pays ≈13 s to load the 14 MB esbuild.wasm into the test runtime.
 */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { compile, mapStackLocation, type Bundle } from "../../src/compiler";
import { initEsbuildWasm } from "../../src/compiler/esbuild-wasm";

const REPO = [
  {
    path: ".workflows/greet.ts",
    content: `import { workflow } from "repoflow";\nimport { shout } from "./lib/shout";\nexport default workflow({ name: "greet", on: { issues: ["opened"] }, run: async (who: string) => shout(who) });\n`,
  },
  { path: ".workflows/lib/shout.ts", content: `export function shout(who: string): string {\n  if (who === "") throw new Error("nobody to greet");\n  return who.toUpperCase() + "!";\n}\n` },
];

/**
 * Runs a bundle as the tenant's Worker would load it: a Dynamic Worker whose modules are
 * bundle.js and a stub repoflow.js, answering with the workflow's result or its error's stack.
 */
async function runInDynamicWorker(bundle: Bundle, who: string): Promise<{ names: string[]; result?: string; stack?: string }> {
  const worker = env.LOADER.get(`compiler-test@${bundle.hash}`, async () => ({
    compatibilityDate: "2026-11-01",
    mainModule: "main.js",
    modules: {
      "main.js": `import { workflows } from "./bundle.js";
export default {
  async fetch(request) {
    const who = new URL(request.url).searchParams.get("who");
    const names = Object.values(workflows).map((w) => w.name);
    try {
      return Response.json({ names, result: await workflows[".workflows/greet.ts"].run(who) });
    } catch (error) {
      return Response.json({ names, stack: error.stack });
    }
  },
};`,
      "repoflow.js": "export const workflow = (definition) => definition;",
      "bundle.js": bundle.code,
    },
    globalOutbound: null,
  }));
  const response = await worker.getEntrypoint().fetch(`http://tenant/?who=${encodeURIComponent(who)}`);
  return response.json();
}

it("compiles a two-file repository with esbuild-wasm inside workerd into a bundle a Dynamic Worker runs", async () => {
  const esbuild = await initEsbuildWasm();
  const result = await compile(REPO, esbuild);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  expect(result.bundle.workflowFiles).toEqual([".workflows/greet.ts"]);

  expect(await runInDynamicWorker(result.bundle, "octocat")).toEqual({ names: ["greet"], result: "OCTOCAT!" });

  // workerd reports positions in bundle.js; the inline source map leads back to the helper.
  const { stack } = await runInDynamicWorker(result.bundle, "");
  const frame = /bundle\.js:(\d+):(\d+)/.exec(stack ?? "");
  expect(frame, stack).not.toBeNull();
  expect(mapStackLocation(result.bundle, Number(frame![1]), Number(frame![2]))).toEqual({ file: ".workflows/lib/shout.ts", line: 2, column: 25 });
});

it("reuses the initialized esbuild-wasm for later compiles, and reports errors with positions from wasm", async () => {
  const first = initEsbuildWasm();
  expect(initEsbuildWasm()).toBe(first);
  const esbuild = await first;

  const again = await compile(REPO, esbuild);
  const broken = await compile(
    [
      { path: ".workflows/a.ts", content: `import "lodash";\nexport default 1;\n` },
      { path: ".workflows/b.ts", content: `export default (;\n` },
    ],
    esbuild,
  );
  expect(again.ok).toBe(true);
  expect(broken).toMatchObject({
    ok: false,
    diagnostics: [
      { file: ".workflows/a.ts", line: 1, column: 8, message: expect.stringContaining('"lodash" is a package'), severity: "error" },
      { file: ".workflows/b.ts", line: 1, column: 17, severity: "error" },
    ],
  });
  expect(await initEsbuildWasm()).toBe(esbuild);
});
