import * as esbuild from "esbuild";
import { describe, expect, it } from "vitest";
import { compile, type CompileResult, type Diagnostic, type SourceFile } from "../../src/compiler";

const WORKFLOW = `import { workflow } from "repoflow";\nexport default workflow({ name: "w", on: { push: "*" }, run: async () => null });\n`;
const HELPERS: SourceFile[] = [
  { path: ".workflows/lib/util.ts", content: "export const util = 'util';\n" },
  { path: ".workflows/lib/index.ts", content: "export const index = 'index';\n" },
  { path: ".workflows/README.md", content: "# notes\n" },
];

/** Compiles `.workflows/a.ts` = `line1`, then `statement` on line 2, then a workflow. */
async function diagnose(statement: string, extra: SourceFile[] = []): Promise<Diagnostic[]> {
  const result: CompileResult = await compile(
    [{ path: ".workflows/a.ts", content: `// line 1\n${statement}\n${WORKFLOW}` }, ...HELPERS, ...extra],
    esbuild,
  );
  return result.diagnostics.filter((d) => d.severity === "error");
}

describe("compile: refused imports, at the importing file's line and column", () => {
  // Column 8 is the opening quote of `import "…"`; the range ends on the closing quote.
  it.each([
    ["a parent path escaping .workflows/", "../src/secrets.ts", /points outside \.workflows\/.*move the code into \.workflows\/lib\//],
    ["a parent path climbing above the repository", "../../../etc/passwd", /points outside \.workflows\//],
    ["a path climbing above the repository root and back in", "../../.workflows/lib/util.ts", /points outside \.workflows\//],
    ["an absolute path", "/etc/passwd", /absolute path: import files in \.workflows\/ relatively/],
    ["an https: URL", "https://esm.sh/lodash", /URL import.*without network access: copy the code into \.workflows\/lib\//],
    ["an http: URL", "http://example.com/x.js", /URL import/],
    ["a data: URL", "data:text/javascript,export default 1", /data: URL imports are not allowed/],
    ["a node: built-in", "node:fs", /Node\.js built-in.*Web APIs/],
    ["a cloudflare: module", "cloudflare:workers", /reserved for repoflow's runtime/],
    ["another URL scheme", "file:///etc/passwd", /uses the file: scheme/],
    ["a bare package", "lodash", /"lodash" is a package.*only "repoflow" and files in \.workflows\//],
    ["a bare Node built-in name", "fs", /"fs" is a package/],
    ["a scoped package", "@octokit/rest", /"@octokit\/rest" is a package/],
    ["a subpath of the SDK", "repoflow/internal", /import from "repoflow" itself/],
    ["a non-module file", "./README.md", /\.workflows\/README\.md cannot be imported: only \.ts, \.mts, \.js, \.mjs, \.json files are modules/],
  ])("refuses %s", async (_kind, specifier, message) => {
    expect(await diagnose(`import ${JSON.stringify(specifier)};`)).toEqual([
      { file: ".workflows/a.ts", line: 2, column: 8, endLine: 2, endColumn: 8 + specifier.length + 1, message: expect.stringMatching(message), severity: "error" },
    ]);
  });

  it("says which candidates it tried for a relative file that does not exist", async () => {
    expect(await diagnose(`import { x } from "./lib/utill";\nconsole.log(x);`)).toEqual([
      {
        file: ".workflows/a.ts",
        line: 2,
        column: 19,
        endLine: 2,
        endColumn: 31,
        message:
          'cannot find "./lib/utill" from .workflows/a.ts: tried .workflows/lib/utill, .workflows/lib/utill.ts, .workflows/lib/utill.mts, .workflows/lib/utill.js, .workflows/lib/utill.mjs, .workflows/lib/utill.json, .workflows/lib/utill/index.ts, .workflows/lib/utill/index.js; check the name, or add the file',
        severity: "error",
      },
    ]);
  });

  it("refuses a re-export from a package", async () => {
    expect(await diagnose(`export { chunk } from "lodash";`)).toMatchObject([{ line: 2, column: 23, message: expect.stringContaining('"lodash" is a package') }]);
  });

  it("refuses a literal dynamic import() of a package at its specifier", async () => {
    expect(await diagnose(`export const load = () => import("lodash");`)).toMatchObject([{ line: 2, column: 34, endColumn: 41, message: expect.stringContaining('"lodash" is a package') }]);
  });

  it("refuses a dynamic import() with a computed specifier at the import keyword", async () => {
    expect(await diagnose(`export const load = (name: string) => import(name);`)).toEqual([
      { file: ".workflows/a.ts", line: 2, column: 39, endLine: 2, endColumn: 44, message: expect.stringMatching(/^import\(\) needs a string literal/), severity: "error" },
    ]);
  });

  it("refuses a template-literal import(), which esbuild turns into a glob it cannot resolve here", async () => {
    expect(await diagnose("export const load = (name: string) => import(`./lib/${name}.ts`);")).toEqual([
      { file: ".workflows/a.ts", line: 2, column: 46, endLine: 2, endColumn: 63, message: 'Could not resolve import("./lib/**/*.ts")', severity: "error" },
    ]);
  });

  it("refuses require() of a package, of the SDK, and with a computed argument", async () => {
    expect(await diagnose(`export const a = require("lodash");`)).toMatchObject([{ line: 2, column: 26, message: expect.stringContaining('"lodash" is a package') }]);
    expect(await diagnose(`export const a = require("repoflow");`)).toMatchObject([{ line: 2, column: 26, message: expect.stringContaining('write import { workflow } from "repoflow"') }]);
    expect(await diagnose(`export const a = (n: string) => require(n);`)).toMatchObject([{ line: 2, column: 33, endColumn: 39, message: expect.stringMatching(/^require\(\) needs a string literal/) }]);
  });

  it("reports a refused import inside a helper at the helper's position", async () => {
    const diagnostics = await diagnose(`import "./lib/evil.ts";`, [{ path: ".workflows/lib/evil.ts", content: `\n\n  import "../../package.json";\n` }]);
    expect(diagnostics).toEqual([
      { file: ".workflows/lib/evil.ts", line: 3, column: 10, endLine: 3, endColumn: 29, message: expect.stringContaining("points outside .workflows/"), severity: "error" },
    ]);
  });

  it("reports every refused import of a file, not just the first", async () => {
    const diagnostics = await diagnose(`import "lodash"; import "node:path"; import "../x.ts";`);
    expect(diagnostics.map((d) => d.column)).toEqual([8, 25, 45]);
  });
});

describe("compile: allowed imports", () => {
  it.each([
    ["the SDK", `import { workflow as w } from "repoflow"; export const x = w;`],
    ["the SDK by dynamic import()", `export const load = () => import("repoflow");`],
    ["a helper without extension", `import { util } from "./lib/util"; export const x = util;`],
    ["a helper with its .ts extension", `import { util } from "./lib/util.ts"; export const x = util;`],
    ["a helper named by its emitted .js name", `import { util } from "./lib/util.js"; export const x = util;`],
    ["a folder's index", `import { index } from "./lib"; export const x = index;`],
    ["a helper by literal dynamic import()", `export const load = () => import("./lib/util.ts");`],
    ["a helper by require()", `export const x = require("./lib/util.ts");`],
    ["a path that leaves and re-enters .workflows/", `import { util } from "../.workflows/lib/util.ts"; export const x = util;`],
    ["a type-only import of a package, which is erased", `import type { Octokit } from "@octokit/rest"; export type O = Octokit;`],
  ])("allows %s", async (_kind, statement) => {
    expect(await diagnose(statement)).toEqual([]);
  });

  it("lets a helper import a sibling workflow file through ..", async () => {
    expect(await diagnose(`import "./lib/up.ts";`, [{ path: ".workflows/lib/up.ts", content: `import { util } from "./util";\nimport "../b.ts";\nexport const u = util;\n` }, { path: ".workflows/b.ts", content: WORKFLOW }])).toEqual([]);
  });
});
