/**
 * What the durable ingest run does with one delivery. The Workflow class in
 * src/index.ts is a thin shell over runIngest, so tests can drive it with
 * their own step. Every step body is idempotent: a step interrupted by a
 * process death runs again on resume (measured: at-least-once).
 *
 * Which code runs: always the default branch's HEAD, for every event. That is
 * the pull_request_target-safe choice: code from a fork's pull request never
 * runs with the repository's token.
 */
import { readConfig, type ConfigEnv } from "../config";
import { NonRetryableError } from "cloudflare:workflows";
import { appIdentity, createGitHubClient, MissingAppCredentialsError, PrivateKeyFormatError, resolveDefaultBranchHead, type GitHubClient } from "../github";
import { DISPATCH_EVENT, type CommandManifest, type WorkflowManifestEntry } from "../runtime";
import { deleteInstallation, finishIngestDelivery, getRun, noteRunLineage, forgetRepoHeadsStatement, recordRepoHead, updateRepositories, upsertInstallation, writeAppFact, type DeliveryOutcome, type OutcomeDiagnostic } from "../store";
import { cancelRun, rerunFromFailedStep, rerunRun } from "./controls";
import { keepPayload } from "./delivery";
import { ingestInstanceOf } from "./inbox-kept";
import { CANCEL_ACTION, RERUN_FAILED_ACTION } from "./run-checks";
import { indexedBundle, prepareBundle, type PreparedBundle } from "./bundles";
import { reportCompile } from "./compile-checks";
import { evaluateIf, startRun, type RunSource, type StartEnv } from "./start-runs";
import { isButtonId, pressButton, roleLookup, wakeWaits, type WaitsEnv } from "./waits";
import { failIfCheck } from "./if-failure";
import { causedBySelf, OWN_ECHO, sentByABot } from "./self-events";
import { patientSteps, type EngineIngestStep, type StepLike } from "./ingest-retries";
import { headShaOf, matchWorkflow, pushTouchesWorkflows } from "./triggers";
import { defaultBranchPush, isControl } from "./triage";
import { eventFacts, type EventFacts } from "./event-facts";
import { checkInputs, findDispatchable, parseRunCommand } from "./dispatch-inputs";
import type { ParsedCommand } from "./commands";
import { authorizeCommand, reactToComment, replyToCommand } from "./command-runs";
import { permissionGaps, subscriptionProblems } from "./trigger-checks";
import { schedulerOf, schedulesOf } from "./scheduler";
import { laneOf, lanesOf, type RunLane } from "./lanes";
import { durationMs } from "./durations";
import { botLoginFact } from "./inbox";
import type { ControlParams, Delivery, IngestHint, IngestParams } from "./types";

export interface IngestEnv extends StartEnv, ConfigEnv, WaitsEnv {
  SCHEDULER: DurableObjectNamespace;
  INBOX: DurableObjectNamespace;
  LANES: DurableObjectNamespace;
  BLOBS: R2Bucket;
  INGEST: Workflow<IngestParams>;
  CONTROLS: Workflow<ControlParams>;
}


export class MissingPayloadError extends Error {
  override readonly name = "MissingPayloadError";
  constructor(key: string) {
    super(`repoflow: the stored payload ${key} is gone from the BLOBS bucket. Redeliver the webhook from the GitHub App's "Advanced" settings.`);
  }
}

export interface IngestOutcome {
  event: string;
  handled: string[];
  started: string[];
  /** Why the delivery started nothing on purpose, when it did not. */
  ignored?: string;
}

/** What one repository event did, as the ledger keeps it (DeliveryOutcome) for replay and the dashboard. */
type Dispatched = Omit<DeliveryOutcome, "started"> & { started: string[]; /** The event is kept in R2 (runs started from it). */ keep?: boolean };

function diagnosticsOf(bundle: PreparedBundle): OutcomeDiagnostic[] {
  return bundle.diagnostics.map(({ file, line, column, message, severity }) => ({ ...(file ? { file } : {}), ...(line ? { line } : {}), ...(column ? { column } : {}), message, severity }));
}

export { OWN_ECHO };

/** How long the inbox's hint (HEAD, bundle, waits) stands for a delivery's ingest. */
const HINT_FRESH_MS = 10 * 60_000;

