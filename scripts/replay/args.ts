/**
 * The command line of `npm run replay`. Pure, so tests drive it directly; a
 * UsageError is what makes the CLI exit 2.
 */

export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(problem: string) {
    super(`repoflow: ${problem}`);
  }
}

export const USAGE =
  "usage: npm run replay -- <event>[.<action>] [payload.json | exported-delivery] [--repo owner/name] [--dir path/to/repo] [--skip-sleeps] [--service http://127.0.0.1:8787] [--github http://127.0.0.1:8788] [--timeout seconds]\n" +
  "       npm run replay -- schedule <workflow> [--repo owner/name]   (fires a scheduled workflow now)";

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
  /** `schedule <workflow>`: fire that workflow's schedule now instead of sending an event. */
  schedule: string | null;
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
    schedule: null,
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
        if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new UsageError(`--repo takes owner/name, got "${repo}"; e.g. --repo octo-org/demo.`);
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
        args.service = origin(arg, value());
        break;
      case "--github":
        args.github = origin(arg, value());
        break;
      case "--timeout": {
        const seconds = Number(value());
        if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout takes a positive number of seconds, got "${argv[i]}"; e.g. --timeout 300.`);
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
  if (first === "schedule") {
    if (!second) throw new UsageError(`schedule needs the workflow to fire, e.g. npm run replay -- schedule stale-sweep. ${USAGE}`);
    args.schedule = second;
    return args;
  }
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

function origin(option: string, url: string): string {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`${option} takes an http URL, got "${url}"; e.g. ${option} http://127.0.0.1:8787.`);
  return url.replace(/\/+$/, "");
}
