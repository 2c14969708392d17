/**
 * The Worker's exports: HTTP, the cron trigger, the Workflow classes, and the
 * RPC entrypoints (@cloudflare/dynamic-workflows' binding wrapper and the
 * tenants' GitHub gateway, both reached through `cloudflare:workers` exports).
 * Wiring only.
 */
import { WorkerEntrypoint, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { createDynamicWorkflowEntrypoint, DynamicWorkflowBinding } from "@cloudflare/dynamic-workflows";
import { createApp } from "./edge";
import { executeRun, gatewayFetch, recoverNow, runIngest, type GatewayProps, type IngestParams, type RunEvent, type RunMetadata } from "./dispatch";

export { DynamicWorkflowBinding };

export class IngestWorkflow extends WorkflowEntrypoint<Cloudflare.Env, IngestParams> {
  override async run(event: WorkflowEvent<IngestParams>, step: WorkflowStep) {
    return runIngest(this.env, event.payload, step);
  }
}

// The class_name of the WORKFLOWS binding: every run enters here and executes its pinned bundle.
export const DynamicWorkflow = createDynamicWorkflowEntrypoint<Cloudflare.Env>(({ env, metadata }) => ({
  run: (event, step) => executeRun(env, metadata as RunMetadata, event as unknown as RunEvent, step as WorkflowStep),
}));

export class GitHubGateway extends WorkerEntrypoint<Cloudflare.Env, GatewayProps> {
  override fetch(request: Request): Promise<Response> {
    return gatewayFetch(this.env, this.ctx.props, request);
  }
}

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller: ScheduledController, env: Cloudflare.Env, ctx: ExecutionContext) {
    ctx.waitUntil(recoverNow(env));
  },
} satisfies ExportedHandler<Cloudflare.Env>;