export async function runIngest(env: IngestEnv, params: IngestParams, engineStep: EngineIngestStep): Promise<IngestOutcome> {
  const { delivery } = params;
  const step = patientSteps(engineStep, env.DB, delivery.id);
  const payload = "payload" in params ? params.payload : await loadPayload(env.BLOBS, params.payloadKey);
  const outcome: IngestOutcome = { event: delivery.action ? `${delivery.event}.${delivery.action}` : delivery.event, handled: [], started: [] };
  let record: DeliveryOutcome = { started: [], woke: [], notes: [] };

  if (delivery.event === "installation" || delivery.event === "installation_repositories") {
    await step.do("sync installation", async () => {
      await syncInstallation(env.DB, delivery.event, payload as InstallationPayload);
      // Installed again, suspended, repositories added or removed: what the inbox knew of them is asked of GitHub again.
      const installationId = (payload as InstallationPayload).installation?.id;
      if (typeof installationId === "number") await forgetRepoHeadsStatement(env.DB, installationId).run();
    });
    outcome.handled.push("installation");
    record.ignored = "an installation event: repoflow updated the installation's repositories; it starts no run";
  } else if (delivery.installationId !== null && delivery.repository !== null) {
    // A delivery redelivered or recovered long after the inbox decided it: what the inbox knew then is not taken for now.
    const hint = params.hint && Date.now() - Date.parse(delivery.receivedAt) < HINT_FRESH_MS ? params.hint : undefined;
    // Decided again after its runs started from older code (inbox-kept.ts): its waits were woken and those workflows judged.
    const judged = params.reconsidered && params.reconsidered.decided !== "ignored" ? params.reconsidered.judged : undefined;
    const dispatched = await dispatchRepositoryEvent(env, step, delivery as RepositoryDelivery, payload, hint, judged);
    outcome.started = dispatched.started;
    if (dispatched.ignored) outcome.ignored = dispatched.ignored;
    outcome.handled.push("workflows");
    record = dispatched;
  } else {
    record.ignored = `a ${delivery.event} event names no repository; workflows run on repository events`;
  }

  const { keep, ...kept } = record as Dispatched;
  await step.do("mark processed", async () => {
    if (keep) await keepPayload(env.BLOBS, delivery.id, payload);
    // Merged with what an earlier decision of the delivery did (inbox-kept.ts); processed only if the row is this ingest's.
    await finishIngestDelivery(env.DB, delivery.id, await ingestInstanceOf(params), kept);
  });
  return outcome;
}

type RepositoryDelivery = Delivery & { installationId: number; repository: string };

/** Missing or unreadable App credentials will not fix themselves between retries. */
function credentialsFinal<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof MissingAppCredentialsError || error instanceof PrivateKeyFormatError) throw new NonRetryableError(error.message);
    throw error;
  }
}

