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
  "usage: npm run replay -- <event>[.<action>] [payload.json | exported-delivery] [--repo owner/name] [--dir path/to/repo] [--number N] [--sender login] [--set path=value ...] [--skip-sleeps] [--service http://127.0.0.1:8787] [--github http://127.0.0.1:8788] [--timeout seconds]\n" +
  "       npm run replay -- --number N (--comment \"/approve\" | --label name | --review approve|request-changes|comment | --status success|failure|pending|error [--context ci] | --age days) [--sender login] [--repo owner/name]   (a person, CI or time acts on #N in the emulator, which sends GitHub's webhook)\n" +
  "       npm run replay -- schedule <workflow> [--repo owner/name]   (fires a scheduled workflow now)";

/** What a person does on an issue or pull request, done in the emulator so it sends the webhook GitHub would. */
export type FollowUp =
  | { kind: "comment"; body: string }
  | { kind: "label"; name: string }
  | { kind: "review"; state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" }
  | { kind: "status"; state: "pending" | "success" | "failure" | "error"; context: string }
  | { kind: "age"; days: number };

const REVIEW_STATES: Record<string, "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED"> = { approve: "APPROVED", "request-changes": "CHANGES_REQUESTED", comment: "COMMENTED" };

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
  /** The issue or pull request number the event (or the follow-up) is about. */
  number: number | null;
  /** Who acts: the payload's sender, or the person commenting, labelling or reviewing. */
  sender: string | null;
  /** `--set path=value`: payload fields to overwrite, value as JSON when it parses, else a string. */
  set: { path: string[]; value: unknown }[];
  followUp: FollowUp | null;
}

/** Where the local service and emulator are, as `npm run dev` chose them (PORT, GITHUB_API_URL). */
export interface ReplayDefaults {
  service: string;
  github: string;
}

export function parseArgs(argv: readonly string[], defaults: ReplayDefaults = { service: "http://127.0.0.1:8787", github: "http://127.0.0.1:8788" }): ReplayArgs {
  const args: ReplayArgs = {
    event: null,
    action: null,
    file: null,
    repo: null,
    dir: null,
    skipSleeps: false,
    service: defaults.service,
    github: defaults.github,
    timeoutSeconds: 120,
    schedule: null,
    number: null,
    sender: null,
    set: [],
    followUp: null,
  };
  const followUp = (next: FollowUp) => {
    if (args.followUp) throw new UsageError(`give one of --comment, --label, --review, --status and --age at a time. ${USAGE}`);
    args.followUp = next;
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
      case "--number": {
        const number = Number(value());
        if (!Number.isSafeInteger(number) || number < 1) throw new UsageError(`--number takes an issue or pull request number, got "${argv[i]}"; e.g. --number 3.`);
        args.number = number;
        break;
      }
      case "--sender": {
        const login = value();
        if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/.test(login)) throw new UsageError(`--sender takes a GitHub login, got "${login}".`);
        args.sender = login;
        break;
      }
      case "--comment":
        followUp({ kind: "comment", body: value() });
        break;
      case "--label":
        followUp({ kind: "label", name: value() });
        break;
      case "--review": {
        const state = REVIEW_STATES[value()];
        if (!state) throw new UsageError(`--review takes approve, request-changes or comment, got "${argv[i]}".`);
        followUp({ kind: "review", state });
        break;
      }
      case "--status": {
        const state = value();
        if (!["pending", "success", "failure", "error"].includes(state)) throw new UsageError(`--status takes success, failure, pending or error (a commit status on the pull request's head), got "${state}".`);
        followUp({ kind: "status", state: state as "pending" | "success" | "failure" | "error", context: "ci" });
        break;
      }
      case "--context": {
        const context = value();
        if (args.followUp?.kind !== "status") throw new UsageError(`--context names the status of --status; give --status first.`);
        args.followUp = { ...args.followUp, context };
        break;
      }
      case "--age": {
        const days = Number(value());
        if (!Number.isFinite(days) || days <= 0) throw new UsageError(`--age takes a number of days to move #N into the past, got "${argv[i]}".`);
        followUp({ kind: "age", days });
        break;
      }
      case "--set": {
        const assignment = value();
        const at = assignment.indexOf("=");
        if (at < 1) throw new UsageError(`--set takes path=value, e.g. --set pull_request.draft=true or --set comment.body="/approve", got "${assignment}".`);
        const text = assignment.slice(at + 1);
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON: the value is the string as written.
        }
        args.set.push({ path: assignment.slice(0, at).split("."), value: parsed });
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
  if (args.followUp) {
    if (positional.length > 0) throw new UsageError(`--comment, --label and --review make the emulator send the event itself; leave out "${positional.join(" ")}". ${USAGE}`);
    if (args.number === null) throw new UsageError(`--${args.followUp.kind} needs --number, the issue or pull request to act on. ${USAGE}`);
    if (args.set.length > 0) throw new UsageError(`--set changes a payload replay sends; with --${args.followUp.kind} the emulator builds the payload as GitHub would.`);
    return args;
  }
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
