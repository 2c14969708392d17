import examples from "@octokit/webhooks-examples/api.github.com/index.json";
import { afterEach, expect, it, vi } from "vitest";
import { deliver } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

it("answers a webhook with 202 without making any outbound request (invariant 1)", async () => {
  // A pull_request for an installed repository: everything after the 202 (resolving the
  // default branch, fetching .workflows/, compiling) needs GitHub; the answer itself must not.
  const opened = examples.find((e) => e.name === "pull_request")!.examples.find((p) => (p as { action?: string }).action === "opened") as Record<string, unknown>;
  const payload = { ...opened, installation: { id: 4242 } };
  const outbound = vi.spyOn(globalThis, "fetch");
  const res = await deliver({ event: "pull_request", payload });
  expect(res.status).toBe(202);
  expect(outbound).not.toHaveBeenCalled();
});
