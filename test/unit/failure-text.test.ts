import { describe, expect, it } from "vitest";
import { authorFailureText, withoutEnginePrefix } from "../../src/dispatch/failure-text";

const MARKER = "\n--- repoflow stack ---\n";

describe("failure text shows the author's message and frames only", () => {
  it("drops the engine's NonRetryableError prefix, however often it was added", () => {
    expect(withoutEnginePrefix("NonRetryableError: NonRetryableError: repoflow: nope")).toBe("repoflow: nope");
    expect(withoutEnginePrefix("TypeError-free message")).toBe("TypeError-free message");
  });

  it("keeps the bundle's frames and drops repoflow's host and SDK modules and the platform's", () => {
    const stack = [
      "Error: the label is missing",
      "    at Object.run (bundle.js:8:13)",
      "    at helper (bundle.js:30:5)",
      "    at authorStep.do.guarded (host.js:212:27)",
      "    at AsyncLocalStorage.run (node:internal/async_local_storage:10:3)",
      "    at request (repoflow.js:4001:9)",
      "    at async Promise.all (index 0)",
    ].join("\n");
    expect(authorFailureText(`NonRetryableError: the label is missing${MARKER}${stack}`)).toBe(
      `the label is missing${MARKER}    at Object.run (bundle.js:8:13)\n    at helper (bundle.js:30:5)`,
    );
  });

  it("leaves a message without a stack, and a stack of ours alone, as the bare message", () => {
    expect(authorFailureText("repoflow: step.do needs a function")).toBe("repoflow: step.do needs a function");
    expect(authorFailureText(`boom${MARKER}Error: boom\n    at run (host.js:1:1)`)).toBe("boom");
  });
});
