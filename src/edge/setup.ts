/**
 * App setup in one page, and what a misconfigured Worker answers.
 *
 * `/setup` runs GitHub's App manifest flow (docs.github.com, "Registering a
 * GitHub App from a manifest"): the page POSTs a `manifest` built from
 * app.yml, with this Worker's origin filled in, to GitHub's "new App" page
 * with a `state`; the person names and creates the App there; GitHub sends
 * the browser back to `/setup/callback?code=…&state=…`, and the code (one
 * use, one hour) becomes the App's credentials. They are shown once, with
 * the `wrangler secret put` commands to set them, and never stored: a Worker
 * cannot set its own secrets, and repoflow keeps no copy. Once they are set,
 * the same page checks them: the key signs a JWT GitHub accepts (`GET /app`),
 * and GitHub's redelivered ping verifies with the webhook secret.
 *
 * Who may use it. Registration is open while the App credentials (APP_ID,
 * PRIVATE_KEY, WEBHOOK_SECRET) are not all set and usable: there is nobody
 * to sign in yet, and whoever registers sees only their own new App's
 * credentials, which only the operator can install on the Worker. Once they
 * work, production closes registration and shows the check to signed-in
 * people only; to register another App, delete APP_ID
 * (`npx wrangler secret delete APP_ID`) and come back. Local mode always
 * offers both, on this machine only, like the rest of local mode.
 *
 * Every other route of a misconfigured Worker answers 503 naming the
 * variables to fix and pointing here (`requireConfiguration`). The key is
 * judged by importing it as WebCrypto would sign with it, once per env.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { html, raw } from "hono/html";
import { APP_CREDENTIALS, inspectConfig, type ConfigEnv, type ConfigProblem, type ConfigReport } from "../config";
import { checkAppCredentials, checkWebhookSecret, convertManifestCode, privateKeyProblem, type AppRegistration, type CheckResult } from "../github";
import { notLoopback, requireViewer, webOrigin, type AuthEnv } from "./auth";
import { STYLE } from "./dashboard/style";
import { APP_YML } from "./generated/app-manifest";

/** app.yml as scripts/build-app-manifest.mjs reads it. */
export interface AppYml {
  name: string;
  url: string;
  description?: string;
  public?: boolean;
  hook_attributes?: { url?: string; active?: boolean };
  default_events: string[];
  default_permissions: Record<string, "read" | "write">;
  [key: string]: unknown;
}

/** The manifest GitHub's flow takes (the parameters of "Registering a GitHub App from a manifest"). */
export interface GitHubAppManifest {
  name: string;
  url: string;
  description?: string;
  public: boolean;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  callback_urls: string[];
  setup_url: string;
  default_events: string[];
  default_permissions: Record<string, "read" | "write">;
}

const STATE_COOKIE = "repoflow_setup_state";
/** The code GitHub hands back lives an hour; the state need not outlive it. */
const STATE_SECONDS = 3600;
const ORGANIZATION = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const OPEN_PATHS = /^\/(?:healthz|setup(?:\/.*)?)$/;

/** app.yml with this Worker's URLs: the webhook, where GitHub sends the code, OAuth sign-in, and where people land after installing. */
export function appManifest(origin: string, yml: AppYml = APP_YML): GitHubAppManifest {
  return {
    name: yml.name,
    url: yml.url,
    ...(yml.description === undefined ? {} : { description: yml.description }),
    public: yml.public ?? false,
    hook_attributes: { url: `${origin}/webhooks/github`, active: yml.hook_attributes?.active ?? true },
    redirect_url: `${origin}/setup/callback`,
    callback_urls: [`${origin}/auth/callback`],
    setup_url: `${origin}/`,
    default_events: [...yml.default_events],
    default_permissions: { ...yml.default_permissions },
  };
}

