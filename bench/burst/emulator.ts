/**
 * The GitHub emulator (test/emulator) in its own process, through its CLI,
 * seeded with the bench repository, and driven through its admin routes.
 *
 * Shaped by what this bench times: the probes' latency is taken in the
 * runner's event loop, and the emulator validates every request against
 * GitHub's OpenAPI description, which is CPU work. In the runner's process,
 * 500 ingest runs calling it would delay the probes of the service but not
 * those of the bare Worker, which calls nobody. In its own process it still
 * shares the machine's two cores, as everything here does, but not the
 * runner's clock. Its request log (one stderr line per request) is counted,
 * not kept.
 */
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { onCleanup } from "../cleanup.ts";
import { TargetStartError } from "../errors.ts";

export interface GitHubCalls {
  total: number;
  /** By status code, e.g. { "200": 480, "403": 20 }. */
  byStatus: Record<string, number>;
  /** Requests the real API would reject for its own sake (the emulator's VIOLATION lines). */
  violations: string[];
}

export interface EmulatorProcess {
  url: string;
  appId: string;
  /** PKCS#1, as GitHub hands out an App's key. */
  privateKey: string;
  /** Opens pull request `number` from branch `head` (no webhook) and answers its head commit. */
  openPullRequest(repository: string, number: number, head: string): Promise<string>;
  /** The calls seen since the last snapshot. */
  takeCalls(): GitHubCalls;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const ADMIN_TIMEOUT_MS = 10_000;
// "emulator: GET /repos/o/r/git/ref/heads/main 200 git/get-ref": the CLI's line per request.
const REQUEST_LINE = /^emulator: [A-Z]+ \S+ (\d{3}) /;
const VIOLATION_LINE = /^emulator: VIOLATION (.*)$/;

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

export async function startEmulatorProcess(root: string, work: string, seed: { fullName: string; installationId: number; files: Record<string, string> }): Promise<EmulatorProcess> {
  const appId = "4242";
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyFile = join(work, "emulator-app.pub.pem");
  writeFileSync(keyFile, publicKey.export({ type: "spki", format: "pem" }).toString());
  const repoDir = join(work, "emulator-repo");
  writeTree(repoDir, seed.files);
  const args = [join(root, "test", "emulator", "cli.ts"), "--port", "0", "--app-id", appId, "--app-public-key", keyFile, "--repo", `${seed.fullName}=${seed.installationId}:${repoDir}`, "--log-requests", "yes"];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = onCleanup(
    "GitHub emulator process",
    async () => {
      if (!running()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    },
    () => {
      if (running()) child.kill("SIGKILL");
    },
  );

  let calls: GitHubCalls = { total: 0, byStatus: {}, violations: [] };
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr }).on("line", (line) => {
    const request = REQUEST_LINE.exec(line);
    if (request) {
      calls.total++;
      calls.byStatus[request[1]!] = (calls.byStatus[request[1]!] ?? 0) + 1;
      return;
    }
    const violation = VIOLATION_LINE.exec(line);
    if (violation) calls.violations.push(violation[1]!);
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
  });

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address printed within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      createInterface({ input: child.stdout }).once("line", (line) => {
        clearTimeout(timer);
        try {
          resolve(String((JSON.parse(line) as { url: unknown }).url));
        } catch {
          reject(new Error(`printed "${line}" instead of its address`));
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited early with ${code ?? signal}: ${stderrTail.join("\n")}`));
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const openPullRequest = async (repository: string, number: number, head: string) => {
      const response = await fetch(`${url}/_emulator/repos/${repository}/pulls`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ number, head, title: `Burst bench #${number}` }),
        signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
      });
      const answer = (await response.json()) as { headSha?: unknown; message?: unknown };
      if (!response.ok || typeof answer.headSha !== "string") throw new TargetStartError("GitHub emulator", `did not open pull request #${number} of ${repository}: ${response.status} ${JSON.stringify(answer)}`);
      return answer.headSha;
    };
    const takeCalls = () => {
      const taken = calls;
      calls = { total: 0, byStatus: {}, violations: [] };
      return taken;
    };
    return { url, appId, privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(), openPullRequest, takeCalls, stop };
  } catch (error) {
    await stop();
    throw new TargetStartError("GitHub emulator", error instanceof Error ? error.message : String(error));
  }
}
