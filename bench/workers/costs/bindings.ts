/**
 * Counting stand-ins for what the service touches on `env`, each a thin
 * layer over the real binding that counts the calls Cloudflare bills and
 * forwards them unchanged.
 *
 * Shaped by three facts. Bindings are plain objects on `env`, so counting
 * at that seam needs nothing from src/ beyond the names wrangler.toml gives
 * them (BINDINGS_VAR). src/ keys caches by a binding's identity
 * (store/schema.ts applies migrations once per D1Database object through a
 * WeakMap), so every wrapper is memoized by the real object: a fresh
 * wrapper per request would re-run the schema check and inflate the D1
 * count. And native and RPC objects check their receiver, so every
 * forwarded call runs with the real object as `this`.
 */
import { BINDINGS_VAR, COUNTER, type BindingKinds } from "../../costs/api.ts";
import { count, storedBytes } from "./counters.ts";

const wrappers = new WeakMap<object, object>();

function memoized<T extends object>(real: T, make: (real: T) => T): T {
  const known = wrappers.get(real);
  if (known) return known as T;
  const made = make(real);
  wrappers.set(real, made);
  wrappers.set(made, made);
  return made;
}

type Method = (...args: unknown[]) => unknown;

/** A Proxy whose methods run on the real object; `around` may replace one by name (return undefined to forward it as is). */
function forwarding<T extends object>(real: T, around: (name: string | symbol, method: Method) => Method | undefined): T {
  return new Proxy(real, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = value as Method;
      // An RPC stub answers every property with a function; `then` must stay what it is, or awaiting a stub would call it.
      if (property === "then") return value;
      return around(property, method) ?? ((...args: unknown[]) => Reflect.apply(method, target, args));
    },
  });
}

function countingEach<T extends object>(real: T, name: string): T {
  return forwarding(real, (_property, method) => (...args) => {
    count(name);
    return Reflect.apply(method, real, args);
  });
}

// ── D1 ──────────────────────────────────────────────────────────────────────

interface D1MetaLike {
  rows_read?: unknown;
  rows_written?: unknown;
}

function tally(meta: D1MetaLike | undefined): void {
  count(COUNTER.d1Statements);
  if (typeof meta?.rows_read === "number" && typeof meta.rows_written === "number") {
    count(COUNTER.d1RowsRead, meta.rows_read);
    count(COUNTER.d1RowsWritten, meta.rows_written);
  } else count(COUNTER.d1WithoutMeta);
}

/**
 * Every statement that reaches D1, with the rows D1 reports in its result's
 * meta (local D1 takes them from SQLite's cursor, as D1 bills them). first()
 * returns no meta, so it is answered from all() here, which D1's first()
 * itself runs before taking row 0.
 */
function countingD1(db: D1Database): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const counted = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values)),
      all: async () => {
        const result = await statement.all();
        tally(result.meta);
        return result;
      },
      run: async () => {
        const result = await statement.run();
        tally(result.meta);
        return result;
      },
      first: async (column?: string) => {
        const result = await statement.all<Record<string, unknown>>();
        tally(result.meta);
        const row = result.results[0];
        if (column === undefined) return row ?? null;
        if (row && !(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
        return row?.[column] ?? null;
      },
      raw: (options?: { columnNames?: boolean }) => {
        tally(undefined);
        return options?.columnNames ? statement.raw({ columnNames: true }) : statement.raw();
      },
    };
    real.set(counted, statement);
    // The statement's methods are generic overloads; these forward them unchanged.
    return counted as unknown as D1PreparedStatement;
  };
  const wrapped = {
    prepare: (query: string) => wrap(db.prepare(query)),
    batch: async (statements: D1PreparedStatement[]) => {
      const results = await db.batch(statements.map((statement) => real.get(statement) ?? statement));
      for (const result of results) tally(result.meta);
      return results;
    },
    exec: async (query: string) => {
      const result = await db.exec(query);
      for (let i = 0; i < result.count; i++) tally(undefined);
      return result;
    },
    dump: () => db.dump(),
  };
  // withSession is not used by src/; it would reach the real D1 uncounted, so it is left out and fails loudly if it ever is.
  return wrapped as unknown as D1Database;
}

// ── R2 ──────────────────────────────────────────────────────────────────────

/** R2's operation classes (developers.cloudflare.com/r2/pricing/): reads are Class B, writes and lists Class A, deletes free. */
const R2_CLASS: Record<string, string> = {
  head: COUNTER.r2ClassB,
  get: COUNTER.r2ClassB,
  put: COUNTER.r2ClassA,
  list: COUNTER.r2ClassA,
  createMultipartUpload: COUNTER.r2ClassA,
  delete: COUNTER.r2Free,
};

