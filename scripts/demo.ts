// `npm run demo`: the whole product on this machine, with no GitHub and no Cloudflare account.
// Starts the GitHub API emulator (an emulator, not GitHub) and the service under `wrangler dev`,
// loads repo-templates/ as the repository octo-org/demo, sends GitHub's own example
// pull_request.opened payload signed like GitHub would, and prints the check runs the emulator
// received. Exits 0 when the Welcome run completed successfully.
import { fileURLToPath } from "node:url";
import { deliver } from "../test/support/deliver.ts";
import { pullRequestOpened } from "../test/support/payloads.ts";
import { startStack, waitFor, WEBHOOK_SECRET } from "../test/support/stack.ts";

const repo = { fullName: "octo-org/demo", installationId: 1, defaultBranch: "main" };
const verbose = process.argv.includes("--verbose");

function show(stack: Awaited<ReturnType<typeof startStack>>): void {
  console.log("\nCheck runs the emulator received:");
  for (const run of stack.emulator.checkRuns(repo.fullName)) {
    console.log(`  ${run.name.padEnd(34)} ${run.status.padEnd(11)} ${String(run.conclusion ?? "").padEnd(9)} ${run.output.title ?? ""}`);
    if (run.output.summary) console.log(run.output.summary.split("\n").map((line) => `      ${line}`).join("\n"));
  }
  const comments = stack.emulator.comments(repo.fullName, 1);
  if (comments.length > 0) console.log(`\nComments on PR #1:\n${comments.map((c) => `  ${c.user}: ${c.body}`).join("\n")}`);
}

console.log("repoflow demo: starting the GitHub emulator and wrangler dev (takes a few seconds)…");
const started = Date.now();
const stack = await startStack(verbose ? { log: (line) => console.log(`  [wrangler] ${line}`) } : {});
let code = 1;
try {
  const { sha } = stack.emulator.addRepo({ ...repo, dir: fileURLToPath(new URL("../repo-templates", import.meta.url).href) });
  stack.emulator.openPullRequest(repo.fullName, { number: 1, title: "Add a feature", head: "feature", base: "main", user: "octocat" });
  const headSha = stack.emulator.headSha(repo.fullName, "feature");
  console.log(`service ${stack.service.url}, emulator ${stack.emulator.url}, octo-org/demo @ ${sha.slice(0, 7)} (ready in ${Date.now() - started} ms)`);

  const payload = pullRequestOpened(repo, { number: 1, headSha });
  const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", payload);
  console.log(`POST /webhooks/github pull_request.opened → ${sent.status} ${JSON.stringify(sent.body)}`);

  const welcome = await waitFor(
    "the Welcome run to complete",
    () => stack.emulator.checkRuns(repo.fullName).find((run) => run.name === "repoflow: Welcome" && run.status === "completed"),
    90_000,
  );
  // Let the other matching workflows reach their first visible state before printing.
  await new Promise((r) => setTimeout(r, 1500));
  show(stack);
  if (stack.emulator.violations.length > 0) {
    console.error(`\nThe emulator rejected requests GitHub would reject:\n${stack.emulator.violations.join("\n")}`);
  } else if (welcome.conclusion === "success") {
    console.log("\n✅ The Welcome run completed successfully.");
    code = 0;
  } else {
    console.error(`\n❌ The Welcome run ended with ${welcome.conclusion}.`);
  }
} catch (error) {
  console.error(`\n❌ ${error instanceof Error ? error.message : String(error)}`);
  show(stack);
  if (!verbose) console.error(`\nwrangler output (last lines):\n${stack.service.output().split("\n").slice(-30).join("\n")}`);
} finally {
  await stack.close();
}
process.exit(code);
