/**
 * The service (src/index.ts, unchanged: every request outside /bench/waits/
 * goes to its app) plus the routes the correlated-waits bench drives from
 * Node: filing waits through the real RunWaits, seeding the old design's D1
 * rows, handing one comment to either design with every binding it touches
 * counted, and reading the run index (over fetch, so a busy workerd never
 * blocks the runner the way Miniflare's synchronous Node-side proxy does).
 *
 * Shaped by two facts. Bindings are plain objects on `env`, so each design is
 * handed counting wrappers around the real WAITS and DB and either the real
 * WORKFLOWS or a recording stand-in, and its cost is read at those seams
 * rather than inferred. And the broadcast this replaced is gone from src/
 * (612a9db removed `forwardToWaitingRuns` and `listRunsWaitingFor`), so it is
 * rebuilt here from that commit's parent, query and loop unchanged, as the
 * same-run baseline.
 *
 * RunWaits, wakeWaits and normalizeWait are not exported by src/dispatch's
 * index.ts, so they are imported from their files.
 */
import service from "../../src/index.ts";
import { RunWaits, wakeWaits } from "../../src/dispatch/waits.ts";
import { normalizeWait } from "../../src/dispatch/wait-spec.ts";
import { ensureSchema } from "../../src/store/index.ts";
import { BROADCAST_EVENT, OLD_SHAPE_STEP, WAITS_ROUTES, type FileRequest, type SeedRequest, type StateAnswer, type StateRequest, type WakeAnswer, type WakeCost, type WakeRequest } from "../waits-api.ts";

// The Workflow classes, entrypoints and Durable Objects wrangler.toml names.
export * from "../../src/index.ts";

/** Long enough that no wait expires during a bench; short of the registry's 24 h buffer. */
const WAIT_TIMEOUT_MS = 3_600_000;
const SEED_CHUNK = 100;

function zeroCost(): WakeCost {
  return { sendEvents: 0, instanceLookups: 0, durableObjectCalls: 0, d1Queries: 0, roleLookups: 0 };
}

/**
 * Counts each RPC on the registry's stubs, whatever its method (a Proxy, so a
 * method added to WaitRegistry is counted without a change here);
 * waitRegistry() asks the namespace for a stub per call, so every stub it
 * hands out is wrapped.
 */
function countingWaits(namespace: Cloudflare.Env["WAITS"], cost: WakeCost): Cloudflare.Env["WAITS"] {
  const wrapped = {
    idFromName: (name: string) => namespace.idFromName(name),
    get(id: DurableObjectId) {
      return new Proxy(namespace.get(id), {
        get(stub, property) {
          // Read from the stub itself, not the Proxy: its RPC properties are resolved by the runtime on the real object.
          const value: unknown = Reflect.get(stub, property);
          if (typeof value !== "function" || typeof property !== "string") return value;
          return (...args: unknown[]) => {
            cost.durableObjectCalls++;
            return Reflect.apply(value, stub, args);
          };
        },
      });
    },
  };
  // Only idFromName and get are called (waits.ts waitRegistry); the namespace type is far wider.
  return wrapped as unknown as Cloudflare.Env["WAITS"];
}

/** Counts every statement that reaches D1; a batch counts each statement in it. */
function countingD1(db: D1Database, cost: WakeCost): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const counted = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values)),
      first: (column?: string) => {
        cost.d1Queries++;
        return column === undefined ? statement.first() : statement.first(column);
      },
      all: () => {
        cost.d1Queries++;
        return statement.all();
      },
      run: () => {
        cost.d1Queries++;
        return statement.run();
      },
      raw: (options?: { columnNames?: boolean }) => {
        cost.d1Queries++;
        return options?.columnNames ? statement.raw({ columnNames: true }) : statement.raw();
      },
    };
    real.set(counted, statement);
    // The statement's methods are generic overloads; these forward them unchanged.
    return counted as unknown as D1PreparedStatement;
  };
  const wrapped = {
    prepare: (query: string) => wrap(db.prepare(query)),
    batch: (statements: D1PreparedStatement[]) => {
      cost.d1Queries += statements.length;
      return db.batch(statements.map((statement) => real.get(statement) ?? statement));
    },
    exec: (query: string) => {
      cost.d1Queries++;
      return db.exec(query);
    },
  };
  // Sessions and dump are not used by either design.
  return wrapped as unknown as D1Database;
}

