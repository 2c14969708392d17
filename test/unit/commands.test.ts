import { describe, expect, it } from "vitest";
import { findCommand, parseCommands } from "../../src/dispatch/commands";
import { example } from "../support/payloads";

const names = (body: string) => parseCommands(body).map((command) => command.name);

describe("parseCommands: what a command is", () => {
  it("is a line starting with /name, lowercased, with whitespace-separated args", () => {
    expect(parseCommands("/backport 1.x 2.x")).toEqual([{ name: "/backport", args: ["1.x", "2.x"] }]);
    expect(parseCommands("/Approve")).toEqual([{ name: "/approve", args: [] }]);
    expect(parseCommands("/label  bug\t  needs-triage  ")).toEqual([{ name: "/label", args: ["bug", "needs-triage"] }]);
  });

  it("keeps spaces inside double quotes, and strips the quotes", () => {
    expect(parseCommands('/run "release notes" --dry')).toEqual([{ name: "/run", args: ["release notes", "--dry"] }]);
    expect(parseCommands('/run --title="a b" "" x')).toEqual([{ name: "/run", args: ["--title=a b", "", "x"] }]);
    expect(parseCommands('/say "she said \\"hi\\"" "back\\\\slash"')).toEqual([{ name: "/say", args: ['she said "hi"', "back\\slash"] }]);
  });

  it("takes the rest of the line into an unclosed quote", () => {
    expect(parseCommands('/run "release notes --dry')).toEqual([{ name: "/run", args: ["release notes --dry"] }]);
  });

  it("allows leading spaces before the slash", () => {
    expect(parseCommands("   /approve")).toEqual([{ name: "/approve", args: [] }]);
  });

  it("accepts names of a letter then letters, digits, - or _, up to 50 characters", () => {
    expect(names("/re-run_2")).toEqual(["/re-run_2"]);
    expect(names(`/${"a".repeat(50)}`)).toEqual([`/${"a".repeat(50)}`]);
    expect(names(`/${"a".repeat(51)}`)).toEqual([]);
    expect(names("/2fa")).toEqual([]);
    expect(names("/_x")).toEqual([]);
    expect(names("/")).toEqual([]);
  });

  it("needs whitespace or the line's end after the name: paths and punctuation are not commands", () => {
    expect(names("/usr/bin/env is missing")).toEqual([]);
    expect(names("/approve!")).toEqual([]);
    expect(names("/approve, please")).toEqual([]);
  });

  it("finds several commands in order, one per line", () => {
    expect(parseCommands("Thanks!\n/approve\n\n/backport 1.x\nbye")).toEqual([
      { name: "/approve", args: [] },
      { name: "/backport", args: ["1.x"] },
    ]);
  });

  it("ignores /approve mid-sentence and in inline code", () => {
    expect(names("Please /approve this")).toEqual([]);
    expect(names("Type `/approve` when ready")).toEqual([]);
    expect(names("`/approve`")).toEqual([]);
    expect(names("- /approve")).toEqual([]);
    expect(names("\\/approve")).toEqual([]);
  });

  it("works with CRLF and lone CR line endings", () => {
    expect(parseCommands("LGTM\r\n/approve\r\n/backport 1.x\r\n")).toEqual([
      { name: "/approve", args: [] },
      { name: "/backport", args: ["1.x"] },
    ]);
    expect(names("LGTM\r/approve\r")).toEqual(["/approve"]);
  });
});

describe("parseCommands: code", () => {
  it("skips lines in a fenced code block, with or without an info string", () => {
    expect(names("How to:\n```\n/approve\n```\n/merge")).toEqual(["/merge"]);
    expect(names("```bash title=\"x\"\n/approve\n```")).toEqual([]);
    expect(names("~~~\n/approve\n~~~\n/merge")).toEqual(["/merge"]);
    expect(names("  ```suggestion\n/approve\n  ```\n/merge")).toEqual(["/merge"]);
  });

  it("closes a fence only with the same character, at least as long", () => {
    expect(names("````md\n```\n/approve\n```\n````\n/merge")).toEqual(["/merge"]);
    expect(names("~~~\n```\n/approve\n~~~\n/merge")).toEqual(["/merge"]);
    expect(names("```\n``` not a close\n/approve\n```\n/merge")).toEqual(["/merge"]);
  });

  it("skips everything after an unclosed fence", () => {
    expect(names("/first\n```\n/approve\n\n/merge")).toEqual(["/first"]);
  });

  it("does not take ```inline``` code for a fence", () => {
    expect(names("```/approve```\n/merge")).toEqual(["/merge"]);
  });

  it("skips indented code (4 spaces or a tab) at the start or after a blank line", () => {
    expect(names("    /approve")).toEqual([]);
    expect(names("\t/approve")).toEqual([]);
    expect(names("  \t/approve")).toEqual([]);
    expect(names("Run:\n\n    /approve\n\n    /merge\n/label x")).toEqual(["/label"]);
    expect(names("```\nx\n```\n    /approve")).toEqual([]);
  });

  it("takes 4 spaces right after a text line as that paragraph's continuation", () => {
    expect(names("Looks good\n    /approve")).toEqual(["/approve"]);
  });
});

