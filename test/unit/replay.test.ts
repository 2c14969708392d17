import { verify } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../../scripts/replay/args.ts";
import { ExportFormatError, parseExportedDelivery } from "../../scripts/replay/exported.ts";
import { DeliveryFollower, followUpHint, type DeliveryView, type RunView } from "../../scripts/replay/report.ts";
import { readVar, signedRequest } from "../../scripts/replay/request.ts";

describe("replay arguments", () => {
  it("reads schedule <workflow>, which fires a schedule instead of sending an event", () => {
    expect(parseArgs(["schedule", "stale-sweep", "--repo", "o/r"])).toMatchObject({ schedule: "stale-sweep", repo: "o/r", event: null, file: null });
    expect(() => parseArgs(["schedule"])).toThrow(/schedule needs the workflow to fire/);
  });

  it("reads event, action, payload file and every option", () => {
    expect(
      parseArgs([
        "pull_request.opened", "p.json", "--repo", "o/r", "--dir", "x", "--skip-sleeps", "--timeout", "5", "--service", "http://127.0.0.1:1/", "--github", "http://127.0.0.1:2",
        "--number", "7", "--sender", "octocat", "--set", "pull_request.draft=true", "--set", "pull_request.title=WIP: x",
      ]),
    ).toEqual({
      event: "pull_request",
      action: "opened",
      file: "p.json",
      repo: "o/r",
      dir: "x",
      skipSleeps: true,
      service: "http://127.0.0.1:1",
      github: "http://127.0.0.1:2",
      timeoutSeconds: 5,
      schedule: null,
      number: 7,
      sender: "octocat",
      set: [
        { path: ["pull_request", "draft"], value: true },
        { path: ["pull_request", "title"], value: "WIP: x" },
      ],
      followUp: null,
    });
  });

  it("reads a follow-up: a person comments, labels or reviews #N, which needs --number and no event", () => {
    expect(parseArgs(["--number", "3", "--comment", "/approve", "--sender", "alice"])).toMatchObject({ number: 3, sender: "alice", followUp: { kind: "comment", body: "/approve" }, event: null });
    expect(parseArgs(["--number", "3", "--label", "automerge"])).toMatchObject({ followUp: { kind: "label", name: "automerge" } });
    expect(parseArgs(["--number", "3", "--review", "approve"])).toMatchObject({ followUp: { kind: "review", state: "APPROVED" } });
    expect(() => parseArgs(["--comment", "/approve"])).toThrow(/--comment needs --number/);
    expect(() => parseArgs(["issue_comment.created", "--number", "3", "--comment", "/approve"])).toThrow(/make the emulator send the event itself/);
    expect(() => parseArgs(["--number", "3", "--comment", "x", "--label", "y"])).toThrow(/one of --comment, --label, --review, --status and --age at a time/);
    expect(() => parseArgs(["--number", "3", "--review", "lgtm"])).toThrow(/--review takes approve, request-changes or comment/);
    expect(parseArgs(["--number", "3", "--status", "success", "--context", "build"])).toMatchObject({ followUp: { kind: "status", state: "success", context: "build" } });
    expect(parseArgs(["--number", "3", "--age", "40"])).toMatchObject({ followUp: { kind: "age", days: 40 } });
    expect(() => parseArgs(["--number", "3", "--context", "build"])).toThrow(/--context names the status of --status/);
    expect(() => parseArgs(["push", "--set", "novalue"])).toThrow(/--set takes path=value/);
  });

  it("takes its default service and emulator from what npm run dev chose", () => {
    expect(parseArgs(["push"], { service: "http://127.0.0.1:9000", github: "http://127.0.0.1:9001" })).toMatchObject({ service: "http://127.0.0.1:9000", github: "http://127.0.0.1:9001" });
  });

  it("defaults to the npm run dev ports, two minutes and no repository", () => {
    expect(parseArgs(["push"])).toMatchObject({ event: "push", action: null, file: null, repo: null, service: "http://127.0.0.1:8787", github: "http://127.0.0.1:8788", timeoutSeconds: 120 });
  });

  it("takes a lone file as an exported delivery, even when its name looks like an event", () => {
    expect(parseArgs(["./delivery.json"])).toMatchObject({ event: null, file: "./delivery.json" });
    expect(parseArgs(["push.json"])).toMatchObject({ event: null, file: "push.json" });
  });

  it.each([
    [[]],
    [["--repo"]],
    [["push", "--repo", "not-a-repo"]],
    [["push", "--nope"]],
    [["push", "--timeout", "0"]],
    [["push", "--service", "127.0.0.1:8787"]],
    [["a.json", "b.json"]],
    [["push", "a.json", "b.json"]],
  ])("refuses %j with a usage error that starts with repoflow:", (argv) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(/^repoflow: /);
  });
});

