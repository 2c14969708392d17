/**
 * Everything the bench starts (workerd through Miniflare, the Probot child,
 * wrangler builds, the temp dir) registers its teardown here, so one path
 * tears it all down on success, on failure and on Ctrl-C.
 *
 * Shaped by Miniflare's own exit hook: while an instance runs, Miniflare
 * answers SIGINT/SIGTERM by killing workerd and calling process.exit at once,
 * so an async teardown may never get its turn. Each registration may
 * therefore also give a synchronous `atExit`, run from the process's "exit"
 * event, which fires on that path too.
 */

type Teardown = () => Promise<void> | void;

interface Registration {
  label: string;
  run: Teardown;
  atExit: (() => void) | undefined;
  started: boolean;
}

// Kept until a teardown has finished, so the exit path still sees one that was cut short.
const registrations = new Map<symbol, Registration>();

// A teardown that hangs must not keep the bench alive: the rest still run.
const TEARDOWN_TIMEOUT_MS = 10_000;

/** Registers a teardown; the returned function runs it now (once) and unregisters it. */
export function onCleanup(label: string, run: Teardown, atExit?: () => void): () => Promise<void> {
  const key = Symbol(label);
  registrations.set(key, { label, run, atExit, started: false });
  return () => finish(key);
}

/** Runs every registered teardown, newest first. */
export async function cleanupAll(): Promise<void> {
  for (const key of [...registrations.keys()].reverse()) await finish(key);
}

async function finish(key: symbol): Promise<void> {
  const registration = registrations.get(key);
  if (!registration || registration.started) return;
  registration.started = true;
  await runBounded(registration.label, registration.run);
  registrations.delete(key);
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
  process.on("exit", () => {
    for (const { label, atExit } of [...registrations.values()].reverse()) {
      try {
        atExit?.();
      } catch (error) {
        console.error(`repoflow: bench teardown "${label}" failed at exit:`, error);
      }
    }
  });
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

/**
 * Runs a bench entry's main: a report, not a test, so only a failure of the
 * bench itself (a target that did not start, a path not taken) exits 1, with
 * its message; our own `repoflow:` messages need no stack. Children and temp
 * dirs are cleaned up whatever happens.
 */
export async function runBench(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    if (error instanceof Error && !/^repoflow:/.test(error.message)) console.error(error.stack);
    process.exitCode = 1;
  } finally {
    await cleanupAll();
  }
}
