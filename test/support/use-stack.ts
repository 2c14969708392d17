/**
 * One local stack per e2e test file: started before the first test, closed
 * after the last, and every test ends by checking the emulator saw no request
 * the real GitHub API would reject.
 */
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { startStack, type Stack, type StackOptions } from "./stack.ts";

/** The file's stack; usable in tests and hooks once beforeAll has run. */
export function useStack(options: StackOptions = {}): Stack {
  let current: Stack | undefined;
  beforeAll(async () => {
    current = await startStack(options);
  }, 120_000);
  afterAll(async () => {
    await current?.close();
  });
  afterEach(() => {
    expect(current?.emulator.violations, "requests the real GitHub API would reject").toEqual([]);
  });
  return new Proxy({} as Stack, {
    get(_target, key) {
      if (!current) throw new Error("the stack is used before beforeAll started it");
      const value = current[key as keyof Stack];
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(current) : value;
    },
  });
}
