/**
 * The inbox's decision, on GitHub's own example payloads: what goes on to an
 * ingest Workflow and what is recorded as ignored without one (triage.ts).
 * The direction that must never be wrong is dropping an event that could
 * start a run, so most cases here are the ones that must go on.
 */
import { describe, expect, it } from "vitest";
import { eventFacts } from "../../src/dispatch/event-facts";
import { OWN_ECHO } from "../../src/dispatch/self-events";
import { applyHeadEffect, triage, type HeadEffect, type Triage, type TriageContext } from "../../src/dispatch/triage";
import type { Delivery } from "../../src/dispatch/types";
import type { RepoHead } from "../../src/store";
import { RUNTIME_VERSION, type WorkflowManifestEntry } from "../../src/runtime";
import { COMPILER_VERSION } from "../../src/compiler";
import { example, retarget } from "../support/payloads";

const REPO = "triage-org/app";
const APP_ID = 4242;

function workflow(file: string, on: WorkflowManifestEntry["on"], extra: Partial<WorkflowManifestEntry> = {}): WorkflowManifestEntry {
  return { file, name: file, on, hasIf: false, ...extra };
}

function head(workflows: WorkflowManifestEntry[], over: Partial<RepoHead> = {}): RepoHead {
  return {
    repository: REPO,
    installationId: 7,
    commitSha: "a".repeat(40),
    sourceKey: `tree:${COMPILER_VERSION}:${RUNTIME_VERSION}`,
    observedAt: 1_000,
    observedFrom: "github",
    pendingSha: null,
    pendingAt: null,
    confirmedAt: 1_000,
    bundle: { hash: "b".repeat(64), ok: true, manifest: workflows, diagnostics: [] },
    ...over,
  };
}

function decide(event: string, payload: Record<string, any>, context: Partial<TriageContext> = {}) {
  const delivery: Delivery = {
    id: crypto.randomUUID(),
    event,
    action: typeof payload.action === "string" ? payload.action : null,
    installationId: 7,
    repository: REPO,
    receivedAt: new Date().toISOString(),
  };
  const full: TriageContext = { appId: APP_ID, botLogin: "repoflow[bot]", head: head([workflow(".workflows/on-open.ts", { pull_request: ["opened"] })]), ...context };
  return triage(delivery, payload, eventFacts(delivery, payload), full);
}

function effectOf(verdict: Triage): HeadEffect {
  if (!("effect" in verdict) || !verdict.effect) throw new Error(`no effect in ${JSON.stringify(verdict)}`);
  return verdict.effect;
}

const at = (event: string, action?: string) => retarget(example(event, action), { fullName: REPO, installationId: 7 });

describe("triage: what costs no Workflow", () => {
  it("a comment no workflow is triggered by waits on the waits alone, and is ignored if none takes it", () => {
    const verdict = decide("issue_comment", at("issue_comment", "created"));
    expect(verdict).toMatchObject({ kind: "waits", reason: expect.stringMatching(/no workflow is triggered by issue_comment\.created \(1 workflow looked at\)/) });
  });

  it("repoflow's own check run completing is its own echo, offered to no wait (invariant 9)", () => {
    const payload = at("check_run", "completed");
    payload.check_run.app = { ...payload.check_run.app, id: APP_ID };
    expect(decide("check_run", payload)).toEqual({ kind: "ignored", reason: OWN_ECHO });
  });

  it("a delivery about no repository is ignored with the reason ingest gave", () => {
    const delivery: Delivery = { id: "x", event: "meta", action: "deleted", installationId: null, repository: null, receivedAt: new Date().toISOString() };
    expect(triage(delivery, {}, eventFacts(delivery, {}), { appId: APP_ID, botLogin: null, head: undefined })).toMatchObject({ kind: "ignored", reason: expect.stringMatching(/names no repository/) });
  });

  it("a repository without .workflows/ or with a broken bundle starts nothing", () => {
    expect(decide("issues", at("issues", "opened"), { head: head([], { sourceKey: null, bundle: null }) })).toMatchObject({ kind: "waits", reason: expect.stringMatching(/no \.workflows\/ folder/) });
    const broken = head([], { bundle: { hash: "c", ok: false, manifest: [], diagnostics: [] } });
    expect(decide("pull_request", at("pull_request", "opened"), { head: broken })).toMatchObject({ kind: "waits", reason: expect.stringMatching(/did not compile/) });
  });
});

