/**
 * The GitHub side of /setup (src/edge/setup.ts): turning the code of GitHub's
 * App manifest flow into the new App's credentials, and checking the
 * Worker's current credentials against GitHub.
 *
 * GitHub facts this follows (docs.github.com, "Registering a GitHub App from
 * a manifest"): the code comes back on the manifest's redirect_url, is
 * exchanged without authentication at `POST /app-manifests/{code}/conversions`,
 * works once and expires after an hour. GitHub sends the new App's webhook a
 * `ping` when the App is created, and keeps deliveries for redelivery for 3
 * days (`POST /app/hook/deliveries/{id}/attempts`).
 *
 * The webhook secret can only be proven by GitHub signing something with it,
 * so the check asks GitHub to redeliver that ping and reads GitHub's own log
 * of what this Worker answered: 2xx means the signature verified with
 * WEBHOOK_SECRET, 401 means it did not. Nothing here stores a credential.
 */
import { Octokit } from "@octokit/rest";
import { createGitHubClient, type GitHubClientParams, type GitHubConfig } from "./client.ts";
import { GitHubUnavailableError } from "./errors.ts";
import { createAppJwt } from "./jwt.ts";

/** GitHub keeps a delivery redeliverable for 3 days. */
const REDELIVERY_WINDOW_MS = 3 * 86_400_000;
/** GitHub gives up on a delivery after 10 s, so its log has the attempt's answer soon after that. */
const DEFAULT_WAIT_MS = 15_000;
const DEFAULT_POLL_MS = 1_000;

/** The code was refused: used already, older than an hour, or never issued. */
export class ManifestCodeRejectedError extends Error {
  override readonly name = "ManifestCodeRejectedError";
  constructor(status: number, githubMessage: string) {
    super(
      `repoflow: GitHub refused the App manifest code (${status}: ${githubMessage}). A code works once and for one hour. ` +
        "If GitHub created the App, its credentials are lost with the code: delete that App (GitHub › Settings › Developer settings › GitHub Apps) and start again at /setup.",
    );
  }
}

/** The new App and its credentials, as GitHub hands them over once. The secrets stay out of JSON and string forms, so a stray log line cannot leak them. */
export class AppRegistration {
  readonly #pem: string;
  readonly #webhookSecret: string | null;
  readonly #clientSecret: string;

  constructor(
    readonly id: number,
    readonly slug: string,
    readonly name: string,
    readonly htmlUrl: string,
    readonly owner: string | null,
    readonly clientId: string,
    secrets: { pem: string; webhookSecret: string | null; clientSecret: string },
  ) {
    this.#pem = secrets.pem;
    this.#webhookSecret = secrets.webhookSecret;
    this.#clientSecret = secrets.clientSecret;
  }

