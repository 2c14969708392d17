/**
 * The automations in repo-templates/.workflows/, end to end: each template file, as an author
 * copies it, is loaded into its own emulator repository, and people act through the emulator
 * (open, comment, label, push, click Re-run), which sends the signed webhooks GitHub would to
 * `wrangler dev`. Nothing here sends a delivery by hand or fakes a step; a scheduled template's
 * next tick is fired at once through the service's API (what `npm run replay -- schedule` does).
 * Assertions are on what people see: comments, labels, pull requests, branches and check runs.
 *
 * One stack for the file, one repository per template (several templates run on different
 * repositories of the same stack), with app.yml's permissions: merging and writing git data (the
 * backport) need contents: write, which app.yml asks for.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CheckRunState, Delivery, Emulator, Role } from "../emulator/types.ts";
import { ROOT, type Service } from "../support/service.ts";
import { startStack, waitFor, type Stack } from "../support/stack.ts";

const TEMPLATES = join(ROOT, "repo-templates/.workflows");
const BOT = "repoflow[bot]";
const RUN_TIMEOUT = 90_000;

let stack: Stack;
let emulator: Emulator;
let service: Service;

beforeAll(async () => {
  stack = await startStack({ webhooks: true });
  emulator = stack.emulator;
  service = stack.service;
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expect(emulator.violations, "requests the real GitHub API would reject").toEqual([]);
});

// ── helpers ─────────────────────────────────────────────────────────────────

/** The named template files as an author copies them, with every helper in .workflows/lib/. */
function templates(...names: string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of names) files[`.workflows/${name}`] = readFileSync(join(TEMPLATES, name), "utf8");
  for (const name of readdirSync(join(TEMPLATES, "lib"))) files[`.workflows/lib/${name}`] = readFileSync(join(TEMPLATES, "lib", name), "utf8");
  return files;
}

let nextInstallation = 9300;

/** A public repository (so the assertions can read it as anybody can), owned by octo-org, admin there. */
function newRepo(name: string, files: Record<string, string>, collaborators: Record<string, Role> = {}): string {
  const fullName = `octo-org/${name}`;
  emulator.addRepo({ fullName, installationId: nextInstallation++, private: false, collaborators, files: { "README.md": `# ${name}\n`, ...files } });
  return fullName;
}