/** Every run "is waiting", and sendEvent only counts: the dispatcher's own cost, without the Workflows engine's. */
function recordingEngine(cost: WakeCost): Workflow {
  const instance = (id: string) => ({
    id,
    async status() {
      cost.instanceLookups++;
      return { status: "waiting" as const };
    },
    async sendEvent() {
      cost.sendEvents++;
    },
  });
  const binding = {
    async get(id: string) {
      cost.instanceLookups++;
      return instance(id);
    },
  };
  // lookUpInstance and the broadcast call only get, status and sendEvent.
  return binding as unknown as Workflow;
}

/** The service's own engine, with the same three calls counted. */
function countingEngine(workflows: Workflow, cost: WakeCost): Workflow {
  const binding = {
    async get(id: string) {
      cost.instanceLookups++;
      const instance = await workflows.get(id);
      return {
        id,
        status: () => {
          cost.instanceLookups++;
          return instance.status();
        },
        sendEvent: (event: { type: string; payload: unknown }) => {
          cost.sendEvents++;
          return instance.sendEvent(event);
        },
      };
    },
  };
  // As above: only get, status and sendEvent are reached.
  return binding as unknown as Workflow;
}

/**
 * The old design, from `git show 612a9db^:src/dispatch/start-runs.ts` and
 * `…:src/store/runs.ts`: one D1 query for every run of the repository with a
 * step waiting for the event's type, then one sendEvent per run. Each run
 * then resumed, ran the author's `match` in its Dynamic Worker and, on a no,
 * waited again under a new step (`…:src/runtime/host.ts`). The old query
 * first awaited ensureSchema(), a no-op after an isolate's first call; the
 * caller has made that call.
 */
async function broadcast(env: { DB: D1Database; WORKFLOWS: Workflow }, repository: string, delivery: { id: string; event: string; action: string | null }, payload: unknown): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT DISTINCT r.id AS id FROM runs r JOIN run_steps s ON s.run_id = r.id
       WHERE r.repository = ? AND r.status = 'running' AND s.status = 'waiting' AND s.wait_for = ?`,
  )
    .bind(repository, delivery.event)
    .all<{ id: string }>();
  const forwarded: string[] = [];
  for (const { id } of results) {
    const instance = await env.WORKFLOWS.get(id).catch(() => null);
    if (!instance) continue;
    await instance.sendEvent({ type: delivery.event, payload: { action: delivery.action, deliveryId: delivery.id, payload } });
    forwarded.push(id);
  }
  return forwarded;
}

async function fileWaits(env: Cloudflare.Env, request: FileRequest): Promise<Response> {
  const spec = (number: number) => normalizeWait(`bench wait on #${number}`, { events: ["issue_comment.created"], for: { number } });
  // Runs started a minute ago: every comment the bench sends is after their start.
  const origin = { at: Date.now() - 60_000, exclude: null };
  const noRoles = async () => null;
  for (let number = request.from; number <= request.to; number++) {
    await new RunWaits(env, request.repository, `${request.runPrefix}${number}`, origin, noRoles).register(request.name, 1, spec(number), WAIT_TIMEOUT_MS);
  }
  return Response.json({ filed: request.to - request.from + 1 });
}