describe("exported deliveries", () => {
  const apiObject = {
    id: 12345,
    guid: "0b7f5f80-0000-11ef-8000-000000000001",
    event: "issues",
    action: "opened",
    request: {
      headers: {
        Accept: "*/*",
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/ae3ba6c",
        "X-GitHub-Delivery": "0b7f5f80-0000-11ef-8000-000000000001",
        "X-GitHub-Event": "issues",
        "X-GitHub-Hook-ID": "9",
        "X-GitHub-Hook-Installation-Target-ID": "77",
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-Hub-Signature": "sha1=00",
        "X-Hub-Signature-256": "sha256=00",
      },
      payload: { action: "opened", issue: { number: 1 } },
    },
    response: { headers: {}, payload: "" },
  };

  it("reads the REST API's delivery object, keeps the hook headers and drops the production signatures", () => {
    expect(parseExportedDelivery(JSON.stringify(apiObject))).toEqual({
      event: "issues",
      action: "opened",
      guid: apiObject.guid,
      headers: {
        accept: "*/*",
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/ae3ba6c",
        "x-github-delivery": apiObject.guid,
        "x-github-event": "issues",
        "x-github-hook-id": "9",
        "x-github-hook-installation-target-id": "77",
        "x-github-hook-installation-target-type": "integration",
      },
      payload: { action: "opened", issue: { number: 1 } },
    });
  });

  it("reads the text copied from Recent Deliveries, skipping lines that are not valid header names", () => {
    const copied = [
      "Headers",
      "Request URL: https://example.com/webhooks/github",
      "Request method: POST",
      "Accept: */*",
      "User-Agent: GitHub-Hookshot/ae3ba6c",
      "X-GitHub-Delivery: g-2",
      "X-GitHub-Event: push",
      "X-GitHub-Hook-ID: 5",
      "X-Hub-Signature-256: sha256=ff",
      "",
      "Payload",
      '{"ref":"refs/heads/main",',
      ' "after":"abc"}',
      "",
    ].join("\r\n");
    const parsed = parseExportedDelivery(copied);
    expect(parsed).toEqual({
      event: "push",
      action: null,
      guid: "g-2",
      headers: { accept: "*/*", "user-agent": "GitHub-Hookshot/ae3ba6c", "x-github-delivery": "g-2", "x-github-event": "push", "x-github-hook-id": "5" },
      payload: { ref: "refs/heads/main", after: "abc" },
    });
  });

  it("says a plain payload is not an export", () => {
    expect(parseExportedDelivery(JSON.stringify({ action: "opened", number: 1 }))).toBeNull();
  });

  it("names what to fix when the export is broken", () => {
    expect(() => parseExportedDelivery("X-GitHub-Event: push\nX-GitHub-Delivery: g\n\n{nope")).toThrow(ExportFormatError);
    expect(() => parseExportedDelivery("X-GitHub-Event: push\n\n{}")).toThrow(/X-GitHub-Delivery/);
    expect(() => parseExportedDelivery(JSON.stringify({ request: { headers: {} } }))).toThrow(/GET \/app\/hook\/deliveries/);
  });
});

