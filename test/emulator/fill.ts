/**
 * Completes an object to a schema of GitHub's descriptions: the fields a
 * builder knows are kept and every other required field is made up
 * (nullable ones become null, `*_url` ones point into the emulator, enums
 * take their first value). So a REST response or a webhook payload is
 * schema-valid by construction without hand-copying the ≈80 required fields
 * of a repository, and stays valid when the description grows one.
 *
 * It reads both dialects the emulator loads: the REST description is
 * OpenAPI 3.0 (`nullable: true`), the webhooks description is OpenAPI 3.1
 * (`type: ["string", "null"]`).
 */
import { timestamp } from "./state.ts";

type Json = Record<string, unknown>;
export type Schema = Record<string, unknown>;

/** The login the made-up emails are for. */
const PLACEHOLDER_LOGIN = "octocat";

export function createFiller(resolveRef: (ref: string) => Schema): (schema: Schema, known: Json, urlBase: string) => Json {
  const deref = (schema: Schema): Schema => {
    let current = schema;
    while (typeof current.$ref === "string") current = resolveRef(current.$ref);
    return current;
  };

  const fillValue = (schemaIn: Schema, known: unknown, name: string, urlBase: string): unknown => {
    const schema = deref(schemaIn);
    if (Array.isArray(schema.allOf)) {
      return Object.assign({}, ...(schema.allOf as Schema[]).map((part) => fillValue(part, known, name, urlBase) as Json));
    }
    const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (alternatives) {
      const isNull = (branch: Schema) => typesOf(deref(branch)).join() === "null";
      if (known === undefined && alternatives.some(isNull)) return null;
      if (known !== undefined && !isPlainObject(known)) return known;
      const branch = alternatives.find((candidate) => !isNull(candidate));
      return branch ? fillValue(branch, known, name, urlBase) : known;
    }
    const types = typesOf(schema);
    const isObject = types.includes("object") || schema.properties !== undefined;
    if (known !== undefined) {
      if (isPlainObject(known) && isObject) return fillObject(schema, known, urlBase);
      if (Array.isArray(known) && isPlainObject(schema.items)) {
        return known.map((item) => (isPlainObject(item) ? fillValue(schema.items as Schema, item, name, urlBase) : item));
      }
      return known;
    }
    if (schema.nullable === true || types.includes("null")) return null;
    if ("const" in schema) return schema.const;
    if (Array.isArray(schema.enum)) return schema.enum[0];
    switch (types[0]) {
      case "object":
        return fillObject(schema, {}, urlBase);
      case "array":
        return [];
      case "integer":
      case "number":
        return 0;
      case "boolean":
        return false;
      case "string":
        if (schema.format === "date-time") return timestamp(Date.now());
        if (schema.format === "email") return `${PLACEHOLDER_LOGIN}@users.noreply.invalid`;
        if (schema.format === "uri" || schema.format === "uri-template" || name.endsWith("url")) return `${urlBase}/${name.replace(/_?url$/, "")}`;
        return "";
      default:
        return null;
    }
  };

  const fillObject = (schema: Schema, known: Json, urlBase: string): Json => {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    const out: Json = { ...known };
    for (const [key, value] of Object.entries(known)) {
      const property = properties[key];
      if (property && value !== null && typeof value === "object") out[key] = fillValue(property, value, key, urlBase);
    }
    for (const key of (schema.required ?? []) as string[]) {
      const property = properties[key];
      if (!(key in out)) out[key] = property ? fillValue(property, undefined, key, urlBase) : null;
    }
    return out;
  };

  return (schema, known, urlBase) => fillValue(schema, known, "", urlBase) as Json;
}

/** The non-null types first, so a `["null", "object"]` schema is filled as an object when it must be. */
function typesOf(schema: Schema): string[] {
  const { type } = schema;
  const list = Array.isArray(type) ? (type as string[]) : typeof type === "string" ? [type] : [];
  return [...list.filter((item) => item !== "null"), ...list.filter((item) => item === "null")];
}

function isPlainObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