/** What anybody reads from a public repository: one unauthenticated REST call, as a person's browser makes. */
async function read<T>(path: string, accept = "application/vnd.github+json"): Promise<T> {
  const res = await fetch(`${emulator.url}${path}`, { headers: { accept } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text}`);
  return (accept.endsWith("raw") ? text : JSON.parse(text)) as T;
}

async function status(path: string): Promise<number> {
  return (await fetch(`${emulator.url}${path}`)).status;
}

/** The check runs of a workflow that say a final outcome (a waiting run's check run is parked as neutral). */
function outcomes(repo: string, workflowName: string): CheckRunState[] {
  return emulator.checkRuns(repo).filter((run) => run.name === `repoflow: ${workflowName}` && run.status === "completed" && run.conclusion !== "neutral");
}

function finished(repo: string, workflowName: string, count: number): Promise<CheckRunState[]> {
  return waitFor(`${count} finished "${workflowName}" run(s) on ${repo}`, () => outcomes(repo, workflowName).length >= count && outcomes(repo, workflowName), RUN_TIMEOUT);
}

const botComments = (repo: string, n: number) => emulator.comments(repo, n).filter((c) => c.user === BOT);

function botComment(repo: string, n: number, text: string): Promise<{ id: number; body: string }> {
  return waitFor(`a comment by ${BOT} on ${repo}#${n} saying "${text}"`, () => botComments(repo, n).find((c) => c.body.includes(text)), RUN_TIMEOUT);
}

function deliveriesFor(repo: string, event: string, action?: string): Delivery[] {
  return emulator
    .deliveries()
    .filter((d) => d.event === event && (action === undefined || d.action === action) && (d.request.payload.repository as { full_name?: string } | undefined)?.full_name === repo);
}

/**
 * A person's comment, and the point where the service has finished with its webhook: every wait
 * it could wake has been offered it. Used before asserting that a comment did NOT count.
 */
async function commentAndSettle(repo: string, n: number, body: string, user: string): Promise<number> {
  const { id } = emulator.comment(repo, n, body, { user });
  await emulator.webhooksSettled();
  const delivery = emulator.deliveries().find((d) => d.event === "issue_comment" && (d.request.payload.comment as { id: number }).id === id);
  if (!delivery) throw new Error(`no webhook went out for comment ${id}`);
  await waitFor(`the service to process ${user}'s comment`, async () => {
    const res = await fetch(`${service.url}/api/deliveries/${delivery.guid}`);
    return res.status === 200 && ((await res.json()) as { delivery: { status: string } }).delivery.status === "processed";
  }, RUN_TIMEOUT);
  return id;
}

// ── the templates ───────────────────────────────────────────────────────────

describe("welcome.ts", () => {
  it("welcomes a first-time author with one comment, however often the run repeats (reopen, Re-run), and not on their second item", async () => {
    const repo = newRepo("welcome", templates("welcome.ts"));
    emulator.openIssue(repo, { number: 1, title: "Crash on start", body: "It crashes.", user: "mona" });
    const [first] = await finished(repo, "Welcome", 1);
    expect(first!.conclusion).toBe("success");
    expect(botComments(repo, 1).map((c) => c.body)).toEqual([expect.stringContaining("Welcome, @mona, and thank you for your first issue here!")]);
    expect(emulator.labels(repo, 1)).toContain("triage");

    // Reopened: a second run on the same issue, which edits nothing.
    emulator.closeIssue(repo, 1, { user: "mona" });
    emulator.reopenIssue(repo, 1, { user: "mona" });
    await finished(repo, "Welcome", 2);
    // Re-run on GitHub: the first event again, from scratch (what upsertComment is for).
    emulator.rerequestCheckRun(repo, first!.id, { user: "octo-org" });
    const runs = await finished(repo, "Welcome", 3);
    expect(runs.map((run) => run.conclusion)).toEqual(["success", "success", "success"]);
    expect(emulator.comments(repo, 1)).toHaveLength(1);

    // Her pull request is no longer a first: labelled for triage, no welcome.
    emulator.commit(repo, { "fix.txt": "fixed\n" }, "Fix the crash", "fix-crash", { user: "mona" });
    emulator.openPullRequest(repo, { number: 2, title: "Fix the crash", head: "fix-crash", base: "main", user: "mona" });
    expect((await finished(repo, "Welcome", 4)).at(-1)!.conclusion).toBe("success");
    expect(emulator.labels(repo, 2)).toEqual(["triage"]);
    expect(emulator.comments(repo, 2)).toEqual([]);
  });
});

describe("label-by-paths.ts", () => {
  it("labels a pull request by the folders it changes across pages of files, and takes a label off when a later commit no longer earns it", async () => {
    const repo = newRepo("paths", templates("label-by-paths.ts"));
    // 120 docs pages sort before src/: src/app.ts is on the second page of the file list.
    const docs = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`docs/page-${String(i).padStart(3, "0")}.md`, `# Page ${i}\n`]));
    emulator.commit(repo, { ...docs, "src/app.ts": "export const app = 1;\n" }, "Docs and code", "feature", { user: "mona" });
    emulator.openPullRequest(repo, { number: 1, title: "feat: app with docs", head: "feature", base: "main", user: "mona" });
    expect((await finished(repo, "Label by paths", 1))[0]!.conclusion).toBe("success");
    expect(emulator.labels(repo, 1).sort()).toEqual(["code", "docs"]);

    // A label a person set is not the workflow's to take off.
    emulator.label(repo, 1, "triage", { user: "octo-org" });
    // The next commit drops the docs and adds CI: synchronize.
    const dropDocs = Object.fromEntries(Object.keys(docs).map((path) => [path, null]));
    emulator.commit(repo, { ...dropDocs, ".github/workflows/ci.yml": "on: push\n" }, "Move docs out, add CI", "feature", { user: "mona" });
    const runs = await finished(repo, "Label by paths", 2);
    expect(runs.map((run) => run.conclusion)).toEqual(["success", "success"]);
    expect(runs[1]!.head_sha).toBe(emulator.headSha(repo, "feature"));
    expect(emulator.labels(repo, 1).sort()).toEqual(["ci", "code", "triage"]);
  });
});

