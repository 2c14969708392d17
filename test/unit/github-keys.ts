/**
 * Real RSA key pairs for the GitHub App tests, made with WebCrypto so the same
 * helper runs in Node and inside workerd. GitHub hands out PKCS#1 PEMs, which
 * WebCrypto cannot export, so the PKCS#1 form is cut out of the PKCS#8 one
 * (its OCTET STRING): the opposite of what src/github/jwt.ts does.
 */

export interface TestAppKeys {
  pkcs1: string;
  pkcs8: string;
  /** SPKI "BEGIN PUBLIC KEY", what a verifier (the emulator) takes. */
  publicKey: string;
  verifyKey: CryptoKey;
}

const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

export async function generateAppKeys(): Promise<TestAppKeys> {
  const pair = (await crypto.subtle.generateKey(
    { ...RS256, modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1) },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  return {
    pkcs1: pem("RSA PRIVATE KEY", pkcs1FromPkcs8(pkcs8)),
    pkcs8: pem("PRIVATE KEY", pkcs8),
    publicKey: pem("PUBLIC KEY", spki),
    verifyKey: pair.publicKey,
  };
}

/** The JWT's header and claims, after checking its RS256 signature against the App's public key. */
export async function verifyJwt(token: string, verifyKey: CryptoKey): Promise<{ header: Record<string, unknown>; claims: Record<string, unknown> }> {
  const [header = "", claims = "", signature = ""] = token.split(".");
  const valid = await crypto.subtle.verify(RS256, verifyKey, fromBase64Url(signature), new TextEncoder().encode(`${header}.${claims}`));
  if (!valid) throw new Error("JWT signature does not verify against the App's public key");
  const json = (part: string) => JSON.parse(new TextDecoder().decode(fromBase64Url(part))) as Record<string, unknown>;
  return { header: json(header), claims: json(claims) };
}

function pkcs1FromPkcs8(der: Uint8Array): Uint8Array {
  let offset = 0;
  const readHeader = () => {
    const tag = der[offset++];
    let length = der[offset++] ?? 0;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + (der[offset++] ?? 0);
    }
    return { tag, length };
  };
  const skip = () => {
    const { length } = readHeader();
    offset += length;
  };
  readHeader(); // PrivateKeyInfo SEQUENCE
  skip(); // version INTEGER
  skip(); // AlgorithmIdentifier SEQUENCE
  const key = readHeader();
  if (key.tag !== 0x04) throw new Error("unexpected PKCS#8 layout");
  return der.slice(offset, offset + key.length);
}

function pem(label: string, der: Uint8Array): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}