/** GitHub's "new App" page for a personal account, or for an organization. */
export function manifestFormUrl(web: string, state: string, organization?: string): string {
  const path = organization ? `/organizations/${encodeURIComponent(organization)}/settings/apps/new` : "/settings/apps/new";
  const url = new URL(path, web);
  url.searchParams.set("state", state);
  return url.toString();
}

const keyVerdicts = new WeakMap<object, Promise<readonly ConfigProblem[]>>();

/** Everything wrong with the env, the private key's format included; cached per env object (a new deploy or secret gives a new one). */
export function configurationProblems(env: ConfigEnv): Promise<readonly ConfigProblem[]> {
  let verdict = keyVerdicts.get(env);
  if (!verdict) {
    verdict = judge(env);
    keyVerdicts.set(env, verdict);
    verdict.catch(() => keyVerdicts.delete(env));
  }
  return verdict;
}

async function judge(env: ConfigEnv): Promise<readonly ConfigProblem[]> {
  const report = inspectConfig(env);
  const pem = report.config ? report.config.privateKey : env.PRIVATE_KEY?.trim().replace(/\\n/g, "\n");
  if (!pem) return report.problems;
  const problem = await privateKeyProblem(pem);
  return problem ? [...report.problems, { variable: "PRIVATE_KEY", message: problem }] : report.problems;
}

/** Whether the App credentials still need registering or fixing, which is when production opens /setup without sign-in. */
function credentialsIncomplete(problems: readonly ConfigProblem[]): boolean {
  return problems.some((problem) => (APP_CREDENTIALS as readonly string[]).includes(problem.variable));
}

/** Every route but /healthz and /setup: a misconfigured Worker answers 503 naming what to set, never a half-working service. */
export function requireConfiguration(): MiddlewareHandler<{ Bindings: Cloudflare.Env }> {
  return async function requireConfiguration(c, next) {
    if (OPEN_PATHS.test(c.req.path)) return next();
    const problems = await configurationProblems(c.env);
    if (problems.length === 0) return next();
    const variables = [...new Set(problems.map((problem) => problem.variable))];
    const message = `repoflow: this Worker is misconfigured. ${problems.map((problem) => problem.message).join(" ")} Open /setup on this Worker to register the GitHub App or check its credentials.`;
    // Once per env, not per request: a misconfigured Worker receiving webhooks would fill the log with one line.
    if (!reported.has(c.env)) {
      reported.add(c.env);
      console.error(message);
    }
    if (/\btext\/html\b/.test(c.req.header("accept") ?? "")) {
      return c.html(page("repoflow is not configured", html`<h1>repoflow is not configured</h1>${problemList(problems)}<p><a href="/setup">Set up the GitHub App at /setup</a></p>`), 503, NO_STORE);
    }
    return c.json({ error: "misconfigured", variables, message, setup: "/setup" }, 503, NO_STORE);
  };
}

const reported = new WeakSet<object>();

const NO_STORE = { "cache-control": "no-store", "referrer-policy": "no-referrer" } as const;

type SetupContext = Context<AuthEnv>;

interface Situation {
  report: ConfigReport;
  problems: readonly ConfigProblem[];
  /** Registration offered: local mode, or the App credentials are not all usable. */
  registration: boolean;
}

/** Who may use /setup now; a Response when this request may not. */
async function situation(c: SetupContext): Promise<Situation | Response> {
  const report = inspectConfig(c.env);
  const problems = await configurationProblems(c.env);
  if (report.mode === "local") {
    const refusal = notLoopback(c.req.raw);
    if (refusal) return c.json({ error: "local_mode_not_local", message: refusal }, 403, NO_STORE);
    return { report, problems, registration: true };
  }
  // A misconfigured Worker cannot sign anybody in (the other routes answer 503), and there is nothing to protect yet.
  if (problems.length > 0) return { report, problems, registration: credentialsIncomplete(problems) };
  let signedIn = false;
  const gate = await requireViewer("redirect")(c, async () => {
    signedIn = true;
  });
  if (!signedIn) return gate ?? c.text("repoflow: sign in first.", 401);
  // Anyone can sign in with GitHub; the check (which asks GitHub to redeliver the App's ping) is for the App's admins.
  const viewer = c.get("viewer");
  const administers = viewer.access === "all" || [...viewer.access.roles.values()].includes("admin");
  if (!administers) return c.text("repoflow: /setup is for people who administer a repository this App is installed on; GitHub lists none for you.", 403, NO_STORE);
  return { report, problems, registration: false };
}

