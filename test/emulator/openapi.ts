/**
 * GitHub's official OpenAPI description as the emulator's contract: route
 * matching (method + path template → operation) and request/response
 * validation with ajv.
 *
 * Loads only `@octokit/openapi/generated/api.github.com.json` (13 MB, ≈0.3 s):
 * the package root loads all ten descriptions (≈1 GB, 8.5 s). The description
 * is OpenAPI 3.0, so two things need bridging before ajv can read it: its
 * `$ref`s point at `#/components/…` of the whole document (the components are
 * registered once under the id `github` and each operation's schema is
 * re-pointed there), and `nullable: true` appears on schemas without a `type`
 * (ajv refuses those) or beside an `enum` that lacks null (ajv would then
 * reject the null the description allows). Compiling every operation up front
 * takes ≈4 s, so each validator is compiled on first use and cached, and the
 * one-time preparation (bridging, registering components) waits for the
 * first request that needs it: import costs ≈0.5 s, mostly reading the JSON.
 */
import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SchemaObject = { [key: string]: Json };

interface ParameterObject {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: SchemaObject;
  "x-multi-segment"?: boolean;
}

interface OperationObject {
  operationId?: string;
  parameters?: (ParameterObject | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: SchemaObject }> };
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: SchemaObject }> }>;
  externalDocs?: { url?: string };
}

interface Description {
  paths: Record<string, Record<string, OperationObject>>;
  components: {
    schemas: Record<string, SchemaObject>;
    parameters: Record<string, ParameterObject>;
    responses: Record<string, { content?: Record<string, { schema?: SchemaObject }> }>;
  };
}

/** One operation of the description, ready to match and validate against. */
export interface Operation {
  method: string;
  template: string;
  operationId: string;
  documentationUrl: string;
  parameters: ParameterObject[];
  bodySchema: SchemaObject | undefined;
  bodyRequired: boolean;
  pattern: RegExp;
  pathParamNames: string[];
  literalSegments: number;
}

export interface RouteMatch {
  operation: Operation;
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
}

const require = createRequire(import.meta.url);
const description = require("@octokit/openapi/generated/api.github.com.json") as Description;
const COMPONENTS_ID = "github";

// Bridging walks every component (≈130 ms), so it waits for the first validator or response builder.
let bridged = false;
function bridgedComponents(): Description["components"] {
  if (!bridged) {
    bridgeNullable(description.components as unknown as Json);
    bridged = true;
  }
  return description.components;
}

// Registering the components costs ≈0.3 s, so each instance is built on first use:
// one for JSON bodies, one that coerces path and query strings the way GitHub reads them.
const bodies = lazyAjv(false);
const parameters = lazyAjv(true);

function lazyAjv(coerceTypes: boolean): () => Ajv {
  let instance: Ajv | undefined;
  return () => {
    if (!instance) {
      instance = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, coerceTypes });
      addFormats(instance);
      // Formats the description uses that carry no checkable rule beyond their `type`.
      for (const format of ["int32", "int64", "double", "timestamp", "repo.nwo", "binary"]) instance.addFormat(format, true);
      instance.addSchema({ components: bridgedComponents() } as unknown as SchemaObject, COMPONENTS_ID);
    }
    return instance;
  };
}

const operations = buildOperations(description);
const byMethod = new Map<string, Operation[]>();
for (const operation of operations) {
  const list = byMethod.get(operation.method) ?? [];
  list.push(operation);
  byMethod.set(operation.method, list);
}
// The most literal template wins: `/issues/comments` is not issue number "comments",
// and `/commits/{ref}/check-runs` is not a commit whose ref ends in "/check-runs".
for (const list of byMethod.values()) list.sort((a, b) => b.literalSegments - a.literalSegments);

const byOperationId = new Map(operations.map((operation) => [operation.operationId, operation]));

/** The operation GitHub would route `method pathname` to, or null when GitHub has no such endpoint. */
export function matchRoute(method: string, pathname: string): RouteMatch | null {
  // GitHub answers HEAD wherever it answers GET.
  const verb = method.toUpperCase() === "HEAD" ? "GET" : method.toUpperCase();
  for (const operation of byMethod.get(verb) ?? []) {
    const match = operation.pattern.exec(pathname);
    if (!match) continue;
    const params: Record<string, string> = {};
    operation.pathParamNames.forEach((name, index) => {
      params[name] = safeDecode(match[index + 1] ?? "");
    });
    return { operation, params };
  }
  return null;
}

/** The operation with this operationId (its method and path template), for the README's route table. */
export function operationById(operationId: string): Operation | undefined {
  return byOperationId.get(operationId);
}

/** True when some other method serves this path (GitHub still answers 404 for the wrong method). */
export function pathExists(pathname: string): boolean {
  return operations.some((operation) => operation.pattern.test(pathname));
}