function countingR2(bucket: R2Bucket): R2Bucket {
  return forwarding(bucket, (property, method) => {
    const name = typeof property === "string" ? R2_CLASS[property] : undefined;
    if (!name) return undefined;
    return (...args) => {
      count(name);
      return Reflect.apply(method, bucket, args);
    };
  });
}

// ── Durable Objects ─────────────────────────────────────────────────────────

/** Each RPC method call or fetch on a stub is its own billed request (developers.cloudflare.com/durable-objects/platform/pricing/). */
function countingNamespace(binding: string, namespace: DurableObjectNamespace): DurableObjectNamespace {
  return forwarding(namespace, (property, method) => {
    if (property === "get" || property === "getByName") return (...args) => countingEach(Reflect.apply(method, namespace, args) as object, `${COUNTER.doCalls}.${binding}`);
    if (property === "jurisdiction") return (...args) => countingNamespace(binding, Reflect.apply(method, namespace, args) as DurableObjectNamespace);
    return undefined;
  });
}

/** SQL statements a Durable Object runs on its own storage, with the rows SQLite reports (billed like D1's). */
export function countingState(state: DurableObjectState): DurableObjectState {
  const sql = forwarding(state.storage.sql, (property, method) => {
    if (property !== "exec") return undefined;
    return (...args) => {
      count(COUNTER.doSqlStatements);
      return countingCursor(Reflect.apply(method, state.storage.sql, args) as SqlStorageCursor<Record<string, SqlStorageValue>>);
    };
  });
  const storage = new Proxy(state.storage, {
    get(target, property) {
      if (property === "sql") return sql;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = value as Method;
      if (property === "setAlarm") {
        return (...args: unknown[]) => {
          count(COUNTER.doSetAlarm);
          return Reflect.apply(method, target, args);
        };
      }
      return (...args: unknown[]) => Reflect.apply(method, target, args);
    },
  });
  return new Proxy(state, {
    get(target, property) {
      if (property === "storage") return storage;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (...args: unknown[]) => Reflect.apply(value as Method, target, args) : value;
    },
  });
}

/**
 * A cursor's rows are read lazily, so its counts grow as it is consumed:
 * they are added after exec() (a write runs there) and after every call on
 * the cursor, inside the Durable Object's own request.
 */
function countingCursor<T extends Record<string, SqlStorageValue>>(cursor: SqlStorageCursor<T>): SqlStorageCursor<T> {
  let read = 0;
  let written = 0;
  const settle = () => {
    const nowRead = cursor.rowsRead;
    const nowWritten = cursor.rowsWritten;
    count(COUNTER.doSqlRowsRead, nowRead - read);
    count(COUNTER.doSqlRowsWritten, nowWritten - written);
    read = nowRead;
    written = nowWritten;
  };
  settle();
  const counted: SqlStorageCursor<T> = new Proxy(cursor, {
    get(target, property) {
      // Iterating the cursor must go through next() below, so the iterator is the Proxy itself.
      if (property === Symbol.iterator) return () => counted;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          return Reflect.apply(value as Method, target, args);
        } finally {
          settle();
        }
      };
    },
  });
  return counted;
}

// ── Workflows ───────────────────────────────────────────────────────────────

function countingInstance(binding: string, instance: object): object {
  return countingEach(instance, `${COUNTER.workflowCalls}.${binding}`);
}

interface CreateOptionsLike {
  params?: unknown;
}

/** Instances are counted once created (createBatch fails whole when one id exists, and the caller then creates one by one). */
function countingWorkflow(binding: string, workflow: Workflow): Workflow {
  return forwarding(workflow, (property, method) => {
    if (property === "create") {
      return async (...args) => {
        const instance = (await Reflect.apply(method, workflow, args)) as object;
        count(`${COUNTER.workflowCreated}.${binding}`);
        count(COUNTER.workflowParamsBytes, storedBytes((args[0] as CreateOptionsLike | undefined)?.params));
        return countingInstance(binding, instance);
      };
    }
    if (property === "createBatch") {
      return async (...args) => {
        const instances = (await Reflect.apply(method, workflow, args)) as object[];
        const batch = args[0] as CreateOptionsLike[];
        count(`${COUNTER.workflowCreated}.${binding}`, instances.length);
        for (const options of batch) count(COUNTER.workflowParamsBytes, storedBytes(options.params));
        return instances.map((instance) => countingInstance(binding, instance));
      };
    }
    if (property === "get") {
      return async (...args) => {
        count(`${COUNTER.workflowCalls}.${binding}`);
        return countingInstance(binding, (await Reflect.apply(method, workflow, args)) as object);
      };
    }
    return undefined;
  });
}

