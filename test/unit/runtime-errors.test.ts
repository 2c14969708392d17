/**
 * What leaves the tenant isolate: step results as they are stored (Octokit responses
 * without headers, refusals with the fix) and the portable form of thrown values.
 */
import { describe, expect, it } from "vitest";
import { STACK_MARKER } from "../../src/runtime/host-protocol.ts";
import { errorReport, portable } from "../../src/runtime/portable.ts";
import { NonRetryableError } from "../../src/runtime/sdk.ts";
import { MAX_STEP_RESULT_BYTES, StepResultError, storableStepResult } from "../../src/runtime/step-result.ts";

const response = { status: 201, url: "https://api.github.com/repos/o/r/issues/1/comments", headers: { etag: "W/\"1\"" }, data: { id: 1 } };

describe("storableStepResult", () => {
  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a number", 3],
    ["plain data", { labels: ["bug"], count: 2, nested: { ok: true, when: null } }],
    ["the .data of a response", response.data],
    ["an object with only some of a response's fields", { status: 200, data: {} }],
  ])("stores %s as it is", (_label, value) => {
    expect(storableStepResult("s", value)).toEqual(value);
  });

  it("stores a whole Octokit response without its headers, keeping status, url and data", () => {
    expect(storableStepResult("comment", response)).toEqual({ status: 201, url: response.url, headers: {}, data: { id: 1 } });
    expect(response.headers).toEqual({ etag: 'W/"1"' });
  });

  it("empties the headers of responses nested in arrays and objects", () => {
    expect(storableStepResult("both", { created: response, all: [response, { other: response }] })).toEqual({
      created: { ...response, headers: {} },
      all: [{ ...response, headers: {} }, { other: { ...response, headers: {} } }],
    });
  });

  it.each([
    ["a function", () => 1, /returned a function as its result; step results are stored as JSON/],
    ["a function inside", { later: () => 1 }, /returned a function as "later" in its result/],
    ["a symbol", { tag: Symbol("x") }, /returned a symbol as "tag"/],
    ["a bigint", { n: 1n }, /returned a value that is not JSON \(.*BigInt.*\)/],
  ])("refuses %s, without retries", (_label, value, message) => {
    expect(() => storableStepResult("s", value)).toThrow(message);
    expect(() => storableStepResult("s", value)).toThrow(NonRetryableError);
  });

  it("refuses a cycle", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = { back: cycle };
    expect(() => storableStepResult("s", cycle)).toThrow(/returned a value that is not JSON/);
  });

  it("refuses a result over Cloudflare's 1 MiB per step and accepts one just under it", () => {
    const overhead = JSON.stringify({ text: "" }).length;
    expect(() => storableStepResult("s", { text: "x".repeat(MAX_STEP_RESULT_BYTES - overhead) })).not.toThrow();
    expect(() => storableStepResult("big", { text: "x".repeat(MAX_STEP_RESULT_BYTES - overhead + 1) })).toThrow(
      /step "big" returned 1024 KB, over Cloudflare Workflows' 1 MiB per step/,
    );
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
