/** `npm run replay` against `wrangler dev` and the GitHub emulator, run as an author runs it: a child process. */
import { execFile } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { example, retarget } from "../support/payloads.ts";
import { ROOT } from "../support/service.ts";
import { WEBHOOK_SECRET } from "../support/stack.ts";
import { scratchFolders } from "../support/scratch.ts";
import { useStack } from "../support/use-stack.ts";

const stack = useStack();
const scratch = scratchFolders("repoflow-replay-");
afterAll(() => scratch.removeAll());

function replay(args: string[], urls: { service?: string; github?: string } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "scripts/replay.ts"), ...args, "--service", urls.service ?? stack.service.url, "--github", urls.github ?? stack.emulator.url],
      { cwd: ROOT, env: { ...process.env, WEBHOOK_SECRET, APP_ID: stack.vars.APP_ID }, timeout: 90_000, killSignal: "SIGKILL" },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const repoDir = scratch.folder;

async function deliveryRecord(guid: string): Promise<{ delivery: { id: string; status: string }; runs: { status: string }[] }> {
  const res = await fetch(`${stack.service.url}/api/deliveries/${guid}`, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  return (await res.json()) as { delivery: { id: string; status: string }; runs: { status: string }[] };
}

const commenter = (marker: string, before = "") => `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Marker",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    ${before}
    await step.do("comment", () =>
      github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: ${JSON.stringify(marker)} }).then(() => true));
  },
});
`;

const examplePr = (example("pull_request", "opened") as { number: number; pull_request: { head: { ref: string } } });

describe("npm run replay", () => {
  it("replays GitHub's real pull_request.opened example against a repository with a workflow, prints its steps and exits 0", async () => {
    stack.emulator.addRepo({ fullName: "octo-org/replay-example", installationId: 9300, files: { ".workflows/marker.ts": commenter("from GitHub's example") } });
    const { code, out } = await replay(["pull_request.opened", "--repo", "octo-org/replay-example"]);
    expect(out).toMatch(/pull_request\.opened → 202 accepted {2}\(delivery [0-9a-f-]{36}\)/);
    expect(out).toMatch(/delivery [0-9a-f-]{36} started 1 run:\n {2}run run-[0-9a-f]+ {2}Marker \(\.workflows\/marker\.ts\)/);
    expect(out).toMatch(/ {2}✓ comment \(\d+(\.\d)? m?s, 1 attempt\)/);
    expect(out).toMatch(/✓ Marker: succeeded in .*, 1 step \(run run-[0-9a-f]+\)/);
    expect(code).toBe(0);
    expect(stack.emulator.comments("octo-org/replay-example", examplePr.number).map((c) => c.body)).toEqual(["from GitHub's example"]);
    // The check run sits on the pull request's real head commit, made by the replay.
    const head = stack.emulator.headSha("octo-org/replay-example", examplePr.pull_request.head.ref);
    expect(stack.emulator.checkRuns("octo-org/replay-example").map((c) => [c.head_sha, c.conclusion])).toEqual([[head, "success"]]);
  });

  it("with --dir runs the uncommitted .workflows of a local folder instead of the repository's code", async () => {
    stack.emulator.addRepo({ fullName: "octo-org/replay-dir", installationId: 9300, files: { ".workflows/marker.ts": commenter("the committed code") } });
    const dir = repoDir({ ".workflows/marker.ts": commenter("from the local folder") });
    const { code, out } = await replay(["pull_request.opened", "--repo", "octo-org/replay-dir", "--dir", dir]);
    expect(out).toContain(`loaded ${dir} into the emulator as octo-org/replay-dir, default branch main @ `);
    expect(out).toMatch(/✓ Marker: succeeded/);
    expect(code).toBe(0);
    expect(stack.emulator.comments("octo-org/replay-dir", examplePr.number).map((c) => c.body)).toEqual(["from the local folder"]);
  });

  it("replays a delivery exported from GitHub as-is under its own delivery id, re-signed with the local secret", async () => {
    stack.emulator.addRepo({ fullName: "octo-org/replay-export", installationId: 9301, files: { ".workflows/marker.ts": commenter("exported") } });
    stack.emulator.openPullRequest("octo-org/replay-export", { number: 4, title: "x", head: "f4", base: "main" });
    const payload = retarget(example("pull_request", "opened"), { fullName: "octo-org/replay-export", installationId: 9301 });
    payload.number = 4;
    payload.pull_request = { ...payload.pull_request, number: 4, head: { ...payload.pull_request.head, ref: "f4", sha: stack.emulator.headSha("octo-org/replay-export", "f4") } };
    const guid = randomUUID();
    const exported = {
      id: 12345,
      guid,
      delivered_at: "2026-11-20T10:00:00Z",
      redelivery: false,
      status: "OK",
      status_code: 202,
      event: "pull_request",
      action: "opened",
      installation_id: 9301,
      repository_id: 1,
      request: {
        headers: {
          Accept: "*/*",
          "Content-Type": "application/json",
          "User-Agent": "GitHub-Hookshot/ae3ba6c",
          "X-GitHub-Event": "pull_request",
          "X-GitHub-Delivery": guid,
          "X-GitHub-Hook-ID": "777",
          "X-GitHub-Hook-Installation-Target-ID": stack.vars.APP_ID,
          "X-GitHub-Hook-Installation-Target-Type": "integration",
          "X-Hub-Signature-256": "sha256=" + createHmac("sha256", "the-production-secret").update(JSON.stringify(payload)).digest("hex"),
        },
        payload,
      },
      response: { headers: {}, payload: "" },
    };
    const file = join(repoDir({}), "delivery.json");
    writeFileSync(file, JSON.stringify(exported, null, 2));
    const { code, out } = await replay([file]);
    expect(out).toContain(`replaying delivery ${guid} exported from GitHub as-is`);
    expect(out).toContain("re-signed with the local WEBHOOK_SECRET");
    expect(out).toContain(`pull_request.opened → 202 accepted  (delivery ${guid})`);
    expect(code).toBe(0);
    expect(await deliveryRecord(guid)).toMatchObject({ delivery: { id: guid, status: "processed" }, runs: [{ status: "succeeded" }] });
    expect(stack.emulator.comments("octo-org/replay-export", 4).map((c) => c.body)).toEqual(["exported"]);
  });

  it("turns a 2-day sleep into seconds with --skip-sleeps, and without it the run keeps sleeping", async () => {
    const dir = repoDir({ ".workflows/marker.ts": commenter("woke up", `await step.sleep("wait two days", "2 days");`) });
    const fast = await replay(["pull_request.opened", "--repo", "octo-org/replay-sleep", "--dir", dir, "--skip-sleeps"]);
    expect(fast.out).toMatch(/✓ wait two days \(sleep, /);
    expect(fast.out).toMatch(/✓ Marker: succeeded in \d+(\.\d)? m?s, 2 steps/);
    expect(fast.code).toBe(0);

    const slow = await replay(["pull_request.opened", "--repo", "octo-org/replay-sleep", "--timeout", "6"]);
    expect(slow.out).toMatch(/gave up after 6 s; still running: Marker \(wait two days \(sleeping\)\)/);
    expect(slow.out).not.toMatch(/✓ wait two days/);
    expect(slow.code).toBe(1);
  });

  it("says why nothing ran for an event the repository's workflows do not take, and exits 0", async () => {
    stack.emulator.addRepo({ fullName: "octo-org/replay-none", installationId: 9300, files: { ".workflows/marker.ts": commenter("never") } });
    const { code, out } = await replay(["issues.opened", "--repo", "octo-org/replay-none"]);
    expect(out).toMatch(/issues\.opened → 202 accepted/);
    expect(out).toContain("nothing ran for issues.opened: no workflow is triggered by issues.opened (1 workflow looked at)");
    expect(code).toBe(0);
  });

  it("prints the compile diagnostics of the code it ran, like tsc, and exits 1", async () => {
    const dir = repoDir({ ".workflows/typo.ts": `import { workflow } from "repoflow";\nexport default workflow({\n  name: "Typo",\n  on: { pull_request: ["open"] },\n  async run() {},\n});\n` });
    const { code, out } = await replay(["pull_request.opened", "--repo", "octo-org/replay-broken", "--dir", dir]);
    expect(out).toMatch(/✗ the \.workflows\/ at [0-9a-f]{7} did not compile, so nothing ran for pull_request\.opened:/);
    expect(out).toMatch(/\.workflows\/typo\.ts - error: \.workflows\/typo\.ts: "open" is not an action of the pull_request event/);
    expect(code).toBe(1);
  });

  it("exits 2 with the usage on a bad command line, and 1 telling to run npm run dev when nothing answers", async () => {
    const usage = await replay(["--repo"]);
    expect(usage.out).toMatch(/--repo needs a value/);
    expect(usage.code).toBe(2);
    const down = await replay(["pull_request.opened"], { github: "http://127.0.0.1:9" });
    expect(down.out).toMatch(/^repoflow: the GitHub emulator does not answer at http:\/\/127\.0\.0\.1:9 .*`npm run dev`/m);
    expect(down.code).toBe(1);
  });
});