/**
 * Every way the request breaks the operation's contract, as human-readable
 * lines (`body.status must be one of queued, in_progress, completed`). Path and
 * query values arrive as strings and are coerced the way GitHub reads them.
 */
export function validateRequest(
  operation: Operation,
  params: Record<string, string>,
  query: Record<string, string>,
  body: unknown,
): { path: string[]; query: string[]; body: string[] } {
  const pathProblems = validateParameters(operation, "path", { ...params });
  const queryProblems = validateParameters(operation, "query", { ...query });
  const bodyProblems: string[] = [];
  if (operation.bodySchema) {
    if (body === undefined) {
      if (operation.bodyRequired) bodyProblems.push("body is required (send a JSON object)");
    } else {
      const validate = compiled(bodies, `body:${operation.operationId}`, operation.bodySchema);
      if (!validate(body)) bodyProblems.push(...explain("body", validate.errors ?? []));
    }
  }
  return { path: pathProblems, query: queryProblems, body: bodyProblems };
}

/**
 * How a response breaks the description's schema for that operation and
 * status; empty when it conforms. The emulator's own tests use it to keep
 * every response shaped like GitHub's. An error status the operation does not
 * document (GitHub answers 422 to a bad check run although the description
 * lists only 201) is held to GitHub's generic error body.
 */
export function validateResponse(operationId: string, status: number, body: unknown): string[] {
  const operation = byOperationId.get(operationId);
  if (!operation) return [`${operationId} is not an operation of GitHub's REST API`];
  const schema = responseSchema(operationId, status) ?? (status >= 400 ? { $ref: "#/components/schemas/basic-error" } : undefined);
  if (!schema) return [`${operationId} documents no JSON response for status ${status}`];
  const validate = compiled(bodies, `response:${operationId}:${status}`, schema);
  return validate(body) ? [] : explain("response", validate.errors ?? []);
}

/** The JSON schema of a named component (`check-run`, `full-repository`, …), resolved one level. */
export function componentSchema(name: string): SchemaObject {
  const schema = bridgedComponents().schemas[name];
  if (!schema) throw new Error(`repoflow: GitHub's description has no schema named "${name}"; check the name in components.schemas of api.github.com.json.`);
  return schema;
}

