import * as esbuild from "esbuild";
import esbuildPackage from "esbuild/package.json" with { type: "json" };
import esbuildWasmPackage from "esbuild-wasm/package.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import {
  COMPILER_VERSION,
  DEFAULT_LIMITS,
  EsbuildFailedError,
  compile,
  contentHash,
  mapStackLocation,
  type Bundle,
  type CompileLimits,
  type CompileResult,
  type EsbuildLike,
  type SourceFile,
} from "../../src/compiler";

const WORKFLOW = `import { workflow } from "repoflow";\nexport default workflow({ name: "hello", on: { push: "*" }, run: async () => "hi" });\n`;

const build = (files: SourceFile[], limits?: Partial<CompileLimits>, salt?: string): Promise<CompileResult> =>
  compile(files, esbuild, { ...(limits ? { limits } : {}), ...(salt === undefined ? {} : { salt }) });

function expectOk(result: CompileResult): Bundle {
  if (!result.ok) throw new Error(`expected a bundle, got ${JSON.stringify(result.diagnostics, null, 2)}`);
  return result.bundle;
}

function expectFailed(result: CompileResult) {
  if (result.ok) throw new Error("expected diagnostics, got a bundle");
  return result.diagnostics;
}

/**
 * Imports a bundle in Node the way the tenant's Worker would, with `./repoflow.js`
 * replaced by a stub SDK whose workflow() returns its definition. Both are data: URLs,
 * so the stack frames of code in the bundle name it with their bundle line and column.
 */
async function loadBundle(code: string): Promise<{ workflows: Record<string, { name: string; run: (...args: unknown[]) => Promise<unknown> } | undefined> }> {
  const sdk = `data:text/javascript,${encodeURIComponent("export const workflow = (definition) => definition;")}`;
  const module = `data:text/javascript,${encodeURIComponent(code.replaceAll(`"./repoflow.js"`, JSON.stringify(sdk)))}`;
  return import(/* @vite-ignore */ module);
}

describe("compile: bundles", () => {
  it("bundles each workflow with the helpers it imports and exports them by repo path", async () => {
    const bundle = expectOk(
      await build([
        {
          path: ".workflows/greet.ts",
          content: `import { workflow } from "repoflow";\nimport { greeting } from "./lib/text";\nimport settings from "./lib/settings.json";\nexport default workflow({ name: "greet", on: { issues: ["opened"] }, run: async (who: string) => greeting(who) + settings.punctuation });\n`,
        },
        { path: ".workflows/lib/text.ts", content: `export function greeting(who: string): string {\n  return \`hello \${who}\`;\n}\n` },
        { path: ".workflows/lib/settings.json", content: `{ "punctuation": "!" }` },
        { path: ".workflows/count.mjs", content: `import { workflow } from "repoflow";\nexport default workflow({ name: "count", on: { push: "*" }, run: async () => 42 });\n` },
      ]),
    );
    expect(bundle.workflowFiles).toEqual([".workflows/count.mjs", ".workflows/greet.ts"]);
    expect(bundle.code).toContain(`from "./repoflow.js"`);
    expect(bundle.code).not.toMatch(/from "repoflow"/);
    expect(bundle.bytes).toBe(new TextEncoder().encode(bundle.code).byteLength);

    const { workflows } = await loadBundle(bundle.code);
    expect(Object.keys(workflows)).toEqual([".workflows/count.mjs", ".workflows/greet.ts"]);
    expect(workflows[".workflows/greet.ts"]!.name).toBe("greet");
    expect(await workflows[".workflows/greet.ts"]!.run("octocat")).toBe("hello octocat!");
    expect(await workflows[".workflows/count.mjs"]!.run()).toBe(42);
  });

  it("treats only module files directly in .workflows/ as workflows", async () => {
    const bundle = expectOk(
      await build([
        { path: ".workflows/a.ts", content: WORKFLOW },
        { path: ".workflows/b.js", content: WORKFLOW },
        { path: ".workflows/c.mts", content: WORKFLOW },
        { path: ".workflows/README.md", content: "# not code" },
        { path: ".workflows/types.d.ts", content: "export interface Thing { a: number }\n" },
        { path: ".workflows/lib/helper.ts", content: "export const unused = 1;\n" },
        { path: ".workflows/data.json", content: "{}" },
      ]),
    );
    expect(bundle.workflowFiles).toEqual([".workflows/a.ts", ".workflows/b.js", ".workflows/c.mts"]);
    expect(Object.keys((await loadBundle(bundle.code)).workflows)).toEqual(bundle.workflowFiles);
  });

  it("warns about a workflow file without a default export, and still bundles it", async () => {
    const result = await build([
      { path: ".workflows/a.ts", content: WORKFLOW },
      { path: ".workflows/helpers.ts", content: "export const notAWorkflow = 1;\n" },
    ]);
    const bundle = expectOk(result);
    expect(result.diagnostics).toEqual([
      { file: ".workflows/helpers.ts", message: expect.stringMatching(/has no default export.*export default workflow/), severity: "warning" },
    ]);
    expect((await loadBundle(bundle.code)).workflows[".workflows/helpers.ts"]).toBeUndefined();
  });

  it("strips TypeScript types without checking them", async () => {
    const bundle = expectOk(
      await build([
        {
          path: ".workflows/a.ts",
          content: `import { workflow } from "repoflow";\nimport type { Octokit } from "@octokit/rest";\nconst wrong: number = "not a number" as unknown as number;\nexport default workflow({ name: "a", on: { push: "*" }, run: async (o?: Octokit) => wrong });\n`,
        },
      ]),
    );
    expect(bundle.code).not.toContain("@octokit/rest");
    expect(await (await loadBundle(bundle.code)).workflows[".workflows/a.ts"]!.run()).toBe("not a number");
  });
});