  reveal(): { pem: string; webhookSecret: string | null; clientSecret: string } {
    return { pem: this.#pem, webhookSecret: this.#webhookSecret, clientSecret: this.#clientSecret };
  }

  toJSON() {
    return { id: this.id, slug: this.slug, name: this.name, htmlUrl: this.htmlUrl, owner: this.owner, clientId: this.clientId, secrets: "[redacted]" };
  }

  toString(): string {
    return `AppRegistration(${this.slug} #${this.id}, secrets redacted)`;
  }
}

/** `POST /app-manifests/{code}/conversions`, unauthenticated. */
export async function convertManifestCode(githubApiUrl: string, code: string, params: Pick<GitHubClientParams, "fetch"> = {}): Promise<AppRegistration> {
  const octokit = new Octokit({ baseUrl: githubApiUrl, userAgent: "repoflow", request: params.fetch ? { fetch: params.fetch } : {}, log: quiet });
  try {
    const { data } = await octokit.rest.apps.createFromManifest({ code });
    const owner = data.owner && "login" in data.owner ? data.owner.login : null;
    return new AppRegistration(data.id, data.slug ?? "", data.name, data.html_url, owner, data.client_id, {
      pem: data.pem,
      webhookSecret: data.webhook_secret,
      clientSecret: data.client_secret,
    });
  } catch (error) {
    const { status, message } = error as { status?: unknown; message?: unknown };
    if (status === 404 || status === 422) throw new ManifestCodeRejectedError(status, String(message));
    if (typeof status === "number" && status >= 500) throw new GitHubUnavailableError("POST /app-manifests/{code}/conversions", status, 1);
    if (status === undefined) throw new GitHubUnavailableError("POST /app-manifests/{code}/conversions", 0, 1);
    throw error;
  }
}

/** Why PRIVATE_KEY cannot sign the App's JWT, or null when it can. */
export async function privateKeyProblem(privateKey: string): Promise<string | null> {
  try {
    await createAppJwt("0", privateKey);
    return null;
  } catch (error) {
    if ((error as Error).name === "PrivateKeyFormatError") return (error as Error).message;
    throw error;
  }
}

/** One finding of the check: `variable` names what to fix when there is one thing to fix. */
export type CheckResult = { ok: true; message: string } | { ok: false; variable: string | null; message: string };

export interface AppCheck {
  result: CheckResult;
  /** What `GET /app` says the App is, when GitHub accepted the JWT. */
  app: { id: number; slug: string; name: string; htmlUrl: string; owner: string | null } | null;
}

/** Signs the App's JWT with PRIVATE_KEY and asks GitHub who it is (`GET /app`). */
export async function checkAppCredentials(config: GitHubConfig, params: Pick<GitHubClientParams, "fetch"> = {}): Promise<AppCheck> {
  const { appId, privateKey } = config;
  if (appId === undefined) return { app: null, result: { ok: false, variable: "APP_ID", message: "APP_ID is not set, so repoflow cannot sign the App's JWT." } };
  if (privateKey === undefined) return { app: null, result: { ok: false, variable: "PRIVATE_KEY", message: "PRIVATE_KEY is not set, so repoflow cannot sign the App's JWT." } };
  const keyProblem = await privateKeyProblem(privateKey);
  if (keyProblem) return { app: null, result: { ok: false, variable: "PRIVATE_KEY", message: keyProblem } };
  const octokit = createGitHubClient(config, { as: { type: "app" }, retryUnitMs: 50, ...params });
  try {
    const { data } = await octokit.rest.apps.getAuthenticated();
    if (!data) return { app: null, result: { ok: false, variable: null, message: "GitHub answered GET /app without the App." } };
    const owner = data.owner && "login" in data.owner ? data.owner.login : null;
    const app = { id: data.id, slug: data.slug ?? "", name: data.name, htmlUrl: data.html_url, owner };
    if (String(data.id) !== appId) {
      return { app, result: { ok: false, variable: "APP_ID", message: `GitHub says the key belongs to App ${data.id} (${app.slug}), but APP_ID is ${appId}.` } };
    }
    return { app, result: { ok: true, message: `PRIVATE_KEY signs a JWT GitHub accepts for APP_ID ${appId}: the App is ${app.name} (${app.slug}).` } };
  } catch (error) {
    const { status, message } = error as { status?: unknown; message?: unknown };
    if (status === 401 || status === 404) {
      return {
        app: null,
        result: {
          ok: false,
          variable: "APP_ID and PRIVATE_KEY",
          message: `GitHub refused the App's JWT (${status}: ${String(message)}): APP_ID ${appId} and PRIVATE_KEY are not the id and a key of one GitHub App (or this machine's clock is off).`,
        },
      };
    }
    return { app: null, result: { ok: false, variable: null, message: error instanceof Error ? error.message : String(error) } };
  }
}

/** The fields of GitHub's webhook delivery log this check reads. */
interface LoggedDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  status_code: number;
  status: string;
  event: string;
}

export interface WebhookCheckOptions extends Pick<GitHubClientParams, "fetch"> {
  /** Where the App's webhook should point, for the messages. */
  webhookUrl: string;
  /** How long to wait for GitHub to log the redelivered ping. */
  waitMs?: number;
  pollMs?: number;
  now?: () => number;
}

