export { verifySignature, sign } from "./webhook-signature";
export type { SignatureCheck, SignatureFailure } from "./webhook-signature";
export { KNOWN_EVENTS } from "./events";
