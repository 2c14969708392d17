import examples from "@octokit/webhooks-examples/api.github.com/index.json";
import { describe, expect, it } from "vitest";
import { headShaOf, matchesTrigger, pushTouchesWorkflows, runInstanceId } from "../../src/dispatch/triggers";

const example = (name: string, action?: string) =>
  examples.find((e) => e.name === name)!.examples.find((p) => action === undefined || (p as { action?: string }).action === action)!;

describe("trigger matching", () => {
  it("matches listed actions only", () => {
    const on = { pull_request: ["opened", "ready_for_review"] };
    expect(matchesTrigger(on, "pull_request", "opened")).toBe(true);
    expect(matchesTrigger(on, "pull_request", "closed")).toBe(false);
    expect(matchesTrigger(on, "issues", "opened")).toBe(false);
  });

  it("matches every action for '*' and for an empty list, and events without actions", () => {
    expect(matchesTrigger({ issue_comment: "*" }, "issue_comment", "deleted")).toBe(true);
    expect(matchesTrigger({ push: [] }, "push", null)).toBe(true);
    expect(matchesTrigger({ push: ["opened"] }, "push", null)).toBe(false);
  });
});

describe("head sha of an event", () => {
  it("is the PR head for pull_request events", () => {
    const payload = example("pull_request", "opened") as { pull_request: { head: { sha: string } } };
    expect(headShaOf("pull_request", payload)).toBe(payload.pull_request.head.sha);
  });

  it("is `after` for a push, and none for a branch deletion", () => {
    const payload = example("push") as { after: string };
    expect(headShaOf("push", payload)).toBe(payload.after);
    expect(headShaOf("push", { ...payload, deleted: true })).toBeNull();
  });

  it("is none for events that name no commit", () => {
    expect(headShaOf("issue_comment", example("issue_comment", "created"))).toBeNull();
  });
});

describe("run ids", () => {
  it("are deterministic per delivery and workflow, and valid Workflow instance ids", async () => {
    const a = await runInstanceId("72d3162e-cc78-11e3-81ab-4c9367dc0958", ".workflows/a.ts");
    expect(a).toBe(await runInstanceId("72d3162e-cc78-11e3-81ab-4c9367dc0958", ".workflows/a.ts"));
    expect(a).not.toBe(await runInstanceId("72d3162e-cc78-11e3-81ab-4c9367dc0958", ".workflows/b.ts"));
    expect(a).not.toBe(await runInstanceId("72d3162e-cc78-11e3-81ab-4c9367dc0958", ".workflows/a.ts", 1));
    expect(a).toMatch(/^[a-zA-Z0-9_-]{1,100}$/);
  });
});

describe("push touching .workflows", () => {
  it("looks at added, removed and modified paths", () => {
    expect(pushTouchesWorkflows({ commits: [{ added: [], removed: [], modified: ["README.md"] }] })).toBe(false);
    expect(pushTouchesWorkflows({ commits: [{ added: [], removed: [".workflows/a.ts"], modified: [] }] })).toBe(true);
  });
  it("assumes a change when GitHub sent no commit list", () => {
    expect(pushTouchesWorkflows({ commits: [] })).toBe(true);
  });
});