describe("needs-info.ts", () => {
  it("asks the author, ignores someone else's reply, and takes the label off when the author answers", async () => {
    const repo = newRepo("needs-info", templates("needs-info.ts"), { hubot: "triage" });
    emulator.openIssue(repo, { number: 1, title: "It does not work", user: "mona" });
    emulator.label(repo, 1, "needs-info", { user: "hubot" });
    await botComment(repo, 1, "@mona, could you add more details");

    await commentAndSettle(repo, 1, "Same here, +1", "rick");
    emulator.comment(repo, 1, "Version 2.1 on Linux; it crashes when I click Save.", { user: "mona" });
    const thanks = await botComment(repo, 1, "Thanks, @");
    // Had rick's comment counted, the run would have ended on it, thanking him.
    expect(thanks.body).toContain("Thanks, @mona!");
    expect((await finished(repo, "Needs info", 1))[0]!.conclusion).toBe("success");
    expect(emulator.labels(repo, 1)).not.toContain("needs-info");
    expect((await read<{ state: string }>(`/repos/${repo}/issues/1`)).state).toBe("open");
  });

  it("closes the issue with a comment when the author does not answer in time", async () => {
    // The template waits 14 days; this copy waits 20 seconds, the one line changed (a replayed
    // delivery's --skip-sleeps would need a hand-made delivery, and it ends waits at once).
    const source = readFileSync(join(TEMPLATES, "needs-info.ts"), "utf8");
    const shortWait = source.replace('const REPLY_TIMEOUT: Duration = "14 days";', 'const REPLY_TIMEOUT: Duration = "20 seconds";');
    expect(shortWait).not.toBe(source);
    const repo = newRepo("needs-info-timeout", { ...templates(), ".workflows/needs-info.ts": shortWait }, { hubot: "triage" });
    emulator.openIssue(repo, { number: 1, title: "Something is off", user: "mona" });
    emulator.label(repo, 1, "needs-info", { user: "hubot" });
    await botComment(repo, 1, "within 20 seconds, this issue will be closed");
    await commentAndSettle(repo, 1, "Me too", "rick");

    await botComment(repo, 1, "Closing this issue: there was no answer within 20 seconds.");
    expect((await finished(repo, "Needs info", 1))[0]!.conclusion).toBe("success");
    const issue = await read<{ state: string; state_reason: string | null }>(`/repos/${repo}/issues/1`);
    expect(issue).toMatchObject({ state: "closed", state_reason: "not_planned" });
    expect(emulator.comments(repo, 1).map((c) => c.user)).toEqual([BOT, "rick", BOT]);
  });
});

describe("merge-when-approved.ts", () => {
  it("merges once a writer other than the author comments /approve; a reader's and the author's /approve do not count", async () => {
    const repo = newRepo("merge", templates("merge-when-approved.ts"), { mona: "write", hubot: "write" });
    emulator.commit(repo, { "src/feature.ts": "export const feature = true;\n" }, "Add the feature", "feature", { user: "mona" });
    emulator.openPullRequest(repo, { number: 1, title: "feat: the feature", head: "feature", base: "main", user: "mona" });
    const request = emulator.comment(repo, 1, "/merge-when-approved", { user: "mona" });
    await botComment(repo, 1, "@mona asked to merge this pull request");

    await commentAndSettle(repo, 1, "/approve", "rick"); // read access (anybody, on a public repository)
    await commentAndSettle(repo, 1, "/approve", "mona"); // the author
    expect((await read<{ merged: boolean }>(`/repos/${repo}/pulls/1`)).merged).toBe(false);
    emulator.comment(repo, 1, "/approve", { user: "hubot" });

    await botComment(repo, 1, "Merged after @hubot's approval");
    const pull = await read<{ merged: boolean; state: string; merge_commit_sha: string }>(`/repos/${repo}/pulls/1`);
    expect(pull).toMatchObject({ merged: true, state: "closed" });
    expect(emulator.headSha(repo, "main")).toBe(pull.merge_commit_sha);
    expect((await finished(repo, "Merge when approved", 1))[0]!.conclusion).toBe("success");
    // The requester sees the outcome on the command: 👀 when it started, 🚀 when it ended well.
    await waitFor("🚀 on the request", () => emulator.reactions(repo, { comment: request.id }).includes("rocket"), RUN_TIMEOUT);
    // One status comment, edited as things happened.
    expect(botComments(repo, 1)).toHaveLength(1);
  });
});