describe("triage: what must reach ingest", () => {
  it("an event a workflow is triggered by, by event, command or label", () => {
    expect(decide("pull_request", at("pull_request", "opened"))).toMatchObject({ kind: "ingest", why: "it triggers .workflows/on-open.ts", offer: true });
    const comment = at("issue_comment", "created");
    comment.comment.body = "/deploy staging";
    const byCommand = head([workflow(".workflows/deploy.ts", {}, { command: { name: "/deploy", from: { role: "write" }, args: { min: 0, max: 5 }, usage: "/deploy" } })]);
    expect(decide("issue_comment", comment, { head: byCommand })).toMatchObject({ kind: "ingest" });
    const labeled = at("pull_request", "labeled");
    const byLabel = head([workflow(".workflows/automerge.ts", {}, { labeled: [String(labeled.label.name).toUpperCase()] })]);
    expect(decide("pull_request", labeled, { head: byLabel })).toMatchObject({ kind: "ingest" });
  });

  it("a /run comment, which names a workflow the index need not know", () => {
    const comment = at("issue_comment", "created");
    comment.comment.body = "/run release version=1.2";
    expect(decide("issue_comment", comment)).toMatchObject({ kind: "ingest", why: "a /run command" });
  });

  it("a push to the default branch that changes .workflows/ marks the index pending", () => {
    const push = at("push");
    push.ref = `refs/heads/${push.repository.default_branch}`;
    push.commits = [{ ...push.commits[0], added: [".workflows/new.ts"], modified: [], removed: [] }];
    const verdict = decide("push", push);
    expect(verdict).toMatchObject({ kind: "ingest", effect: { pending: { sha: push.after } } });
    // The next event of the repository, decided with the pending index, goes on too: GitHub is asked for HEAD.
    const pending = applyHeadEffect(head([workflow(".workflows/old.ts", { issues: ["opened"] })]), effectOf(verdict), REPO, 7);
    expect(decide("issue_comment", at("issue_comment", "created"), { head: pending })).toMatchObject({ kind: "ingest", why: "a push to the default branch is not built yet" });
  });

  it("a forced push, or one whose commits GitHub left out, is taken to change .workflows/", () => {
    const push = at("push");
    push.ref = `refs/heads/${push.repository.default_branch}`;
    push.commits = [{ ...push.commits[0], added: ["README.md"], modified: [], removed: [] }];
    push.forced = true;
    expect(decide("push", push)).toMatchObject({ kind: "ingest", effect: { pending: expect.anything() } });
    push.forced = false;
    push.commits = [];
    expect(decide("push", push)).toMatchObject({ kind: "ingest", effect: { pending: expect.anything() } });
  });

  it("a push repoflow's bot made is compiled when it changes .workflows/, but offered to no wait (invariant 9)", () => {
    const push = at("push");
    push.ref = `refs/heads/${push.repository.default_branch}`;
    push.sender = { login: "repoflow[bot]", type: "Bot" };
    push.commits = [{ ...push.commits[0], added: [".workflows/new.ts"], modified: [], removed: [] }];
    expect(decide("push", push)).toMatchObject({ kind: "ingest", offer: false, effect: { pending: { sha: push.after } } });
    push.commits = [{ ...push.commits[0], added: ["CHANGELOG.md"], modified: [], removed: [] }];
    push.before = "a".repeat(40);
    expect(decide("push", push)).toEqual({ kind: "ignored", reason: OWN_ECHO, effect: { advance: expect.objectContaining({ sha: push.after }) } });
  });

  it("a push to the default branch that leaves .workflows/ alone, on top of the indexed commit, advances HEAD and is matched like any event", () => {
    const push = at("push");
    push.ref = `refs/heads/${push.repository.default_branch}`;
    push.before = "a".repeat(40);
    push.commits = [{ ...push.commits[0], added: ["src/app.ts"], modified: [], removed: [] }];
    const verdict = decide("push", push);
    expect(verdict).toMatchObject({ kind: "waits", effect: { advance: { before: "a".repeat(40), sha: push.after } } });
    const moved = applyHeadEffect(head([]), effectOf(verdict), REPO, 7);
    expect(moved).toMatchObject({ commitSha: push.after, pendingSha: null });
  });

  it("a push that leaves .workflows/ alone but was made over a commit the index has not seen (one lost or late) is built again", () => {
    const push = at("push");
    push.ref = `refs/heads/${push.repository.default_branch}`;
    push.before = "c".repeat(40);
    push.commits = [{ ...push.commits[0], added: ["src/app.ts"], modified: [], removed: [] }];
    expect(decide("push", push)).toMatchObject({ kind: "ingest", effect: { pending: { sha: push.after } } });
  });

  it("an old push redelivered, or one overtaken by a newer push, does not move the index", () => {
    const newer = head([], { observedAt: 5_000_000, observedFrom: "push" });
    expect(applyHeadEffect(newer, { pending: { sha: "p".repeat(40), at: 4_000_000 } }, REPO, 7)).toBe(newer);
    const pending = head([], { pendingSha: "q".repeat(40), pendingAt: 6_000_000 });
    expect(applyHeadEffect(pending, { pending: { sha: "p".repeat(40), at: 5_500_000 } }, REPO, 7)).toBe(pending);
  });

  it("a bundle from an older build of repoflow is not judged from: ingest builds it again", () => {
    expect(decide("issue_comment", at("issue_comment", "created"), { head: head([], { sourceKey: "tree:old-compiler:old-runtime" }) })).toMatchObject({ kind: "ingest", why: expect.stringMatching(/older build/) });
  });

  it("an unknown or pending index, an installation event, a control, a re-run, repoflow's own events", () => {
    expect(decide("issues", at("issues", "opened"), { head: undefined })).toMatchObject({ kind: "ingest", why: "the default branch's bundle is not known yet" });
    const delivery: Delivery = { id: "i", event: "installation", action: "created", installationId: 7, repository: null, receivedAt: new Date().toISOString() };
    expect(triage(delivery, {}, eventFacts(delivery, {}), { appId: APP_ID, botLogin: null, head: undefined })).toMatchObject({ kind: "ingest" });
    const click = at("check_run", "rerequested");
    click.check_run.app = { ...click.check_run.app, id: APP_ID };
    click.check_run.external_id = "run-abc";
    expect(decide("check_run", click)).toMatchObject({ kind: "ingest", why: "a control on a repoflow check run" });
    expect(decide("schedule", { workflow: ".workflows/x.ts" })).toMatchObject({ kind: "ingest" });
    expect(decide("repository", at("repository", "renamed"))).toMatchObject({ kind: "ingest", effect: { pending: expect.anything() } });
  });

  it("a bot's event, while the App's own bot login is not known, is ingest's to judge and is not offered to waits", () => {
    const comment = at("issue_comment", "created");
    comment.sender = { login: "some-app[bot]", type: "Bot" };
    expect(decide("issue_comment", comment, { botLogin: null })).toMatchObject({ kind: "ingest", offer: false });
    // Once it is known, another App's comment is an event like any other.
    expect(decide("issue_comment", comment)).toMatchObject({ kind: "waits" });
    comment.sender = { login: "repoflow[bot]", type: "Bot" };
    expect(decide("issue_comment", comment)).toEqual({ kind: "ignored", reason: OWN_ECHO });
  });

  it("a payload kept in R2 (over 900 KB) goes on unread", () => {
    const delivery: Delivery = { id: "big", event: "pull_request", action: "opened", installationId: 7, repository: REPO, receivedAt: new Date().toISOString() };
    expect(triage(delivery, undefined, null, { appId: APP_ID, botLogin: null, head: head([]) })).toMatchObject({ kind: "ingest" });
  });
});

describe("applyHeadEffect", () => {
  it("never advances over a pending push, or from a commit it does not hold", () => {
    const before = "a".repeat(40);
    const pending = head([], { pendingSha: "p".repeat(40), pendingAt: 5 });
    expect(applyHeadEffect(pending, { advance: { before, sha: "q".repeat(40), at: 9 } }, REPO, 7)).toBe(pending);
    const elsewhere = head([], { observedAt: 1 });
    expect(applyHeadEffect(elsewhere, { advance: { before: "c".repeat(40), sha: "q".repeat(40), at: 9 } }, REPO, 7)).toBe(elsewhere);
    expect(applyHeadEffect(undefined, { pending: { sha: "p", at: 3 } }, REPO, 7)).toMatchObject({ pendingSha: "p", bundle: null });
  });
});
