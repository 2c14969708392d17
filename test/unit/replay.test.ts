import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../../scripts/replay/args.ts";
import { parseExportedDelivery } from "../../scripts/replay/exported.ts";

describe("replay arguments", () => {
  it("reads event, action, payload file and flags", () => {
    expect(parseArgs(["pull_request.opened", "p.json", "--repo", "o/r", "--dir", "x", "--skip-sleeps", "--timeout", "5"])).toMatchObject({
      event: "pull_request",
      action: "opened",
      file: "p.json",
      repo: "o/r",
      dir: "x",
      skipSleeps: true,
      timeoutSeconds: 5,
    });
  });

  it("takes a lone file as an exported delivery", () => {
    expect(parseArgs(["./delivery.json"])).toMatchObject({ event: null, file: "./delivery.json" });
  });

  it.each([[[]], [["--repo"]], [["push", "--repo", "not-a-repo"]], [["push", "--nope"]], [["a.json", "b.json"]]])("refuses %j with a usage error", (argv) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
  });
});

describe("exported deliveries", () => {
  it("reads the REST API's delivery object and drops the production signature", () => {
    const parsed = parseExportedDelivery(
      JSON.stringify({
        guid: "g-1",
        event: "issues",
        request: { headers: { "X-GitHub-Event": "issues", "X-GitHub-Delivery": "g-1", "X-Hub-Signature-256": "sha256=00", "X-GitHub-Hook-ID": "9" }, payload: { action: "opened" } },
      }),
    );
    expect(parsed).toEqual({ event: "issues", action: "opened", guid: "g-1", headers: { "x-github-event": "issues", "x-github-delivery": "g-1", "x-github-hook-id": "9" }, payload: { action: "opened" } });
  });

  it("reads headers and body copied from the Recent Deliveries page", () => {
    const parsed = parseExportedDelivery("Request method: POST\nX-GitHub-Event: push\nX-GitHub-Delivery: g-2\nX-Hub-Signature-256: sha256=ff\n\n{\"ref\":\"refs/heads/main\"}\n");
    expect(parsed).toMatchObject({ event: "push", action: null, guid: "g-2", payload: { ref: "refs/heads/main" } });
    expect(parsed?.headers["x-hub-signature-256"]).toBeUndefined();
  });

  it("says a plain payload is not an export", () => {
    expect(parseExportedDelivery(JSON.stringify({ action: "opened", number: 1 }))).toBeNull();
  });
});