describe("backport.ts", () => {
  it("backports a merged pull request for a writer into a new pull request per branch, refuses an unmerged one, and gives a reader nothing", async () => {
    const repo = newRepo(
      "backport",
      { ...templates("backport.ts", "merge-when-approved.ts"), "src/lib.ts": "export const version = 1;\n", "src/fix.ts": "export const fixed = false;\n" },
      { mona: "write", hubot: "write" },
    );
    emulator.commit(repo, { "RELEASE.md": "1.x\n" }, "Start 1.x", "release-1.x", { user: "octo-org" });
    // main moves on after the release branch: the backport must not bring this along.
    emulator.commit(repo, { "src/lib.ts": "export const version = 2;\n" }, "Version 2", undefined, { user: "octo-org" });
    emulator.commit(repo, { "src/fix.ts": "export const fixed = true;\n" }, "Fix it", "fix", { user: "mona" });
    emulator.openPullRequest(repo, { number: 1, title: "fix: the bug", head: "fix", base: "main", user: "mona" });

    // Not merged yet: the workflow refuses.
    emulator.comment(repo, 1, "/backport release-1.x", { user: "hubot" });
    await botComment(repo, 1, "Only a merged pull request can be backported");

    // Merged by the other template, as people would.
    emulator.comment(repo, 1, "/merge-when-approved", { user: "mona" });
    emulator.comment(repo, 1, "/approve", { user: "hubot" });
    await botComment(repo, 1, "Merged after @hubot's approval");

    // A reader: repoflow answers the command itself, and no run starts.
    emulator.comment(repo, 1, "/backport release-1.x", { user: "rick" });
    await botComment(repo, 1, "@rick, `/backport` needs write access to this repository; you have read.");
    expect(await status(`/repos/${repo}/branches/backport-1-to-release-1.x`)).toBe(404);

    // A writer, for a branch that exists and one that does not.
    const command = emulator.comment(repo, 1, "/backport release-1.x no-such-branch", { user: "hubot" });
    const report = await botComment(repo, 1, "Backport of #1:");
    const opened = deliveriesFor(repo, "pull_request", "opened").map((d) => d.request.payload as { number: number; sender: { login: string }; pull_request: { base: { ref: string }; head: { ref: string }; title: string } });
    expect(opened.map((p) => ({ number: p.number, by: p.sender.login, base: p.pull_request.base.ref, head: p.pull_request.head.ref, title: p.pull_request.title }))).toEqual([
      { number: 1, by: "mona", base: "main", head: "fix", title: "fix: the bug" },
      { number: 2, by: BOT, base: "release-1.x", head: "backport-1-to-release-1.x", title: "[release-1.x] fix: the bug" },
    ]);
    expect(report.body).toContain("- `release-1.x`: #2 (");
    expect(report.body).toContain("- `no-such-branch`: not backported, there is no branch `no-such-branch`");

    // The backport branch is release-1.x plus the fix, and nothing else from main.
    const file = (path: string) => read<string>(`/repos/${repo}/contents/${path}?ref=backport-1-to-release-1.x`, "application/vnd.github.raw");
    expect(await file("src/fix.ts")).toBe("export const fixed = true;\n");
    expect(await file("src/lib.ts")).toBe("export const version = 1;\n");
    expect(await file("RELEASE.md")).toBe("1.x\n");
    const backport = await read<{ state: string; commits: number }>(`/repos/${repo}/pulls/2`);
    expect(backport).toMatchObject({ state: "open", commits: 1 });

    await waitFor("🚀 on the writer's command", () => emulator.reactions(repo, { comment: command.id }).includes("rocket"), RUN_TIMEOUT);
    expect(outcomes(repo, "Backport").map((run) => run.conclusion)).toEqual(["success", "success"]);
  });
});

describe("pr-hygiene.ts", () => {
  it("fails the check run and lists the problems in one comment while the title and description are off; a clean pull request passes without a comment", async () => {
    const repo = newRepo("hygiene", templates("pr-hygiene.ts"));
    emulator.commit(repo, { "a.txt": "a\n<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> main\n" }, "Update", "sloppy", { user: "mona" });
    emulator.openPullRequest(repo, { number: 1, title: "Update stuff", head: "sloppy", base: "main", user: "mona" });
    const [failed] = await finished(repo, "PR hygiene", 1);
    expect(failed).toMatchObject({ conclusion: "failure", head_sha: emulator.headSha(repo, "sloppy") });
    // The conflict markers, annotated on their lines; the workflow's own error annotation comes first.
    expect(failed!.output.annotations.filter((a) => a.path === "a.txt").map((a) => [a.start_line, a.annotation_level])).toEqual([[2, "failure"], [4, "failure"], [6, "failure"]]);
    expect(JSON.stringify(failed!.output)).toContain("3 merge conflict markers are left in the changed files");
    expect(JSON.stringify(failed!.output)).toContain("The title should read `type(scope): summary`");
    const list = await botComment(repo, 1, "Before this can be merged, please fix:");
    expect(list.body).toContain("The title should read `type(scope): summary`");
    expect(list.body).toContain("The description is empty");

    // Another commit: judged again, still failing, still one comment.
    emulator.commit(repo, { "b.txt": "b\n" }, "More", "sloppy", { user: "mona" });
    const runs = await finished(repo, "PR hygiene", 2);
    expect(runs.map((run) => run.conclusion)).toEqual(["failure", "failure"]);
    expect(botComments(repo, 1)).toHaveLength(1);

    // The emulator sends no pull_request.edited (no way to edit a title there), so the fixed title comes as a new pull request.
    emulator.commit(repo, { "c.txt": "c\n" }, "Parser fix", "tidy", { user: "mona" });
    emulator.openPullRequest(repo, { number: 2, title: "fix(parser): handle empty input", body: "Fixes #1.", head: "tidy", base: "main", user: "mona" });
    const all = await finished(repo, "PR hygiene", 3);
    expect(all.at(-1)).toMatchObject({ conclusion: "success", head_sha: emulator.headSha(repo, "tidy") });
    expect(emulator.comments(repo, 2)).toEqual([]);
  });
});

