/** Command-line arguments of `npm run replay`. Pure, so tests drive it directly. */

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const USAGE =
  "usage: npm run replay -- <event>[.<action>] [payload.json | exported-delivery] [--repo owner/name] [--dir path/to/repo] [--skip-sleeps] [--service http://127.0.0.1:8787] [--github http://127.0.0.1:8788] [--timeout seconds]";

export interface ReplayArgs {
  event: string | null;
  action: string | null;
  file: string | null;
  repo: string | null;
  dir: string | null;
  skipSleeps: boolean;
  service: string;
  github: string;
  timeoutSeconds: number;
}

export function parseArgs(argv: readonly string[]): ReplayArgs {
  const args: ReplayArgs = {
    event: null,
    action: null,
    file: null,
    repo: null,
    dir: null,
    skipSleeps: false,
    service: "http://127.0.0.1:8787",
    github: "http://127.0.0.1:8788",
    timeoutSeconds: 120,
  };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${arg} needs a value. ${USAGE}`);
      return next;
    };
    switch (arg) {
      case "--repo": {
        const repo = value();
        if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new UsageError(`--repo must be owner/name, got "${repo}".`);
        args.repo = repo;
        break;
      }
      case "--dir":
        args.dir = value();
        break;
      case "--skip-sleeps":
        args.skipSleeps = true;
        break;
      case "--service":
        args.service = value().replace(/\/+$/, "");
        break;
      case "--github":
        args.github = value().replace(/\/+$/, "");
        break;
      case "--timeout": {
        const seconds = Number(value());
        if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError("--timeout must be a positive number of seconds.");
        args.timeoutSeconds = seconds;
        break;
      }
      case "--help":
      case "-h":
        throw new UsageError(USAGE);
      default:
        if (arg.startsWith("--")) throw new UsageError(`unknown option ${arg}. ${USAGE}`);
        positional.push(arg);
    }
  }
  if (positional.length > 2) throw new UsageError(`too many arguments: ${positional.join(" ")}. ${USAGE}`);
  const [first, second] = positional;
  // One positional argument may be the exported delivery itself (a file), which names its own event.
  const looksLikeFile = (arg: string) => arg.includes("/") || /\.(json|txt|http)$/i.test(arg);
  if (first !== undefined && !looksLikeFile(first) && /^[a-z_]+(\.[a-z_]+)?$/.test(first)) {
    const [event, action] = first.split(".");
    args.event = event!;
    args.action = action ?? null;
    args.file = second ?? null;
  } else {
    if (second !== undefined) throw new UsageError(`"${first}" is not an event name like pull_request.opened. ${USAGE}`);
    args.file = first ?? null;
  }
  if (args.event === null && args.file === null) throw new UsageError(`name an event, or give an exported delivery. ${USAGE}`);
  return args;
}