async function dispatchRepositoryEvent(
  env: IngestEnv,
  step: StepLike,
  delivery: RepositoryDelivery,
  payload: unknown,
  hint: IngestHint | undefined,
  judged: readonly string[] | undefined,
): Promise<Dispatched> {
  const github = () =>
    credentialsFinal(() =>
      createGitHubClient(readConfig(env), {
        as: { type: "installation", installationId: delivery.installationId, repository: delivery.repository },
        deliveryId: delivery.id,
      }),
    );

  // Roles asked of GitHub once per delivery, whichever wait, button or command needs them.
  const roleOf = roleLookup(github, delivery.repository);
  const ownEcho = !delivery.rerunOf && (await isOwnEcho(env, step, delivery, payload));
  const result: Dispatched = { started: [], woke: [], notes: [] };
  if (!delivery.rerunOf && !ownEcho) {
    // The inbox offered the event to the waits already (the registry keeps it for a wait filed later): none may take it.
    if (hint?.waitCandidates !== 0 && !judged) {
      const woken = await step.do("wake waiting runs", () => wakeWaits(env, delivery, payload, roleOf));
      // Results memoized before waits carried names have none; the run ids still say who woke.
      result.woke = woken.waits ?? woken.woken.map((runId) => ({ runId, wait: "" }));
      for (const refused of woken.refused ?? []) {
        result.notes.push({ workflow: `run ${refused.runId}`, note: `its wait "${refused.wait}" needs ${refused.needs} access, which @${refused.actor ?? "the sender"} does not have, so it goes on waiting` });
      }
    }
    if (isControl(delivery, payload) && (await step.do("handle check run controls", () => handleCheckRunControl(env, delivery, payload, roleOf)))) {
      return { ...result, ignored: "a control on a repoflow check run (a button, or Re-run): handled by repoflow itself" };
    }
  }
  // A push repoflow made still compiles what it pushed (below); any other echo needs nothing more.
  if (ownEcho && delivery.event !== "push") return { ...result, ignored: OWN_ECHO };

  const where = { installationId: delivery.installationId, repository: delivery.repository };
  const indexed = hint?.head && defaultBranchPush(delivery, payload) === null ? hint.head : undefined;
  let head: HeadSeen;
  let bundle: PreparedBundle;
  if (indexed) {
    // The inbox's settled index names HEAD and its bundle: D1 alone, no GitHub call before the runs start.
    head = { sha: indexed.commitSha, fromPush: false, observedAt: indexed.observedAt, fromGitHub: false };
    bundle = await step.do("find the bundle", async () => {
      const found = await indexedBundle(env, indexed.sourceKey);
      if (found) return found;
      const prepared = await prepareBundle(env, github(), { ...where, commitSha: indexed.commitSha });
      await recordRepoHead(env.DB, { ...where, commitSha: indexed.commitSha, sourceKey: prepared.sourceKey ?? null, observedAt: indexed.observedAt, fromGitHub: false });
      return prepared;
    });
  } else {
    head = await step.do("resolve default branch", () => workflowsCommit(github(), delivery, payload));
    const seen = head;
    bundle = await step.do("compile .workflows", async () => {
      const prepared = await prepareBundle(env, github(), { ...where, commitSha: seen.sha });
      // What the inbox decides the next events with (triage.ts); an older sighting never replaces a newer one.
      if (prepared.sourceKey !== undefined && seen.observedAt !== undefined) {
        await recordRepoHead(env.DB, { ...where, commitSha: seen.sha, sourceKey: prepared.sourceKey, observedAt: seen.observedAt, fromGitHub: seen.fromGitHub ?? false });
      }
      return prepared;
    });
  }

  const isDefaultBranchPush = delivery.event === "push" && head.fromPush;
  if (isDefaultBranchPush && !delivery.rerunOf && bundle.hash !== "" && (bundle.compiled || pushTouchesWorkflows(payload))) {
    await step.do("report compile", async () => {
      // Events the App is not subscribed to never arrive: said on the compile check, not stored with the bundle (the App's settings can change).
      const app = await credentialsFinal(() => appIdentity(readConfig(env), { deliveryId: delivery.id }));
      const warnings = [...subscriptionProblems(bundle.workflows, app.events), ...permissionGaps(bundle.workflows, app.permissions)];
      return reportCompile(env, { installationId: delivery.installationId, repository: delivery.repository, commitSha: head.sha, deliveryId: delivery.id }, { ...bundle, diagnostics: [...bundle.diagnostics, ...warnings] });
    });
  }
  // The default branch's schedules follow its HEAD: a new bundle (or none, or a broken one) replaces them.
  if (!delivery.rerunOf && (bundle.compiled || isDefaultBranchPush)) {
    await step.do("sync schedules", () =>
      schedulerOf(env, delivery.repository).sync({ repository: delivery.repository, installationId: delivery.installationId }, bundle.ok ? schedulesOf(bundle.workflows) : []),
    );
  }
  result.bundle = { hash: bundle.hash, commitSha: head.sha, ok: bundle.ok, diagnostics: diagnosticsOf(bundle) };
  if (ownEcho) return { ...result, ignored: OWN_ECHO };
  if (bundle.hash === "") return { ...result, ignored: `the default branch has no .workflows/ folder at ${head.sha.slice(0, 7)}` };
  if (!bundle.ok) return { ...result, ignored: `the .workflows/ bundle at ${head.sha.slice(0, 7)} did not compile, so no workflow runs until it does` };

  const source: RunSource = {
    delivery,
    payload,
    installationId: delivery.installationId,
    repository: delivery.repository,
    bundleHash: bundle.hash,
    commitSha: head.sha,
    headSha: headShaOf(delivery.event, payload) ?? head.sha,
  };
  const rerun = delivery.rerunOf;
  const facts = eventFacts(delivery, payload);
  // A re-run replays the original event: its command, if it had one, is read from it again.
  const chosen = rerun
    ? bundle.workflows.filter((w) => w.file === rerun.workflow).map((workflow) => ({ workflow, match: matchWorkflow(workflow, facts) ?? { via: "event" as const } }))
    : bundle.workflows.flatMap((workflow) => {
        // Judged by an earlier decision from older code (a delivery decided again): started or declined then.
        if (judged?.includes(workflow.file)) return [];
        const match = matchWorkflow(workflow, facts);
        return match ? [{ workflow, match }] : [];
      });
  // A delivery decided again had its `/run` command taken by its first decision.
  const runCommand = rerun || judged ? undefined : facts.commands.find((c) => c.name === RUN_COMMAND.name);
  if (chosen.length === 0 && !runCommand) {
    if (result.woke.length > 0) return result;
    const on = delivery.action ? `${delivery.event}.${delivery.action}` : delivery.event;
    return { ...result, ignored: bundle.workflows.length === 0 ? "the bundle has no workflows" : `no workflow is triggered by ${on} (${bundle.workflows.length} workflow${bundle.workflows.length === 1 ? "" : "s"} looked at)` };
  }
  // Kept for re-runs and the dashboard (a re-run replays the event that started the original run): after the
  // runs start, in the step that marks the delivery processed, unless a debounced run will read it first.
  if (chosen.some(({ workflow }) => workflow.debounce)) await step.do("keep the event", () => keepPayload(env.BLOBS, delivery.id, payload));
  result.keep = true;

  const started = result.started;
  const note = (workflow: WorkflowManifestEntry, text: string) => result.notes.push({ workflow: workflow.file, note: text });
  for (const { workflow, match } of chosen) {
    const command = match.via === "command" ? match.command : undefined;
    // Who may give a command is decided before anything else; a re-run is asked for by a person who may.
    if (command && workflow.command && !rerun) {
      const manifest = workflow.command;
      const decision = await step.do(`authorize ${command.name} for ${workflow.file}`, () => authorizeCommand(manifest, command, facts, roleOf));
      if (!decision.ok) {
        await step.do(`refuse ${command.name} for ${workflow.file}`, () => replyToCommand(github(), delivery.repository, commentOf(payload), decision.reason));
        note(workflow, `${command.name} was refused: ${decision.reason}`);
        continue;
      }
    }
    // A re-run is asked for by a person: it starts whatever the workflow's `if` would say, in no lane.
    const decision = rerun ? { start: true as const } : await shouldStart(env, step, { ...source, command }, workflow);
    if (!decision.start) {
      note(workflow, decision.why ?? "its `if` said no");
      continue;
    }
    if (workflow.debounce && typeof decision.debounce === "string") {
      const { period, maxWait } = workflow.debounce;
      const lane = laneOf(workflow.file, decision.debounce);
      const received = Date.parse(delivery.receivedAt);
      // The payload stays in R2 under the delivery ("keep the event"): the lane keeps the rest until its run is due.
      const { payload: _payload, ...rest } = { ...source, command };
      await step.do(`debounce ${workflow.file}`, () =>
        lanesOf(env, delivery.repository).absorb(lane, { workflow, source: rest, deliveryId: delivery.id, receivedAt: received }, durationMs(period), maxWait === null ? durationMs(period) * 10 : durationMs(maxWait)),
      );
      note(workflow, `debounced: its run starts on the last event of the burst, ${String(period)} after it at the latest`);
      continue;
    }
    const lane: RunLane | undefined =
      workflow.concurrency && typeof decision.concurrency === "string"
        ? { lane: laneOf(workflow.file, decision.concurrency), mode: workflow.concurrency.cancelInProgress ? "cancel" : "queue", receivedAt: Date.parse(delivery.receivedAt) }
        : undefined;
    if (command && !rerun) await step.do(`acknowledge ${command.name} for ${workflow.file}`, () => reactToComment(github(), delivery.repository, commentOf(payload).id, "eyes"));
    // A manual run's inputs were checked when it was asked for; the workflow at HEAD may declare others now.
    let runSource: RunSource = { ...source, command, lane };
    if (match.via === "dispatch") {
      const checked = checkInputs(workflow.dispatch?.inputs ?? {}, ((payload as { inputs?: Record<string, unknown> }).inputs ?? {}) as Record<string, unknown>);
      if (!checked.ok) return { ...result, ignored: `the inputs no longer fit ${workflow.file}: ${checked.problems.join(" ")}` };
      runSource = { ...runSource, payload: { ...(payload as object), inputs: checked.values } };
    }
    const run = await step.do(`start ${workflow.file}`, () => startRun(env, runSource, workflow));
    started.push(run.runId);
    if (lane?.mode === "cancel") await supersedeOlder(env, step, delivery.repository, lane, run.runId);
  }
  if (runCommand) {
    const run = await runByComment(env, step, { github, roleOf, source, facts, payload, command: runCommand, workflows: bundle.workflows });
    if (run) started.push(run);
    else result.notes.push({ workflow: "/run", note: "the /run command was refused (the reply on the comment says why)" });
  }
  if (indexed && Date.now() - indexed.confirmedAt > CONFIRM_HEAD_EVERY_MS) {
    // Off the critical path: a push GitHub failed to deliver would leave the index behind until it is redelivered.
    await step.do("confirm default branch", () => confirmHead(env, github(), where, indexed));
  }
  return result;
}

