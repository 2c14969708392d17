/**
 * A stand-in for a Workflow binding whose answers a test sets per instance:
 * a status, a missing instance (the engine's `instance.not_found`), or an
 * engine that cannot answer. It records what was asked of each instance.
 */
export type FakeAnswer =
  | { status: InstanceStatus["status"]; error?: string }
  | "missing"
  | { throws: string };

export interface FakeEngine {
  binding: Workflow;
  set(id: string, answer: FakeAnswer): void;
  calls: { id: string; method: string; arg?: unknown }[];
}

export function fakeEngine(initial: Record<string, FakeAnswer> = {}): FakeEngine {
  const answers = new Map<string, FakeAnswer>(Object.entries(initial));
  const calls: FakeEngine["calls"] = [];
  const answer = (id: string) => answers.get(id) ?? "missing";
  const instance = (id: string) => ({
    id,
    async status() {
      const a = answer(id);
      if (a === "missing") throw new Error("instance.not_found");
      if ("throws" in a) throw new Error(a.throws);
      return { status: a.status, ...(a.error ? { error: { name: "Error", message: a.error } } : {}) };
    },
    async sendEvent(event: unknown) {
      calls.push({ id, method: "sendEvent", arg: event });
    },
    async terminate() {
      calls.push({ id, method: "terminate" });
      answers.set(id, { status: "terminated" });
    },
    async pause() {
      calls.push({ id, method: "pause" });
    },
    async resume() {
      calls.push({ id, method: "resume" });
    },
    async restart() {
      calls.push({ id, method: "restart" });
    },
  });
  const binding = {
    async get(id: string) {
      calls.push({ id, method: "get" });
      const a = answer(id);
      if (a === "missing") throw new Error("instance.not_found");
      if (typeof a === "object" && "throws" in a) throw new Error(a.throws);
      return instance(id);
    },
    async create() {
      throw new Error("fakeEngine: create is not part of this fake");
    },
    async createBatch() {
      throw new Error("fakeEngine: createBatch is not part of this fake");
    },
  };
  // The fake covers the methods recovery and controls call; the binding type has more.
  return { binding: binding as unknown as Workflow, set: (id, a) => answers.set(id, a), calls };
}
