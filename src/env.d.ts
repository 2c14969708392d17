declare module "*.wasm" {
  const mod: WebAssembly.Module;
  export default mod;
}

declare namespace Cloudflare {
  interface Env {
    REPOFLOW_ENV?: string;
    WEBHOOK_SECRET?: string;
    WEBHOOK_SECRET_PREVIOUS?: string;
    APP_ID?: string;
    PRIVATE_KEY?: string;
    GITHUB_API_URL?: string;
    RETENTION_DAYS?: string;
    /** The GitHub App's OAuth client, for dashboard sign-in in production. */
    GITHUB_CLIENT_ID?: string;
    GITHUB_CLIENT_SECRET?: string;
    SESSION_SECRET?: string;
    DB: D1Database;
    BLOBS: R2Bucket;
    LOADER: WorkerLoader;
    INGEST: Workflow<import("./dispatch/types").IngestParams>;
    INBOX: DurableObjectNamespace<import("./index").DeliveryInbox>;
    RECOVERY: DurableObjectNamespace<import("./index").RecoveryCoordinator>;
    WAITS: DurableObjectNamespace<import("./index").WaitRegistry>;
    SCHEDULER: DurableObjectNamespace<import("./index").Scheduler>;
    LANES: DurableObjectNamespace<import("./index").Lanes>;
    WORKFLOWS: Workflow;
    CONTROLS: Workflow<import("./dispatch/types").ControlParams>;
  }
  interface GlobalProps {
    mainModule: typeof import("./index");
  }
}