/** How often a run's start asks GitHub whether the indexed HEAD is still HEAD (after the runs started). */
const CONFIRM_HEAD_EVERY_MS = 5 * 60_000;

async function confirmHead(env: IngestEnv, octokit: GitHubClient, where: { installationId: number; repository: string }, indexed: NonNullable<IngestHint["head"]>): Promise<{ sha: string }> {
  const [owner = "", repo = ""] = where.repository.split("/");
  const observedAt = Date.now();
  const { sha } = await resolveDefaultBranchHead(octokit, { owner, repo });
  const sourceKey = sha === indexed.commitSha ? indexed.sourceKey : ((await prepareBundle(env, octokit, { ...where, commitSha: sha })).sourceKey ?? null);
  await recordRepoHead(env.DB, { ...where, commitSha: sha, sourceKey, observedAt, fromGitHub: true });
  return { sha };
}

/** Where the default branch was seen, and how: ordering and settling in the index depend on it (store/repo-heads.ts). */
interface HeadSeen {
  sha: string;
  fromPush: boolean;
  /** Absent from results memoized before the index existed. */
  observedAt?: number;
  fromGitHub?: boolean;
}

/** `/run` in a comment: who may give it, like any command. */
const RUN_COMMAND: CommandManifest = { name: "/run", from: { role: "write" }, args: { min: 1, max: 20 }, usage: "/run <workflow> [name=value …]" };

