/**
 * Invariant 9 on GitHub's own example payloads: events repoflow's App caused
 * are its echoes; people's events, other Apps' check runs and people's clicks
 * on repoflow's check runs are not.
 */
import { describe, expect, it } from "vitest";
import { causedBySelf, sentByABot } from "../../src/dispatch/self-events";
import { example } from "../support/payloads";

const self = { appId: 4242, botLogin: "repoflow[bot]" };
const bot = { login: "repoflow[bot]", id: 9_000_001, type: "Bot" };

describe("causedBySelf (invariant 9)", () => {
  it("is true for a comment repoflow's bot wrote", () => {
    const payload = example("issue_comment", "created");
    payload.sender = bot;
    payload.comment.performed_via_github_app = { id: 4242, slug: "repoflow" };
    expect(sentByABot(payload)).toBe(true);
    expect(causedBySelf("issue_comment", "created", payload, self)).toBe(true);
    // Even before the bot's login is known, the App id on the comment is enough.
    expect(causedBySelf("issue_comment", "created", payload, { appId: 4242, botLogin: null })).toBe(true);
  });

  it("is true for a label or merge repoflow's bot did (sender only)", () => {
    const labeled = example("pull_request", "labeled");
    labeled.sender = bot;
    expect(causedBySelf("pull_request", "labeled", labeled, self)).toBe(true);
    const closed = example("pull_request", "closed");
    closed.sender = bot;
    expect(causedBySelf("pull_request", "closed", closed, self)).toBe(true);
  });

  it("is true for repoflow's own check runs being created and completed, whoever GitHub names as sender", () => {
    for (const action of ["created", "completed"]) {
      const payload = example("check_run", action);
      payload.check_run.app = { ...payload.check_run.app, id: 4242 };
      expect(payload.sender.type).toBe("User");
      expect(causedBySelf("check_run", action, payload, self)).toBe(true);
    }
  });

  it("is false for people's Re-run and Cancel clicks on repoflow's check runs", () => {
    for (const action of ["rerequested", "requested_action"]) {
      const payload = example("check_run", action);
      payload.check_run.app = { ...payload.check_run.app, id: 4242 };
      expect(causedBySelf("check_run", action, payload, self)).toBe(false);
    }
  });

  it("is false for people's events, other bots, and other Apps' check runs", () => {
    expect(causedBySelf("issue_comment", "created", example("issue_comment", "created"), self)).toBe(false);
    const renovate = example("pull_request", "opened");
    renovate.sender = { login: "renovate[bot]", id: 29139614, type: "Bot" };
    expect(causedBySelf("pull_request", "opened", renovate, self)).toBe(false);
    expect(causedBySelf("check_run", "completed", example("check_run", "completed"), self)).toBe(false);
  });

  it("is false for a person editing a comment repoflow wrote", () => {
    const payload = example("issue_comment", "edited");
    payload.comment.performed_via_github_app = { id: 4242, slug: "repoflow" };
    expect(causedBySelf("issue_comment", "edited", payload, self)).toBe(false);
  });
});
