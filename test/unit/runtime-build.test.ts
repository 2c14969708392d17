/**
 * scripts/build-runtime.mjs and what it generates: the two tenant modules, each
 * importing only what a tenant Dynamic Worker provides, and a rerun that touches
 * nothing when no input changed (wrangler runs it on every build and would loop on
 * a rewritten file).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("../../scripts/build-runtime.mjs", import.meta.url).href);
const generated = fileURLToPath(new URL("../../src/runtime/generated/modules.ts", import.meta.url).href);

const build = (...args: string[]) => execFileSync(process.execPath, [script, ...args], { encoding: "utf8" });

async function modules() {
  build();
  return (await import("../../src/runtime/generated/modules.ts")) as { RUNTIME_MODULES: Record<"host.js" | "repoflow.js", string>; RUNTIME_VERSION: string };
}

function importsOf(code: string): string[] {
  const statics = [...code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"/gm)].map((m) => m[1]!);
  const dynamics = [...code.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!);
  return [...statics, ...dynamics];
}

describe("build-runtime", () => {
  it("leaves the generated file untouched when its inputs are unchanged", () => {
    build();
    const before = { mtime: statSync(generated).mtimeMs, content: readFileSync(generated, "utf8") };
    expect(build()).toBe("");
    expect(statSync(generated).mtimeMs).toBe(before.mtime);
    expect(readFileSync(generated, "utf8")).toBe(before.content);
  }, 60_000);

  it("rebuilds on --force to the same content", () => {
    build();
    const before = readFileSync(generated, "utf8");
    build("--force");
    expect(readFileSync(generated, "utf8")).toBe(before);
  }, 60_000);

  it("keeps the SDK and the repository bundle out of host.js: they are its sibling modules", async () => {
    const { RUNTIME_MODULES } = await modules();
    const host = RUNTIME_MODULES["host.js"];
    expect(new Set(importsOf(host))).toEqual(new Set(["cloudflare:workers", "./bundle.js", "./repoflow.js", "node:async_hooks"]));
    expect(host).not.toContain("api.github.com");
  }, 60_000);

  it("bundles @octokit/rest into repoflow.js, which imports nothing", async () => {
    const { RUNTIME_MODULES } = await modules();
    const sdk = RUNTIME_MODULES["repoflow.js"];
    expect(importsOf(sdk)).toEqual([]);
    expect(sdk).toContain("https://api.github.com");
    expect(sdk).toMatch(/export\s*\{[^}]*\bworkflow\b/);
  }, 60_000);

  it("versions the runtime by the content of both modules", async () => {
    const { RUNTIME_MODULES, RUNTIME_VERSION } = await modules();
    const expected = createHash("sha256").update(RUNTIME_MODULES["repoflow.js"]).update("\0").update(RUNTIME_MODULES["host.js"]).digest("hex").slice(0, 16);
    expect(RUNTIME_VERSION).toBe(expected);
  }, 60_000);
});