/**
 * `/run <workflow> name=value …` by a writer starts a manual run of a workflow
 * that declares `on.dispatch`, as the dashboard's Run button does. The run
 * sees a dispatch event; the comment gets 👀, then 🚀 or 😕.
 */
async function runByComment(
  env: IngestEnv,
  step: StepLike,
  context: { github: () => GitHubClient; roleOf: ReturnType<typeof roleLookup>; source: RunSource; facts: EventFacts; payload: unknown; command: ParsedCommand; workflows: WorkflowManifestEntry[] },
): Promise<string | null> {
  const { github, roleOf, source, facts, payload, command, workflows } = context;
  const repository = source.repository;
  const refuse = (reason: string) => step.do(`refuse /run`, () => replyToCommand(github(), repository, commentOf(payload), reason));
  const decision = await step.do("authorize /run", () => authorizeCommand(RUN_COMMAND, command, facts, roleOf));
  if (!decision.ok) return refuse(decision.reason).then(() => null);
  const parsed = parseRunCommand(command.args);
  if ("problem" in parsed) return refuse(`@${facts.actor}, ${parsed.problem}`).then(() => null);
  const workflow = findDispatchable(workflows, parsed.workflow);
  if (!workflow) {
    const names = workflows.filter((w) => w.dispatch).map((w) => `\`${w.file.replace(/^\.workflows\//, "").replace(/\.ts$/, "")}\``);
    return refuse(`@${facts.actor}, no workflow here called \`${parsed.workflow}\` can be run by hand${names.length ? `; these can: ${names.join(", ")}` : " (none declares on.dispatch)"}.`).then(() => null);
  }
  const checked = checkInputs(workflow.dispatch?.inputs ?? {}, parsed.inputs, true);
  if (!checked.ok) return refuse(`@${facts.actor}, ${workflow.name} cannot start: ${checked.problems.join(" ")}`).then(() => null);
  await step.do(`acknowledge /run ${workflow.file}`, () => reactToComment(github(), repository, commentOf(payload).id, "eyes"));
  const dispatch: RunSource = {
    ...source,
    delivery: { ...source.delivery, event: DISPATCH_EVENT, action: null },
    payload: { workflow: workflow.file, inputs: checked.values, sender: { login: facts.actor ?? "unknown" }, comment: (payload as { comment?: unknown }).comment, repository: (payload as { repository?: unknown }).repository },
    command,
  };
  const run = await step.do(`start ${workflow.file}`, () => startRun(env, dispatch, workflow));
  return run.runId;
}