/**
 * The Workflow step the engine hands to run(): every step.do, sleep,
 * sleepUntil and waitForEvent that reaches the engine, replays included
 * (a run re-enters run() after each sleep and wait, and every completed
 * step.do answers from the engine's store then). A step body that runs,
 * and the size of what it returns (stored by the engine), are counted
 * inside the body, so replays add nothing there.
 */
export function countingStep<S extends object>(step: S, workflowClass: string): S {
  const kinds: Record<string, string> = {
    do: COUNTER.stepDo,
    sleep: COUNTER.stepSleep,
    sleepUntil: COUNTER.stepSleepUntil,
    waitForEvent: COUNTER.stepWaitForEvent,
  };
  return forwarding(step, (property, method) => {
    const name = typeof property === "string" ? kinds[property] : undefined;
    if (!name) return undefined;
    return (...args) => {
      count(name);
      count(`${COUNTER.workflowSteps}.${workflowClass}`);
      const last = args.length - 1;
      const body = args[last];
      if (property === "do" && typeof body === "function") {
        args[last] = async (...bodyArgs: unknown[]) => {
          count(COUNTER.stepBodies);
          const result: unknown = await Reflect.apply(body as Method, undefined, bodyArgs);
          count(COUNTER.stepResultBytes, storedBytes(result));
          return result;
        };
      }
      return Reflect.apply(method, step, args);
    };
  });
}

// ── Dynamic Workers ─────────────────────────────────────────────────────────

/** Each fetch or RPC call into a Dynamic Worker is a billed request (developers.cloudflare.com/dynamic-workers/pricing/). */
function countingWorkerStub(stub: object): object {
  return forwarding(stub, (property, method) => {
    if (property !== "getEntrypoint") return undefined;
    return (...args) => countingEach(Reflect.apply(method, stub, args) as object, COUNTER.dynamicCalls);
  });
}

function countingLoader(loader: WorkerLoader): WorkerLoader {
  return forwarding(loader, (property, method) => {
    if (property === "get") {
      return (...args) => {
        count(COUNTER.dynamicGets);
        const code = args[1] as Method;
        const stub = Reflect.apply(method, loader, [
          args[0],
          (...codeArgs: unknown[]) => {
            count(COUNTER.dynamicCodeLoads);
            return Reflect.apply(code, undefined, codeArgs);
          },
        ]) as object;
        return countingWorkerStub(stub);
      };
    }
    if (property === "load") {
      return (...args) => {
        count(COUNTER.dynamicGets);
        count(COUNTER.dynamicCodeLoads);
        return countingWorkerStub(Reflect.apply(method, loader, args) as object);
      };
    }
    return undefined;
  });
}

// ── env ─────────────────────────────────────────────────────────────────────

const NO_KINDS: BindingKinds = { d1: [], r2: [], durableObjects: [], workflows: [], loaders: [] };

/** Where the service's GitHub API lives, so outbound fetches can be told apart: GitHub or anything else. */
let gitHubOrigin: string | null = null;

export function isGitHub(url: string): boolean {
  return gitHubOrigin !== null && url.startsWith(gitHubOrigin);
}

function kindsOf(env: Record<string, unknown>): BindingKinds {
  const text = env[BINDINGS_VAR];
  return typeof text === "string" ? (JSON.parse(text) as BindingKinds) : NO_KINDS;
}

/** The env the service gets: the same values, with every billed binding counted. */
export function countingEnv<E extends object>(env: E): E {
  return memoized(env, (real) => {
    const values = real as unknown as Record<string, unknown>;
    const kinds = kindsOf(values);
    if (typeof values.GITHUB_API_URL === "string") gitHubOrigin = new URL(values.GITHUB_API_URL).origin;
    const wrapped: Record<string, unknown> = { ...values };
    const each = <B extends object>(names: readonly string[], make: (name: string, binding: B) => B) => {
      for (const name of names) {
        const binding = values[name];
        if (binding && typeof binding === "object") wrapped[name] = memoized(binding as B, (b) => make(name, b));
      }
    };
    each<D1Database>(kinds.d1, (_name, db) => countingD1(db));
    each<R2Bucket>(kinds.r2, (_name, bucket) => countingR2(bucket));
    each<DurableObjectNamespace>(kinds.durableObjects, countingNamespace);
    each<Workflow>(kinds.workflows, countingWorkflow);
    each<WorkerLoader>(kinds.loaders, (_name, loader) => countingLoader(loader));
    return wrapped as unknown as E;
  });
}