/**
 * Asks GitHub to redeliver the App's newest ping and reports what this
 * Worker answered it, from GitHub's log. Without a ping young enough to
 * redeliver it reports the newest delivery's answer instead, and says so.
 */
export async function checkWebhookSecret(config: GitHubConfig, options: WebhookCheckOptions): Promise<CheckResult> {
  const now = options.now ?? Date.now;
  const octokit = createGitHubClient(config, { as: { type: "app" }, retryUnitMs: 50, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const readLog = async () => (await octokit.rest.apps.listWebhookDeliveries({ per_page: 100 })).data as LoggedDelivery[];
  try {
    const before = await readLog();
    const ping = before.find((delivery) => delivery.event === "ping" && now() - Date.parse(delivery.delivered_at) < REDELIVERY_WINDOW_MS);
    if (!ping) {
      const newest = before[0];
      if (!newest) {
        return { ok: false, variable: null, message: `GitHub has logged no delivery to the App's webhook, so there is nothing to check the secret with. Make sure the App's webhook is active and its URL is ${options.webhookUrl}.` };
      }
      const verdict = interpret(newest.status_code, newest.status, options.webhookUrl);
      const prefix = `GitHub has no ping younger than 3 days to redeliver. Its newest delivery (${newest.event}, ${newest.delivered_at}) was answered: `;
      return verdict.ok ? { ok: true, message: prefix + verdict.message } : { ...verdict, message: prefix + verdict.message };
    }
    const seen = new Set(before.map((delivery) => delivery.id));
    await octokit.rest.apps.redeliverWebhookDelivery({ delivery_id: ping.id });
    const deadline = now() + (options.waitMs ?? DEFAULT_WAIT_MS);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? DEFAULT_POLL_MS));
      const attempt = (await readLog()).find((delivery) => delivery.guid === ping.guid && !seen.has(delivery.id));
      if (attempt) {
        const verdict = interpret(attempt.status_code, attempt.status, options.webhookUrl);
        const prefix = "GitHub redelivered the App's ping; ";
        return verdict.ok ? { ok: true, message: prefix + verdict.message } : { ...verdict, message: prefix + verdict.message };
      }
      if (now() >= deadline) {
        return { ok: false, variable: null, message: `GitHub accepted the redelivery of the App's ping but has not logged its answer within ${Math.round((options.waitMs ?? DEFAULT_WAIT_MS) / 1000)} s; check again.` };
      }
    }
  } catch (error) {
    const { status, message } = error as { status?: unknown; message?: unknown };
    if (status === 401 || status === 404) {
      return { ok: false, variable: "APP_ID and PRIVATE_KEY", message: `GitHub refused the App's JWT when reading its webhook deliveries (${status}: ${String(message)}); fix the App credentials first.` };
    }
    return { ok: false, variable: null, message: error instanceof Error ? error.message : String(error) };
  }
}

/** What an answer in GitHub's delivery log says about the webhook secret. */
export function interpret(statusCode: number, status: string, webhookUrl: string): CheckResult {
  if (statusCode >= 200 && statusCode < 300) return { ok: true, message: `this Worker verified its signature with WEBHOOK_SECRET and answered ${statusCode}.` };
  if (statusCode === 401) {
    return { ok: false, variable: "WEBHOOK_SECRET", message: "this Worker answered 401: the signature does not match WEBHOOK_SECRET. Set WEBHOOK_SECRET to the App's webhook secret (`npx wrangler secret put WEBHOOK_SECRET`)." };
  }
  if (statusCode === 503) return { ok: false, variable: null, message: "this Worker answered 503: it was misconfigured when the delivery arrived; fix what /setup lists and check again." };
  if (statusCode === 0) return { ok: false, variable: null, message: `GitHub could not deliver it (${status}). Set the App's webhook URL to ${webhookUrl} and make sure it is reachable.` };
  return { ok: false, variable: null, message: `the webhook answered ${statusCode} (${status}). Set the App's webhook URL to ${webhookUrl}.` };
}

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
