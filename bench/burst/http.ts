/**
 * Timed HTTP requests over keep-alive connections of node:http, each pool
 * with a fixed number of sockets: the burst's ten, and one per probe loop, so
 * a probe never waits for a socket behind burst requests and what it times is
 * the target's answer, not the runner's queue.
 */
import { Agent, request } from "node:http";

export interface Answer {
  status: number;
  body: string;
  /** From writing the request to the answer's last byte. */
  ms: number;
}

/** A socket that stays silent this long fails the request: GitHub gives up on a webhook after 10 s. */
export const ANSWER_TIMEOUT_MS = 10_000;

export class AnswerTimeoutError extends Error {
  override readonly name = "AnswerTimeoutError";
  constructor(url: URL) {
    super(`repoflow: ${url.pathname} gave no answer within ${ANSWER_TIMEOUT_MS / 1000} s`);
  }
}

export function pool(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets });
}

export function send(agent: Agent, url: URL, init: { method: "GET" | "POST"; headers?: Record<string, string>; body?: Buffer }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url.href, { agent, method: init.method, headers: { ...init.headers, ...(init.body ? { "content-length": String(init.body.byteLength) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started }));
      res.on("error", reject);
    });
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new AnswerTimeoutError(url)));
    req.on("error", reject);
    req.end(init.body);
  });
}
