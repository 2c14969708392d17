import { beforeAll, describe, expect, it } from "vitest";
import { createAppJwt, PrivateKeyFormatError } from "../../src/github";
import { pkcs8FromPem } from "../../src/github/jwt.ts";
import { generateAppKeys, verifyJwt, type TestAppKeys } from "./github-keys.ts";

let keys: TestAppKeys;
beforeAll(async () => {
  keys = await generateAppKeys();
});

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

describe("app JWT", () => {
  it.each(["pkcs1", "pkcs8"] as const)("signs an RS256 JWT from a %s PEM that verifies with the App's public key", async (format) => {
    const { token, expiresAt } = await createAppJwt("123", keys[format], NOW);
    const { header, claims } = await verifyJwt(token, keys.verifyKey);
    expect(header).toEqual({ alg: "RS256", typ: "JWT" });
    expect(claims.iss).toBe("123");
    expect(claims.exp).toBe(expiresAt);
  });

  it("backdates iat by 60 s and expires within GitHub's 10 minutes", async () => {
    const { token } = await createAppJwt("123", keys.pkcs1, NOW);
    const { claims } = await verifyJwt(token, keys.verifyKey);
    const now = NOW / 1000;
    expect(claims.iat).toBe(now - 60);
    expect(claims.exp as number).toBeGreaterThan(now);
    expect((claims.exp as number) - now).toBeLessThanOrEqual(600);
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(600);
  });

  it("wraps a PKCS#1 key into exactly the PKCS#8 bytes WebCrypto exports for it", () => {
    expect(pkcs8FromPem(keys.pkcs1)).toEqual(pkcs8FromPem(keys.pkcs8));
  });

  it("reads a PEM with Windows line endings and surrounding whitespace", async () => {
    const { token } = await createAppJwt("123", `\n  ${keys.pkcs1.replace(/\n/g, "\r\n")}  \n`, NOW);
    await expect(verifyJwt(token, keys.verifyKey)).resolves.toBeDefined();
  });

  it.each([
    ["an OpenSSH key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", /"OPENSSH PRIVATE KEY" PEM/],
    ["an encrypted PKCS#8 key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0w\n-----END ENCRYPTED PRIVATE KEY-----", /"ENCRYPTED PRIVATE KEY" PEM/],
    ["the first line only (a .env file that lost its newlines)", "-----BEGIN RSA PRIVATE KEY-----", /is not a PEM file/],
    ["a body that is not base64", "-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----", /not base64/],
    ["a PKCS#1 body that is not an RSA key", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----", /could not be imported/],
  ])("rejects %s with a PrivateKeyFormatError that says what to paste", async (_label, pem, detail) => {
    const failure = createAppJwt("123", pem, NOW);
    await expect(failure).rejects.toThrow(PrivateKeyFormatError);
    await expect(failure).rejects.toThrow(detail);
    await expect(failure).rejects.toThrow(/^repoflow: PRIVATE_KEY .*Paste the whole \.pem file/);
  });
});
