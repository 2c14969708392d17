import { describe, expect, it } from "vitest";
import { scheduleProblems, subscriptionProblems } from "../../src/dispatch/trigger-checks";
import type { WorkflowManifestEntry } from "../../src/runtime";

const workflow = (over: Partial<WorkflowManifestEntry>): WorkflowManifestEntry => ({ file: ".workflows/a.ts", name: "A", on: {}, hasIf: false, ...over });

describe("scheduleProblems", () => {
  it("names a bad cron, a bad timezone and a bad debounce period as errors of the file", () => {
    const problems = scheduleProblems([
      workflow({ schedules: [{ cron: "61 * * * *", timezone: "UTC" }, { cron: "0 9 * * 1", timezone: "Mars/Olympus" }] }),
      workflow({ file: ".workflows/b.ts", debounce: { period: "soon", maxWait: "2 days" } }),
      workflow({ file: ".workflows/ok.ts", schedules: [{ cron: "0 9 * * 1", timezone: "Europe/Berlin" }], debounce: { period: "1 minute", maxWait: null } }),
    ]);
    expect(problems.map((p) => [p.file, p.severity])).toEqual([
      [".workflows/a.ts", "error"],
      [".workflows/a.ts", "error"],
      [".workflows/b.ts", "error"],
      [".workflows/b.ts", "error"],
    ]);
    expect(problems[0]!.message).toMatch(/on\.schedule "61 \* \* \* \*": .*minute/);
    expect(problems[1]!.message).toMatch(/Mars\/Olympus/);
    expect(problems[2]!.message).toMatch(/debounce\.period: .*"soon" is not a duration/);
    expect(problems[3]!.message).toMatch(/debounce\.maxWait must be from 1 second to 1 day/);
  });
});

describe("subscriptionProblems", () => {
  it("warns, naming the setting, when a workflow needs an event the App is not subscribed to", () => {
    const problems = subscriptionProblems(
      [
        workflow({ on: { merge_group: "*", pull_request: ["opened"] } }),
        workflow({ file: ".workflows/cmd.ts", name: "Cmd", on: {}, command: { name: "/go", from: { role: "write" }, args: { min: 0, max: 20 }, usage: null } }),
        workflow({ file: ".workflows/fine.ts", on: { pull_request: "*", installation: "*" } }),
      ],
      ["pull_request", "push"],
    );
    expect(problems).toEqual([
      expect.objectContaining({ file: ".workflows/a.ts", severity: "warning", message: expect.stringMatching(/GitHub will not send "merge_group" to this App.*Subscribe to events.*default_events in app.yml/) }),
      expect.objectContaining({ file: ".workflows/cmd.ts", message: expect.stringContaining('"issue_comment"') }),
    ]);
  });
});