/** Resolves a `#/components/…` reference inside the description. */
export function resolveRef(ref: string): SchemaObject {
  let node: unknown = description;
  for (const key of ref.replace(/^#\//, "").split("/")) node = (node as Record<string, unknown>)[key];
  return node as SchemaObject;
}

function responseSchema(operationId: string, status: number): SchemaObject | undefined {
  const operation = findOperationObject(operationId);
  let response = operation?.responses?.[String(status)];
  if (response?.$ref) response = resolveRef(response.$ref) as typeof response;
  return response?.content?.["application/json"]?.schema;
}

function findOperationObject(operationId: string): OperationObject | undefined {
  const operation = byOperationId.get(operationId);
  return operation ? description.paths[operation.template]?.[operation.method.toLowerCase()] : undefined;
}

function validateParameters(operation: Operation, location: "path" | "query", values: Record<string, string>): string[] {
  const relevant = operation.parameters.filter((parameter) => parameter.in === location);
  if (relevant.length === 0) return [];
  const schema: SchemaObject = {
    type: "object",
    properties: Object.fromEntries(relevant.map((parameter) => [parameter.name, parameter.schema ?? {}])),
    required: relevant.filter((parameter) => parameter.required).map((parameter) => parameter.name),
  };
  const validate = compiled(parameters, `${location}:${operation.operationId}`, schema);
  return validate(values) ? [] : explain(location, validate.errors ?? []);
}

const cache = new Map<string, ValidateFunction>();

function compiled(instance: () => Ajv, key: string, schema: SchemaObject): ValidateFunction {
  let validate = cache.get(key);
  if (!validate) {
    validate = instance().compile(repoint(schema));
    cache.set(key, validate);
  }
  return validate;
}

function repoint(schema: SchemaObject): SchemaObject {
  const copy = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${COMPONENTS_ID}#/components/`)) as SchemaObject;
  bridgeNullable(copy);
  return copy;
}

/**
 * Turns ajv's errors into one line per problem. A failed `anyOf`/`oneOf`
 * reports its branches' errors too; those are kept only when nothing outside
 * a branch explains the failure, and then joined as alternatives. The same
 * problem in many array items is told once, with a count.
 */
export function explain(root: string, errors: ErrorObject[]): string[] {
  const isBranchError = (error: ErrorObject) => /\/(anyOf|oneOf)\/\d+\//.test(error.schemaPath);
  const isCombinator = (error: ErrorObject) => error.keyword === "anyOf" || error.keyword === "oneOf";
  const direct = errors.filter((error) => !isBranchError(error) && !isCombinator(error));
  const lines = direct.map((error) => describe(root, error));
  for (const combinator of errors.filter(isCombinator)) {
    if (direct.some((error) => error.instancePath.startsWith(combinator.instancePath))) continue;
    const prefix = combinator.schemaPath.replace(/^#/, "");
    const branches = new Map<string, string[]>();
    for (const error of errors) {
      const branch = new RegExp(`^${escapeRegExp(prefix)}/(\\d+)/`).exec(error.schemaPath.replace(/^#/, ""))?.[1];
      if (branch === undefined || isCombinator(error)) continue;
      branches.set(branch, [...(branches.get(branch) ?? []), describe(root, error)]);
    }
    const options = [...branches.values()].map((problems) => [...new Set(problems)].join(" and "));
    lines.push(
      options.length > 0
        ? `${pointer(root, combinator.instancePath)} matches none of the allowed shapes: ${options.join("; or ")}`
        : `${pointer(root, combinator.instancePath)} ${combinator.message ?? "is invalid"}`,
    );
  }
  return collapseItems([...new Set(lines)]);
}

function collapseItems(lines: string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const line of lines) {
    const shape = line.replace(/\[\d+\]/g, "[]");
    groups.set(shape, [...(groups.get(shape) ?? []), line]);
  }
  return [...groups.values()].map(([first, ...rest]) => (rest.length > 0 ? `${first} (and ${rest.length} more items alike)` : `${first}`));
}

function describe(root: string, error: ErrorObject): string {
  const at = pointer(root, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${pointer(root, `${error.instancePath}/${String(params.missingProperty)}`)} is required`;
    case "enum":
      return `${at} must be one of ${(params.allowedValues as unknown[]).map((value) => String(value)).join(", ")}`;
    case "type":
      return `${at} must be ${String(params.type).replace(",", " or ")}`;
    case "maxLength":
      return `${at} must be at most ${String(params.limit)} characters`;
    case "minLength":
      return `${at} must be at least ${String(params.limit)} characters`;
    case "maxItems":
      return `${at} must have at most ${String(params.limit)} items`;
    case "minItems":
      return `${at} must have at least ${String(params.limit)} items`;
    case "format":
      return `${at} must be a ${String(params.format)}`;
    case "additionalProperties":
      return `${pointer(root, `${error.instancePath}/${String(params.additionalProperty)}`)} is not allowed`;
    default:
      return `${at} ${error.message ?? "is invalid"}`;
  }
}

function pointer(root: string, instancePath: string): string {
  if (!instancePath) return root;
  return (
    root +
    instancePath
      .split("/")
      .slice(1)
      .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
      .join("")
  );
}

function buildOperations(document: Description): Operation[] {
  const list: Operation[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation.operationId) continue;
      const parameters = (operation.parameters ?? []).map((parameter) =>
        "$ref" in parameter ? (resolveRef(parameter.$ref) as unknown as ParameterObject) : parameter,
      );
      const multiSegment = new Set(parameters.filter((parameter) => parameter["x-multi-segment"]).map((parameter) => parameter.name));
      const pathParamNames: string[] = [];
      const segments = template.split("/").slice(1);
      const source = segments
        .map((segment) => {
          const name = /^\{(.+)\}$/.exec(segment)?.[1];
          if (!name) return escapeRegExp(segment);
          pathParamNames.push(name);
          return multiSegment.has(name) ? "(.+)" : "([^/]+)";
        })
        .join("/");
      list.push({
        method: method.toUpperCase(),
        template,
        operationId: operation.operationId,
        documentationUrl: operation.externalDocs?.url ?? "https://docs.github.com/rest",
        parameters,
        bodySchema: operation.requestBody?.content?.["application/json"]?.schema,
        bodyRequired: operation.requestBody?.required === true,
        pattern: new RegExp(`^/${source}$`),
        pathParamNames,
        literalSegments: segments.filter((segment) => !segment.startsWith("{")).length,
      });
    }
  }
  return list;
}

/** OpenAPI 3.0's `nullable` in terms ajv accepts everywhere (see the file comment). */
function bridgeNullable(node: Json): void {
  if (Array.isArray(node)) {
    for (const child of node) bridgeNullable(child);
    return;
  }
  if (node === null || typeof node !== "object") return;
  for (const child of Object.values(node)) bridgeNullable(child);
  if (node.nullable !== true) return;
  if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
  if (node.type === undefined) {
    const rest: { [key: string]: Json } = { ...node };
    delete rest.nullable;
    for (const key of Object.keys(node)) delete node[key];
    node.anyOf = [rest, { type: "null" }];
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