describe("compile: syntax errors", () => {
  it("reports a syntax error at its file, line and column instead of throwing", async () => {
    const diagnostics = expectFailed(
      await build([{ path: ".workflows/a.ts", content: `import { workflow } from "repoflow";\nexport default workflow({\n  on: { push: "*" }\n  run: async () => 1,\n});\n` }]),
    );
    expect(diagnostics).toEqual([
      { file: ".workflows/a.ts", line: 4, column: 3, endLine: 4, endColumn: 5, message: 'Expected "}" but found "run"', severity: "error" },
    ]);
  });

  it("counts columns in UTF-16 units when the line has non-ASCII text before the error", async () => {
    // esbuild reports byte offsets: "é" is 2 bytes and 1 unit, "😀" 4 bytes and 2 units.
    const diagnostics = expectFailed(await build([{ path: ".workflows/a.ts", content: `const s = "é😀"; const = 1;\n` }]));
    expect(diagnostics).toEqual([
      { file: ".workflows/a.ts", line: 1, column: 24, endLine: 1, endColumn: 24, message: 'Expected identifier but found "="', severity: "error" },
    ]);
  });

  it("reports TypeScript syntax in a .js file and invalid TypeScript syntax", async () => {
    const diagnostics = expectFailed(
      await build([
        { path: ".workflows/a.js", content: `export default 1;\nconst n: number = 1;\n` },
        { path: ".workflows/b.ts", content: `export default 1;\nlet x: = 1;\n` },
      ]),
    );
    expect(diagnostics.map((d) => [d.file, d.line, d.column, d.severity])).toEqual([
      [".workflows/a.js", 2, 8, "error"],
      [".workflows/b.ts", 2, 8, "error"],
    ]);
  });

  it("reports errors from several files in one compile", async () => {
    const diagnostics = expectFailed(
      await build([
        { path: ".workflows/a.ts", content: `export default (;\n` },
        { path: ".workflows/b.ts", content: `import "left-pad";\nexport default 1;\n` },
      ]),
    );
    expect(diagnostics.map((d) => `${d.file}:${d.line}:${d.column}`)).toEqual([".workflows/a.ts:1:17", ".workflows/b.ts:1:8"]);
  });

  it("returns diagnostics, not exceptions, for binary garbage", async () => {
    const garbage = String.fromCharCode(...Array.from({ length: 512 }, (_, i) => (i * 7919) % 65_536));
    const result = await build([{ path: ".workflows/a.ts", content: garbage }]);
    expect(expectFailed(result).length).toBeGreaterThan(0);
  });
});

