/**
 * What a failure says to the author: their message and their own frames.
 * The engine prefixes a NonRetryableError's name to its message, and the
 * stack the tenant host appends (after STACK_MARKER) runs through
 * repoflow's host and SDK modules and the platform's internals; none of that
 * is the author's to read. Frames in the bundle stay: the run page maps them
 * to .workflows/ files through the bundle's source map.
 */
import { mapStackLocation } from "../compiler";
import { STACK_MARKER } from "../runtime";
import { readArtifact } from "./artifacts";

/** The author's code is all in bundle.js; host.js and repoflow.js are repoflow's, the rest the platform's. */
const AUTHOR_FRAME = /\bbundle\.js:\d+:\d+/;

/** The engine's "NonRetryableError: " (once per crossing), never part of what the author threw. */
export function withoutEnginePrefix(message: string): string {
  return message.replace(/^(?:NonRetryableError: )+/, "");
}

/** The message, and the stack reduced to the author's frames (none: no marker part at all). */
export function authorFailureText(text: string): string {
  const at = text.indexOf(STACK_MARKER);
  const message = withoutEnginePrefix(at < 0 ? text : text.slice(0, at));
  if (at < 0) return message;
  const frames = text
    .slice(at + STACK_MARKER.length)
    .split("\n")
    .filter((line) => /^\s+at /.test(line) && AUTHOR_FRAME.test(line));
  return frames.length === 0 ? message : `${message}${STACK_MARKER}${frames.join("\n")}`;
}

/** Every `bundle.js:line:col` in `text` as the author's `.workflows/…ts:line:col`, where the source map knows it. */
export function mapAuthorFrames(text: string, bundleCode: string): string {
  return text.replace(/\bbundle\.js:(\d+):(\d+)/g, (whole, line: string, column: string) => {
    const location = mapStackLocation({ code: bundleCode }, Number(line), Number(column));
    return location ? `${location.file}:${location.line}:${location.column}` : whole;
  });
}

/**
 * The run page's errors with the author's files and lines: the pinned bundle's
 * source map turns bundle.js frames into .workflows/ ones. Texts come back as
 * they were when the bundle is gone (retention) or has no map.
 */
export async function withAuthorFrames(blobs: R2Bucket, bundleHash: string, texts: readonly (string | null)[]): Promise<(string | null)[]> {
  if (!texts.some((text) => text !== null && /\bbundle\.js:\d+:\d+/.test(text))) return [...texts];
  const code = await readArtifact(blobs, bundleHash)
    .then((artifact) => artifact.modules["bundle.js"] ?? null)
    .catch(() => null);
  return code === null ? [...texts] : texts.map((text) => (text === null ? null : mapAuthorFrames(text, code)));
}
