/**
 * App setup in one page, in a real browser (Debian Chromium driven by
 * playwright-core) against `wrangler dev` and the GitHub emulator: a fresh
 * local Worker without APP_ID, PRIVATE_KEY or WEBHOOK_SECRET answers 503
 * naming them; /setup sends the manifest to the emulator's "new App" page,
 * the App is created there, and the browser comes back to the Worker, which
 * shows the credentials. Restarted with them (as the operator would after
 * `wrangler secret put`), the Worker's /setup check says the key and the
 * webhook secret work; restarted with a wrong secret, it names WEBHOOK_SECRET.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../emulator/index.ts";
import { launchChromium, type Browser } from "../support/chromium.ts";
import { freePort, ROOT, startService, tempDir, type Service } from "../support/service.ts";

const ARTIFACTS = join(ROOT, "test/artifacts");
let emulator: Emulator;
let service: Service | undefined;
let port: number;
let persistDir: string;
let browser: Browser;

beforeAll(async () => {
  emulator = await startEmulator();
  port = await freePort();
  persistDir = tempDir("repoflow-setup-state-");
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await emulator?.close();
  if (persistDir) rmSync(persistDir, { recursive: true, force: true });
});

/** The service on the same port every time: the App's webhook URL names it. */
async function restart(vars: Record<string, string>): Promise<Service> {
  await service?.stop();
  service = await startService({ vars, port, persistDir });
  return service;
}

async function withPage<T>(use: (page: Page) => Promise<T>): Promise<T> {
  const page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  try {
    return await use(page);
  } finally {
    await page.close();
  }
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `setup-${name}.png`), fullPage: true });
}

/** The `.dev.vars` lines the credentials page shows in local mode, as values (double-quoted ones use JSON's escapes). */
function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1]) vars[match[1]] = match[2]?.startsWith('"') ? (JSON.parse(match[2]) as string) : (match[2] ?? "");
  }
  return vars;
}

/** Presses Check and returns each check's class and text once both are answered. */
async function check(page: Page): Promise<Record<"key" | "webhook", { state: string; text: string }>> {
  await page.goto(`${service!.url}/setup`);
  await page.getByRole("button", { name: "Check" }).click();
  const result = async (id: string) => {
    const item = page.locator(`[data-check="${id}"]`);
    await item.and(page.locator(".ok, .bad")).waitFor({ timeout: 30_000 });
    return { state: (await item.getAttribute("class")) ?? "", text: (await item.textContent()) ?? "" };
  };
  return { key: await result("key"), webhook: await result("webhook") };
}

describe("/setup on a fresh local Worker", () => {
  let credentials: Record<string, string>;

  it("answers every route but /setup and /healthz with 503 naming the missing variables", async () => {
    const fresh = await restart({ REPOFLOW_ENV: "local", GITHUB_API_URL: emulator.url });
    const res = await fetch(`${fresh.url}/api/runs`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "misconfigured", variables: ["WEBHOOK_SECRET"], setup: "/setup" });
    expect(await (await fetch(`${fresh.url}/healthz`)).json()).toMatchObject({ ok: true, configured: false, variables: ["WEBHOOK_SECRET"] });
  });

  it("registers the App through the emulator's manifest flow and shows its credentials once, with the commands and .dev.vars lines", async () => {
    credentials = await withPage(async (page) => {
      await page.goto(`${service!.url}/setup`);
      await expect(page.locator('[data-variable="WEBHOOK_SECRET"]').first().textContent()).resolves.toContain("WEBHOOK_SECRET");
      await page.getByRole("button", { name: "Create the GitHub App for your account" }).click();
      // The emulator's "new App" page: name the App and create it, as a person does on GitHub.
      await page.waitForURL(new RegExp(`^${emulator.url}/settings/apps/new\\?state=`));
      await page.getByLabel("GitHub App name").fill("repoflow-e2e");
      await page.getByRole("button", { name: "Create GitHub App for octocat" }).click();
      await page.waitForURL(new RegExp(`^${service!.url}/setup/callback\\?`));
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("GitHub App repoflow-e2e created");
      await screenshot(page, "credentials");
      const commands = (await page.locator("#commands").textContent()) ?? "";
      expect(commands.split("\n")).toEqual([
        "npx wrangler secret put APP_ID",
        "npx wrangler secret put WEBHOOK_SECRET",
        "npx wrangler secret put PRIVATE_KEY < repoflow-e2e.private-key.pem",
        "npx wrangler secret put GITHUB_CLIENT_ID",
        "npx wrangler secret put GITHUB_CLIENT_SECRET",
        "npx wrangler secret put SESSION_SECRET",
      ]);
      return parseDevVars((await page.locator("#dev-vars").textContent()) ?? "");
    });
    expect(Object.keys(credentials).sort()).toEqual(["APP_ID", "GITHUB_API_URL", "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "PRIVATE_KEY", "REPOFLOW_ENV", "SESSION_SECRET", "WEBHOOK_SECRET"]);
    expect(credentials).toMatchObject({ REPOFLOW_ENV: "local", GITHUB_API_URL: emulator.url, APP_ID: "2" });
    expect(credentials.PRIVATE_KEY).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----$/);
    // GitHub pinged the new webhook right away; the Worker, still without a secret, refused it.
    await emulator.webhooksSettled();
    expect(emulator.deliveries().map((delivery) => [delivery.event, delivery.statusCode])).toEqual([["ping", 503]]);
  });

  it("confirms on the same page, once restarted with those credentials, that the key and the webhook secret work", async () => {
    await restart(credentials);
    const results = await withPage(async (page) => {
      const found = await check(page);
      await screenshot(page, "check");
      return found;
    });
    expect(results.key.state).toBe("ok");
    expect(results.key.text).toContain("the App is repoflow-e2e");
    expect(results.webhook.state).toBe("ok");
    expect(results.webhook.text).toContain("verified its signature with WEBHOOK_SECRET");
    expect(emulator.violations).toEqual([]);
  });

  it("names WEBHOOK_SECRET when the Worker runs with another secret than the App's", async () => {
    await restart({ ...credentials, WEBHOOK_SECRET: "not-the-apps-secret" });
    const results = await withPage(check);
    expect(results.key.state).toBe("ok");
    expect(results.webhook.state).toBe("bad");
    expect(results.webhook.text).toContain("(fix WEBHOOK_SECRET)");
    expect(results.webhook.text).toContain("answered 401");
  });
});