describe("parseCommands: quotes and HTML comments", () => {
  it("skips quoted lines, nested or not", () => {
    expect(names("> /approve")).toEqual([]);
    expect(names("> > /approve\n>/merge\n   > /label x")).toEqual([]);
  });

  it("does not extend a quote to the next unquoted line (no lazy continuation)", () => {
    expect(names("> quoted\n/approve")).toEqual(["/approve"]);
  });

  it("ignores a command quoted in an email reply, and finds the reply's own", () => {
    const reply = [
      "/merge",
      "",
      "On Tue, Jun 2, 2026 at 10:01 AM octocat <notifications@github.com> wrote:",
      "",
      "> /approve",
      "> Looks good to me.",
      ">",
      "> —",
      "> Reply to this email directly, view it on GitHub",
      "> <https://github.com/octo/repo/pull/1#issuecomment-1>.",
    ].join("\r\n");
    expect(names(reply)).toEqual(["/merge"]);
  });

  it("skips HTML comments, single or multi-line, as issue templates write them", () => {
    const template = [
      "<!--",
      "  Maintainers: comment /backport <branch> to backport.",
      "/approve",
      "-->",
      "/label bug",
    ].join("\n");
    expect(parseCommands(template)).toEqual([{ name: "/label", args: ["bug"] }]);
    expect(names("<!-- /approve -->\n/merge")).toEqual(["/merge"]);
    expect(names("<!-- note --> /approve")).toEqual([]);
  });

  it("drops a comment from a command's args, and skips lines a trailing comment opens", () => {
    expect(parseCommands("/backport 1.x <!-- and 2.x? --> 3.x")).toEqual([{ name: "/backport", args: ["1.x", "3.x"] }]);
    expect(parseCommands("/backport 1.x <!-- later:\n/approve\n-->\n/merge")).toEqual([
      { name: "/backport", args: ["1.x"] },
      { name: "/merge", args: [] },
    ]);
    expect(names("Thanks <!--\n/approve\n-->")).toEqual([]);
  });

  it("does not open a comment from inside a code span", () => {
    expect(names("Write `<!--` to start a comment\n/approve")).toEqual(["/approve"]);
    expect(names("`` a ` <!-- b ``\n/approve")).toEqual(["/approve"]);
  });

  it("skips the rest of the body after an unclosed comment", () => {
    expect(names("<!-- draft\n/approve\n/merge")).toEqual([]);
  });

  it("does not look for fences or comments inside each other", () => {
    expect(names("```\n<!--\n```\n/approve")).toEqual(["/approve"]);
    expect(names("<!--\n```\n-->\n/approve")).toEqual(["/approve"]);
  });
});

describe("parseCommands: caps", () => {
  it("returns at most 10 commands", () => {
    const body = Array.from({ length: 15 }, (_, i) => `/c${i}`).join("\n");
    expect(names(body)).toEqual(Array.from({ length: 10 }, (_, i) => `/c${i}`));
  });

  it("keeps at most 20 args of at most 200 characters each", () => {
    const args = Array.from({ length: 25 }, (_, i) => `a${i}`);
    expect(parseCommands(`/x ${args.join(" ")}`)[0]!.args).toEqual(args.slice(0, 20));
    const [long] = parseCommands(`/x ${"y".repeat(500)}`)[0]!.args;
    expect(long).toBe("y".repeat(200));
    // Counted in characters: 200 emoji, none cut in half.
    expect(parseCommands(`/x ${"😀".repeat(300)}`)[0]!.args).toEqual(["😀".repeat(200)]);
  });

  it("reads a body at GitHub's 65,536-character limit made of backticks and comment openers", () => {
    expect(names(`${"` <!-- ".repeat(9_000)}\n/approve`)).toEqual([]);
    expect(names(`${"` ".repeat(30_000)}\n/approve`)).toEqual(["/approve"]);
  });
});

describe("parseCommands on GitHub's example payloads", () => {
  it("reads the comment body of an issue_comment delivery", () => {
    const payload = example("issue_comment", "created");
    expect(parseCommands(payload.comment.body)).toEqual([]);
    expect(parseCommands(`${payload.comment.body}\r\n/backport 1.x`)).toEqual([{ name: "/backport", args: ["1.x"] }]);
  });
});

describe("findCommand", () => {
  const body = "LGTM\n/backport 1.x\n/approve\n/backport 2.x";

  it("returns the first command of that name", () => {
    expect(findCommand(body, "backport")).toEqual({ name: "/backport", args: ["1.x"] });
  });

  it("takes the name with or without its slash, in any case", () => {
    expect(findCommand(body, "/Approve")).toEqual({ name: "/approve", args: [] });
    expect(findCommand(body, "APPROVE")).toEqual({ name: "/approve", args: [] });
  });

  it("returns null when there is no such command, or it is only quoted or in code", () => {
    expect(findCommand(body, "merge")).toBeNull();
    expect(findCommand("> /merge\n```\n/merge\n```", "merge")).toBeNull();
  });
});