export function setupRoutes() {
  const setup = new Hono<AuthEnv>();

  setup.get("/setup", async (c) => {
    const seen = await situation(c);
    if (seen instanceof Response) return seen;
    return c.html(await setupPage(c, seen, null), 200, NO_STORE);
  });

  // The check: the Worker's current credentials against GitHub, answered on the same page.
  setup.post("/setup", async (c) => {
    const seen = await situation(c);
    if (seen instanceof Response) return seen;
    const config = seen.report.config;
    if (!config || seen.problems.length > 0) return c.html(await setupPage(c, seen, null), 409, NO_STORE);
    const origin = new URL(c.req.url).origin;
    const key = await checkAppCredentials(config);
    const webhook: CheckResult = key.result.ok
      ? await checkWebhookSecret(config, { webhookUrl: `${origin}/webhooks/github` })
      : { ok: false, variable: null, message: "Not checked: asking GitHub to redeliver the ping needs a key GitHub accepts." };
    return c.html(await setupPage(c, seen, { key: key.result, webhook }), 200, NO_STORE);
  });

  setup.get("/setup/callback", async (c) => {
    const seen = await situation(c);
    if (seen instanceof Response) return seen;
    const stored = getCookie(c, STATE_COOKIE);
    deleteCookie(c, STATE_COOKIE, stateCookie(c));
    if (!seen.registration) {
      return c.html(page("Registration closed", html`<h1>Registration closed</h1><p>This Worker already has a working GitHub App (APP_ID ${seen.report.config?.appId ?? ""}). To register another, delete APP_ID (<code>npx wrangler secret delete APP_ID</code>) and start again at <a href="/setup">/setup</a>.</p>`), 403, NO_STORE);
    }
    const code = c.req.query("code");
    if (!stored || c.req.query("state") !== stored || !code) {
      return c.html(
        page(
          "Setup did not start here",
          html`<h1>Setup did not start here</h1><p>This link's <code>state</code> does not match the one this browser was sent to GitHub with (or it expired after an hour), so its code is not exchanged: it could be someone else's App. If you just created an App on GitHub, delete it (GitHub › Settings › Developer settings › GitHub Apps) and start again at <a href="/setup">/setup</a>.</p>`,
        ),
        400,
        NO_STORE,
      );
    }
    if (!seen.report.githubApiUrl) return c.html(page("repoflow is not configured", problemList(seen.problems)), 503, NO_STORE);
    let registration: AppRegistration;
    try {
      registration = await convertManifestCode(seen.report.githubApiUrl, code);
    } catch (error) {
      const name = (error as Error).name;
      if (name !== "ManifestCodeRejectedError" && name !== "GitHubUnavailableError") throw error;
      return c.html(page("GitHub did not hand over the App", html`<h1>GitHub did not hand over the App</h1><p>${(error as Error).message}</p>`), name === "ManifestCodeRejectedError" ? 400 : 502, NO_STORE);
    }
    return c.html(credentialsPage(seen.report, registration, newSessionSecret()), 200, NO_STORE);
  });

  return setup;
}

function stateCookie(c: SetupContext) {
  return { httpOnly: true, secure: new URL(c.req.url).protocol === "https:", sameSite: "Lax", path: "/setup" } as const;
}

interface CheckResults {
  key: CheckResult;
  webhook: CheckResult;
}