describe("compile: limits and file names", () => {
  it("uses the documented default limits", () => {
    expect(DEFAULT_LIMITS).toEqual({ maxFiles: 200, maxFileBytes: 256 * 1024, maxTotalBytes: 2 * 1024 * 1024, maxBundleBytes: 5 * 1024 * 1024 });
  });

  it("refuses more files than the limit with a single diagnostic", async () => {
    const files = Array.from({ length: 5 }, (_, i) => ({ path: `.workflows/w${i}.ts`, content: WORKFLOW }));
    expect(expectFailed(await build(files, { maxFiles: 4 }))).toEqual([
      { file: ".workflows", message: expect.stringContaining("5 files in .workflows/, over the limit of 4"), severity: "error" },
    ]);
    expectOk(await build(files, { maxFiles: 5 }));
  });

  it("names the file that is over the size limit, counting UTF-8 bytes", async () => {
    const files = [
      { path: ".workflows/a.ts", content: `export default "${"é".repeat(40)}";\n` }, // 59 characters, 99 bytes
      { path: ".workflows/b.ts", content: `export default 1;\n` },
    ];
    expect(expectFailed(await build(files, { maxFileBytes: 98 }))).toEqual([
      { file: ".workflows/a.ts", message: expect.stringContaining("more than 98 bytes"), severity: "error" },
    ]);
    expectOk(await build(files, { maxFileBytes: 99 }));
  });

  it("refuses a tree whose files together are over the total limit", async () => {
    const files = [
      { path: ".workflows/a.ts", content: WORKFLOW },
      { path: ".workflows/b.ts", content: WORKFLOW },
    ];
    const total = 2 * new TextEncoder().encode(WORKFLOW).byteLength;
    expect(expectFailed(await build(files, { maxTotalBytes: total - 1 }))).toEqual([
      { file: ".workflows", message: expect.stringContaining(`more than ${total - 1} bytes`), severity: "error" },
    ]);
    expectOk(await build(files, { maxTotalBytes: total }));
  });

  it("refuses a bundle over the bundle limit", async () => {
    const files = [{ path: ".workflows/a.ts", content: WORKFLOW }];
    const { bytes } = expectOk(await build(files));
    expect(expectFailed(await build(files, { maxBundleBytes: bytes - 1 }))).toEqual([
      { file: ".workflows", message: expect.stringContaining(`${bytes} bytes, over the limit of ${bytes - 1}`), severity: "error" },
    ]);
  });

  it("refuses a tree without any workflow file", async () => {
    expect(expectFailed(await build([{ path: ".workflows/lib/util.ts", content: "export const a = 1;\n" }]))).toEqual([
      { file: ".workflows", message: expect.stringContaining("no workflow found"), severity: "error" },
    ]);
    expect(expectFailed(await build([]))).toHaveLength(1);
  });

  it.each([
    [".workflows/has space.ts", "characters other than"],
    [".workflows/ümlaut.ts", "characters other than"],
    [".workflows/semi;colon.ts", "characters other than"],
    [".workflows/back\\slash.ts", "characters other than"],
    [".workflows/../escape.ts", 'starts with "."'],
    [".workflows/./a.ts", 'starts with "."'],
    [".workflows/.hidden.ts", 'starts with "."'],
    [".workflows/lib/.env", 'starts with "."'],
    [".workflows/-flag.ts", 'starts with "-"'],
    [".workflows//a.ts", "empty segment"],
    [".workflows/lib/", "empty segment"],
    ["/.workflows/a.ts", "outside .workflows/"],
    ["src/index.ts", "outside .workflows/"],
    [".workflows", "outside .workflows/"],
    [`.workflows/${"a".repeat(190)}.ts`, "over 200"],
  ])("refuses the odd file name %j, naming it", async (path, reason) => {
    const diagnostics = expectFailed(await build([{ path: ".workflows/ok.ts", content: WORKFLOW }, { path, content: "export default 1;\n" }]));
    expect(diagnostics).toEqual([{ file: path, message: expect.stringContaining(reason), severity: "error" }]);
  });

  it("accepts names made of letters, digits, dots, underscores, dashes and folders", async () => {
    expectOk(
      await build([
        { path: ".workflows/auto-label_v2.ts", content: `import "./lib/a-b/c_d.1.ts";\n${WORKFLOW}` },
        { path: ".workflows/lib/a-b/c_d.1.ts", content: "export const x = 1;\n" },
        { path: `.workflows/${"a".repeat(186)}.ts`, content: WORKFLOW }, // exactly 200 characters
      ]),
    );
  });

  it("refuses the same path given twice", async () => {
    expect(expectFailed(await build([{ path: ".workflows/a.ts", content: WORKFLOW }, { path: ".workflows/a.ts", content: WORKFLOW }]))).toEqual([
      { file: ".workflows/a.ts", message: expect.stringContaining("given twice"), severity: "error" },
    ]);
  });
});

