/**
 * What leaves the tenant isolate when author code fails or a step returns something
 * that cannot be stored: step-result checks and the portable form of thrown values.
 */
import { describe, expect, it } from "vitest";
import { STACK_MARKER } from "../../src/runtime/host-protocol.ts";
import { errorReport, portable } from "../../src/runtime/portable.ts";
import { NonRetryableError } from "../../src/runtime/sdk.ts";
import { checkStepResult, MAX_STEP_RESULT_BYTES, StepResultError } from "../../src/runtime/step-result.ts";

const response = { status: 201, url: "https://api.github.com/repos/o/r/issues/1/comments", headers: { etag: "W/\"1\"" }, data: { id: 1 } };

describe("checkStepResult", () => {
  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a number", 3],
    ["plain data", { labels: ["bug"], count: 2, nested: { ok: true, when: null } }],
    ["the .data of a response", response.data],
    ["an object that only has some response fields", { status: 200, data: {} }],
  ])("accepts %s", (_label, value) => {
    expect(() => checkStepResult("s", value)).not.toThrow();
  });

  it("refuses a whole Octokit response, without retries, and says to return .data", () => {
    const check = () => checkStepResult("comment", response);
    expect(check).toThrow(StepResultError);
    expect(check).toThrow(/^repoflow: step "comment" returned an Octokit response .* add `\.then\(\(r\) => r\.data\)`/);
    expect(() => checkStepResult("comment", response)).toThrow(NonRetryableError);
  });

  it("refuses a response nested in the result and names where it is", () => {
    expect(() => checkStepResult("both", { created: response })).toThrow(/returned an Octokit response as "created" in its result/);
    expect(() => checkStepResult("all", [response])).toThrow(/returned an Octokit response as "0" in its result/);
  });

  it.each([
    ["a function", () => 1, /returned a function as its result; step results are stored as JSON/],
    ["a function inside", { later: () => 1 }, /returned a function as "later" in its result/],
    ["a symbol", { tag: Symbol("x") }, /returned a symbol as "tag"/],
    ["a bigint", { n: 1n }, /returned a value that is not JSON \(.*BigInt.*\)/],
  ])("refuses %s", (_label, value, message) => {
    expect(() => checkStepResult("s", value)).toThrow(message);
  });

  it("refuses a cycle", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => checkStepResult("s", cycle)).toThrow(/returned a value that is not JSON/);
  });

  it("refuses a result over Cloudflare's 1 MiB per step and accepts one just under it", () => {
    const overhead = JSON.stringify({ text: "" }).length;
    expect(() => checkStepResult("s", { text: "x".repeat(MAX_STEP_RESULT_BYTES - overhead) })).not.toThrow();
    expect(() => checkStepResult("big", { text: "x".repeat(MAX_STEP_RESULT_BYTES - overhead + 1) })).toThrow(/step "big" returned 1024 KB, over Cloudflare Workflows' 1 MiB per step/);
  });
});

describe("portable", () => {
  it("carries an Error's stack after the marker in its message", () => {
    const original = new Error("boom");
    const wrapped = portable(original);
    const [message, stack] = wrapped.message.split(STACK_MARKER);
    expect(message).toBe("boom");
    expect(stack).toBe(original.stack);
    expect(wrapped.name).toBe("Error");
  });

  it("keeps the name NonRetryableError for it and its subclasses, so the dispatcher does not retry", () => {
    expect(portable(new NonRetryableError("no")).name).toBe("NonRetryableError");
    expect(portable(new StepResultError("bad result")).name).toBe("NonRetryableError");
    const lookalike = new Error("from elsewhere");
    lookalike.name = "NonRetryableError";
    expect(portable(lookalike).name).toBe("NonRetryableError");
  });

  it("passes an already portable error through, so a step's failure is not wrapped twice", () => {
    const once = portable(new NonRetryableError("once"));
    expect(portable(once)).toBe(once);
  });

  it.each([
    ["a string", "plain text", "plain text"],
    ["an object", { code: 42 }, 'a non-Error value was thrown: {"code":42}; throw new Error("…") to get a stack trace.'],
    ["undefined", undefined, 'a non-Error value was thrown: undefined; throw new Error("…") to get a stack trace.'],
  ])("wraps %s in an Error that shows it", (_label, thrown, message) => {
    const wrapped = portable(thrown);
    expect(wrapped).toBeInstanceOf(Error);
    expect(wrapped.message).toBe(message);
  });
});

describe("errorReport", () => {
  it("gives an Error's message and stack, and a thrown string as the message", () => {
    const error = new TypeError("x is undefined");
    expect(errorReport(error)).toEqual({ message: "x is undefined", stack: error.stack });
    expect(errorReport("nope")).toEqual({ message: "nope" });
  });
});
