/**
 * A delivery exported from GitHub, in either shape GitHub gives it: the REST
 * API's delivery object (`GET /app/hook/deliveries/{id}`: `{ id, guid, event,
 * action, request: { headers, payload } }`), or the text copied from the App's
 * "Recent Deliveries" page (request headers as `Name: value` lines, a blank
 * line, the JSON body). The copied text also carries lines that are not
 * headers ("Request URL: …", "Request method: POST", section titles such as
 * "Headers" or "Payload"); a name with a space is not a valid HTTP header and
 * fetch() refuses the whole request over it, so only valid names are kept.
 * Pure, so tests drive it directly.
 */

export interface ExportedDelivery {
  event: string;
  action: string | null;
  guid: string;
  /** Lowercased names, as GitHub sent them, minus the signatures and the framing headers fetch() sets itself. */
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

export class ExportFormatError extends Error {
  override readonly name = "ExportFormatError";
  constructor(problem: string) {
    super(`repoflow: ${problem}`);
  }
}

// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// The original signatures were made with the production secret; the framing headers belong to the new request.
const DROPPED = new Set(["x-hub-signature", "x-hub-signature-256", "content-length", "host", "connection", "transfer-encoding"]);

/** null when the text is not an export (a plain payload, which has no request envelope). */
export function parseExportedDelivery(text: string): ExportedDelivery | null {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return fromApiObject(parseJson(trimmed, "the file"));
  return fromCopiedText(trimmed);
}

function fromApiObject(json: Record<string, unknown>): ExportedDelivery | null {
  const request = json.request as { headers?: unknown; payload?: unknown } | undefined;
  if (!request || typeof request !== "object") return null;
  const headers = lowercased(request.headers && typeof request.headers === "object" ? (request.headers as Record<string, unknown>) : {});
  const payload = typeof request.payload === "string" ? parseJson(request.payload, "request.payload") : request.payload;
  const event = headers["x-github-event"] ?? json.event;
  const guid = headers["x-github-delivery"] ?? json.guid;
  if (typeof event !== "string" || typeof guid !== "string" || payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new ExportFormatError(
      "the delivery object has no request.payload, or names no event and delivery id; export it again with GET /app/hook/deliveries/{id}, which returns request.headers and request.payload.",
    );
  }
  return finish(event, guid, headers, payload as Record<string, unknown>);
}

function fromCopiedText(text: string): ExportedDelivery | null {
  const lines = text.split(/\r?\n/);
  const bodyStart = lines.findIndex((line) => line.trimStart().startsWith("{"));
  const headerLines = lines.slice(0, bodyStart < 0 ? lines.length : bodyStart);
  if (!headerLines.some((line) => /^x-github-event\s*:/i.test(line.trim()))) return null;
  if (bodyStart < 0) throw new ExportFormatError("the copied delivery has headers but no JSON body; copy the Payload too, after a blank line.");
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const at = line.indexOf(":");
    const name = line.slice(0, at).trim();
    if (at > 0 && HEADER_NAME.test(name)) headers[name.toLowerCase()] = line.slice(at + 1).trim();
  }
  const payload = parseJson(lines.slice(bodyStart).join("\n"), "the body after the copied headers");
  const event = headers["x-github-event"];
  const guid = headers["x-github-delivery"];
  if (!event || !guid) throw new ExportFormatError("the copied headers need X-GitHub-Event and X-GitHub-Delivery; copy the whole Headers section of the delivery.");
  return finish(event, guid, headers, payload);
}

function finish(event: string, guid: string, headers: Record<string, string>, payload: Record<string, unknown>): ExportedDelivery {
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => HEADER_NAME.test(name) && !DROPPED.has(name)));
  return { event, action: typeof payload.action === "string" ? payload.action : null, guid, headers: kept, payload };
}

function parseJson(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ExportFormatError(`${what} is not valid JSON (${(error as Error).message}); give the payload as GitHub sent it.`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ExportFormatError(`${what} is not a JSON object; a webhook payload is one.`);
  return value as Record<string, unknown>;
}

function lowercased(headers: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
}