async function seedBroadcast(env: Cloudflare.Env, request: SeedRequest): Promise<Response> {
  await ensureSchema(env.DB);
  const now = new Date().toISOString();
  const step = (runId: string) =>
    env.DB.prepare(
      `INSERT OR IGNORE INTO run_steps (run_id, name, kind, position, status, wait_for, started_at) VALUES (?, ?, 'wait', 1000, 'waiting', ?, ?)`,
    ).bind(runId, OLD_SHAPE_STEP, BROADCAST_EVENT, now);
  if (request.runs === "existing") {
    const { results } = await env.DB.prepare("SELECT id FROM runs WHERE repository = ? AND status = 'running'").bind(request.repository).all<{ id: string }>();
    for (let i = 0; i < results.length; i += SEED_CHUNK) await env.DB.batch(results.slice(i, i + SEED_CHUNK).map(({ id }) => step(id)));
    return Response.json({ seeded: results.length });
  }
  const { from, to, runPrefix } = request.runs;
  const statements: D1PreparedStatement[] = [];
  for (let number = from; number <= to; number++) {
    const runId = `${runPrefix}${number}`;
    statements.push(
      env.DB.prepare(
        `INSERT OR IGNORE INTO runs (id, installation_id, repository, workflow_file, workflow_name, event, action, delivery_id, bundle_hash,
           commit_sha, head_sha, status, created_at, updated_at)
         VALUES (?, 1, ?, '.workflows/approval.ts', 'Approval', 'pull_request', 'opened', ?, 'bench', ?, ?, 'running', ?, ?)`,
      ).bind(runId, request.repository, `delivery-${runId}`, "0".repeat(40), "0".repeat(40), now, now),
      step(runId),
    );
  }
  for (let i = 0; i < statements.length; i += SEED_CHUNK) await env.DB.batch(statements.slice(i, i + SEED_CHUNK));
  return Response.json({ seeded: to - from + 1 });
}

async function wake(env: Cloudflare.Env, request: WakeRequest): Promise<Response> {
  const cost = zeroCost();
  const workflows = request.engine === "recording" ? recordingEngine(cost) : countingEngine(env.WORKFLOWS, cost);
  const db = countingD1(env.DB, cost);
  const delivery = { id: crypto.randomUUID(), event: "issue_comment", action: "created", receivedAt: new Date().toISOString(), repository: request.repository };
  const roleOf = async () => {
    cost.roleLookups++;
    return null;
  };
  let woken: string[];
  if (request.design === "registry") {
    // DB rides along although WaitsEnv names none: a D1 query made anywhere on this path would be counted.
    const waitsEnv = { WAITS: countingWaits(env.WAITS, cost), WORKFLOWS: workflows, DB: db };
    woken = (await wakeWaits(waitsEnv, delivery, request.payload, roleOf)).woken;
  } else {
    await ensureSchema(env.DB);
    woken = await broadcast({ DB: db, WORKFLOWS: workflows }, request.repository, delivery, request.payload);
  }
  return Response.json({ woken, cost } satisfies WakeAnswer);
}

async function state(env: Cloudflare.Env, request: StateRequest): Promise<Response> {
  await ensureSchema(env.DB);
  const row = await env.DB.prepare(
    `SELECT
       (SELECT COUNT(*) FROM run_steps s JOIN runs r ON r.id = s.run_id WHERE r.repository = ?1 AND s.name <> ?3 AND s.kind = 'wait' AND s.status = 'waiting') AS waiting,
       (SELECT COUNT(*) FROM run_steps s JOIN runs r ON r.id = s.run_id WHERE r.repository = ?1 AND s.name <> ?3) AS steps,
       (SELECT COUNT(*) FROM runs WHERE repository = ?1 AND status = 'failed') AS failedRuns,
       (SELECT status FROM deliveries WHERE id = ?2) AS delivery`,
  )
    .bind(request.repository, request.deliveryId, OLD_SHAPE_STEP)
    .first<StateAnswer>();
  return Response.json(row satisfies StateAnswer | null);
}

export default {
  async fetch(request: Request, env: Cloudflare.Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    switch (pathname) {
      case WAITS_ROUTES.noop:
        return Response.json({});
      case WAITS_ROUTES.file:
        return fileWaits(env, await request.json<FileRequest>());
      case WAITS_ROUTES.seedBroadcast:
        return seedBroadcast(env, await request.json<SeedRequest>());
      case WAITS_ROUTES.wake:
        return wake(env, await request.json<WakeRequest>());
      case WAITS_ROUTES.state:
        return state(env, await request.json<StateRequest>());
      default:
        return service.fetch(request, env, ctx);
    }
  },
  scheduled: service.scheduled,
} satisfies ExportedHandler<Cloudflare.Env>;
