export { createApp } from "./app";
export { MAX_WEBHOOK_BYTES } from "./webhook";
