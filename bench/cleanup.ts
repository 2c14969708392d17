/**
 * Everything the bench starts (workerd through Miniflare, the Probot child,
 * temp dirs) registers its teardown here, so one path tears it all down on
 * success, on failure and on Ctrl-C. Miniflare hooks process exit itself, but
 * only when it owns the last signal listener; our SIGINT handler replaces that
 * and must therefore dispose Miniflare explicitly.
 */

type Teardown = () => Promise<void> | void;

const teardowns = new Map<symbol, { label: string; run: Teardown }>();

// A teardown that hangs must not keep the bench alive: the rest still run.
const TEARDOWN_TIMEOUT_MS = 10_000;

/** Registers a teardown; the returned function runs it now and unregisters it. */
export function onCleanup(label: string, run: Teardown): () => Promise<void> {
  const key = Symbol(label);
  teardowns.set(key, { label, run });
  return async () => {
    if (!teardowns.delete(key)) return;
    await runBounded(label, run);
  };
}

/** Runs every registered teardown, newest first. */
export async function cleanupAll(): Promise<void> {
  const pending = [...teardowns.values()].reverse();
  teardowns.clear();
  for (const { label, run } of pending) await runBounded(label, run);
}

async function runBounded(label: string, run: Teardown): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.error(`repoflow: bench teardown "${label}" did not finish within ${TEARDOWN_TIMEOUT_MS / 1000} s; moving on.`);
      resolve();
    }, TEARDOWN_TIMEOUT_MS);
  });
  try {
    await Promise.race([Promise.resolve().then(run), timeout]);
  } catch (error) {
    console.error(`repoflow: bench teardown "${label}" failed:`, error);
  } finally {
    clearTimeout(timer);
  }
}

/** Ctrl-C or a kill tears everything down before exiting with the signal's conventional code. */
export function exitCleanlyOnSignals(): void {
  let stopping = false;
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\nrepoflow: bench interrupted (${signal}); stopping every target.`);
      void cleanupAll().finally(() => process.exit(code));
    });
  }
}
