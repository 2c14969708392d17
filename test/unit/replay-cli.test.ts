/**
 * The replay CLI as a child process, against the emulator and a stand-in for
 * the service that records what arrives: the exact request GitHub would send.
 * (test/e2e/replay.test.ts runs it against the real service.)
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verify } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../emulator/index.ts";

const ROOT = join(import.meta.dirname, "../..");
const SECRET = "replay-cli-secret";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let emulator: Emulator;
let service: Server;
let serviceUrl: string;
let received: Received[] = [];
let runs: unknown[] = [];
let scratch: string;

beforeAll(async () => {
  emulator = await startEmulator({ appId: "4242" });
  emulator.addRepo({ fullName: "octo-org/demo", installationId: 1, files: { "README.md": "demo" } });
  scratch = mkdtempSync(join(tmpdir(), "repoflow-replay-cli-"));
  service = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      response.setHeader("content-type", "application/json");
      if (request.method === "POST" && request.url === "/webhooks/github") {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
        response.writeHead(202).end(JSON.stringify({ delivery: request.headers["x-github-delivery"], status: "accepted" }));
      } else if (request.url?.startsWith("/api/deliveries/")) {
        const id = decodeURIComponent(request.url.slice("/api/deliveries/".length));
        response.writeHead(200).end(JSON.stringify({ delivery: { id, status: "processed", error: null }, runs }));
      } else response.writeHead(404).end("{}");
    });
  });
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
});
afterAll(async () => {
  service?.closeAllConnections();
  await new Promise((resolve) => service?.close(resolve));
  await emulator?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function replay(args: string[]): Promise<{ code: number; out: string }> {
  received = [];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "scripts/replay.ts"), ...args, "--service", serviceUrl, "--github", emulator.url, "--timeout", "20"],
      { cwd: ROOT, env: { ...process.env, WEBHOOK_SECRET: SECRET, APP_ID: "4242" }, timeout: 30_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe("replay CLI", () => {
  it("sends GitHub's example retargeted to the demo repository, with GitHub's headers, signed with the local secret", async () => {
    runs = [];
    const { code, out } = await replay(["pull_request.opened", "--skip-sleeps"]);
    expect(out).toContain("no workflow matched pull_request.opened");
    expect(code).toBe(0);
    expect(received).toHaveLength(1);
    const [{ headers, body }] = received as [Received];
    expect(headers).toMatchObject({
      "content-type": "application/json",
      "x-github-event": "pull_request",
      "x-github-hook-id": expect.stringMatching(/^\d+$/),
      "x-github-hook-installation-target-type": "integration",
      "x-github-hook-installation-target-id": "4242",
      "x-repoflow-skip-sleeps": "1",
    });
    expect(headers["user-agent"]).toMatch(/^GitHub-Hookshot\//);
    expect(headers["x-github-delivery"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await expect(verify(SECRET, body, String(headers["x-hub-signature-256"]))).resolves.toBe(true);
    const payload = JSON.parse(body);
    expect(payload).toMatchObject({ action: "opened", repository: { full_name: "octo-org/demo" }, installation: { id: 1 } });
    expect(payload.pull_request.head.sha).toBe(emulator.headSha("octo-org/demo", payload.pull_request.head.ref));
    expect(emulator.violations).toEqual([]);
  });

  it("replays text copied from Recent Deliveries under its own delivery id and hook headers, re-signed", async () => {
    runs = [];
    const body = JSON.stringify({ action: "opened", issue: { number: 12, title: "Bug" }, repository: { full_name: "octo-org/demo" }, installation: { id: 1 } });
    const file = join(scratch, "copied.txt");
    writeFileSync(
      file,
      `Request URL: https://repoflow.example/webhooks/github\nRequest method: POST\nAccept: */*\nUser-Agent: GitHub-Hookshot/ae3ba6c\nX-GitHub-Delivery: 5e1d0c00-aaaa-11ef-8000-000000000002\nX-GitHub-Event: issues\nX-GitHub-Hook-ID: 777\nX-Hub-Signature-256: sha256=${"0".repeat(64)}\n\n${body}\n`,
    );
    const { code, out } = await replay([file]);
    expect(out).toContain("replaying delivery 5e1d0c00-aaaa-11ef-8000-000000000002 exported from GitHub as-is");
    expect(code).toBe(0);
    const [{ headers, body: sent }] = received as [Received];
    expect(headers).toMatchObject({ "x-github-delivery": "5e1d0c00-aaaa-11ef-8000-000000000002", "x-github-event": "issues", "x-github-hook-id": "777", "user-agent": "GitHub-Hookshot/ae3ba6c" });
    expect(headers["request method"]).toBeUndefined();
    expect(JSON.parse(sent)).toEqual(JSON.parse(body));
    await expect(verify(SECRET, sent, String(headers["x-hub-signature-256"]))).resolves.toBe(true);
    // The issue it names now exists, so the run's API calls would find it.
    expect(emulator.labels("octo-org/demo", 12)).toEqual([]);
  });

  it("exits 1 and prints the failing step when a run fails", async () => {
    runs = [
      {
        id: "run-1",
        workflowName: "Gate",
        workflowFile: ".workflows/gate.ts",
        status: "failed",
        error: "no approval",
        steps: [{ name: "approve", kind: "do", status: "failed", attempts: 2, startedAt: "2026-11-25T08:00:00Z", finishedAt: "2026-11-25T08:00:01Z", error: "no approval" }],
      },
    ];
    const { code, out } = await replay(["push"]);
    expect(out).toContain("  ✗ approve (1.0 s, 2 attempts): no approval");
    expect(out).toContain("✗ Gate: failed, 1 step (run run-1): no approval");
    expect(code).toBe(1);
  });

  it("exits 2 naming the actions GitHub's examples have when the action is unknown", async () => {
    const { code, out } = await replay(["pull_request.nonsense"]);
    expect(out).toMatch(/^repoflow: GitHub's examples have no pull_request\.nonsense; use one of .*pull_request\.opened/m);
    expect(code).toBe(2);
  });

  it("exits 1 telling to run npm run dev when the service does not answer", async () => {
    const { code, out } = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, "scripts/replay.ts"), "push", "--service", "http://127.0.0.1:9", "--github", emulator.url],
        { cwd: ROOT, env: { ...process.env, WEBHOOK_SECRET: SECRET }, timeout: 30_000, killSignal: "SIGKILL" },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
    });
    expect(out).toMatch(/^repoflow: the local service does not answer at http:\/\/127\.0\.0\.1:9 .*`npm run dev`/m);
    expect(code).toBe(1);
  });
});
