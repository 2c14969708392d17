/**
 * The tenant runtime inside workerd, loaded the way dispatch loads it: host.js,
 * repoflow.js and a repository's bundle.js as the three modules of a Dynamic
 * Worker, no bindings, no network. The bundle here is hand-written so each
 * workflow exercises one path of the contract; the step the run receives is an
 * RpcTarget standing in for the dispatcher's ReportingStep.
 */
import { env, RpcTarget } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RUNTIME_MODULES, STACK_MARKER, type DescribeResult, type RunParams, type TriggerContext } from "../../src/runtime";

const BUNDLE = `import { workflow, NonRetryableError } from "./repoflow.js";

export const workflows = {
  ".workflows/greet.ts": workflow({
    name: "Greet",
    on: { issues: ["opened", "reopened"] },
    if: ({ event, action, eventName, sha, repo }) => event.issue.title !== "skip me" && action === "opened" && eventName === "issues" && sha.length === 40 && repo.owner === "octo-org",
    async run({ event, step, eventName, action, deliveryId, sha, runId, repo }) {
      console.log("starting", event.issue.number);
      const first = await step.do("first", async () => ({ n: 1 }));
      await step.sleep("pause", "1 hour");
      const second = await step.do("second", { retries: { limit: 0, delay: 0 } }, async ({ attempt }) => ({ n: first.n + 1, attempt }));
      const approval = await step.waitFor("approval", { events: ["issue_comment.created"], for: { number: event.issue.number }, match: (e) => e.payload.comment.body === "/approve" });
      if (approval === null) return { approved: false };
      return { first, second, approvedBy: approval.actor, approvalDelivery: approval.deliveryId, context: { eventName, action, deliveryId, sha, runId, repo } };
    },
  }),
  ".workflows/broken-if.ts": workflow({
    name: "Broken if",
    on: { pull_request: "*" },
    if: ({ event }) => event.pull_request.missing.deeper,
    async run() {},
  }),
  ".workflows/not-a-workflow.ts": { name: "Plain object", on: { push: "*" }, run() {} },
  ".workflows/no-default.ts": undefined,
  ".workflows/same-name.ts": workflow({ name: "Greet", on: { issues: ["closed"] }, run() {} }),
  ".workflows/typo.ts": workflow({ name: "Typo", on: { pul_request: ["opened"], issues: ["opend"] }, run() {} }),
  ".workflows/every-push.ts": workflow({ name: "Every push", on: { push: [], issues: "*" }, async run() {} }),
  ".workflows/fails.ts": workflow({
    name: "Fails",
    on: { push: "*" },
    async run({ step, event }) {
      if (event.mode === "string") throw "a bare string";
      if (event.mode === "non-retryable") await step.do("give up", () => { throw new NonRetryableError("this cannot work"); });
      if (event.mode === "response") return step.do("comment", async () => ({ status: 201, url: "https://api.github.com/x", headers: { etag: "x" }, data: { id: 1 } }));
      if (event.mode === "function") await step.do("callback", async () => ({ later: () => 1 }));
      await step.do("explode", async () => { throw new Error("the author's step failed"); });
    },
  }),
};
`;

let loads = 0;

/** A fresh Dynamic Worker per call, so no test sees another's isolate state. */
function tenant(bundle = BUNDLE) {
  return env.LOADER.get(`0/octo-org/runtime-test@${++loads}`, async () => ({
    compatibilityDate: "2026-11-01",
    compatibilityFlags: ["nodejs_als"],
    mainModule: "host.js",
    modules: { "host.js": RUNTIME_MODULES["host.js"], "repoflow.js": RUNTIME_MODULES["repoflow.js"], "bundle.js": bundle },
    env: {},
    globalOutbound: null,
  }));
}

interface Control {
  describe(): Promise<DescribeResult>;
  shouldRun(workflow: string, trigger: TriggerContext): Promise<{ run: boolean } | { error: { message: string; stack?: string } }>;
}
interface Runner {
  run(event: { payload: RunParams }, step: FakeStep): Promise<unknown>;
}

/**
 * The error a run failed with. An RPC promise given straight to `expect(…).rejects` is also
 * reported as an unhandled rejection, so the rejection is taken with then().
 */
function failureOf(run: Promise<unknown>): Promise<Error> {
  return run.then(
    (value) => {
      throw new Error(`the run succeeded with ${JSON.stringify(value)}`);
    },
    (error: Error) => error,
  );
}

const control = () => tenant().getEntrypoint("TenantControl") as unknown as Control;
const runner = () => tenant().getEntrypoint("TenantWorkflow") as unknown as Runner;

const SHA = "0123456789abcdef0123456789abcdef01234567";
const REPO = { owner: "octo-org", repo: "demo" };

function trigger(name: string, action: string | null, payload: unknown): TriggerContext {
  return { event: { name, action, deliveryId: "delivery-1", payload }, repo: REPO, headSha: SHA };
}

