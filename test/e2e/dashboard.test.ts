/**
 * The dashboard in a real browser (Debian Chromium driven by playwright-core):
 * a finished run shows up on /, its page shows steps and logs, and it can be
 * re-run from there. A screenshot lands in test/artifacts/ (not committed).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver } from "../support/deliver.ts";
import { pullRequestOpened } from "../support/payloads.ts";
import { ROOT } from "../support/service.ts";
import { startStack, waitFor, WEBHOOK_SECRET, type Stack } from "../support/stack.ts";

const CHROMIUM = "/usr/bin/chromium";
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does.`);
  stack = await startStack();
  // playwright-core starts Chromium with a fresh, empty temporary profile of its own.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const WORKFLOW = `
import { workflow } from "repoflow";
export default workflow({
  name: "Dashboard demo",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    console.log("hello from the workflow");
    await step.do("comment", async () => {
      console.info("commenting on", event.pull_request.number);
      await github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: "seen" });
    });
  },
});
`;

describe("dashboard", () => {
  it("lists a run, shows its steps and logs, and re-runs it", async () => {
    const repo = { fullName: "octo-org/dashboard", installationId: 9401, defaultBranch: "main" };
    stack.emulator.addRepo({ ...repo, files: { ".workflows/demo.ts": WORKFLOW } });
    stack.emulator.openPullRequest(repo.fullName, { number: 2, title: "x", head: "f2", base: "main" });
    await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 2, headSha: stack.emulator.headSha(repo.fullName, "f2") }));
    await waitFor("the run", () => stack.emulator.checkRuns(repo.fullName).find((r) => r.status === "completed"), 60_000);

    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    page.setDefaultTimeout(15_000);
    try {
      await page.goto(`${stack.service.url}/?repo=${encodeURIComponent(repo.fullName)}`);
      const row = page.locator("tbody tr", { hasText: "Dashboard demo" });
      await expect(row.locator("[data-cell=status]").textContent()).resolves.toContain("succeeded");
      await row.getByRole("link", { name: "Dashboard demo" }).click();

      await page.waitForURL(/\/runs\/run-/);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toContain("Dashboard demo");
      const stepRow = page.locator("tbody tr", { hasText: "comment" });
      expect(await stepRow.textContent()).toContain("succeeded");
      const logs = await page.locator("section[aria-labelledby=logs] pre").textContent();
      expect(logs).toContain("hello from the workflow");
      expect(logs).toContain("[comment] commenting on 2");
      expect(await page.locator("details summary").textContent()).toContain("pull_request.opened");

      mkdirSync(join(ROOT, "test/artifacts"), { recursive: true });
      await page.screenshot({ path: join(ROOT, "test/artifacts/dashboard-run.png"), fullPage: true });

      await page.getByRole("button", { name: "Re-run" }).click();
      await page.waitForURL(/\/\?workflow=/);
      await waitFor("the re-run's comment", () => stack.emulator.comments(repo.fullName, 2).length === 2, 60_000);
    } finally {
      await page.close();
    }
  });

  it("answers the JSON API for scripts", async () => {
    const res = await fetch(`${stack.service.url}/api/runs?repo=octo-org%2Fdashboard`);
    expect(res.status).toBe(200);
    const { runs } = (await res.json()) as { runs: { workflowName: string }[] };
    expect(runs.map((r) => r.workflowName)).toContain("Dashboard demo");
    expect((await fetch(`${stack.service.url}/api/runs/run-does-not-exist`)).status).toBe(404);
  });
});
