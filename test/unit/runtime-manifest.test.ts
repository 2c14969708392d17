/**
 * describe()'s core on plain values: which default exports are workflows, what is
 * reported about the rest, how `on` is normalised; and the runtime's copy of the
 * event list, checked against the dispatcher's and against GitHub's webhook types.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { KNOWN_EVENTS } from "../../src/github/index.ts";
import { WEBHOOK_EVENTS } from "../../src/runtime/events.ts";
import { describeWorkflows, normalizeOn } from "../../src/runtime/manifest.ts";
import { workflow } from "../../src/runtime/sdk.ts";
import { trustedPermissions } from "../../src/runtime/permissions.ts";

const run = () => undefined;
const DEFAULT_TOKEN = { contents: "read", issues: "read", metadata: "read", pull_requests: "read" };
/** A workflow() value with an `on` the types would refuse, as plain JavaScript may write it. */
const untyped = (definition: { name: unknown; on: unknown; run?: unknown; if?: unknown }) => workflow(definition as never);

describe("describeWorkflows", () => {
  it("lists each workflow with its file, name, normalised triggers and whether it has an if", () => {
    const result = describeWorkflows({
      ".workflows/a.ts": workflow({ name: "A", on: { pull_request: ["opened"], push: "*" }, if: () => true, run }),
      ".workflows/b.ts": workflow({ name: "B", on: { issues: [] }, run }),
    });
    expect(result).toEqual({
      workflows: [
        { file: ".workflows/a.ts", name: "A", on: { pull_request: ["opened"], push: "*" }, hasIf: true, permissions: DEFAULT_TOKEN },
        { file: ".workflows/b.ts", name: "B", on: { issues: "*" }, hasIf: false, permissions: DEFAULT_TOKEN },
      ],
      problems: [],
    });
  });

  it("reports a file without a default export and tells to export a workflow or move the helper", () => {
    expect(describeWorkflows({ ".workflows/util.ts": undefined }).problems).toEqual([
      { file: ".workflows/util.ts", message: expect.stringMatching(/has no default export\. End it with `export default workflow\(\{ \.\.\. \}\)`, or move it to a subfolder/) },
    ]);
  });

  it("reports a default export that workflow() did not make, even one shaped like a workflow", () => {
    const { workflows, problems } = describeWorkflows({ ".workflows/plain.ts": { name: "Plain", on: { push: "*" }, run }, ".workflows/fn.ts": run });
    expect(workflows).toEqual([]);
    expect(problems.map((p) => p.file)).toEqual([".workflows/plain.ts", ".workflows/fn.ts"]);
    for (const problem of problems) expect(problem.message).toMatch(/is not a workflow\. Wrap it: `export default workflow\(\{ name, on, run \}\)`/);
  });

  it("reports the second of two workflows with the same name, and keeps the first", () => {
    const result = describeWorkflows({
      ".workflows/one.ts": workflow({ name: "Same", on: { push: "*" }, run }),
      ".workflows/two.ts": workflow({ name: "Same", on: { issues: ["opened"] }, run }),
    });
    expect(result.workflows.map((w) => w.file)).toEqual([".workflows/one.ts"]);
    expect(result.problems).toEqual([{ file: ".workflows/two.ts", message: expect.stringMatching(/"Same" is used by \.workflows\/one\.ts too/) }]);
  });

  it.each([
    ["no events", {}, /`on` must name at least one event/],
    ["a list instead of an object", ["push"], /`on` must name at least one event/],
    ["an unknown event", { pull_requests: ["opened"] }, /"pull_requests" is not a GitHub webhook event/],
    ["an unknown action", { pull_request: ["open"] }, /"open" is not an action of the pull_request event; it has "assigned", /],
    ["an action on an event without actions", { push: ["created"] }, /the push event has no actions; write on: \{ push: "\*" \}/],
    ["a string other than \"*\"", { issues: "opened" }, /on\.issues must be a list of actions or "\*"/],
    ["an event GitHub has but repoflow does not handle", { sub_issues: "*" }, /"sub_issues" is not a GitHub webhook event repoflow handles/],
    ["an inherited property name", { constructor: "*" }, /"constructor" is not a GitHub webhook event/],
  ])("reports `on` with %s", (_label, on, message) => {
    const result = describeWorkflows({ ".workflows/x.ts": untyped({ name: "X", on, run }) });
    expect(result.workflows).toEqual([]);
    expect(result.problems).toEqual([{ file: ".workflows/x.ts", message: expect.stringMatching(message) }]);
  });

  it("reports every problem of one definition: name, run, if and each bad trigger", () => {
    const result = describeWorkflows({ ".workflows/x.ts": untyped({ name: " ", on: { issues: ["opend", "closd"] }, run: "no", if: true }) });
    expect(result.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/`name` must be a non-empty string of at most 100 characters/),
      expect.stringMatching(/`run` must be a function/),
      expect.stringMatching(/`if` must be a function when given/),
      expect.stringMatching(/"opend" is not an action/),
      expect.stringMatching(/"closd" is not an action/),
    ]);
  });
});