function params(workflow: string, name: string, action: string | null, payload: unknown): { payload: RunParams } {
  return { payload: { ...trigger(name, action, payload), runId: "run-1", workflow, installationId: 0, bundleHash: "b".repeat(64) } };
}

type StepFn = (ctx: { attempt: number }) => Promise<unknown>;

/** Records every call in order and runs step functions at once, like a first pass of the engine. */
class FakeStep extends RpcTarget {
  readonly calls: string[] = [];
  readonly failures: { step: string; name: string; message: string }[] = [];
  readonly logs: { level: string; message: string; step: string | null }[] = [];
  readonly #events: unknown[];

  constructor(events: unknown[] = []) {
    super();
    this.#events = events;
  }

  async do(name: string, configOrFn: object | StepFn, maybeFn?: StepFn): Promise<unknown> {
    this.calls.push(typeof configOrFn === "function" ? `do ${name}` : `do ${name} ${JSON.stringify(configOrFn)}`);
    const fn = (typeof configOrFn === "function" ? configOrFn : maybeFn) as StepFn;
    try {
      return await fn({ attempt: 1 });
    } catch (error) {
      const e = error as Error;
      this.failures.push({ step: name, name: e.name, message: e.message });
      throw error;
    }
  }

  async sleep(name: string, duration: string | number): Promise<void> {
    this.calls.push(`sleep ${name} ${duration}`);
  }

  async sleepUntil(name: string, at: number): Promise<void> {
    this.calls.push(`sleepUntil ${name} ${at}`);
  }

  async waitFor(name: string, request: { events: string[]; for?: object; timeout?: string; filtered?: boolean }, attempt: number): Promise<unknown> {
    this.calls.push(`wait ${name} #${attempt} ${request.events.join(",")} ${JSON.stringify(request.for)} ${request.timeout}${request.filtered ? " filtered" : ""}`);
    return this.#events.shift() ?? null;
  }

  async settleWait(name: string): Promise<void> {
    this.calls.push(`settle ${name}`);
  }

  async log(lines: { level: string; message: string; step: string | null }[]): Promise<void> {
    this.logs.push(...lines.map(({ level, message, step }) => ({ level, message, step })));
  }
}

function comment(body: string, login: string, deliveryId: string) {
  return { type: "issue_comment", action: "created", deliveryId, actor: login, command: null, payload: { action: "created", comment: { body, user: { login } } } };
}

describe("TenantControl.describe", () => {
  it("lists the valid workflows with their normalised triggers, and the read-only token of those that declare no permissions", async () => {
    const readOnly = { contents: "read", issues: "read", metadata: "read", pull_requests: "read" };
    const result = await control().describe();
    expect(result.workflows).toEqual([
      { file: ".workflows/greet.ts", name: "Greet", on: { issues: ["opened", "reopened"] }, hasIf: true, permissions: readOnly },
      { file: ".workflows/broken-if.ts", name: "Broken if", on: { pull_request: "*" }, hasIf: true, permissions: readOnly },
      { file: ".workflows/every-push.ts", name: "Every push", on: { push: "*", issues: "*" }, hasIf: false, permissions: readOnly },
      { file: ".workflows/fails.ts", name: "Fails", on: { push: "*" }, hasIf: false, permissions: readOnly },
    ]);
  });

  it("reports a plain object, a missing default export, a duplicate name and unknown triggers as problems of their files", async () => {
    const { problems } = await control().describe();
    const byFile = (file: string) => problems.filter((p) => p.file === file).map((p) => p.message);
    expect(byFile(".workflows/not-a-workflow.ts")).toEqual([expect.stringMatching(/is not a workflow\. Wrap it/)]);
    expect(byFile(".workflows/no-default.ts")).toEqual([expect.stringMatching(/has no default export/)]);
    expect(byFile(".workflows/same-name.ts")).toEqual([expect.stringMatching(/"Greet" is used by \.workflows\/greet\.ts too/)]);
    expect(byFile(".workflows/typo.ts")).toEqual([
      expect.stringMatching(/"pul_request" is not a GitHub webhook event/),
      expect.stringMatching(/"opend" is not an action of the issues event/),
    ]);
    expect(problems).toHaveLength(5);
  });

  it("answers a throw in the bundle's top-level code as the author's problem, not a failed Worker start", async () => {
    const throwing = `import { workflow } from "./repoflow.js";\nconst config = JSON.parse("{not json");\nexport const workflows = { ".workflows/a.ts": workflow({ name: "A", on: { push: "*" }, run() {} }) };\n`;
    const broken = tenant(throwing).getEntrypoint("TenantControl") as unknown as Control;
    const result = await broken.describe();
    expect(result.workflows).toEqual([]);
    expect(result.problems).toEqual([{ file: ".workflows", message: expect.stringMatching(/^repoflow: loading the workflows failed: .*JSON/) }]);
  });
});