/** The comment of an issue_comment payload, as a command trigger needs it. */
function commentOf(payload: unknown): { issueNumber: number; id: number; createdAt: string } {
  const p = payload as { issue?: { number?: number }; comment?: { id?: number; created_at?: string } };
  return { issueNumber: p.issue?.number ?? 0, id: p.comment?.id ?? 0, createdAt: p.comment?.created_at ?? new Date(0).toISOString() };
}

/** The App id is known from config; the bot's login costs a lookup, made only when a bot sent the event. */
async function isOwnEcho(env: IngestEnv, step: StepLike, delivery: RepositoryDelivery, payload: unknown): Promise<boolean> {
  const config = readConfig(env);
  const appId = Number(config.appId);
  if (causedBySelf(delivery.event, delivery.action, payload, { appId, botLogin: null })) return true;
  if (!sentByABot(payload)) return false;
  return step.do("check the sender", async () => {
    const { botLogin } = await credentialsFinal(() => appIdentity(config, { deliveryId: delivery.id }));
    // The inbox recognises the App's bot by it from now on, without a Workflow (triage.ts).
    await writeAppFact(env.DB, botLoginFact(appId), botLogin);
    return causedBySelf(delivery.event, delivery.action, payload, { appId, botLogin });
  });
}

type StartDecision = { start: false; why?: string } | { start: true; concurrency?: string | null; debounce?: string | null };

async function shouldStart(env: IngestEnv, step: StepLike, source: RunSource, workflow: WorkflowManifestEntry): Promise<StartDecision> {
  if (!workflow.hasIf && !workflow.concurrency && !workflow.debounce) return { start: true };
  // Memoized: an `if` or a key may look at the clock or at randomness, and must decide once.
  const decision = await step.do(`evaluate if of ${workflow.file}`, () => evaluateIf(env, source, workflow));
  if ("error" in decision) {
    await step.do(`report if failure of ${workflow.file}`, () => failIfCheck(env, source, workflow, decision.error.message));
    return { start: false, why: `its \`if\` threw: ${decision.error.message.split("\n")[0]}` };
  }
  if (!decision.run) return { start: false, why: "its `if` said no" };
  return { start: true, ...(decision.concurrency !== undefined ? { concurrency: decision.concurrency } : {}), ...(decision.debounce !== undefined ? { debounce: decision.debounce } : {}) };
}

/** cancelInProgress: the older runs of the lane are cancelled, saying which run superseded them (or this one is, when it is the older). */
async function supersedeOlder(env: IngestEnv, step: StepLike, repository: string, lane: RunLane, runId: string): Promise<void> {
  const { cancel } = await step.do(`supersede in ${lane.lane.split("\n")[0]}`, () => lanesOf(env, repository).supersede(lane.lane, runId, lane.receivedAt));
  for (const older of cancel) {
    const by = older === runId ? "a run for a newer event" : runId;
    await step.do(`cancel ${older} (superseded)`, async () => {
      await noteRunLineage(env.DB, older, `Superseded by ${by}.`);
      if (older !== runId) await noteRunLineage(env.DB, runId, `Superseded ${older}.`);
      await cancelRun(env, older, `Superseded by ${by}.`);
    });
  }
}

