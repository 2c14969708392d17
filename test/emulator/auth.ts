/**
 * GitHub App authentication as GitHub checks it: app JWTs (RS256, `iss` = the
 * app id, `exp` at most 10 minutes ahead) for `/app/…`, and installation
 * tokens (`ghs_…`, one hour) for everything else, each bound to one
 * installation and optionally to a subset of its repositories and permissions.
 *
 * Without a configured public key only the JWT's shape and claims are
 * checked: `npm run dev` generates a throwaway key the emulator never sees.
 * Sources: docs.github.com "Generating a JSON Web Token (JWT) for a GitHub
 * App" (exp ≤ 10 min, iat 60 s in the past allowed for clock drift) and
 * "Authenticating as a GitHub App installation" (tokens expire after 1 hour).
 */
import { createPublicKey, randomBytes, verify, type KeyObject } from "node:crypto";

export type Access = "read" | "write";
export type Permissions = Record<string, Access>;

export interface InstallationToken {
  token: string;
  installationId: number;
  expiresAt: number;
  permissions: Permissions;
  /** Repository ids the token is limited to; null means every repository of the installation. */
  repositoryIds: Set<number> | null;
}

export type JwtCheck = { ok: true } | { ok: false; message: string; violation: string };

/** The clock drift GitHub tolerates on `iat`. */
const IAT_SKEW_SECONDS = 60;
const MAX_JWT_LIFETIME_SECONDS = 600;
export const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export function parsePublicKey(pem: string): KeyObject {
  // createPublicKey reads SPKI ("PUBLIC KEY"), PKCS#1 ("RSA PUBLIC KEY"), and derives the public half of a private key PEM.
  return createPublicKey(pem);
}

export function checkAppJwt(jwt: string, appId: string, publicKey: KeyObject | undefined, nowMs: number): JwtCheck {
  const fail = (violation: string, message = "A JSON web token could not be decoded"): JwtCheck => ({ ok: false, message, violation });
  const parts = jwt.split(".");
  if (parts.length !== 3) return fail("the Bearer credential is not a JWT (three base64url parts)");
  const [headerPart = "", payloadPart = "", signaturePart = ""] = parts;
  const header = decodeJson(headerPart);
  const payload = decodeJson(payloadPart);
  if (!header || !payload) return fail("the JWT header or payload is not base64url JSON");
  if (header.alg !== "RS256") return fail(`the JWT is signed with ${String(header.alg)}; GitHub accepts only RS256`);
  if (publicKey) {
    const signed = verify("RSA-SHA256", Buffer.from(`${headerPart}.${payloadPart}`), publicKey, Buffer.from(signaturePart, "base64url"));
    if (!signed) return fail("the JWT signature does not verify with the app's public key (signed with another private key?)");
  }
  if (String(payload.iss) !== appId) {
    return fail(`the JWT's iss is ${JSON.stringify(payload.iss)}, not the app id ${JSON.stringify(appId)}`, "Integration not found");
  }
  const now = Math.floor(nowMs / 1000);
  const { iat, exp } = payload;
  if (typeof iat !== "number" || !Number.isInteger(iat) || iat > now + IAT_SKEW_SECONDS) {
    return fail(
      `the JWT's iat (${String(iat)}) must be an integer no later than now (${now})`,
      "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.",
    );
  }
  if (typeof exp !== "number" || !Number.isInteger(exp) || exp <= now) {
    return fail(
      `the JWT expired (exp ${String(exp)}, now ${now}); sign a fresh one`,
      "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.",
    );
  }
  if (exp - now > MAX_JWT_LIFETIME_SECONDS || exp - iat > MAX_JWT_LIFETIME_SECONDS + IAT_SKEW_SECONDS) {
    return fail(
      `the JWT's exp is ${exp - now} s ahead; GitHub allows at most ${MAX_JWT_LIFETIME_SECONDS} s`,
      "'Expiration time' claim ('exp') is too far in the future",
    );
  }
  return { ok: true };
}

/** `ghs_` and 36 alphanumerics, the shape of GitHub's installation tokens. */
export function newTokenValue(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return `ghs_${Array.from(randomBytes(36), (byte) => alphabet[byte % alphabet.length]).join("")}`;
}

/** The credential in an Authorization header: `token X` and `Bearer X` are both accepted, as on GitHub. */
export function credential(header: string | undefined): string | null {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

/** The permissions a token may not have because the installation lacks them (empty when the request fits). */
export function excessPermissions(requested: Permissions, granted: Permissions): string[] {
  return Object.entries(requested)
    .filter(([name, access]) => {
      const has = granted[name];
      return has === undefined || (access === "write" && has === "read");
    })
    .map(([name, access]) => `${name}:${access}`);
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
