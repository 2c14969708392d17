/**
 * GitHub's App manifest flow (docs.github.com, "Registering a GitHub App
 * from a manifest"), both halves:
 *
 * - the web page a service's form POSTs `manifest` to,
 *   `/settings/apps/new?state=…` or `/organizations/ORG/settings/apps/new?state=…`.
 *   GitHub shows the App to be created and lets the person name it; the
 *   emulator has no UI, so it renders a minimal HTML page with the name and a
 *   "Create GitHub App" button. Creating registers the App and sends the
 *   browser to the manifest's `redirect_url` with `?code=…&state=…`;
 * - `POST /app-manifests/{code}/conversions` (apps/create-from-manifest,
 *   unauthenticated): the code, once and within an hour, becomes the App's
 *   id, slug, pem, webhook_secret, client_id and client_secret.
 *
 * The emulator serves one App. Creating one from a manifest gives that App a
 * new identity, as a fresh deployment meets it: a new id, slug and RSA key
 * (JWTs must then be signed with it, `iss` the new id), a new webhook
 * (the manifest's URL, a generated secret, its default_events, an empty
 * delivery log), its default_permissions as what installations grant, a new
 * OAuth client secret, and no installation token of the old App. The
 * repositories and their installations stay, as if the new App were
 * installed where the old one was. GitHub sends the new webhook a `ping`
 * right away; so does the emulator.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { errorReply, type HandlerContext, type Reply } from "./handlers.ts";
import { app, user, type Site } from "./shapes.ts";
import { DEFAULT_USER, timestamp, type World } from "./state.ts";
import { fillPayload, validatePayload } from "./webhook-schema.ts";
import { enqueue, GITHUB_TIMEOUT_MS } from "./webhooks.ts";

/** GitHub: the code "expires after one hour". */
export const CODE_LIFETIME_MS = 60 * 60 * 1000;

const PAGE = /^\/(?:organizations\/([^/]+)\/)?settings\/apps\/new$/;

export interface WebReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Pending {
  /** The conversion's 201 body, credentials included. */
  body: Record<string, unknown>;
  expiresAt: number;
}

interface Registry {
  codes: Map<string, Pending>;
  /** The public half of the key of the App the flow registered last. */
  publicKey: KeyObject | undefined;
}

const registries = new WeakMap<World, Registry>();

function registry(world: World): Registry {
  let found = registries.get(world);
  if (!found) {
    found = { codes: new Map(), publicKey: undefined };
    registries.set(world, found);
  }
  return found;
}

/** The key app JWTs must verify with once an App was created here; undefined until then. */
export function registeredPublicKey(world: World): KeyObject | undefined {
  return registries.get(world)?.publicKey;
}

/** Whether a request path is GitHub's "new App" web page (for the HTTP shell's routing). */
export function isManifestPage(url: string): boolean {
  return PAGE.test(new URL(url, "http://emulator.invalid").pathname);
}

/** The web page: GET explains, POST with `manifest` shows the App to create, POST with `create=1` creates it and redirects. */
export function handleManifestPage(site: Site, method: string, url: URL, body: Uint8Array): WebReply {
  const { world } = site;
  const organization = PAGE.exec(url.pathname)?.[1];
  const owner = organization === undefined ? DEFAULT_USER : decodeURIComponent(organization);
  if (method.toUpperCase() !== "POST") {
    return html(200, "Register new GitHub App", "<p>The emulator registers Apps only from a manifest: POST a form with a <code>manifest</code> field (JSON) here, as GitHub's manifest flow does.</p>");
  }
  const form = new URLSearchParams(new TextDecoder().decode(body));
  const state = url.searchParams.get("state");
  const parsed = readManifest(form.get("manifest"));
  const name = (form.get("name") ?? "").trim() || (parsed.manifest?.name ?? "");
  const problems = [...parsed.problems, ...(parsed.manifest && name === "" ? ["the App needs a name"] : [])];
  if (problems.length > 0 || !parsed.manifest) {
    world.violations.push(...problems.map((problem) => `POST ${url.pathname}: ${problem}`));
    return html(422, "Invalid manifest", `<p>GitHub would not register this App:</p><ul>${problems.map((problem) => `<li>${escape(problem)}</li>`).join("")}</ul>`);
  }
  const manifest = parsed.manifest;
  if (form.get("create") !== "1") return confirmPage(url, form.get("manifest") ?? "", manifest, name, owner);

  const code = register(site, manifest, name, owner, organization !== undefined);
  const target = new URL(manifest.redirect_url);
  target.searchParams.set("code", code);
  if (state !== null) target.searchParams.set("state", state);
  return { status: 302, headers: { location: target.toString(), "content-type": "text/html; charset=utf-8" }, body: "" };
}

