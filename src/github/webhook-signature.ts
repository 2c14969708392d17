/**
 * X-Hub-Signature-256 verification over the raw request bytes, before any parsing.
 *
 * Written on crypto.subtle rather than @octokit/webhooks-methods because the
 * latter throws a TypeError on `sha256=` followed by non-hex, and a malformed
 * header must be a 401, never a 500. `crypto.subtle.verify` compares in
 * constant time, so no timing leaks the expected digest.
 */

export type SignatureFailure = "missing" | "malformed" | "mismatch";

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };

// GitHub always sends a lowercase `sha256=` prefix and 64 lowercase hex digits.
const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Accepts the delivery when any of the secrets (current, then previous during rotation) signed it. */
export async function verifySignature(
  body: ArrayBuffer | Uint8Array,
  header: string | null | undefined,
  secrets: readonly string[],
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: "missing" };
  const match = SIGNATURE.exec(header);
  if (!match?.[1]) return { ok: false, reason: "malformed" };
  const digest = hexToBytes(match[1]);
  for (const secret of secrets) {
    if (await crypto.subtle.verify("HMAC", await hmacKey(secret), digest, body)) return { ok: true };
  }
  return { ok: false, reason: "mismatch" };
}

/** Signs like GitHub does; used by the replay tooling and tests. */
export async function sign(body: string | Uint8Array, secret: string): Promise<string> {
  const data = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), data));
  return "sha256=" + Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}