describe("normalizeOn", () => {
  it("turns [] into \"*\" and copies action lists", () => {
    const actions = ["opened"] as const;
    const normalised = normalizeOn({ issues: [], push: "*", pull_request: actions });
    expect(normalised).toEqual({ issues: "*", push: "*", pull_request: ["opened"] });
    expect(normalised.pull_request).not.toBe(actions);
  });
});

describe("WEBHOOK_EVENTS", () => {
  it("names exactly the events the dispatcher acts on", () => {
    expect(Object.keys(WEBHOOK_EVENTS).sort()).toEqual([...KNOWN_EVENTS].sort());
  });

  it("lists, for each event, the actions of GitHub's webhook types", () => {
    // Each entry of `webhooks` posts to an operation named "event/action" (or "event" alone).
    const types = readFileSync(createRequire(import.meta.url).resolve("@octokit/openapi-webhooks-types/types.d.ts"), "utf8");
    const fromTypes: Record<string, string[]> = {};
    for (const [, operation] of types.matchAll(/^ {4}post: operations\["([^"]+)"\];$/gm)) {
      const [event = "", action] = operation!.split("/");
      const name = event.replaceAll("-", "_");
      if (!KNOWN_EVENTS.has(name)) continue;
      (fromTypes[name] ??= []).push(...(action === undefined ? [] : [action.replaceAll("-", "_")]));
    }
    const ours = Object.fromEntries(Object.entries(WEBHOOK_EVENTS).map(([event, actions]) => [event, [...actions].sort()]));
    expect(ours).toEqual(Object.fromEntries(Object.entries(fromTypes).map(([event, actions]) => [event, [...new Set(actions)].sort()])));
  });
});

describe("declared permissions (invariant 11)", () => {
  it("gives a workflow that declares nothing the read-only default, and one that declares the declaration alone, with metadata: read", () => {
    const { workflows } = describeWorkflows({
      ".workflows/quiet.ts": workflow({ name: "Quiet", on: { push: "*" }, run }),
      ".workflows/labels.ts": workflow({ name: "Labels", on: { push: "*" }, permissions: { issues: "write", contents: "none" }, run }),
    });
    expect(workflows.map((w) => w.permissions)).toEqual([DEFAULT_TOKEN, { issues: "write", metadata: "read" }]);
  });

  it.each([
    ["a list", ["issues"], /`permissions` must be an object/],
    ["an unknown permission, with the near one", { pullrequests: "write" }, /"pullrequests" is not a repository permission of GitHub Apps; did you mean "pull_requests"\?/],
    ["an organization permission", { members: "read" }, /"members" is not a repository permission/],
    ["a bad level", { issues: "admin" }, /permissions\.issues must be "read", "write" or "none"; got "admin"/],
    ["checks: write, reserved for repoflow's own check runs", { checks: "write" }, /permissions\.checks may be "read" at most: repoflow writes each run's check run itself/],
    ["metadata: none", { metadata: "none" }, /metadata cannot be "none"/],
  ])("refuses %s", (_label, permissions, message) => {
    const result = describeWorkflows({ ".workflows/x.ts": workflow({ name: "X", on: { push: "*" }, permissions: permissions as never, run }) });
    expect(result.workflows).toEqual([]);
    expect(result.problems).toEqual([{ file: ".workflows/x.ts", message: expect.stringMatching(message) }]);
  });

  it("lets a workflow read check runs", () => {
    const { workflows } = describeWorkflows({ ".workflows/x.ts": workflow({ name: "X", on: { push: "*" }, permissions: { checks: "read" }, run }) });
    expect(workflows[0]?.permissions).toEqual({ checks: "read", metadata: "read" });
  });
});

describe("the dispatcher's reading of reported permissions (invariant 11)", () => {
  it("trusts only known names at read or write, never checks: write, and reads an old manifest's missing permissions as the read-only default", () => {
    expect(trustedPermissions(undefined)).toEqual(DEFAULT_TOKEN);
    expect(trustedPermissions({ issues: "write", metadata: "read" })).toEqual({ issues: "write", metadata: "read" });
    expect(trustedPermissions({ checks: "write", metadata: "read" })).toBeNull();
    expect(trustedPermissions({ members: "read" })).toBeNull();
    expect(trustedPermissions({ issues: "admin" })).toBeNull();
    expect(trustedPermissions(["issues"])).toBeNull();
    expect(trustedPermissions(null)).toBeNull();
  });
});
