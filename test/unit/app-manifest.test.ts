/**
 * app.yml as /setup sends it to GitHub: scripts/build-app-manifest.mjs reads
 * it into src/edge/generated/app-manifest.ts at build time (a Worker cannot
 * read files), and reads only the YAML it understands.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { APP_YML } from "../../src/edge/generated/app-manifest.ts";
import { APP_MANIFEST, readManifest } from "../emulator/manifest.ts";

// A path in a variable: the generator is plain JavaScript without type declarations.
const GENERATOR = "../../scripts/build-app-manifest.mjs";
const { parseAppYml } = (await import(GENERATOR)) as { parseAppYml(text: string): Record<string, unknown> };

describe("the generated App manifest", () => {
  it("carries app.yml's name, url, default_permissions and default_events, as the emulator reads them too", () => {
    const emulator = readManifest();
    expect(APP_YML.default_permissions).toEqual(emulator.permissions);
    expect(APP_YML.default_events).toEqual(emulator.events);
    expect(APP_YML).toMatchObject({ name: "repoflow", url: expect.stringMatching(/^https:\/\//), public: false });
    expect(parseAppYml(readFileSync(APP_MANIFEST, "utf8"))).toEqual(APP_YML);
  });

  it("reads quoted strings, booleans and comments, and refuses nesting it does not read, naming the line", () => {
    expect(parseAppYml('name: "a # b" # comment\npublic: true\nlist:\n  - x # y\n')).toEqual({ name: "a # b", public: true, list: ["x"] });
    expect(() => parseAppYml("hook_attributes:\n  config:\n    url: x\n")).toThrow(/^repoflow: app\.yml line 2: "config:" is nested deeper than one level/);
    expect(() => parseAppYml("events: [push, issues]\n")).toThrow(/line 1: "\[push, issues\]" is YAML this reader does not take/);
  });
});
