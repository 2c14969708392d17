// `npm run chaos -- --rounds N [--seed S] [--faults RATE] [--max-kill-ms MS] [--quiescence-s S] [--keep-state] [--verbose]`
// The chaos harness (scripts/chaos/): per mode a fresh local stack, N rounds of one signed delivery
// then kill -9 of the whole service and a restart on the same state, then the zero-checks.
// Without --faults it runs twice: no faults, then 20% of GitHub requests failing; --faults 0 runs
// only the first, --faults 0.2 only the second. Exits 1 when a zero-check fails, 2 when the
// harness itself could not run.
import { parseArgs } from "node:util";
import { randomInt } from "node:crypto";
import { runChaos } from "./chaos/harness.ts";
import { table } from "./chaos/report.ts";
import { describeError, failedChecks } from "./chaos/checks.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "20" },
    seed: { type: "string" },
    faults: { type: "string" },
    "max-kill-ms": { type: "string", default: "8000" },
    "quiescence-s": { type: "string", default: "120" },
    "keep-state": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
  },
});

function number(name: string, text: string, check: (n: number) => boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || !check(n)) {
    console.error(`chaos: --${name} ${text} is not valid; see the usage line at the top of scripts/chaos.ts.`);
    process.exit(2);
  }
  return n;
}

const rounds = number("rounds", values.rounds, (n) => Number.isInteger(n) && n >= 1);
const seed = values.seed === undefined ? randomInt(1, 2 ** 31) : number("seed", values.seed, (n) => Number.isInteger(n) && n >= 0);
const faultRates = values.faults === undefined ? [0, 0.2] : [number("faults", values.faults, (n) => n >= 0 && n < 1)];
const started = Date.now();

console.log(`chaos: seed ${seed} (replay: npm run chaos -- --rounds ${rounds} --seed ${seed}${values.faults === undefined ? "" : ` --faults ${values.faults}`})`);
try {
  const results = await runChaos({
    rounds,
    seed,
    faultRates,
    maxKillMs: number("max-kill-ms", values["max-kill-ms"], (n) => Number.isInteger(n) && n >= 0),
    quiescenceMs: number("quiescence-s", values["quiescence-s"], (n) => n > 0) * 1000,
    keepState: values["keep-state"] ? "always" : "on-failure",
    progress: (line) => console.log(line),
    ...(values.verbose ? { serviceLog: (line: string) => console.log(`  [wrangler] ${line}`) } : {}),
  });
  console.log(`\n${table(results)}\n`);
  for (const result of results) {
    const failing = failedChecks(result.findings);
    console.log(`${result.mode}: ${failing.length === 0 ? "all zero-checks hold" : `FAILED ${failing.join(", ")} (anomalies above)`}`);
  }
  console.log(`\nchaos: seed ${seed}, ${Math.round((Date.now() - started) / 1000)} s in all`);
  process.exit(results.some((r) => failedChecks(r.findings).length > 0) ? 1 : 0);
} catch (error) {
  console.error(`chaos: the harness could not finish (seed ${seed}): ${describeError(error)}\n${error instanceof Error ? error.stack : ""}`);
  process.exit(2);
}
