import { describe, expect, it } from "vitest";
import { eventFacts } from "../../src/dispatch/event-facts";
import { ignored, summarize } from "../../src/dispatch/commit-checks";
import { matchWorkflow } from "../../src/dispatch/triggers";
import { example } from "../support/payloads";

const delivery = (event: string, action: string | null) => ({ id: "d-1", event, action, receivedAt: "2026-12-01T10:00:00.000Z" });

describe("eventFacts, from GitHub's example payloads", () => {
  it("reads the issue number, the actor and the commands of a new comment", () => {
    const payload = example("issue_comment", "created") as { comment: { body: string }; issue: { number: number }; sender: { login: string } };
    payload.comment.body = "Thanks!\n/backport 1.x 2.x\n> /approve";
    const facts = eventFacts(delivery("issue_comment", "created"), payload);
    expect(facts).toMatchObject({ numbers: [payload.issue.number], actor: payload.sender.login, sha: null, receivedAt: Date.parse("2026-12-01T10:00:00.000Z") });
    expect(facts.commands).toEqual([{ name: "/backport", args: ["1.x", "2.x"] }]);
  });

  it("gives an edited comment no commands", () => {
    const payload = example("issue_comment", "edited") as { comment: { body: string } };
    payload.comment.body = "/approve";
    expect(eventFacts(delivery("issue_comment", "edited"), payload).commands).toEqual([]);
  });

  it("reads the pull requests and head SHA of a check suite, and the label of a labeled event", () => {
    const suite = example("check_suite", "completed") as { check_suite: { head_sha: string; pull_requests: { number: number }[] } };
    const facts = eventFacts(delivery("check_suite", "completed"), suite);
    expect(facts.sha).toBe(suite.check_suite.head_sha);
    expect(facts.numbers).toEqual(suite.check_suite.pull_requests.map((pr) => pr.number));
    const labeled = example("pull_request", "labeled") as { label: { name: string }; number: number };
    expect(eventFacts(delivery("pull_request", "labeled"), labeled)).toMatchObject({ label: labeled.label.name, numbers: [labeled.number] });
  });
});

describe("matchWorkflow", () => {
  const facts = (over: object) => ({ event: "issue_comment", action: "created", commands: [], label: null, ...over });
  it("starts a command workflow only for its command, and a labeled workflow only for its label, in any case", () => {
    const backport = { file: ".workflows/backport.ts", on: {}, command: { name: "/backport", from: { role: "write" as const }, args: { min: 1, max: 5 }, usage: null } };
    expect(matchWorkflow(backport, facts({ commands: [{ name: "/backport", args: ["1.x"] }] }))).toEqual({ via: "command", command: { name: "/backport", args: ["1.x"] } });
    expect(matchWorkflow(backport, facts({ commands: [{ name: "/approve", args: [] }] }))).toBeNull();
    const automerge = { file: ".workflows/automerge.ts", on: {}, labeled: ["AutoMerge"] };
    expect(matchWorkflow(automerge, facts({ event: "pull_request", action: "labeled", label: "automerge" }))).toEqual({ via: "labeled", label: "automerge" });
    expect(matchWorkflow(automerge, facts({ event: "pull_request", action: "unlabeled", label: "automerge" }))).toBeNull();
    expect(matchWorkflow(automerge, facts({ event: "label", action: "created", label: "automerge" }))).toBeNull();
  });
});

describe("summarize checks", () => {
  const run = (conclusion: string | null, status: "completed" | "in_progress" = "completed") => ({ kind: "check_run" as const, name: "ci", status, conclusion });
  it("is complete only when every check is, and at least the minimum exist", () => {
    expect(summarize([], 1)).toMatchObject({ complete: false });
    expect(summarize([], 0)).toMatchObject({ complete: true, conclusion: "success" });
    expect(summarize([run("success"), run(null, "in_progress")], 1)).toMatchObject({ complete: false, conclusion: null });
    expect(summarize([run("success"), run("neutral"), run("skipped")], 1)).toMatchObject({ complete: true, conclusion: "success" });
    expect(summarize([run("success"), run("timed_out")], 1)).toMatchObject({ complete: true, conclusion: "failure" });
  });
  it("ignores names exactly or by a trailing-star prefix", () => {
    expect(ignored("lint", ["lint"])).toBe(true);
    expect(ignored("deploy/preview", ["deploy/*"])).toBe(true);
    expect(ignored("lint-docs", ["lint"])).toBe(false);
  });
});