async function setupPage(c: SetupContext, seen: Situation, results: CheckResults | null) {
  const { report, problems } = seen;
  const origin = new URL(c.req.url).origin;
  const sections = [];
  if (problems.length > 0) sections.push(html`<section aria-labelledby="problems"><h2 id="problems">What to fix</h2>${problemList(problems)}</section>`);
  if (seen.registration && report.githubApiUrl) sections.push(registrationSection(c, report.githubApiUrl, origin));
  if (report.config && problems.length === 0) sections.push(checkSection(report, results));
  return page("Set up the GitHub App", html`<h1>Set up the GitHub App</h1>${sections}`);
}

function registrationSection(c: SetupContext, githubApiUrl: string, origin: string) {
  const requested = c.req.query("organization")?.trim();
  const organization = requested && ORGANIZATION.test(requested) ? requested : undefined;
  const state = crypto.randomUUID();
  setCookie(c, STATE_COOKIE, state, { ...stateCookie(c), maxAge: STATE_SECONDS });
  const web = webOrigin(githubApiUrl);
  const manifest = appManifest(origin);
  return html`<section aria-labelledby="register">
    <h2 id="register">Register the App on ${new URL(web).host}</h2>
    <p>GitHub creates the App from this Worker's <code>app.yml</code>: webhook <code>${manifest.hook_attributes.url}</code>, sign-in callback <code>${manifest.callback_urls[0]}</code>, ${manifest.default_events.length} events and ${Object.keys(manifest.default_permissions).length} permissions. You name it there (App names are unique on GitHub); GitHub then sends you back here with its credentials, shown once.</p>
    <form method="post" action="${manifestFormUrl(web, state, organization)}">
      <input type="hidden" name="manifest" value="${JSON.stringify(manifest)}">
      <button type="submit">Create the GitHub App ${organization ? html`for the organization ${organization}` : "for your account"}</button>
    </form>
    <form method="get" action="/setup">
      <label for="organization">Or for an organization you own:</label>
      <input id="organization" name="organization" value="${organization ?? ""}" pattern="[A-Za-z0-9][A-Za-z0-9\\-]{0,38}" autocomplete="off">
      <button type="submit">Use this organization</button>
    </form>
  </section>`;
}

function checkSection(report: ConfigReport, results: CheckResults | null) {
  const config = report.config!;
  const row = (id: string, label: string, result: CheckResult | undefined) =>
    html`<li data-check="${id}" class="${result ? (result.ok ? "ok" : "bad") : "unknown"}"><strong>${label}:</strong> ${
      result ? html`${result.ok ? "✓ works" : `✗ fails${result.variable ? ` (fix ${result.variable})` : ""}`}. ${result.message}` : "not checked yet"
    }</li>`;
  return html`<section aria-labelledby="check">
    <h2 id="check">Check this Worker's credentials</h2>
    <p>APP_ID is <code>${config.appId ?? "not set"}</code>, GitHub is <code>${config.githubApiUrl}</code>, mode ${config.mode}. The check signs the App's JWT with PRIVATE_KEY and asks GitHub who the App is (<code>GET /app</code>); then it asks GitHub to redeliver the App's newest ping (GitHub sent it when the App was created) and reads from GitHub's delivery log what this Worker answered: 2xx means the signature verified with WEBHOOK_SECRET. Nothing else is sent, and no run starts: repoflow ignores pings.</p>
    <ul class="checks">${row("key", "App key", results?.key)}${row("webhook", "Webhook secret", results?.webhook)}</ul>
    <form method="post" action="/setup"><button type="submit">Check</button></form>
  </section>`;
}

function problemList(problems: readonly ConfigProblem[]) {
  return html`<ul class="problems">${problems.map((problem) => html`<li data-variable="${problem.variable}"><code>${problem.variable}</code>: ${problem.message}</li>`)}</ul>`;
}

