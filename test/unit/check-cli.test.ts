/** `npm run check` as an author runs it: a child process over a folder, nothing sent anywhere. */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scratchFolders } from "../support/scratch.ts";

const ROOT = join(import.meta.dirname, "../..");
const scratch = scratchFolders("repoflow-check-");
afterAll(() => scratch.removeAll());
const folder = scratch.folder;

function check(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, "scripts/check.ts"), ...args], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const good = `import { workflow } from "repoflow";
export default workflow({
  name: "Good",
  on: { pull_request: ["opened"] },
  async run({ event }) {
    console.log("opened", event.pull_request.number);
  },
});
`;

describe("npm run check", () => {
  it("passes the templates: they compile, describe and type-check as the service and editors see them", async () => {
    const { code, out } = await check(["--dir", join(ROOT, "repo-templates")]);
    expect(out).toMatch(/✓ 12 workflows compile and type-check: Approval gate/);
    expect(code).toBe(0);
  }, 120_000);

  it("prints the service's diagnostics and tsc's, and exits 1", async () => {
    const dir = folder({
      ".workflows/good.ts": good,
      ".workflows/typo.ts": good.replace('"Good"', '"Typo"').replace('["opened"]', '["open"]'),
      ".workflows/cron.ts": `import { workflow } from "repoflow";\nexport default workflow({ name: "Cron", on: { schedule: "61 * * * *" }, async run() {} });\n`,
    });
    const { code, out } = await check(["--dir", dir]);
    expect(out).toContain('.workflows/typo.ts - error: .workflows/typo.ts: "open" is not an action of the pull_request event');
    expect(out).toMatch(/\.workflows\/cron\.ts - error: .*minute "61" is out of range/);
    expect(out).toMatch(/\.workflows\/typo\.ts\(4,\d+\): error TS2322: Type '"open"' is not assignable/);
    expect(out).toMatch(/✗ \d+ errors in /);
    expect(code).toBe(1);
  }, 120_000);

  it("reports a syntax error at its line, as the compile check run would, and says nothing would run", async () => {
    const dir = folder({ ".workflows/broken.ts": `import { workflow } from "repoflow";\nexport default workflow({\n  name: "B",\n  on: { push: "*" },\n  async run() { const x = ; },\n});\n` });
    const { code, out } = await check(["--dir", dir, "--no-types"]);
    expect(out).toContain(".workflows/broken.ts:5:27 - error: Unexpected \";\"");
    expect(out).toMatch(/no workflow of it would run/);
    expect(code).toBe(1);
  }, 120_000);

  it("exits 2 for a folder without .workflows/", async () => {
    const { code, out } = await check(["--dir", folder({ "README.md": "x" })]);
    expect(out).toMatch(/has no \.workflows\/ folder/);
    expect(code).toBe(2);
  });
});
