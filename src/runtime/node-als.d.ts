/** The one Node API tenant Workers get (compatibility flag `nodejs_als`); workers-types does not declare it. */
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, callback: () => R): R;
    getStore(): T | undefined;
  }
}