/** apps/create-from-manifest: the credentials, for a code issued within the hour and not exchanged yet. */
export function createFromManifest(context: HandlerContext): Reply {
  const { codes } = registry(context.world);
  const code = context.params.code ?? "";
  const pending = codes.get(code);
  // One use, as on GitHub: a second exchange of the same code finds nothing.
  codes.delete(code);
  if (!pending || pending.expiresAt <= Date.now()) return errorReply(context, 404, "Not Found");
  return { status: 201, body: pending.body };
}

interface Manifest {
  name: string;
  url: string;
  description?: string;
  hook_attributes: { url: string; active?: boolean };
  redirect_url: string;
  default_events: string[];
  default_permissions: Record<string, "read" | "write">;
}

/** The manifest as GitHub reads it, or what makes GitHub refuse it. */
function readManifest(text: string | null): { manifest: Manifest | null; problems: string[] } {
  if (text === null) return { manifest: null, problems: ["the form has no manifest field"] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { manifest: null, problems: ["the manifest field is not JSON"] };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { manifest: null, problems: ["the manifest is not a JSON object"] };
  const input = value as Record<string, unknown>;
  const problems: string[] = [];
  const field = (key: string) => (typeof input[key] === "string" && input[key] !== "" ? (input[key] as string) : undefined);
  const url = field("url");
  if (!url) problems.push("the manifest lacks url (the App's homepage), which GitHub requires");
  const hook = input.hook_attributes as { url?: unknown; active?: unknown } | undefined;
  if (typeof hook?.url !== "string" || !isUrl(hook.url)) problems.push("the manifest lacks hook_attributes.url, the webhook URL");
  const redirect = field("redirect_url");
  // Without redirect_url GitHub shows the new App's settings page, which the emulator does not have.
  if (!redirect || !isUrl(redirect)) problems.push("the manifest lacks redirect_url, where GitHub sends the code");
  const events = input.default_events ?? [];
  if (!Array.isArray(events) || !events.every((event) => typeof event === "string")) problems.push("default_events must be a list of event names");
  const permissions = input.default_permissions ?? {};
  const grants = Object.entries(typeof permissions === "object" && permissions !== null ? permissions : {});
  for (const [permission, access] of grants) if (access !== "read" && access !== "write") problems.push(`default_permissions.${permission} is ${JSON.stringify(access)}, not read or write`);
  if (problems.length > 0) return { manifest: null, problems };
  return {
    manifest: {
      name: typeof input.name === "string" ? input.name : "",
      url: url!,
      ...(field("description") === undefined ? {} : { description: field("description")! }),
      hook_attributes: { url: hook!.url as string, ...(typeof hook!.active === "boolean" ? { active: hook!.active } : {}) },
      redirect_url: redirect!,
      default_events: events as string[],
      default_permissions: Object.fromEntries(grants) as Record<string, "read" | "write">,
    },
    problems: [],
  };
}

/** Creates the App (see the file comment) and returns the code for its credentials. */
function register(site: Site, manifest: Manifest, name: string, owner: string, organization: boolean): string {
  const { world } = site;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const id = String((Number(world.appId) || 0) + 1);
  const webhookSecret = randomBytes(20).toString("hex");
  const clientSecret = randomBytes(20).toString("hex");
  world.appId = id;
  world.appSlug = slugify(name);
  world.installationPermissions = { ...manifest.default_permissions };
  world.tokens.clear();
  world.oauth.clientSecret = clientSecret;
  const hooks = world.hooks;
  hooks.appId = id;
  hooks.hookId = 100_000 + Number(id);
  hooks.events = [...manifest.default_events];
  hooks.deliveries.length = 0;
  // An inactive hook sends nothing, as if webhooks were off.
  hooks.config = manifest.hook_attributes.active === false ? null : { url: manifest.hook_attributes.url, secret: webhookSecret, timeoutMs: GITHUB_TIMEOUT_MS };

  const entry = registry(world);
  entry.publicKey = publicKey;
  const code = randomBytes(10).toString("hex");
  entry.codes.set(code, {
    expiresAt: Date.now() + CODE_LIFETIME_MS,
    body: {
      ...app(site),
      name,
      ...(manifest.description === undefined ? {} : { description: manifest.description }),
      owner: organization ? { ...user(site, owner), type: "Organization" } : user(site, owner),
      pem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
      webhook_secret: webhookSecret,
      client_secret: clientSecret,
    },
  });
  if (hooks.config) ping(site, manifest.hook_attributes.url);
  return code;
}

/** GitHub pings a hook when it is created, whatever events it subscribes to. */
function ping(site: Site, url: string): void {
  const { world } = site;
  const { hooks } = world;
  const now = timestamp(Date.now());
  const payload = fillPayload(
    "ping",
    undefined,
    {
      zen: "Keep it logically awesome.",
      hook_id: hooks.hookId,
      hook: {
        type: "App",
        id: hooks.hookId,
        name: "web",
        active: true,
        events: hooks.events,
        config: { content_type: "json", insecure_ssl: "0", url },
        created_at: now,
        updated_at: now,
        app_id: Number(world.appId),
        deliveries_url: `${site.url}/app/hook/deliveries`,
      },
    },
    site.url,
  );
  world.violations.push(...validatePayload("ping", undefined, payload).map((problem) => `webhook ping: ${problem}`));
  enqueue(hooks, { event: "ping", action: null, installationId: null, repositoryId: null, payload });
}

function confirmPage(url: URL, manifestText: string, manifest: Manifest, name: string, owner: string): WebReply {
  const grants = Object.entries(manifest.default_permissions).map(([permission, access]) => `<li>${escape(permission)}: ${escape(access)}</li>`).join("");
  return html(
    200,
    "Create GitHub App",
    `<p>The GitHub emulator (not GitHub) registers this App for <strong>${escape(owner)}</strong>.</p>
<form method="post" action="${escape(url.pathname + url.search)}">
<input type="hidden" name="manifest" value="${escape(manifestText)}">
<input type="hidden" name="create" value="1">
<p><label for="name">GitHub App name</label> <input id="name" name="name" value="${escape(name)}" required></p>
<p>Webhook URL: <code>${escape(manifest.hook_attributes.url)}</code></p>
<p>Redirect URL: <code>${escape(manifest.redirect_url)}</code></p>
<p>Events: ${escape(manifest.default_events.join(", ") || "none")}</p>
<ul>${grants}</ul>
<button type="submit">Create GitHub App for ${escape(owner)}</button>
</form>`,
  );
}

/** `rel="icon"` to nothing: a browser would otherwise ask for /favicon.ico, which is no API endpoint. */
function html(status: number, title: string, body: string): WebReply {
  return {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${escape(title)} · GitHub emulator</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`,
  };
}

/** GitHub's slug: lowercase, runs of anything but letters and digits as one dash. */
function slugify(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "app";
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
