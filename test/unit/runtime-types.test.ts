/**
 * The SDK's types, pinned at the type level: how `on` narrows `event`, `action` and
 * `eventName`, what `waitForEvent` resolves to, and which `on` blocks are rejected.
 * expectTypeOf is checked by the TypeScript compiler, not at run time, so the last test
 * runs tsc over this file: a broken assertion fails `vitest run --project unit`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { webhooks } from "@octokit/openapi-webhooks-types";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  workflow,
  type ActionOf,
  type EventName,
  type EventPayload,
  type ReceivedEvent,
  type RunContext,
  type Step,
  type WebhookPayload,
  WEBHOOK_EVENTS,
} from "../../src/runtime/sdk.ts";

type Body<K extends keyof webhooks> = webhooks[K]["post"]["requestBody"]["content"]["application/json"];

/** Every event and action repoflow lists, as "event.action" (or the bare event when it has none), whose payload type is missing. */
type Untyped = {
  [E in EventName]: [ActionOf<E>] extends [never]
    ? [WebhookPayload<E>] extends [never]
      ? E
      : never
    : { [A in ActionOf<E>]: [WebhookPayload<E, A>] extends [never] ? `${E}.${A}` : never }[ActionOf<E>];
}[EventName];

describe("SDK types", () => {
  it("narrow event to the payloads of the listed actions", () => {
    workflow({
      name: "narrowed",
      on: { pull_request: ["opened", "ready_for_review"] },
      run({ event, action, eventName }) {
        expectTypeOf(event).toEqualTypeOf<Body<"pull-request-opened"> | Body<"pull-request-ready-for-review">>();
        expectTypeOf(event.pull_request.draft).toEqualTypeOf<boolean | undefined>();
        expectTypeOf(action).toEqualTypeOf<"opened" | "ready_for_review" | null>();
        expectTypeOf(eventName).toEqualTypeOf<"pull_request">();
      },
    });
  });

  it("give every action of an event for \"*\" and for []", () => {
    type All = EventPayload<{ issues: "*" }>;
    expectTypeOf<EventPayload<{ issues: [] }>>().toEqualTypeOf<All>();
    expectTypeOf<Body<"issues-opened">>().toExtend<All>();
    expectTypeOf<Body<"issues-closed">>().toExtend<All>();
    expectTypeOf<All>().toEqualTypeOf<WebhookPayload<"issues">>();
  });

  it("union the payloads of several events, and type events without actions", () => {
    type Both = EventPayload<{ push: "*"; issues: ["opened"] }>;
    expectTypeOf<Both>().toEqualTypeOf<Body<"push"> | Body<"issues-opened">>();
    expectTypeOf<ActionOf<"push">>().toBeNever();
  });

  it("find payloads whose key in GitHub's types spells the action differently", () => {
    expectTypeOf<WebhookPayload<"custom_property", "promote_to_enterprise">>().toEqualTypeOf<Body<"custom-property-promoted-to-enterprise">>();
    expectTypeOf<WebhookPayload<"pull_request", "review_requested">>().toEqualTypeOf<Body<"pull-request-review-requested">>();
  });

  it("have a payload type for every event and action repoflow lists", () => {
    expectTypeOf<Untyped>().toBeNever();
    expectTypeOf<keyof typeof WEBHOOK_EVENTS>().toEqualTypeOf<EventName>();
  });

  it("type the event a wait resolves to by its type", () => {
    const wait = (step: Step) => step.waitForEvent("approval", { type: "issue_comment", match: (e) => e.payload.comment.body === "/approve" });
    expectTypeOf<Awaited<ReturnType<typeof wait>>>().toEqualTypeOf<ReceivedEvent<"issue_comment">>();
    expectTypeOf<ReceivedEvent<"issue_comment">["action"]>().toEqualTypeOf<"created" | "deleted" | "edited" | "pinned" | "unpinned" | null>();
  });

  it("return from step.do what the function returns, and give it the attempt", () => {
    const run = async (step: Step) => step.do("count", { retries: { limit: 1, delay: "1 second" } }, ({ attempt }) => ({ attempt }));
    expectTypeOf<Awaited<ReturnType<typeof run>>>().toEqualTypeOf<{ attempt: number }>();
  });

  it("reject unknown events, unknown actions and wrong fields", () => {
    // @ts-expect-error "pul_request" is not an event
    workflow({ name: "typo", on: { pul_request: ["opened"] }, run() {} });
    // @ts-expect-error a misspelt event next to a valid one
    workflow({ name: "typo", on: { pull_request: ["opened"], pul_request: ["opened"] }, run() {} });
    // @ts-expect-error "opend" is not an action of issues
    workflow({ name: "typo", on: { issues: ["opend"] }, run() {} });
    // @ts-expect-error push has no actions
    workflow({ name: "typo", on: { push: ["opened"] }, run() {} });
    workflow({
      name: "wrong field",
      on: { pull_request: ["opened"] },
      run({ event }) {
        // @ts-expect-error a pull_request payload has no issue
        return event.issue;
      },
    });
    expectTypeOf<RunContext<{ push: "*" }>["repo"]>().toEqualTypeOf<{ owner: string; repo: string }>();
  });

  it("hold under the TypeScript compiler", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url).href);
    const dir = mkdtempSync(join(tmpdir(), "repoflow-sdk-types-"));
    try {
      const project = join(dir, "tsconfig.json");
      // Type libraries resolve from the tsconfig's folder: point them back at the repository's.
      const compilerOptions = { types: ["node"], typeRoots: [join(root, "node_modules/@types")] };
      writeFileSync(project, JSON.stringify({ extends: join(root, "tsconfig.node.json"), compilerOptions, include: [fileURLToPath(import.meta.url)] }));
      let output = "";
      try {
        execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", project], { cwd: root, stdio: "pipe" });
      } catch (error) {
        const e = error as { stdout?: Buffer; stderr?: Buffer };
        output = `${e.stdout?.toString() ?? ""}${e.stderr?.toString() ?? ""}` || String(error);
      }
      expect(output).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
