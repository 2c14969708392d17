/**
 * The chaos harness as a function (`npm run chaos` is its CLI; the e2e test
 * calls it directly): per mode, a fresh local stack (emulator + `wrangler
 * dev`, one at a time), N rounds of one delivery then a SIGKILL of the whole
 * service 0–maxKillMs after the 202 and a restart on the same state, then a
 * bounded wait for everything to come to rest and the checks.
 *
 * Faults, when on, are injected before the first round and stay on through
 * the quiescence wait and the checks: the service has to finish under them.
 * The stack is closed on every path out, SIGINT and SIGTERM included.
 */
import { createHash } from "node:crypto";
import { createWriteStream, readdirSync, readFileSync, rmSync, statSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../../test/support/service.ts";
import { startStack, type Stack } from "../../test/support/stack.ts";
import { check, failedChecks, waitForQuiescence } from "./checks.ts";
import { faultHits, injectFaults, killAndRestart } from "./killer.ts";
import { details, table, type ModeResult } from "./report.ts";
import { createWorkload, planRounds, type SentRecord } from "./workload.ts";

export interface ChaosOptions {
  rounds: number;
  seed: number;
  /** One mode per entry: the fraction of GitHub requests that fail (0 = no faults). */
  faultRates: number[];
  /** The kill falls uniformly in 0–maxKillMs after the webhook's answer (default 8000). */
  maxKillMs?: number;
  /** How long after the last restart everything may take to come to rest (default 120 000). */
  quiescenceMs?: number;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
  /** Also hand every wrangler output line here (it always goes to the mode's log file). */
  serviceLog?: (line: string) => void;
  /** When to keep the `wrangler dev` state directory for a look afterwards (default: when a zero-check fails). */
  keepState?: "always" | "on-failure" | "never";
}

export async function runChaos(options: ChaosOptions): Promise<ModeResult[]> {
  const results: ModeResult[] = [];
  let current: Stack | undefined;
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    options.progress?.(`chaos: ${signal}, closing the stack`);
    void (current ? current.close() : Promise.resolve()).finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    for (const rate of options.faultRates) {
      const result = await runMode(options, rate, (stack) => (current = stack));
      current = undefined;
      results.push(result);
      // Each mode's outcome as soon as it is known, so a later mode that cannot finish loses nothing.
      options.progress?.(`\n${table([result])}\n${details(result)}\n`);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return results;
}

async function runMode(options: ChaosOptions, rate: number, track: (stack: Stack) => void): Promise<ModeResult> {
  const say = options.progress ?? (() => undefined);
  const maxKillMs = options.maxKillMs ?? 8_000;
  const quiescenceBoundMs = options.quiescenceMs ?? 120_000;
  const mode: ModeResult["mode"] = rate > 0 ? `faults ${rate}` : "no faults";
  const plan = planRounds(options.seed, options.rounds, maxKillMs);
  const kinds: Record<string, number> = {};
  for (const round of plan) kinds[round.kind] = (kinds[round.kind] ?? 0) + 1;
  const logFile = join(tmpdir(), `repoflow-chaos-${options.seed}-${rate > 0 ? `faults-${rate}` : "no-faults"}-${process.pid}.log`);
  const log: WriteStream = createWriteStream(logFile);
  const serviceLog = (line: string) => {
    log.write(`${new Date().toISOString()} ${line}\n`);
    options.serviceLog?.(line);
  };
  const keep = (passed: boolean) => (options.keepState ?? "on-failure") === "always" || ((options.keepState ?? "on-failure") === "on-failure" && !passed);
  const started = Date.now();
  say(`chaos: ${mode}, seed ${options.seed}, ${options.rounds} rounds (${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(", ")}), kills 0–${maxKillMs} ms after each answer; wrangler log ${logFile}`);

  const sourceAtStart = sourceHash();
  const stack = await startStack({ log: serviceLog });
  track(stack);
  let stateDir: string | null = stack.service.persistDir;
  let passed = false;
  try {
    const workload = createWorkload();
    workload.setUp(stack);
    if (rate > 0) {
      injectFaults(stack, rate, options.seed);
      say(`chaos: ${Math.round(rate * 100)}% of GitHub requests fail (500/502, secondary rate limit 403 and 429 with retry-after 1–2 s, 2 s delays, resets); on until the checks are done`);
    }
    let lastReady = Date.now();
    const harnessNotes: string[] = [];
    for (const round of plan) {
      let sent: SentRecord | undefined;
      try {
        sent = await workload.send(stack, round);
      } catch (error) {
        workload.sent.push({ round: round.index, kind: round.kind, deliveryId: "-", httpStatus: 0, answer: `send failed: ${String(error)}`, expectedRuns: 0, sentAt: Date.now() });
      }
      log.write(`${new Date().toISOString()} ===== chaos round ${round.index + 1}: ${round.kind} ${sent?.deliveryId ?? ""}, kill after ${round.killAfterMs} ms =====\n`);
      const restart = await killAndRestart(stack, round.killAfterMs);
      lastReady = restart.readyAt;
      if (restart.portRetries > 0) harnessNotes.push(`round ${round.index + 1}: the restart found its port still taken ${restart.portRetries} time(s) and tried again (the harness's matter, not the service's)`);
      const what = sent ? `${sent.pr === undefined ? "" : `PR #${sent.pr} `}${sent.commitSha ? `${sent.commitSha.slice(0, 7)} ` : ""}→ ${sent.httpStatus} ${sent.answer}` : "not sent";
      say(`  round ${String(round.index + 1).padStart(3)}/${plan.length} ${round.kind.padEnd(12)} ${what}; killed after ${round.killAfterMs} ms, up again in ${(restart.downMs / 1000).toFixed(1)} s`);
      log.write(`${new Date().toISOString()} ===== chaos restart ready =====\n`);
    }

    say(`chaos: waiting (at most ${quiescenceBoundMs / 1000} s after the last restart) for every run to finish${rate > 0 ? ", faults still on" : ""}`);
    const restedAt = await waitForQuiescence(stack, workload.sent, lastReady + quiescenceBoundMs);
    const findings = await check(stack, workload.sent);
    findings.anomalies.push(...harnessNotes);
    if (sourceHash() !== sourceAtStart) {
      findings.anomalies.push("src/ changed while this mode ran: wrangler dev reloads on every save and each restart builds the tree as it is, so these findings may come from a half-made change");
    }
    passed = failedChecks(findings).length === 0;
    return {
      mode,
      seed: options.seed,
      rounds: plan.length,
      kinds,
      findings,
      quiescenceMs: restedAt === null ? null : restedAt - lastReady,
      quiescenceBoundMs,
      durationMs: Date.now() - started,
      faultHits: rate > 0 ? await faultHits(stack) : 0,
      githubRequests: stack.emulator.requests.length,
      logFile,
      stateDir: keep(passed) ? stateDir : null,
    };
  } finally {
    await stack.close();
    await new Promise((r) => log.end(r));
    if (!keep(passed) && stateDir) {
      rmSync(stateDir, { recursive: true, force: true });
      stateDir = null;
    }
  }
}

/** A digest of src/ as it is on disk: `wrangler dev` runs the working tree, not a commit. */
function sourceHash(): string {
  const hash = createHash("sha256");
  const src = join(ROOT, "src");
  for (const name of (readdirSync(src, { recursive: true }) as string[]).sort()) {
    const path = join(src, name);
    try {
      if (statSync(path).isFile()) hash.update(name).update(readFileSync(path));
    } catch {
      hash.update(`${name} vanished`); // deleted while we walked: that is a change too
    }
  }
  return hash.digest("hex");
}