describe("the request replay sends", () => {
  it("signs the exact body with the local secret, as GitHub signs X-Hub-Signature-256", async () => {
    const { headers, body } = signedRequest({ event: "issues", guid: "g", payload: { action: "opened", text: "é ✓" }, appId: "42", secret: "It's a Secret to Everybody", skipSleeps: false });
    await expect(verify("It's a Secret to Everybody", body, headers["x-hub-signature-256"]!)).resolves.toBe(true);
    await expect(verify("the production secret", body, headers["x-hub-signature-256"]!)).resolves.toBe(false);
    expect(JSON.parse(body)).toEqual({ action: "opened", text: "é ✓" });
  });

  it("carries GitHub's delivery and App hook headers, and time travel only when asked", () => {
    const plain = signedRequest({ event: "push", guid: "g-1", payload: {}, appId: "42", secret: "s", skipSleeps: false });
    expect(plain.headers).toMatchObject({
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": "g-1",
      "x-github-hook-id": "1",
      "x-github-hook-installation-target-type": "integration",
      "x-github-hook-installation-target-id": "42",
    });
    expect(plain.headers["user-agent"]).toMatch(/^GitHub-Hookshot\//);
    expect(plain.headers["x-repoflow-skip-sleeps"]).toBeUndefined();
    expect(signedRequest({ event: "push", guid: "g-1", payload: {}, appId: "42", secret: "s", skipSleeps: true }).headers["x-repoflow-skip-sleeps"]).toBe("1");
  });

  it("keeps an export's own hook headers and user agent but never its event, delivery or signature", () => {
    const { headers } = signedRequest({
      event: "issues",
      guid: "g-9",
      payload: {},
      original: { "user-agent": "GitHub-Hookshot/ae3ba6c", "x-github-hook-id": "9", "x-github-event": "push", "x-hub-signature-256": "sha256=00" },
      appId: "42",
      secret: "s",
      skipSleeps: false,
    });
    expect(headers).toMatchObject({ "user-agent": "GitHub-Hookshot/ae3ba6c", "x-github-hook-id": "9", "x-github-event": "issues", "x-github-delivery": "g-9" });
    expect(headers["x-hub-signature-256"]).not.toBe("sha256=00");
  });

  it("reads a variable from .dev.vars text, quoted or not", () => {
    const text = 'REPOFLOW_ENV=local\nWEBHOOK_SECRET="dev secret"\nAPP_ID=7\n';
    expect(readVar(text, "WEBHOOK_SECRET")).toBe("dev secret");
    expect(readVar(text, "APP_ID")).toBe("7");
    expect(readVar(text, "PRIVATE_KEY")).toBeUndefined();
  });
});

describe("following a delivery", () => {
  const step = (name: string, status: string, extra: Partial<RunView["steps"][number]> = {}) => ({
    name,
    kind: "do",
    status,
    attempts: 1,
    startedAt: "2026-11-25T08:00:00.000Z",
    finishedAt: status === "succeeded" || status === "failed" ? "2026-11-25T08:00:01.500Z" : null,
    error: null,
    ...extra,
  });
  const run = (status: string, steps: RunView["steps"], extra: Partial<RunView> = {}): RunView => ({
    id: "run-1",
    workflowName: "Marker",
    workflowFile: ".workflows/marker.ts",
    status,
    error: null,
    steps,
    ...extra,
  });
  const view = (status: string, runs: RunView[]): DeliveryView => ({ delivery: { id: "d-1", status, error: null }, runs });

  it("waits while the delivery is in the inbox or not yet processed", () => {
    const follower = new DeliveryFollower("pull_request.opened");
    expect(follower.observe(null)).toEqual({ lines: [], outcome: null });
    expect(follower.observe(view("accepted", [run("running", [])]))).toEqual({ lines: [], outcome: null });
    expect(follower.progress()).toMatch(/waiting for the service/);
  });

  it("says why nothing ran, from the delivery's outcome, and exits 1 with tsc-like diagnostics when the bundle did not compile", () => {
    const ignored = { id: "d-1", status: "processed", error: null, outcome: { started: [], woke: [], notes: [{ workflow: ".workflows/a.ts", note: "its `if` said no" }], ignored: "no workflow is triggered by issues.opened (2 workflows looked at)" } };
    expect(new DeliveryFollower("issues.opened").observe({ delivery: ignored, runs: [] })).toEqual({
      lines: ["  .workflows/a.ts: its `if` said no"],
      outcome: { code: 0, lines: ["nothing ran for issues.opened: no workflow is triggered by issues.opened (2 workflows looked at)"] },
    });
    const broken = {
      id: "d-2",
      status: "processed",
      error: null,
      outcome: { started: [], woke: [], notes: [], bundle: { hash: "h", commitSha: "abcdef0123", ok: false, diagnostics: [{ file: ".workflows/x.ts", line: 4, column: 7, message: "Expected expression", severity: "error" }] } },
    };
    expect(new DeliveryFollower("push").observe({ delivery: broken, runs: [] }).outcome).toEqual({
      code: 1,
      lines: ["✗ the .workflows/ at abcdef0 did not compile, so nothing ran for push:", "  .workflows/x.ts:4:7 - error: Expected expression"],
    });
  });

  it("says no workflow matched and succeeds when the processed delivery started no run", () => {
    expect(new DeliveryFollower("pull_request.opened").observe(view("processed", []))).toEqual({ lines: [], outcome: { code: 0, lines: ["no workflow matched pull_request.opened"] } });
  });

  it("announces the run ids once, prints each finished step once, and succeeds when every run did", () => {
    const follower = new DeliveryFollower("pull_request.opened");
    const first = follower.observe(view("processed", [run("running", [step("comment", "succeeded"), step("label", "running")])]));
    expect(first.lines).toEqual(["delivery d-1 started 1 run:", "  run run-1  Marker (.workflows/marker.ts)", "  ✓ comment (1.5 s, 1 attempt)"]);
    expect(first.outcome).toBeNull();
    expect(follower.progress()).toBe("… 1 run in progress: Marker → label (running)");
    const last = follower.observe(
      view("processed", [
        run("succeeded", [step("comment", "succeeded"), step("wait", "succeeded", { kind: "sleep" })], { createdAt: "2026-11-25T08:00:00.000Z", finishedAt: "2026-11-25T08:00:02.000Z" }),
      ]),
    );
    expect(last.lines).toEqual(["  ✓ wait (sleep, 1.5 s)"]);
    expect(last.outcome).toEqual({ code: 0, lines: ["✓ Marker: succeeded in 2.0 s, 2 steps (run run-1)"] });
  });

  it("fails when a run failed or was cancelled, with the error but without the tenant stack", () => {
    const failed = new DeliveryFollower("push").observe(
      view("processed", [
        run("failed", [step("comment", "failed", { attempts: 3, error: "boom\n--- repoflow stack ---\nat x" })], { error: "boom\n--- repoflow stack ---\nat x" }),
        run("cancelled", [], { id: "run-2", workflowName: "Other" }),
      ]),
    );
    expect(failed.lines).toContain("  ✗ Marker › comment (1.5 s, 3 attempts): boom");
    expect(failed.outcome).toEqual({ code: 1, lines: ["✗ Marker: failed, 1 step (run run-1): boom", "✗ Other: cancelled, 0 steps (run run-2)"] });
  });

  it("fails with the service's error when the delivery could not be processed", () => {
    const outcome = new DeliveryFollower("push").observe({ delivery: { id: "d-1", status: "failed", error: "no installation" }, runs: [] }).outcome;
    expect(outcome).toEqual({ code: 1, lines: ["✗ the service could not process delivery d-1: no installation"] });
  });

  it("names the runs still going when it gives up", () => {
    const follower = new DeliveryFollower("push");
    follower.observe(view("processed", [run("running", [step("wait two days", "sleeping", { kind: "sleep" })])]));
    expect(follower.gaveUp(6)).toEqual({ code: 1, lines: [expect.stringMatching(/^✗ gave up after 6 s; still running: Marker \(wait two days \(sleeping\)\)\..*--skip-sleeps/)] });
  });
});

describe("what replay suggests to a run that waits", () => {
  it("names the follow-up the wait takes, on the same repository and number", () => {
    const about = { number: 9, repo: "me/repo" };
    expect(followUpHint("issue_comment.created #9 /approve", about)).toBe('npm run replay -- --repo me/repo --number 9 --comment "/approve"');
    expect(followUpHint("checks on abc1234", about)).toBe("npm run replay -- --repo me/repo --number 9 --status success");
    expect(followUpHint("pull_request_review.submitted #9", about)).toBe("npm run replay -- --repo me/repo --number 9 --review approve");
    expect(followUpHint(null)).toBe('npm run replay -- --repo <owner/name> --number <N> --comment "<the text it waits for>"');
  });
});
