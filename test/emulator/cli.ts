/**
 * The emulator as a process, for `npm run dev`, the demo and e2e harnesses:
 *
 *   node test/emulator/cli.ts --port 8788 [--app-id 1] [--app-public-key key.pem]
 *                             [--repo owner/name=installationId:dir ...]
 *                             [--webhook-url http://127.0.0.1:8787/webhooks/github]
 *                             [--fault-seed 1] [--log-requests yes|no]
 *
 * The webhook secret comes from the environment (EMULATOR_WEBHOOK_SECRET),
 * not a flag, so it does not show in the process list.
 *
 * Prints one JSON line `{"url": …}` on stdout once it listens (a parent
 * process waits for that line instead of polling the port), then logs every
 * request (unless --log-requests no), webhook delivery and violation to
 * stderr, and shuts down on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startEmulator } from "./index.ts";
import type { EmulatorOptions, RepoSeed } from "./types.ts";

class CliUsageError extends Error {
  override readonly name = "CliUsageError";
  constructor(problem: string) {
    super(
      `repoflow: ${problem}; usage: node test/emulator/cli.ts --port 8788 [--app-id 1] [--app-public-key key.pem] [--repo owner/name=installationId:dir ...] [--webhook-url URL (secret in EMULATOR_WEBHOOK_SECRET)] [--fault-seed N] [--log-requests yes|no]`,
    );
  }
}

interface CliArguments {
  options: EmulatorOptions;
  repos: RepoSeed[];
  logRequests: boolean;
}

function parseArguments(argv: string[], env: NodeJS.ProcessEnv): CliArguments {
  const options: EmulatorOptions = {};
  const repos: RepoSeed[] = [];
  let logRequests = true;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) throw new CliUsageError(`${flag ?? "an option"} needs a value`);
    i++;
    switch (flag) {
      case "--port": {
        const port = Number(value);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliUsageError(`--port must be 0-65535, got "${value}"`);
        options.port = port;
        break;
      }
      case "--app-id":
        options.appId = value;
        break;
      case "--app-public-key":
        options.appPublicKey = readFileSync(resolve(value), "utf8");
        break;
      case "--webhook-url": {
        if (!URL.canParse(value)) throw new CliUsageError(`--webhook-url must be a URL, got "${value}"`);
        const secret = env.EMULATOR_WEBHOOK_SECRET;
        options.webhooks = { url: value, ...(secret ? { secret } : {}) };
        break;
      }
      case "--fault-seed": {
        const seed = Number(value);
        if (!Number.isInteger(seed)) throw new CliUsageError(`--fault-seed must be an integer, got "${value}"`);
        options.faultSeed = seed;
        break;
      }
      case "--repo": {
        const match = /^([^/=\s]+\/[^/=\s]+)=(\d+):(.+)$/.exec(value);
        if (!match?.[1] || !match[2] || !match[3]) throw new CliUsageError(`--repo must look like owner/name=installationId:dir, got "${value}"`);
        repos.push({ fullName: match[1], installationId: Number(match[2]), dir: resolve(match[3]) });
        break;
      }
      case "--log-requests":
        if (value !== "yes" && value !== "no") throw new CliUsageError(`--log-requests takes yes or no, got "${value}"`);
        logRequests = value === "yes";
        break;
      default:
        throw new CliUsageError(`unknown option "${flag}"`);
    }
  }
  return { options, repos, logRequests };
}

async function main(): Promise<void> {
  const { options, repos, logRequests } = parseArguments(process.argv.slice(2), process.env);
  const emulator = await startEmulator({
    ...options,
    onRequest: (request, violations) => {
      if (logRequests) process.stderr.write(`emulator: ${request.method} ${request.path} ${request.status} ${request.operationId ?? "-"}\n`);
      for (const violation of violations) process.stderr.write(`emulator: VIOLATION ${violation}\n`);
    },
    onDelivery: (delivery) => {
      const name = delivery.action === null ? delivery.event : `${delivery.event}.${delivery.action}`;
      process.stderr.write(`emulator: webhook ${name} ${delivery.guid}${delivery.redelivery ? " (redelivery)" : ""} → ${delivery.status}\n`);
    },
  });
  if (options.webhooks) process.stderr.write(`emulator: sending webhooks to ${options.webhooks.url}${options.webhooks.secret ? " (signed)" : " (unsigned: EMULATOR_WEBHOOK_SECRET is not set)"}\n`);
  for (const seed of repos) {
    const { sha } = emulator.addRepo(seed);
    process.stderr.write(`emulator: ${seed.fullName} (installation ${seed.installationId}) at ${sha} from ${seed.dir ?? "files"}\n`);
  }
  process.stdout.write(`${JSON.stringify({ url: emulator.url })}\n`);
  const stop = () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
