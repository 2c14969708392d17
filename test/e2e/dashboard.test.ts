/**
 * The dashboard in a real browser (Debian Chromium driven by playwright-core,
 * never a downloaded one) against `wrangler dev` and the GitHub emulator, at a
 * phone's viewport: a finished run is listed on /, its page shows its steps
 * and logs, a running run's page follows it to the end by itself, and a
 * re-run appears on the list without a reload. Screenshots land in
 * test/artifacts/ (gitignored).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver } from "../support/deliver.ts";
import { pullRequestOpened, pushTo, type Target } from "../support/payloads.ts";
import { ROOT } from "../support/service.ts";
import { waitFor, WEBHOOK_SECRET } from "../support/stack.ts";
import { launchChromium, type Browser } from "../support/chromium.ts";
import { useStack } from "../support/use-stack.ts";

const ARTIFACTS = join(ROOT, "test/artifacts");
const stack = useStack();
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium({ width: 390, height: 844 });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function withPage<T>(use: (page: Page) => Promise<T>): Promise<T> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  try {
    return await use(page);
  } finally {
    await page.close();
  }
}

function setUp(name: string, installationId: number, workflow: string): Target {
  const repo = { fullName: `octo-org/${name}`, installationId, defaultBranch: "main" };
  stack.emulator.addRepo({ ...repo, files: { ".workflows/demo.ts": workflow } });
  stack.emulator.openPullRequest(repo.fullName, { number: 2, title: "x", head: "f2", base: "main" });
  return repo;
}

const workflow = (name: string, body: string) => `
import { workflow } from "repoflow";
export default workflow({
  name: ${JSON.stringify(name)},
  permissions: { issues: "write", pull_requests: "write" },
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    ${body}
  },
});
`;

const COMMENTER = workflow(
  "Dashboard demo",
  `console.log("hello from the workflow");
    await step.do("comment", async () => {
      console.info("commenting on", event.pull_request.number);
      await github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: "seen" });
    });`,
);

const SLOW = workflow(
  "Slow demo",
  `await step.do("first", async () => 1);
    await step.sleep("breather", "6 seconds");
    await step.do("second", async () => 2);`,
);

interface RunView {
  id: string;
  status: string;
}

async function runsOf(repo: Target): Promise<RunView[]> {
  const res = await fetch(`${stack.service.url}/api/runs?repo=${encodeURIComponent(repo.fullName)}`);
  return ((await res.json()) as { runs: RunView[] }).runs;
}

describe("dashboard in a browser", () => {
  it("lists a finished run on /, opens its page with steps, logs and the event, and shows a re-run without a reload", async () => {
    const repo = setUp("dashboard", 9401, COMMENTER);
    await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 2, headSha: stack.emulator.headSha(repo.fullName, "f2") }));
    await waitFor("the run", () => stack.emulator.checkRuns(repo.fullName).find((r) => r.status === "completed"), 60_000);
    mkdirSync(ARTIFACTS, { recursive: true });

    await withPage(async (page) => {
      await page.goto(`${stack.service.url}/`);
      const row = page.locator("tbody tr", { hasText: "Dashboard demo" });
      expect(await row.locator("td").first().textContent()).toContain("succeeded");
      expect(await row.textContent()).toContain("pull_request.opened");
      expect(await row.textContent()).toContain(repo.fullName);
      // Fits a phone: only the table scrolls sideways, inside its own region, never the page.
      expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
      expect(await page.getByRole("region", { name: "Runs" }).count()).toBe(1);
      await page.screenshot({ path: join(ARTIFACTS, "dashboard-home.png"), fullPage: true });
      // Focus is visible: the skip link comes first and shows when focused.
      await page.keyboard.press("Tab");
      expect(await page.evaluate("document.activeElement?.textContent")).toBe("Skip to content");
      expect(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");

      await page.getByLabel("Status").selectOption("failed");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.waitForURL(/status=failed/);
      expect(await page.locator("tbody tr", { hasText: "Dashboard demo" }).count()).toBe(0);
      await page.getByLabel("Status").selectOption("succeeded");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.waitForURL(/status=succeeded/);

      await page.locator("tbody tr", { hasText: "Dashboard demo" }).getByRole("link", { name: "Dashboard demo" }).click();
      await page.waitForURL(/\/runs\/run-/);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toContain("Dashboard demo");
      const step = page.getByRole("region", { name: "Steps" }).locator("tbody tr", { hasText: "comment" });
      expect(await step.textContent()).toMatch(/comment\s*do.*succeeded\s*1/);
      // Logs come grouped by the step that printed them.
      expect(await page.locator('section[aria-labelledby=logs] details[data-log-step=""] pre').textContent()).toContain("hello from the workflow");
      expect(await page.locator('section[aria-labelledby=logs] details[data-log-step="comment"] pre').textContent()).toContain("commenting on 2");
      // Who and what the run is about, from the event; the emulator's check run is named, not linked to a page it does not serve.
      expect(await page.locator("[data-subject]").textContent()).toContain("pull request #2");
      expect(await page.locator("[data-sender]").textContent()).toBeTruthy();
      // The comment step returned nothing; its output says so instead of a byte count.
      expect(await step.locator("td").nth(6).textContent()).toContain("none");
      await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
      const event = page.locator("section[aria-labelledby=event] details");
      expect(await event.locator("summary").textContent()).toContain("pull_request.opened");
      expect(await event.locator("pre").isVisible()).toBe(false);
      await event.locator("summary").click();
      expect(await event.locator("pre").textContent()).toContain(`"full_name": "${repo.fullName}"`);
      const checkRun = stack.emulator.checkRuns(repo.fullName)[0]!;
      expect(await page.getByRole("link", { name: `check run ${checkRun.id}` }).count()).toBe(0);
      expect(await page.locator(`[data-check-run="${checkRun.id}"]`).textContent()).toContain("in the GitHub emulator");
      expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);

      await page.getByRole("button", { name: "Re-run" }).click();
      await page.waitForURL(/rerun=/);
      // The re-run's run is created a moment later by the ingest Workflow; the list polls until it shows, then drops ?rerun.
      await page.waitForURL((url) => !url.searchParams.has("rerun"), { timeout: 60_000 });
      expect(await page.locator("tbody tr", { hasText: "Dashboard demo" }).count()).toBe(2);
      await waitFor("the re-run's comment", () => stack.emulator.comments(repo.fullName, 2).length === 2, 60_000);
    });
  });

  it("follows a running run on its page until it finishes, without a reload by hand", async () => {
    const repo = setUp("dashboard-live", 9402, SLOW);
    await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 2, headSha: stack.emulator.headSha(repo.fullName, "f2") }));
    const [run] = await waitFor("the run to start", async () => {
      const runs = await runsOf(repo);
      return runs.length > 0 && runs;
    }, 60_000);

    await withPage(async (page) => {
      await page.goto(`${stack.service.url}/runs/${run!.id}`);
      const heading = page.getByRole("heading", { level: 1 });
      expect(await heading.textContent()).toMatch(/queued|running/);
      expect(await page.getByRole("status").textContent()).toContain("Updating every 2 s");
      await page.waitForFunction('document.querySelector("h1")?.textContent?.includes("succeeded")', undefined, { timeout: 60_000, polling: 500 });
      const steps = await page.getByRole("region", { name: "Steps" }).locator("tbody th[scope=row]").allTextContents();
      expect(steps).toEqual(["first", "breather", "second"]);
      expect(await page.getByRole("status").count()).toBe(0);
      // Each step's output is there to read, folded: "first" returned 1.
      const first = page.getByRole("region", { name: "Steps" }).locator("tbody tr", { hasText: "first" });
      await first.locator("details.output summary").click();
      expect((await first.locator("details.output pre").textContent())?.trim()).toBe("1");
    });
  });

  it("shows a run's result, and a failure at the line of the author's .ts file, at desktop and phone sizes without console errors", async () => {
    const returns = setUp("dashboard-result", 9404, workflow("Returns", `const n = await step.do("count", async () => ({ counted: 3 })); return { total: n.counted };`));
    const fails = setUp(
      "dashboard-fails",
      9405,
      workflow("Fails", `await step.do("explode", { retries: { limit: 0, delay: 0 } }, async () => {\n      throw new Error("the label is missing");\n    });`),
    );
    for (const repo of [returns, fails]) {
      await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 2, headSha: stack.emulator.headSha(repo.fullName, "f2") }));
    }
    const done = (repo: Target) => waitFor(`the run of ${repo.fullName}`, async () => (await runsOf(repo)).find((r) => r.status === "succeeded" || r.status === "failed"), 60_000);
    const [ok, bad] = [await done(returns), await done(fails)];
    for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      await withPage(async (page) => {
        const errors: string[] = [];
        page.on("console", (message) => {
          if (message.type() === "error") errors.push(message.text());
        });
        await page.setViewportSize(viewport);
        await page.goto(`${stack.service.url}/runs/${ok!.id}`);
        expect(await page.locator("section[aria-labelledby=run-result] pre").textContent()).toBe(JSON.stringify({ total: 3 }, null, 2));
        expect(await page.locator("time").first().textContent()).toMatch(/just now|min ago/);
        expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-run-result-${viewport.width}.png`), fullPage: true });

        await page.goto(`${stack.service.url}/runs/${bad!.id}`);
        const step = page.getByRole("region", { name: "Steps" }).locator("tbody tr", { hasText: "explode" });
        expect(await step.locator("pre").first().textContent()).toBe("the label is missing");
        await step.locator("details summary", { hasText: "Stack" }).click();
        // The stack names the author's file and line, not the bundle, and none of repoflow's own frames.
        const stack_ = (await step.locator("details pre").textContent()) ?? "";
        expect(stack_).toMatch(/\.workflows\/demo\.ts:\d+:\d+/);
        expect(stack_).not.toMatch(/bundle\.js|host\.js|repoflow\.js/);
        expect(await page.locator("section[aria-labelledby=run-error] pre").first().textContent()).toBe("the label is missing");
        expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-run-failed-${viewport.width}.png`), fullPage: true });
        expect(errors).toEqual([]);
      });
    }
  });

  it("shows a repository's bundle history with each compile's diagnostics, and what a delivery did, at desktop and phone sizes without console errors or sideways scrolling", async () => {
    const repo = setUp("dashboard-code", 9403, COMMENTER);
    const { sha: good } = stack.emulator.commit(repo.fullName, { "README.md": "# code\n" }, "Touch");
    const before = stack.emulator.headSha(repo.fullName);
    const { sha: broken } = stack.emulator.commit(repo.fullName, { ".workflows/broken.ts": `import { workflow } from "repoflow";\nexport default workflow({\n  name: "Broken",\n  on: { push: "*" },\n  async run() { const x = ; },\n});\n` }, "Break it");
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "push", pushTo(repo, { before, after: broken, paths: [".workflows/broken.ts"] }));
    await waitFor("the compile check run", () => stack.emulator.checkRuns(repo.fullName).find((r) => r.name === "repoflow: compile .workflows" && r.status === "completed"), 60_000);
    await waitFor("the delivery to be processed", async () => ((await (await fetch(`${stack.service.url}/api/deliveries/${sent.id}`)).json()) as { delivery?: { status: string } }).delivery?.status === "processed", 60_000);
    expect(good).not.toBe(broken);
    mkdirSync(ARTIFACTS, { recursive: true });

    for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
      await withPage(async (page) => {
        const errors: string[] = [];
        page.on("console", (message) => {
          if (message.type() === "error") errors.push(message.text());
        });
        page.on("pageerror", (error) => errors.push(String(error)));
        await page.setViewportSize(viewport);
        await page.goto(`${stack.service.url}/repos/${repo.fullName}`);
        expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(repo.fullName);
        expect(await page.locator("[data-compile]").getAttribute("data-compile")).toBe("failed");
        const latest = page.locator("section[aria-labelledby=bundles] tbody tr").first();
        expect(await latest.textContent()).toContain(broken.slice(0, 7));
        expect(await latest.locator("ul.diagnostics li").first().textContent()).toMatch(/\.workflows\/broken\.ts:5:\d+ error: /);
        expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-repository-${viewport.width}.png`), fullPage: true });

        await page.goto(`${stack.service.url}/deliveries/${sent.id}`);
        const outcome = page.locator("section[aria-labelledby=delivery-outcome]");
        expect(await outcome.textContent()).toMatch(/Nothing ran: the \.workflows\/ bundle at [0-9a-f]{7} did not compile/);
        expect(await outcome.locator("ul.diagnostics li").count()).toBeGreaterThan(0);
        expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
        await page.screenshot({ path: join(ARTIFACTS, `dashboard-delivery-${viewport.width}.png`), fullPage: true });
        expect(errors).toEqual([]);
      });
    }
    const api = (await (await fetch(`${stack.service.url}/api/repos/${repo.fullName}/bundles`)).json()) as { bundles: { ok: boolean; resolvedCommit: string }[] };
    expect(api.bundles[0]).toMatchObject({ ok: false, resolvedCommit: broken });
  });

  it("answers the JSON API for scripts", async () => {
    const res = await fetch(`${stack.service.url}/api/runs?repo=octo-org%2Fdashboard`);
    expect(res.status).toBe(200);
    const { runs } = (await res.json()) as { runs: { workflowName: string }[] };
    expect(runs.map((r) => r.workflowName)).toContain("Dashboard demo");
    const missing = await fetch(`${stack.service.url}/api/runs/run-does-not-exist`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe("not_found");
  });
});