describe("compile: determinism and content hash", () => {
  const files: SourceFile[] = [
    { path: ".workflows/b.ts", content: `import { x } from "./lib/x";\n${WORKFLOW}export const y = x;\n` },
    { path: ".workflows/a.ts", content: WORKFLOW },
    { path: ".workflows/lib/x.ts", content: "export const x: number = 1;\n" },
  ];

  it("gives byte-identical code and the same hash for the same files in any order", async () => {
    const first = expectOk(await build(files));
    const second = expectOk(await build([...files].reverse()));
    expect(second.code).toBe(first.code);
    expect(second.hash).toBe(first.hash);
    expect(first.hash).toBe(await contentHash(files));
  });

  it("hashes to sha256 hex independent of file order", async () => {
    const hash = await contentHash(files);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await contentHash([files[2]!, files[0]!, files[1]!])).toBe(hash);
  });

  it("changes the hash with the salt, a content, a path, or a moved boundary", async () => {
    const base = await contentHash([{ path: ".workflows/a.ts", content: "x" }, { path: ".workflows/b.ts", content: "y" }]);
    const variants = await Promise.all([
      contentHash([{ path: ".workflows/a.ts", content: "x" }, { path: ".workflows/b.ts", content: "y" }], "runtime-2"),
      contentHash([{ path: ".workflows/a.ts", content: "y" }, { path: ".workflows/b.ts", content: "x" }]),
      contentHash([{ path: ".workflows/a.ts", content: "x" }, { path: ".workflows/c.ts", content: "y" }]),
      contentHash([{ path: ".workflows/a.tsx", content: "" }, { path: ".workflows/b.ts", content: "y" }]),
    ]);
    expect(new Set([base, ...variants]).size).toBe(5);
  });

  it("gives a failed compile the same hash as its files", async () => {
    const broken = [{ path: ".workflows/a.ts", content: "export default (;" }];
    const result = await build(broken, undefined, "sdk-1");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.hash).toBe(await contentHash(broken, "sdk-1"));
  });

  it("mixes the salt into the bundle hash", async () => {
    expect(expectOk(await build(files, undefined, "sdk-2")).hash).toBe(await contentHash(files, "sdk-2"));
    expect(await contentHash(files, "sdk-2")).not.toBe(await contentHash(files));
  });

  it("names the installed esbuild in COMPILER_VERSION, so an upgrade changes every hash", () => {
    expect(esbuildWasmPackage.version).toBe(esbuildPackage.version);
    expect(COMPILER_VERSION).toContain(`esbuild/${esbuildWasmPackage.version}`);
  });
});

describe("mapStackLocation", () => {
  const helper = `export function explode(reason: string): never {\n  const detail: string = \`boom: \${reason}\`;\n  throw new Error(detail);\n}\n`;
  const files: SourceFile[] = [
    { path: ".workflows/a.ts", content: `import { workflow } from "repoflow";\nimport { explode } from "./lib/explode";\nexport default workflow({ name: "a", on: { push: "*" }, run: async () => explode("bad input") });\n` },
    { path: ".workflows/lib/explode.ts", content: helper },
  ];

  it("maps a stack frame of a failed run in bundle.js back to the repository file, line and column", async () => {
    const bundle = expectOk(await build(files));
    const { workflows } = await loadBundle(bundle.code);
    const error = (await workflows[".workflows/a.ts"]!.run().catch((e: unknown) => e)) as Error;
    expect(error.message).toBe("boom: bad input");
    const frame = /:(\d+):(\d+)\)?$/.exec(error.stack!.split("\n")[1]!)!;
    expect(mapStackLocation(bundle, Number(frame[1]), Number(frame[2]))).toEqual({
      file: ".workflows/lib/explode.ts",
      line: 3,
      column: helper.split("\n")[2]!.indexOf("new Error") + 1,
    });
  });

  it("returns null for positions outside repository code and for code without a source map", async () => {
    const bundle = expectOk(await build(files));
    const entryLine = bundle.code.split("\n").findIndex((line) => line.includes(`".workflows/a.ts":`)) + 1;
    expect(mapStackLocation(bundle, entryLine, 3)).toBeNull();
    expect(mapStackLocation(bundle, 10_000, 1)).toBeNull();
    expect(mapStackLocation({ code: "export const workflows = {};\n" }, 1, 1)).toBeNull();
  });
});

describe("compile: our own faults", () => {
  it("throws EsbuildFailedError when esbuild itself fails, not a diagnostic", async () => {
    const broken: EsbuildLike = {
      build: (() => Promise.reject(new Error('You need to call "initialize" before calling this'))) as unknown as EsbuildLike["build"],
    };
    const result = compile([{ path: ".workflows/a.ts", content: WORKFLOW }], broken);
    await expect(result).rejects.toThrow(EsbuildFailedError);
    await expect(result).rejects.toThrow(/^repoflow: esbuild failed.*initialize/);
  });
});