// ── scheduled templates ─────────────────────────────────────────────────────

/** A repository whose workflows arrive by a push to the default branch, as an author adds them: that push compiles them and registers their schedules. */
async function repoWithPushedWorkflows(name: string, files: Record<string, string>, collaborators: Record<string, Role> = {}): Promise<string> {
  const repo = newRepo(name, {}, collaborators);
  emulator.commit(repo, files, "Add workflows", undefined, { user: "octo-org" });
  await emulator.webhooksSettled();
  return repo;
}

async function postApi(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${service.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** What `npm run replay -- schedule <workflow>` does: the next tick now, once the push has registered the schedule. */
async function fireSchedule(repo: string, workflow: string): Promise<void> {
  let last: unknown;
  try {
    await waitFor(`the schedule of ${workflow} on ${repo} to be registered`, async () => {
      const answer = await postApi(`/api/repos/${repo}/schedules/fire`, { workflow });
      last = answer;
      return answer.status === 202;
    }, RUN_TIMEOUT);
  } catch (error) {
    const compiled = emulator.checkRuns(repo).filter((run) => run.name.includes("compile")).map((run) => ({ conclusion: run.conclusion, output: run.output.summary }));
    throw new Error(`${(error as Error).message}; the last answer was ${JSON.stringify(last)}, the compile check runs ${JSON.stringify(compiled)}`);
  }
}

describe("stale-sweep.ts", () => {
  it("marks open issues idle for 30 days stale, closes them 7 days later unless a person commented, and leaves fresh, pinned issues and pull requests alone", async () => {
    const repo = await repoWithPushedWorkflows("stale", templates("stale-sweep.ts"));
    emulator.openIssue(repo, { number: 1, title: "Old, a week of grace left", user: "mona" });
    emulator.openIssue(repo, { number: 2, title: "Fresh", user: "mona" });
    emulator.openIssue(repo, { number: 3, title: "Old but pinned", user: "mona", labels: ["pinned"] });
    emulator.commit(repo, { "old.txt": "old\n" }, "An old change", "old-change", { user: "mona" });
    emulator.openPullRequest(repo, { number: 4, title: "An old pull request", head: "old-change", base: "main", user: "mona" });
    emulator.openIssue(repo, { number: 5, title: "Old, nobody answers", user: "mona" });
    emulator.openIssue(repo, { number: 6, title: "Old, then answered", user: "mona" });
    emulator.openIssue(repo, { number: 7, title: "Housekeeping", user: "octo-org" });
    await emulator.webhooksSettled();
    for (const n of [1, 3, 4, 5, 6]) emulator.ageIssue(repo, n, { days: 40 });

    // The first sweep by hand (on.dispatch): the owner's /run. The service knows a repository from an
    // installation event or an earlier run, and the emulator sends no installation events, so until this
    // run the schedule cannot be fired through the API (404).
    const command = emulator.comment(repo, 7, "/run stale-sweep", { user: "octo-org" });
    expect((await finished(repo, "Stale sweep", 1))[0]!.conclusion).toBe("success");
    await waitFor("🚀 on the /run", () => emulator.reactions(repo, { comment: command.id }).includes("rocket"), RUN_TIMEOUT);
    for (const n of [1, 5, 6]) {
      expect(emulator.labels(repo, n)).toEqual(["stale"]);
      expect(botComments(repo, n).map((c) => c.body)).toEqual([expect.stringContaining("no activity for 30 days, so it is marked `stale`. It will be closed in 7 days")]);
    }
    expect(emulator.labels(repo, 2)).toEqual([]);
    expect(emulator.labels(repo, 3)).toEqual(["pinned"]);
    expect(emulator.labels(repo, 4)).toEqual([]);
    for (const n of [2, 3, 4]) expect(emulator.comments(repo, n)).toEqual([]);
    expect(emulator.labels(repo, 7)).toEqual([]);

    // mona answers on #6; a week and a day pass for #5 and #6, three days for #1.
    emulator.comment(repo, 6, "Still happens on 2.3.", { user: "mona" });
    await emulator.webhooksSettled();
    for (const n of [5, 6]) emulator.ageIssue(repo, n, { days: 8 });
    emulator.ageIssue(repo, 1, { days: 3 });

    // The next morning's sweep, fired now.
    await fireSchedule(repo, "stale-sweep");
    expect((await finished(repo, "Stale sweep", 2)).map((run) => run.conclusion)).toEqual(["success", "success"]);

    const closed = await read<{ state: string; state_reason: string | null }>(`/repos/${repo}/issues/5`);
    expect(closed).toMatchObject({ state: "closed", state_reason: "not_planned" });
    expect(botComments(repo, 5).map((c) => c.body)).toEqual([expect.stringContaining("marked `stale`"), expect.stringContaining("Closing this issue: nobody commented in the 7 days")]);
    // The person's comment took the label off, and nothing more was said.
    expect((await read<{ state: string }>(`/repos/${repo}/issues/6`)).state).toBe("open");
    expect(emulator.labels(repo, 6)).toEqual([]);
    expect(emulator.comments(repo, 6).map((c) => c.user)).toEqual([BOT, "mona"]);
    // Still within its week: stale, open, one notice.
    expect((await read<{ state: string }>(`/repos/${repo}/issues/1`)).state).toBe("open");
    expect(emulator.labels(repo, 1)).toEqual(["stale"]);
    expect(botComments(repo, 1)).toHaveLength(1);
    expect(emulator.labels(repo, 2)).toEqual([]);
    expect(emulator.labels(repo, 3)).toEqual(["pinned"]);
    expect(emulator.labels(repo, 4)).toEqual([]);
    for (const n of [2, 3, 4]) expect(emulator.comments(repo, n)).toEqual([]);
  });
});

/** The ISO 8601 week ("2026-W49") of a moment on Berlin's calendar. */
function berlinWeek(at: number): string {
  const [y = 0, m = 1, d = 1] = new Date(at).toLocaleDateString("sv-SE", { timeZone: "Europe/Berlin" }).split("-").map(Number);
  const day = Date.UTC(y, m - 1, d) / 86_400_000;
  const mondayBased = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
  // The week belongs to the year of its Thursday.
  const thursday = day - mondayBased + 3;
  const year = new Date(thursday * 86_400_000).getUTCFullYear();
  return `${year}-W${String(Math.floor((thursday - Date.UTC(year, 0, 1) / 86_400_000) / 7) + 1).padStart(2, "0")}`;
}

/** What the App changed on a repository from the request at `from` on: every write but its check runs. */
function writesSince(repo: string, from: number): string[] {
  return emulator.requests
    .slice(from)
    .filter((r) => r.method !== "GET" && r.path.startsWith(`/repos/${repo}/`) && !r.path.includes("/check-runs"))
    .map((r) => `${r.method} ${r.path}`);
}

describe("release-train.ts", () => {
  it("cuts release/<ISO week> from develop with one pull request listing the commits since the last release; another run that week changes nothing", async () => {
    const repo = await repoWithPushedWorkflows("release-train", templates("release-train.ts"));
    emulator.openIssue(repo, { number: 1, title: "Release planning", user: "octo-org" });

    // A run by hand before there is a develop branch fails, and its check run says what to do. (It also makes
    // the repository known to the service, which firing a schedule through the API needs: see stale-sweep.ts.)
    emulator.comment(repo, 1, "/run release-train", { user: "octo-org" });
    const [failed] = await finished(repo, "Release train", 1);
    expect(failed!.conclusion).toBe("failure");
    expect(JSON.stringify(failed!.output)).toContain("there is no branch `develop`");

    const parser = emulator.commit(repo, { "src/parser.ts": "export const parse = () => 1;\n" }, "feat: a parser", "develop", { user: "mona" });
    const fix = emulator.commit(repo, { "src/parser.ts": "export const parse = () => 2;\n" }, "fix: empty input\n\nThe parser returned 1 for nothing.", "develop", { user: "hubot" });
    await emulator.webhooksSettled();
    const weekBefore = berlinWeek(Date.now());
    await fireSchedule(repo, "release-train");
    expect((await finished(repo, "Release train", 2))[1]!.conclusion).toBe("success");
    const weeks = [weekBefore, berlinWeek(Date.now())];

    const opened = deliveriesFor(repo, "pull_request", "opened").map((d) => d.request.payload as { number: number; pull_request: { title: string; user: { login: string }; base: { ref: string }; head: { ref: string; sha: string } } });
    expect(opened).toHaveLength(1);
    const { number, pull_request: pr } = opened[0]!;
    const week = pr.head.ref.replace(/^release\//, "");
    expect(weeks).toContain(week);
    expect(pr).toMatchObject({ title: `Release ${week}`, user: { login: BOT }, base: { ref: "main" }, head: { ref: `release/${week}`, sha: fix.sha } });
    const train = await read<{ body: string; state: string; commits: number }>(`/repos/${repo}/pulls/${number}`);
    expect(train).toMatchObject({ state: "open", commits: 2 });
    expect(train.body).toContain("2 commits since the last release:");
    expect(train.body).toContain(`- ${parser.sha.slice(0, 7)} feat: a parser`);
    expect(train.body).toContain(`- ${fix.sha.slice(0, 7)} fix: empty input`);
    expect(train.body).not.toContain("The parser returned 1");

    // develop moves on; the same week's train has left: a second tick changes nothing at all.
    emulator.commit(repo, { "src/next.ts": "export const next = true;\n" }, "feat: for next week", "develop", { user: "mona" });
    await emulator.webhooksSettled();
    const from = emulator.requests.length;
    await fireSchedule(repo, "release-train");
    expect((await finished(repo, "Release train", 3))[2]!.conclusion).toBe("success");
    expect(writesSince(repo, from)).toEqual([]);
    expect(deliveriesFor(repo, "pull_request", "opened")).toHaveLength(1);
    expect(emulator.headSha(repo, `release/${week}`)).toBe(fix.sha);
    expect((await read<{ body: string }>(`/repos/${repo}/pulls/${number}`)).body).toBe(train.body);
  });
});

describe("automerge.ts", () => {
  it("does not merge, and says why in its one comment, when no check finishes in time, when commits are pushed meanwhile, or when the label is taken off", async () => {
    // The template waits a day for the checks; this copy waits 20 seconds, the one line changed.
    const source = readFileSync(join(TEMPLATES, "automerge.ts"), "utf8");
    const shortWait = source.replace('const CHECKS_TIMEOUT: Duration = "1 day";', 'const CHECKS_TIMEOUT: Duration = "20 seconds";');
    expect(shortWait).not.toBe(source);
    const repo = newRepo("automerge", { ...templates(), ".workflows/automerge.ts": shortWait }, { mona: "write" });
    const pulls = [
      { number: 1, title: "feat: nothing reports on this one", head: "quiet" },
      { number: 2, title: "feat: pushed to while it waits", head: "busy" },
      { number: 3, title: "feat: changed my mind", head: "undecided" },
    ];
    for (const { number, title, head } of pulls) {
      emulator.commit(repo, { [`${head}.txt`]: `${head}\n` }, title, head, { user: "mona" });
      emulator.openPullRequest(repo, { number, title, head, base: "main", user: "mona" });
      emulator.label(repo, number, "automerge", { user: "octo-org" });
    }
    const heads = Object.fromEntries(pulls.map(({ number, head }) => [number, emulator.headSha(repo, head).slice(0, 7)]));
    for (const { number } of pulls) await botComment(repo, number, `Merging ${heads[number]} once all of its checks pass (waiting up to 20 seconds).`);

    const pushed = emulator.commit(repo, { "busy.txt": "busier\n" }, "More work", "busy", { user: "mona" });
    emulator.unlabel(repo, 3, "automerge", { user: "octo-org" });

    await botComment(repo, 1, `Not merged: the checks on ${heads[1]} did not all finish within 20 seconds.`);
    await botComment(repo, 2, `Not merged: new commits were pushed (now ${pushed.sha.slice(0, 7)}); add the \`automerge\` label again`);
    await botComment(repo, 3, "Not merged: the `automerge` label was removed.");
    expect((await finished(repo, "Automerge", 3)).map((run) => run.conclusion)).toEqual(["success", "success", "success"]);
    for (const { number } of pulls) {
      expect((await read<{ merged: boolean; state: string }>(`/repos/${repo}/pulls/${number}`)).merged).toBe(false);
      // One status comment, edited from "Merging …" to the outcome.
      expect(botComments(repo, number)).toHaveLength(1);
    }
  });

  it("merges once CI's pending commit status turns success, and names the failed check when it fails", async () => {
    const repo = newRepo("automerge-ci", templates("automerge.ts"), { mona: "write" });
    const pulls = [
      { number: 1, title: "feat: green", head: "green" },
      { number: 2, title: "feat: red", head: "red" },
    ];
    for (const { number, title, head } of pulls) {
      emulator.commit(repo, { [`${head}.txt`]: `${head}\n` }, title, head, { user: "mona" });
      emulator.openPullRequest(repo, { number, title, head, base: "main", user: "mona" });
      // CI has started on the head: a pending status, so there is something to wait for.
      emulator.reportStatus(repo, emulator.headSha(repo, head), { context: "ci/tests", state: "pending" });
      emulator.label(repo, number, "automerge", { user: "octo-org" });
    }
    const heads = Object.fromEntries(pulls.map(({ number, head }) => [number, emulator.headSha(repo, head)]));
    for (const { number } of pulls) await botComment(repo, number, `Merging ${heads[number]!.slice(0, 7)} once all of its checks pass`);
    emulator.reportStatus(repo, heads[1]!, { context: "ci/tests", state: "success" });
    emulator.reportStatus(repo, heads[2]!, { context: "ci/tests", state: "failure", description: "2 tests failed" });
    await botComment(repo, 1, `Merged ${heads[1]!.slice(0, 7)}`);
    await botComment(repo, 2, "Not merged: checks did not pass: ci/tests (failure).");
    expect((await read<{ merged: boolean }>(`/repos/${repo}/pulls/1`)).merged).toBe(true);
    expect((await read<{ merged: boolean }>(`/repos/${repo}/pulls/2`)).merged).toBe(false);
  });
});

describe("nudge-reviewers.ts", () => {
  it("nudges a reviewer of an earlier commit once, a minute after the last of ten pushes, about the commit they ended on", async () => {
    const repo = newRepo("nudge", templates("nudge-reviewers.ts"), { mona: "write", hubot: "write" });
    emulator.commit(repo, { "src/feature.ts": "export const step = 0;\n" }, "Start the feature", "feature", { user: "mona" });
    emulator.openPullRequest(repo, { number: 1, title: "feat: the feature", head: "feature", base: "main", user: "mona" });
    emulator.review(repo, 1, { state: "CHANGES_REQUESTED", body: "Split this into smaller steps, please.", user: "hubot" });
    for (let i = 1; i <= 10; i++) emulator.commit(repo, { "src/feature.ts": `export const step = ${i};\n` }, `Step ${i}`, "feature", { user: "mona" });
    const last = emulator.headSha(repo, "feature");
    await emulator.webhooksSettled();
    expect(deliveriesFor(repo, "pull_request", "synchronize")).toHaveLength(10);

    // The run starts a quiet minute after the last push.
    const nudge = await waitFor("the nudge", () => botComments(repo, 1)[0], 60_000 + RUN_TIMEOUT);
    expect(nudge.body).toContain(`@hubot: this pull request is ready for your review at ${last.slice(0, 7)}.`);
    const [run] = await finished(repo, "Nudge reviewers", 1);
    expect(run).toMatchObject({ conclusion: "success", head_sha: last });
    // One run took in all ten events; its lineage (on the dashboard) says so, and so nothing else will follow.
    const { runs } = (await (await fetch(`${service.url}/api/runs?repo=${encodeURIComponent(repo)}`)).json()) as { runs: { id: string; workflowName: string }[] };
    expect(runs.map((r) => r.workflowName)).toEqual(["Nudge reviewers"]);
    const detail = (await (await fetch(`${service.url}/api/runs/${runs[0]!.id}`)).json()) as { run: { lineage: string | null } };
    expect(detail.run.lineage).toMatch(/^Debounced: started on the last of 10 events/);
    expect(botComments(repo, 1)).toHaveLength(1);
    expect(outcomes(repo, "Nudge reviewers")).toHaveLength(1);
  }, 60_000 + 2 * RUN_TIMEOUT);
});
