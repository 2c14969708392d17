/**
 * GitHub's webhook schemas as the contract of every payload the emulator
 * sends: `schemaFor(event, action)` names the schema, `fillPayload` completes
 * a builder's payload to it (fill.ts), `validatePayload` lists how a payload
 * breaks it, in the same wording as request problems.
 *
 * Loads only `@octokit/openapi-webhooks/generated/api.github.com.json`
 * (4.8 MB; the package holds eight descriptions, 36 MB). It is OpenAPI 3.1,
 * whose schemas are JSON Schema with `type: [..., "null"]`, so ajv reads them
 * without the `nullable` bridge the REST description needs; its `$ref`s point
 * at `#/components/…` of the whole document, so the components are registered
 * once under one id and each compiled schema is re-pointed there.
 */
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { createFiller, type Schema } from "./fill.ts";
import { explain } from "./openapi.ts";

interface WebhooksDescription {
  webhooks: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } } }>;
  components: { schemas: Record<string, Schema> };
}

const require = createRequire(import.meta.url);
const description = require("@octokit/openapi-webhooks/generated/api.github.com.json") as WebhooksDescription;
const COMPONENTS_ID = "webhooks";

function resolveRef(ref: string): Schema {
  let node: unknown = description;
  for (const key of ref.replace(/^#\//, "").split("/")) node = (node as Record<string, unknown>)[key];
  return node as Schema;
}

const fill = createFiller(resolveRef);

let ajv: Ajv | undefined;
function instance(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(ajv);
    for (const format of ["int32", "int64"]) ajv.addFormat(format, true);
    ajv.addSchema({ components: description.components }, COMPONENTS_ID);
  }
  return ajv;
}

const cache = new Map<string, ValidateFunction>();

/** The webhooks key GitHub's description uses: `issue-comment-created`, `push`, `status`. */
function webhookKey(event: string, action: string | undefined): string {
  return [event.replaceAll("_", "-"), action?.replaceAll("_", "-")].filter(Boolean).join("-");
}

/** The reference of the payload schema for an event and action, or an error naming what is missing. */
export function schemaFor(event: string, action: string | undefined): { $ref: string } {
  const key = webhookKey(event, action);
  const ref = description.webhooks[key]?.post?.requestBody?.content?.["application/json"]?.schema?.$ref;
  if (!ref) throw new Error(`repoflow: GitHub's webhook description has no "${key}" event; check the event and action against docs.github.com/webhooks.`);
  return { $ref: ref };
}

export function fillPayload(event: string, action: string | undefined, known: Record<string, unknown>, urlBase: string): Record<string, unknown> {
  return fill(schemaFor(event, action), known, urlBase);
}

export function validatePayload(event: string, action: string | undefined, payload: unknown): string[] {
  const key = webhookKey(event, action);
  let validate = cache.get(key);
  if (!validate) {
    validate = instance().compile({ $ref: `${COMPONENTS_ID}${schemaFor(event, action).$ref}` });
    cache.set(key, validate);
  }
  return validate(payload) ? [] : explain("payload", validate.errors ?? []);
}
