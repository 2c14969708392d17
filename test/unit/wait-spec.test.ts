import { describe, expect, it } from "vitest";
import { describeWait, eventKeys, matchesStructure, normalizeWait, waitKeys } from "../../src/dispatch/wait-spec";
import type { EventFacts } from "../../src/dispatch/event-facts";

const facts = (over: Partial<EventFacts> = {}): EventFacts => ({
  deliveryId: "d",
  event: "issue_comment",
  action: "created",
  numbers: [7],
  sha: null,
  actor: "mona",
  commands: [],
  label: null,
  receivedAt: 0,
  workflow: null,
  ...over,
});

describe("normalizeWait", () => {
  it("takes events with or without an action, a number, a sha, a command and a role", () => {
    expect(normalizeWait("w", { events: ["issue_comment.created", "pull_request"], for: { number: 7, sha: "a".repeat(40) }, command: "Approve", from: "write" })).toEqual({
      events: [
        { event: "issue_comment", action: "created" },
        { event: "pull_request", action: null },
      ],
      number: 7,
      sha: "a".repeat(40),
      command: "/approve",
      from: { role: "write" },
      button: null,
    });
  });

  it("names what is wrong and how to write it", () => {
    expect(() => normalizeWait("w", { events: [] })).toThrow(/needs `events`/);
    expect(() => normalizeWait("w", { events: ["pul_request"] })).toThrow(/"pul_request" is not a GitHub webhook event/);
    expect(() => normalizeWait("w", { events: ["pull_request.opend"] })).toThrow(/"opend" is not an action of pull_request; it has .*"opened"/);
    expect(() => normalizeWait("w", { events: ["push.created"] })).toThrow(/the push event has no actions; write "push"/);
    expect(() => normalizeWait("w", { events: ["issues"], for: { number: -1 } })).toThrow(/for.number must be/);
    expect(() => normalizeWait("w", { events: ["status"], for: { sha: "abc" } })).toThrow(/full 40-character commit SHA/);
    expect(() => normalizeWait("w", { events: ["pull_request"], command: "/approve" })).toThrow(/add "issue_comment.created" to events/);
    expect(() => normalizeWait("w", { events: ["issues"], from: "owner" as never })).toThrow(/from must be one of "read", "triage", "write", "maintain", "admin"/);
  });
});

describe("index keys", () => {
  it("files a wait under keys an event with the same number or sha is looked up by", () => {
    const wait = normalizeWait("w", { events: ["issue_comment.created"], for: { number: 7 } });
    expect(waitKeys(wait).every((key) => eventKeys(facts()).includes(key))).toBe(true);
    expect(waitKeys(wait).some((key) => eventKeys(facts({ numbers: [8] })).includes(key))).toBe(false);
    const uncorrelated = normalizeWait("w", { events: ["issue_comment"] });
    expect(waitKeys(uncorrelated).every((key) => eventKeys(facts({ numbers: [8] })).includes(key))).toBe(true);
    const bySha = normalizeWait("w", { events: ["check_run"], for: { sha: "b".repeat(40) } });
    expect(waitKeys(bySha).every((key) => eventKeys(facts({ event: "check_run", numbers: [3, 4], sha: "b".repeat(40) })).includes(key))).toBe(true);
  });
});

describe("matchesStructure", () => {
  const approve = normalizeWait("w", { events: ["issue_comment.created"], for: { number: 7 }, command: "/approve", from: ["Mona"] });
  it("needs the action, number, command and login to match", () => {
    expect(matchesStructure(approve, facts({ commands: [{ name: "/approve", args: [] }] }))).toBe(true);
    expect(matchesStructure(approve, facts({ commands: [] }))).toBe(false);
    expect(matchesStructure(approve, facts({ action: "edited", commands: [{ name: "/approve", args: [] }] }))).toBe(false);
    expect(matchesStructure(approve, facts({ actor: "hubot", commands: [{ name: "/approve", args: [] }] }))).toBe(false);
  });
  it("describes itself for the dashboard", () => {
    expect(describeWait(approve)).toBe("issue_comment.created #7 /approve");
  });
});
