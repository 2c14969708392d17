/**
 * A step for dispatch code under test that behaves like the engine's step.do
 * without its delays: memoized by name, retried up to the config's limit,
 * the attempt number handed to the callback.
 */
export class RetryingStep {
  readonly names: string[] = [];
  readonly attempts = new Map<string, number>();
  readonly #results = new Map<string, unknown>();

  async do<T>(name: string, configOrCallback: object | ((ctx?: unknown) => Promise<T>), maybeCallback?: (ctx?: unknown) => Promise<T>): Promise<T> {
    const callback = typeof configOrCallback === "function" ? configOrCallback : maybeCallback!;
    const config = typeof configOrCallback === "function" ? {} : (configOrCallback as { retries?: { limit?: number } });
    if (this.#results.has(name)) return this.#results.get(name) as T;
    this.names.push(name);
    const limit = config.retries?.limit ?? 5;
    for (let attempt = 1; ; attempt++) {
      this.attempts.set(name, attempt);
      try {
        const result = await callback({ attempt });
        this.#results.set(name, result);
        return result;
      } catch (error) {
        if (attempt > limit || (error as { name?: string }).name === "NonRetryableError") throw error;
      }
    }
  }
}