function credentialsPage(report: ConfigReport, registration: AppRegistration, sessionSecret: string) {
  const { pem, webhookSecret, clientSecret } = registration.reveal();
  const keyFile = `${registration.slug || "repoflow"}.private-key.pem`;
  const secrets: [string, string][] = [
    ["APP_ID", String(registration.id)],
    ["WEBHOOK_SECRET", webhookSecret ?? ""],
    ["GITHUB_CLIENT_ID", registration.clientId],
    ["GITHUB_CLIENT_SECRET", clientSecret],
    ["SESSION_SECRET", sessionSecret],
  ];
  const commands = [
    ...secrets.slice(0, 2).map(([name]) => `npx wrangler secret put ${name}`),
    `npx wrangler secret put PRIVATE_KEY < ${keyFile}`,
    ...secrets.slice(2).map(([name]) => `npx wrangler secret put ${name}`),
  ].join("\n");
  const devVars = [
    "REPOFLOW_ENV=local",
    `GITHUB_API_URL=${report.githubApiUrl ?? ""}`,
    ...secrets.map(([name, value]) => `${name}=${quoteDevVar(value)}`),
    `PRIVATE_KEY=${quoteDevVar(pem.trim())}`,
  ].join("\n");
  const keyHref = `data:application/x-pem-file;base64,${btoa(pem)}`;
  return page(
    "GitHub App created",
    html`<h1>GitHub App ${registration.name} created</h1>
    <p><strong>Shown once.</strong> repoflow keeps none of these values and GitHub will not hand them over again: copy them now. ${
      webhookSecret === null ? html`GitHub generated no webhook secret: set one in <a href="${registration.htmlUrl}">the App's settings</a> and use it as WEBHOOK_SECRET.` : ""
    }</p>
    <h2>1. Save the private key</h2>
    <p><a download="${keyFile}" href="${keyHref}">Download ${keyFile}</a>, or copy it:</p>
    <pre id="private-key" data-variable="PRIVATE_KEY">${pem.trim()}</pre>
    <h2>2. Set the Worker's secrets</h2>
    <p>In the project directory, run each command and paste its value when wrangler asks (the key is read from the file; delete the file afterwards):</p>
    <pre id="commands">${commands}</pre>
    <div class="table-wrap"><table><thead><tr><th scope="col">Secret</th><th scope="col">Value</th></tr></thead><tbody>${secrets.map(
      ([name, value]) => html`<tr><th scope="row"><code>${name}</code></th><td><code data-variable="${name}">${value}</code></td></tr>`,
    )}</tbody></table></div>
    <p>SESSION_SECRET is not GitHub's: it was generated here to sign dashboard sessions.</p>
    ${
      report.mode === "local"
        ? html`<h2>Local: <code>.dev.vars</code></h2><p>For <code>wrangler dev</code>, put these lines in <code>.dev.vars</code> instead, then restart it:</p><pre id="dev-vars">${devVars}</pre>`
        : ""
    }
    <h2>3. Install the App</h2>
    <p><a href="${registration.htmlUrl}/installations/new">Install ${registration.name}</a> on the accounts and repositories whose <code>.workflows/</code> it should run.</p>
    <h2>4. Check</h2>
    <p>Once the secrets are set (a new deployment starts with them), open <a href="/setup">/setup</a> again and press Check: it confirms the key and the webhook secret work.</p>`,
  );
}

/** A .dev.vars value in double quotes, newlines as \n (how npm run dev writes PRIVATE_KEY, and what config.ts reads back). */
function quoteDevVar(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function newSessionSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function page(title: string, body: unknown) {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${title} · repoflow</title><style>${raw(STYLE)}
.checks li.ok, .problems li { margin: 0.25rem 0; } .checks li.bad { color: var(--bad); } .checks li.ok { color: var(--ok); } pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); padding: 0.5rem; border-radius: 6px; }</style></head><body><main id="main">${body}</main></body></html>`;
}