/** The default branch's HEAD; a push to the default branch names it already, saving an API call. */
async function workflowsCommit(octokit: GitHubClient, delivery: RepositoryDelivery, payload: unknown): Promise<HeadSeen> {
  const pushed = defaultBranchPush(delivery, payload);
  const repository = (payload as { repository?: { default_branch?: string } }).repository;
  // GitHub's time of the push, so a late redelivery of an old push is ordered where it happened.
  if (pushed !== null) return { sha: pushed.sha, fromPush: true, observedAt: pushed.at, fromGitHub: false };
  const [owner = "", repo = ""] = delivery.repository.split("/");
  const observedAt = Date.now();
  const { sha } = await resolveDefaultBranchHead(octokit, { owner, repo }, repository?.default_branch);
  return { sha, fromPush: false, observedAt, fromGitHub: true };
}

/**
 * GitHub's buttons on repoflow's own check runs: "Re-run" (check_run.rerequested)
 * and the "Cancel" action (check_run.requested_action). Returns true when the
 * event was one of those and is fully handled.
 */
async function handleCheckRunControl(env: IngestEnv, delivery: RepositoryDelivery, payload: unknown, roleOf: ReturnType<typeof roleLookup>): Promise<boolean> {
  if (delivery.event !== "check_run") return false;
  const p = payload as { check_run?: { external_id?: string | null }; requested_action?: { identifier?: string } };
  const runId = p.check_run?.external_id;
  if (!runId?.startsWith("run-")) return false;
  const run = await getRun(env.DB, runId);
  if (!run || run.repository !== delivery.repository) return false;
  if (delivery.action === "rerequested") {
    // The click's own delivery id names the re-run: a retried step or a redelivered click starts one.
    await rerunRun(env, runId, delivery.id);
    return true;
  }
  if (delivery.action === "requested_action" && p.requested_action?.identifier === CANCEL_ACTION) {
    await cancelRun(env, runId);
    return true;
  }
  if (delivery.action === "requested_action" && isButtonId(p.requested_action?.identifier ?? "")) {
    await pressButton(env, delivery, payload, roleOf);
    return true;
  }
  if (delivery.action === "requested_action" && p.requested_action?.identifier === RERUN_FAILED_ACTION) {
    // A second click, or a redelivered one, finds the run running again: nothing more to do.
    await rerunFromFailedStep(env, runId).catch((error: unknown) => {
      if ((error as { name?: unknown }).name !== "NoFailedStepError") throw error;
    });
    return true;
  }
  return false;
}

async function loadPayload(blobs: R2Bucket, key: string): Promise<unknown> {
  const object = await blobs.get(key);
  if (!object) throw new MissingPayloadError(key);
  return object.json();
}

interface RepositoryRef {
  id: number;
  full_name: string;
  private: boolean;
}

/** The fields of installation and installation_repositories payloads that the store keeps. */
interface InstallationPayload {
  action: string;
  installation: {
    id: number;
    account: { login?: string; slug?: string; type?: string } | null;
    repository_selection?: string;
    suspended_at?: string | null;
    target_type?: string;
  };
  repositories?: RepositoryRef[];
  repositories_added?: RepositoryRef[];
  repositories_removed?: Pick<RepositoryRef, "id">[];
}

async function syncInstallation(db: D1Database, event: string, payload: InstallationPayload): Promise<void> {
  const { installation } = payload;
  if (event === "installation" && payload.action === "deleted") {
    await deleteInstallation(db, installation.id);
    return;
  }
  await upsertInstallation(db, {
    id: installation.id,
    // Enterprise installations have a slug instead of a login.
    accountLogin: installation.account?.login ?? installation.account?.slug ?? String(installation.id),
    accountType: installation.account?.type ?? installation.target_type ?? "unknown",
    repositorySelection: installation.repository_selection ?? null,
    suspendedAt: installation.suspended_at ?? null,
  });
  const toRepo = (repo: RepositoryRef) => ({ id: repo.id, fullName: repo.full_name, private: repo.private });
  const added = [...(payload.repositories ?? []), ...(payload.repositories_added ?? [])].map(toRepo);
  const removed = (payload.repositories_removed ?? []).map((repo) => repo.id);
  await updateRepositories(db, installation.id, { added, removed });
}
