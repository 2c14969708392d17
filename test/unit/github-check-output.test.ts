import { describe, expect, it } from "vitest";
import { CHECK_RUN_LIMITS, renderCheckRunOutput } from "../../src/github";
import { truncate } from "../../src/github/check-runs.ts";

describe("check-run output", () => {
  it("lists every step with its status, duration and attempts in the summary", () => {
    const output = renderCheckRunOutput({
      title: "release",
      steps: [
        { name: "build", status: "succeeded", durationMs: 1234, attempts: 1 },
        { name: "wait for | approval", status: "waiting" },
        { name: "deploy", status: "failed", durationMs: 200, attempts: 3, error: "boom\nat deploy.ts:3" },
      ],
    });
    expect(output.title).toBe("release");
    expect(output.summary).toContain("**release**: 1 of 3 steps succeeded, 1 failed, 1 waiting.");
    expect(output.summary).toContain("| ✅ | build | succeeded | 1.2 s | 1 |");
    expect(output.summary).toContain("| ⏸️ | wait for \\| approval | waiting |  |  |");
    expect(output.summary).toContain("| ❌ | deploy | failed | 200 ms | 3 |");
    expect(output.text).toContain("### Step `deploy` failed\n\n```\nboom\nat deploy.ts:3\n```");
    expect(output.annotations).toEqual([]);
  });

  it("has no text when nothing failed", () => {
    expect(renderCheckRunOutput({ title: "ok", steps: [{ name: "a", status: "running" }] }).text).toBeUndefined();
  });

  it("annotates a run error at its file, line and column", () => {
    const output = renderCheckRunOutput({
      title: "compile failed",
      steps: [],
      error: { message: "Expected \";\" but found \"}\"", file: ".workflows/release.ts", line: 12, column: 4 },
    });
    expect(output.summary).toContain('**Error:** Expected ";" but found "}" (.workflows/release.ts:12:4)');
    expect(output.text).toContain("### Error at .workflows/release.ts:12:4");
    expect(output.annotations).toEqual([
      { path: ".workflows/release.ts", start_line: 12, end_line: 12, start_column: 4, end_column: 4, annotation_level: "failure", message: 'Expected ";" but found "}"' },
    ]);
  });

  it("makes no annotation for an error without a line", () => {
    expect(renderCheckRunOutput({ title: "t", steps: [], error: { message: "no", file: ".workflows/a.ts" } }).annotations).toEqual([]);
  });

  it("fences an error that itself contains a code fence", () => {
    const output = renderCheckRunOutput({ title: "t", steps: [], error: { message: "a\n```\nb" } });
    expect(output.text).toContain("````\na\n```\nb\n````");
  });

  it("truncates a summary over 65535 characters with a visible marker", () => {
    const steps = Array.from({ length: 3000 }, (_, i) => ({ name: `step number ${i} `.repeat(3), status: "succeeded" as const, durationMs: i }));
    const output = renderCheckRunOutput({ title: "huge", steps });
    expect(output.summary.length).toBeLessThanOrEqual(65_535);
    expect(output.summary.length).toBeGreaterThan(65_000);
    expect(output.summary).toMatch(/\*\*… \d+ more characters cut by repoflow to fit GitHub's limit of 65535\.\*\*$/);
    expect(output.summary.startsWith("**huge**: 3000 of 3000 steps succeeded.")).toBe(true);
  });

  it("truncates the text to the given limit too", () => {
    const output = renderCheckRunOutput({ title: "t", steps: [], error: { message: "x".repeat(5000) } }, { ...CHECK_RUN_LIMITS, maxTextChars: 1000 });
    expect(output.text!.length).toBeLessThanOrEqual(1000);
    expect(output.text).toContain("more characters cut by repoflow");
  });

  it("reports how many characters were cut, and never splits a surrogate pair", () => {
    const text = "a".repeat(99) + "😀".repeat(100);
    for (let max = 120; max < 200; max++) {
      const cut = truncate(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      const kept = cut.slice(0, cut.indexOf("\n\n**…"));
      expect(() => encodeURIComponent(kept)).not.toThrow();
      expect(cut).toContain(`… ${text.length - kept.length} more characters`);
    }
  });

  it("leaves text at the limit untouched", () => {
    expect(truncate("x".repeat(10), 10)).toBe("x".repeat(10));
  });
});
