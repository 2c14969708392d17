/**
 * The emulator as a process, for `npm run dev`, the demo and e2e harnesses:
 *
 *   node test/emulator/cli.ts --port 8788 [--app-id 1] [--app-public-key key.pem]
 *                             [--repo owner/name=installationId:dir ...]
 *
 * Prints one JSON line `{"url": …}` on stdout once it listens (a parent
 * process waits for that line instead of polling the port), then logs every
 * request and every violation to stderr, and shuts down on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { startEmulator } from "./index.ts";
import type { EmulatorOptions, RepoSeed } from "./types.ts";

class CliUsageError extends Error {
  override readonly name = "CliUsageError";
  constructor(problem: string) {
    super(
      `repoflow: ${problem}; usage: node test/emulator/cli.ts --port 8788 [--app-id 1] [--app-public-key key.pem] [--repo owner/name=installationId:dir ...]`,
    );
  }
}

interface CliArguments {
  options: EmulatorOptions;
  repos: RepoSeed[];
}

function parseArguments(argv: string[]): CliArguments {
  const options: EmulatorOptions = {};
  const repos: RepoSeed[] = [];
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
      case "--repo": {
        const match = /^([^/=\s]+\/[^/=\s]+)=(\d+):(.+)$/.exec(value);
        if (!match?.[1] || !match[2] || !match[3]) throw new CliUsageError(`--repo must look like owner/name=installationId:dir, got "${value}"`);
        repos.push({ fullName: match[1], installationId: Number(match[2]), dir: resolve(match[3]) });
        break;
      }
      default:
        throw new CliUsageError(`unknown option "${flag}"`);
    }
  }
  return { options, repos };
}

async function main(): Promise<void> {
  const { options, repos } = parseArguments(process.argv.slice(2));
  const emulator = await startEmulator({
    ...options,
    onRequest: (request, violations) => {
      process.stderr.write(`emulator: ${request.method} ${request.path} ${request.status} ${request.operationId ?? "-"}\n`);
      for (const violation of violations) process.stderr.write(`emulator: VIOLATION ${violation}\n`);
    },
  });
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