describe("TenantControl.shouldRun", () => {
  it("runs when the workflow's if holds and skips when it does not", async () => {
    expect(await control().shouldRun(".workflows/greet.ts", trigger("issues", "opened", { issue: { title: "hello" } }))).toEqual({ run: true });
    expect(await control().shouldRun(".workflows/greet.ts", trigger("issues", "opened", { issue: { title: "skip me" } }))).toEqual({ run: false });
  });

  it("runs a workflow without an if", async () => {
    expect(await control().shouldRun(".workflows/fails.ts", trigger("push", null, {}))).toEqual({ run: true });
  });

  it("returns an if that throws as an error with the author's message and stack", async () => {
    const decision = await control().shouldRun(".workflows/broken-if.ts", trigger("pull_request", "opened", { pull_request: {} }));
    expect(decision).toEqual({ error: { message: expect.stringMatching(/deeper/), stack: expect.stringMatching(/bundle\.js:\d+:\d+/) } });
  });

  it("returns an unknown workflow file as an error naming it", async () => {
    expect(await control().shouldRun(".workflows/gone.ts", trigger("push", null, {}))).toEqual({
      error: { message: expect.stringMatching(/no workflow \.workflows\/gone\.ts/), stack: expect.any(String) },
    });
  });
});

describe("TenantWorkflow.run", () => {
  it("runs the author's steps in order through the given step and returns the author's value", async () => {
    const step = new FakeStep([comment("looks good", "someone", "d-2"), comment("/approve", "maintainer", "d-3")]);
    const result = await runner().run(params(".workflows/greet.ts", "issues", "opened", { issue: { number: 7, title: "hello" } }), step);
    expect(step.calls).toEqual([
      "do first",
      "sleep pause 1 hour",
      `do second {"retries":{"limit":0,"delay":0}}`,
      `wait approval #1 issue_comment.created {"number":7} undefined filtered`,
      // The first comment did not match: the wait goes on as its next attempt (same deadline, kept by the dispatcher).
      `wait approval #2 issue_comment.created {"number":7} undefined filtered`,
      "settle approval",
    ]);
    expect(result).toEqual({
      first: { n: 1 },
      second: { n: 2, attempt: 1 },
      approvedBy: "maintainer",
      approvalDelivery: "d-3",
      context: { eventName: "issues", action: "opened", deliveryId: "delivery-1", sha: SHA, runId: "run-1", repo: REPO },
    });
    expect(step.logs).toContainEqual({ level: "log", message: "starting 7", step: null });
  });

  it("returns null when the author's run returns nothing", async () => {
    expect(await runner().run(params(".workflows/every-push.ts", "push", null, {}), new FakeStep())).toBeNull();
  });

  it("fails the run with the author's message and the stack after the marker", async () => {
    const step = new FakeStep();
    const { message } = await failureOf(runner().run(params(".workflows/fails.ts", "push", null, {}), step));
    const [text, stack, ...more] = message.split(STACK_MARKER);
    expect(text).toBe("the author's step failed");
    expect(stack).toMatch(/bundle\.js:\d+:\d+/);
    expect(more).toEqual([]);
    expect(step.failures).toEqual([{ step: "explode", name: "Error", message: expect.stringMatching(/^the author's step failed/) }]);
  });

  it("wraps a thrown non-Error value in an Error that shows it", async () => {
    const error = await failureOf(runner().run(params(".workflows/fails.ts", "push", null, { mode: "string" }), new FakeStep()));
    expect(error.message).toBe("a bare string");
  });

  it("keeps NonRetryableError's name when a step throws it, so the dispatcher does not retry", async () => {
    const step = new FakeStep();
    const error = await failureOf(runner().run(params(".workflows/fails.ts", "push", null, { mode: "non-retryable" }), step));
    expect(error.name).toBe("NonRetryableError");
    expect(error.message).toMatch(/^this cannot work/);
    expect(step.failures).toEqual([{ step: "give up", name: "NonRetryableError", message: expect.stringMatching(/^this cannot work/) }]);
  });

  it("stores a step's Octokit response without its headers", async () => {
    const result = await runner().run(params(".workflows/fails.ts", "push", null, { mode: "response" }), new FakeStep());
    expect(result).toEqual({ status: 201, url: "https://api.github.com/x", headers: {}, data: { id: 1 } });
  });

  it("fails a step whose result cannot be stored, without retries, saying what to return", async () => {
    const step = new FakeStep();
    const error = await failureOf(runner().run(params(".workflows/fails.ts", "push", null, { mode: "function" }), step));
    expect(error.message).toMatch(/^repoflow: step "callback" returned a function as "later" in its result; step results are stored as JSON/);
    expect(step.failures).toEqual([{ step: "callback", name: "NonRetryableError", message: expect.stringMatching(/^repoflow: step "callback" returned a function/) }]);
  });
});
