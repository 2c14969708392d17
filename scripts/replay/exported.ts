/**
 * A delivery exported from GitHub, in either shape GitHub gives it: the REST
 * API's delivery object (`GET /app/hook/deliveries/{id}`), or the text copied
 * from the App's "Recent Deliveries" page (request headers, a blank line, the
 * JSON body).
 */

export interface ExportedDelivery {
  event: string;
  action: string | null;
  guid: string;
  /** Lowercased names; the signature is dropped (the original was made with the production secret). */
  headers: Record<string, string>;
  payload: Record<string, unknown>;
}

export class ExportFormatError extends Error {
  override readonly name = "ExportFormatError";
}

export function parseExportedDelivery(text: string): ExportedDelivery | null {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    let json: Record<string, any>;
    try {
      json = JSON.parse(trimmed);
    } catch (error) {
      throw new ExportFormatError(`the file is not valid JSON: ${(error as Error).message}`);
    }
    // A plain payload is not an export: it has no request envelope.
    if (!json.request || typeof json.request !== "object") return null;
    const headers = lower(json.request.headers ?? {});
    const payload = typeof json.request.payload === "string" ? JSON.parse(json.request.payload) : json.request.payload;
    const event = headers["x-github-event"] ?? json.event;
    const guid = headers["x-github-delivery"] ?? json.guid;
    if (typeof event !== "string" || typeof guid !== "string" || typeof payload !== "object" || payload === null) {
      throw new ExportFormatError("the delivery object needs request.headers with X-GitHub-Event and X-GitHub-Delivery, and request.payload.");
    }
    return finish(event, guid, headers, payload);
  }
  const split = trimmed.search(/\r?\n\s*\r?\n/);
  if (split < 0 || !/^[A-Za-z][\w -]*:\s/.test(trimmed)) return null;
  const headers: Record<string, string> = {};
  for (const line of trimmed.slice(0, split).split(/\r?\n/)) {
    const at = line.indexOf(":");
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(trimmed.slice(split).trim());
  } catch (error) {
    throw new ExportFormatError(`the body after the headers is not valid JSON: ${(error as Error).message}`);
  }
  const event = headers["x-github-event"];
  const guid = headers["x-github-delivery"];
  if (!event || !guid) throw new ExportFormatError("the copied headers need X-GitHub-Event and X-GitHub-Delivery.");
  return finish(event, guid, headers, payload);
}

function finish(event: string, guid: string, headers: Record<string, string>, payload: Record<string, unknown>): ExportedDelivery {
  const kept = { ...headers };
  delete kept["x-hub-signature-256"];
  delete kept["x-hub-signature"];
  delete kept["content-length"];
  delete kept["host"];
  return { event, action: typeof payload.action === "string" ? payload.action : null, guid, headers: kept, payload };
}

function lower(headers: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
}
