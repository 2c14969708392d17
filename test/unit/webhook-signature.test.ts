import { describe, expect, it } from "vitest";
import { sign, verifySignature } from "../../src/github/webhook-signature";

// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
const VECTOR = {
  secret: "It's a Secret to Everybody",
  payload: "Hello, World!",
  signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
};
const bytes = (text: string) => new TextEncoder().encode(text);

describe("webhook signature", () => {
  it("signs GitHub's published test vector to the published digest", async () => {
    expect(await sign(VECTOR.payload, VECTOR.secret)).toBe(VECTOR.signature);
  });

  it("accepts GitHub's published test vector", async () => {
    expect(await verifySignature(bytes(VECTOR.payload), VECTOR.signature, [VECTOR.secret])).toEqual({ ok: true });
  });

  it("accepts a delivery signed with the previous secret during rotation", async () => {
    expect(await verifySignature(bytes(VECTOR.payload), VECTOR.signature, ["new-secret", VECTOR.secret])).toEqual({ ok: true });
  });

  it.each([
    ["missing", undefined, "missing"],
    ["empty", "", "missing"],
    ["sha1 only", "sha1=0a4d55a8d778e5022fab701977c5d840bbc486d0", "malformed"],
    ["uppercase prefix", VECTOR.signature.replace("sha256=", "SHA256="), "malformed"],
    ["non-hex digest", "sha256=" + "zz".repeat(32), "malformed"],
    ["odd length digest", VECTOR.signature.slice(0, -1), "malformed"],
    ["prefix only", "sha256=", "malformed"],
    ["wrong secret", "sha256=" + "00".repeat(32), "mismatch"],
  ] as const)("rejects a %s signature", async (_label, header, reason) => {
    expect(await verifySignature(bytes(VECTOR.payload), header, [VECTOR.secret])).toEqual({ ok: false, reason });
  });

  it("rejects a body changed after signing", async () => {
    expect(await verifySignature(bytes("Hello, World?"), VECTOR.signature, [VECTOR.secret])).toEqual({ ok: false, reason: "mismatch" });
  });
});
