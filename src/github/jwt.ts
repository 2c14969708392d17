/**
 * The GitHub App's JWT (RS256), signed with crypto.subtle so it runs in workerd.
 *
 * GitHub hands out PKCS#1 keys ("BEGIN RSA PRIVATE KEY") but WebCrypto imports
 * only PKCS#8, so a PKCS#1 key is wrapped in the PKCS#8 envelope here (a fixed
 * AlgorithmIdentifier plus an OCTET STRING: no parsing of the key itself).
 * @octokit/auth-app is not used: its universal-github-app-jwt converts PKCS#1
 * only through node:crypto's createPrivateKey, and inside workerd it resolves
 * to the WebCrypto build, which throws on PKCS#1 (pinned by
 * test/integration/github-workerd.test.ts); it also backdates `iat` by 30 s,
 * where GitHub's documentation asks for 60 s.
 */
import { PrivateKeyFormatError } from "./errors.ts";

/** GitHub: "set iat 60 seconds in the past to allow for clock drift" and "exp no more than 10 minutes into the future". */
const BACKDATE_SECONDS = 60;
const LIFETIME_SECONDS = 9 * 60;

const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

// SEQUENCE { OID 1.2.840.113549.1.1.1 (rsaEncryption), NULL }
const RSA_ALGORITHM_IDENTIFIER = Uint8Array.of(0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00);
const VERSION_ZERO = Uint8Array.of(0x02, 0x01, 0x00);

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

export interface AppJwt {
  token: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

const keys = new Map<string, Promise<CryptoKey>>();

/** Signs a JWT for the App: `iss` is the App id, `iat` 60 s in the past, `exp` 9 min ahead (10 min after `iat`). */
export async function createAppJwt(appId: string, privateKey: string, nowMs: number = Date.now()): Promise<AppJwt> {
  const now = Math.floor(nowMs / 1000);
  const iat = now - BACKDATE_SECONDS;
  const exp = now + LIFETIME_SECONDS;
  const signingInput = `${base64UrlJson({ alg: "RS256", typ: "JWT" })}.${base64UrlJson({ iat, exp, iss: appId })}`;
  const signature = await crypto.subtle.sign(RS256, await signingKey(privateKey), new TextEncoder().encode(signingInput));
  return { token: `${signingInput}.${base64Url(new Uint8Array(signature))}`, expiresAt: exp };
}

function signingKey(privateKey: string): Promise<CryptoKey> {
  let key = keys.get(privateKey);
  if (!key) {
    key = importPrivateKey(privateKey);
    keys.set(privateKey, key);
    // A key that failed to import must not poison the cache for a corrected secret with the same text.
    key.catch(() => keys.delete(privateKey));
  }
  return key;
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = pkcs8FromPem(pem);
  try {
    return await crypto.subtle.importKey("pkcs8", der, RS256, false, ["sign"]);
  } catch (error) {
    throw new PrivateKeyFormatError(`could not be imported as an RSA key (${(error as Error).message})`);
  }
}

/** DER bytes of a PKCS#8 RSA private key, from a PKCS#1 or PKCS#8 PEM. */
export function pkcs8FromPem(pem: string): Uint8Array<ArrayBuffer> {
  const match = PEM.exec(pem);
  if (!match) throw new PrivateKeyFormatError("is not a PEM file (no -----BEGIN …----- / -----END …----- lines)");
  const [, label, body = ""] = match;
  let der: Uint8Array<ArrayBuffer>;
  try {
    der = Uint8Array.from(atob(body.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } catch {
    throw new PrivateKeyFormatError("has a body that is not base64");
  }
  if (label === "PRIVATE KEY") return der;
  if (label === "RSA PRIVATE KEY") return derElement(0x30, VERSION_ZERO, RSA_ALGORITHM_IDENTIFIER, derElement(0x04, der));
  throw new PrivateKeyFormatError(`is a "${label}" PEM, not an unencrypted RSA private key`);
}

function derElement(tag: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const lengthBytes: number[] = [];
  if (length < 0x80) {
    lengthBytes.push(length);
  } else {
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest % 256);
    lengthBytes.unshift(0x80 | lengthBytes.length);
  }
  const out = new Uint8Array(1 + lengthBytes.length + length);
  out[0] = tag;
  out.set(lengthBytes, 1);
  let offset = 1 + lengthBytes.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function base64UrlJson(value: object): string {
  return base64Url(new TextEncoder().encode(JSON.stringify(value)));
}

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}
