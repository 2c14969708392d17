/**
 * `node test/emulator/cli.ts` as `npm run dev` and the e2e harness use it: it
 * announces its URL as one JSON line, serves seeded repositories, logs
 * requests and violations to stderr, and exits cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { verify } from "@octokit/webhooks-methods";
import { afterEach, describe, expect, it } from "vitest";
import { startReceiver } from "../emulator/testing.ts";

const CLI = fileURLToPath(new URL("../emulator/cli.ts", import.meta.url).href);
const WAIT_MS = 15_000;

const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  children.push(child);
  return child;
}

function start(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = run(args, env);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the emulator CLI printed no URL within ${WAIT_MS} ms; stderr: ${stderr}`)), WAIT_MS);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line) {
        clearTimeout(timer);
        resolve({ child, url: (JSON.parse(line) as { url: string }).url, stderr: () => stderr });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator CLI exited with ${code} before printing its URL; stderr: ${stderr}`));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`the emulator CLI did not exit within ${WAIT_MS} ms`)), WAIT_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function fakeJwt(): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iat: now - 30, exp: now + 540, iss: "1" })}.c2ln`;
}

describe("emulator CLI", () => {
  it("prints its URL, serves a repo seeded from a directory, logs requests and violations, and exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "repoflow-emulator-cli-"));
    dirs.push(dir);
    writeFileSync(join(dir, "hello.txt"), "hello from disk\n");
    const { child, url, stderr } = await start(["--port", "0", "--repo", `acme/disk=5:${dir}`]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const issued = await fetch(`${url}/app/installations/5/access_tokens`, { method: "POST", headers: { authorization: `Bearer ${fakeJwt()}` } });
    const { token } = (await issued.json()) as { token: string };
    const file = await fetch(`${url}/repos/acme/disk/contents/hello.txt`, { headers: { authorization: `token ${token}`, accept: "application/vnd.github.raw+json" } });
    expect(await file.text()).toBe("hello from disk\n");
    expect((await fetch(`${url}/repos/acme/disk/nope`, { headers: { authorization: `token ${token}` } })).status).toBe(404);

    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    expect(stderr()).toContain("emulator: GET /repos/acme/disk/contents/hello.txt 200 repos/get-content");
    expect(stderr()).toContain("emulator: VIOLATION GET /repos/acme/disk/nope: GitHub's REST API has no such endpoint");
  });

  it("with --log-requests no, logs violations but not each request (npm run dev's quiet console)", async () => {
    const { child, url, stderr } = await start(["--port", "0", "--log-requests", "no"]);
    expect((await fetch(`${url}/repos/acme/none/nope`)).status).toBe(404);
    await fetch(`${url}/app`);
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    expect(stderr()).not.toMatch(/emulator: GET \/app /);
    expect(stderr()).toContain("emulator: VIOLATION GET /repos/acme/none/nope");
  });

  it("sends webhooks signed with EMULATOR_WEBHOOK_SECRET to --webhook-url, and logs each delivery", async () => {
    const receiver = await startReceiver();
    try {
      const { child, url, stderr } = await start(["--port", "0", "--webhook-url", receiver.url], { EMULATOR_WEBHOOK_SECRET: "cli-secret" });
      const dir = mkdtempSync(join(tmpdir(), "repoflow-emulator-cli-"));
      dirs.push(dir);
      await fetch(`${url}/_emulator/repos`, { method: "POST", body: JSON.stringify({ fullName: "acme/hooks", dir }) });
      // Preparing an issue for a replay is silent (replay sends the event itself); a person's comment is not.
      await fetch(`${url}/_emulator/repos/acme/hooks/issues`, { method: "POST", body: JSON.stringify({ number: 1, title: "From the CLI", user: "mona" }) });
      await fetch(`${url}/_emulator/repos/acme/hooks/issues/1/comments`, { method: "POST", body: JSON.stringify({ body: "hello", user: "mona" }) });
      const delivery = await receiver.waitFor((item) => item.event === "issue_comment");
      expect(receiver.received.some((item) => item.event === "issues")).toBe(false);
      expect(await verify("cli-secret", delivery.body, delivery.headers["x-hub-signature-256"] ?? "")).toBe(true);
      expect(delivery.payload).toMatchObject({ action: "created", sender: { login: "mona" } });
      // The line is written once the receiver's answer is in, which is after the receiver saw the delivery.
      const logged = `emulator: webhook issue_comment.created ${delivery.headers["x-github-delivery"]} → OK`;
      const deadline = Date.now() + WAIT_MS;
      while (!stderr().includes(logged) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(stderr()).toContain(logged);
      child.kill("SIGTERM");
      expect(await exited(child)).toBe(0);
    } finally {
      await receiver.close();
    }
  });

  it("exits 1 with the usage line on an unknown option", async () => {
    const child = run(["--prot", "8788"]);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exited(child)).toBe(1);
    expect(stderr).toContain('repoflow: unknown option "--prot"; usage: node test/emulator/cli.ts --port 8788');
  });
});
