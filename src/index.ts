/**
 * The Worker's exports: HTTP, the Workflow classes, and the RPC entrypoint
 * @cloudflare/dynamic-workflows needs on `cloudflare:workers` exports. Wiring only.
 */
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { DynamicWorkflowBinding } from "@cloudflare/dynamic-workflows";
import { createApp } from "./edge";
import { runIngest, type IngestParams } from "./dispatch";

export { DynamicWorkflowBinding };

export class IngestWorkflow extends WorkflowEntrypoint<Cloudflare.Env, IngestParams> {
  override async run(event: WorkflowEvent<IngestParams>, step: WorkflowStep) {
    return runIngest(this.env, event.payload, step);
  }
}

export default createApp();
