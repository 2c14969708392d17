/**
 * A workflow can do no more on GitHub than it declares (invariant 11): each
 * run's requests carry a token minted for its repository and its declared
 * permissions, so the emulator refuses the rest exactly as GitHub would,
 * GraphQL included, and the step says what to declare.
 */
import { describe, expect, it } from "vitest";
import { deliver } from "../support/deliver.ts";
import { pullRequestOpened, pushTo, type Target } from "../support/payloads.ts";
import { waitFor, WEBHOOK_SECRET } from "../support/stack.ts";
import { useStack } from "../support/use-stack.ts";

const stack = useStack();
let nextInstallation = 9100;

function newRepo(name: string, files: Record<string, string>): Target & { sha: string } {
  const target = { fullName: `octo-org/${name}`, installationId: nextInstallation++, defaultBranch: "main" };
  const { sha } = stack.emulator.addRepo({ ...target, private: false, files: { "README.md": `# ${name}\n`, ...files } });
  return { ...target, sha };
}

async function openAndDeliver(repo: Target, number: number): Promise<string> {
  stack.emulator.openPullRequest(repo.fullName, { number, title: `Change ${number}`, head: `feature-${number}`, base: "main" });
  const headSha = stack.emulator.headSha(repo.fullName, `feature-${number}`);
  const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number, headSha }));
  expect(sent.status).toBe(202);
  return headSha;
}

/** Read as anyone may read a public repository, without a token. */
async function merged(repo: Target, number: number): Promise<boolean> {
  const res = await fetch(`${stack.emulator.url}/repos/${repo.fullName}/pulls/${number}`, { headers: { accept: "application/vnd.github+json" } });
  return ((await res.json()) as { merged: boolean }).merged;
}

const completed = (repo: Target, name: string) => () => stack.emulator.checkRuns(repo.fullName).find((run) => run.name === name && run.status === "completed");

/** The emulator records each refusal as a request the real GitHub would reject; these tests make them on purpose. */
function takeViolations(pattern: RegExp): string[] {
  const taken = stack.emulator.violations.filter((line) => pattern.test(line));
  const kept = stack.emulator.violations.filter((line) => !pattern.test(line));
  stack.emulator.violations.splice(0, stack.emulator.violations.length, ...kept);
  return taken;
}

const merger = (permissions: string) => `
import { workflow } from "repoflow";
export default workflow({
  name: "Merge",
  permissions: ${permissions},
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    await step.do("merge", { retries: { limit: 0, delay: 0 } }, async () => {
      const { data } = await github.rest.pulls.merge({ ...repo, pull_number: event.pull_request.number });
      return data.sha;
    });
  },
});
`;

describe("declared permissions, enforced by GitHub (invariant 11)", () => {
  it("refuses a merge to a workflow that declares issues: write, as GitHub would, with the fix in the step's error", async () => {
    const repo = newRepo("perm-issues-only", { ".workflows/merge.ts": merger(`{ issues: "write" }`) });
    await openAndDeliver(repo, 3);

    const check = await waitFor("the Merge check run", completed(repo, "repoflow: Merge"), 60_000);
    expect(check.conclusion).toBe("failure");
    expect(check.output.summary).toContain("Token permissions: issues: write, metadata: read.");
    expect(`${check.output.summary}\n${check.output.text ?? ""}`).toMatch(
      /Resource not accessible by integration \(PUT \/repos\/octo-org\/perm-issues-only\/pulls\/3\/merge\): this workflow's token holds only issues: write, metadata: read\. Declare what the request needs in workflow\(\{ permissions \}\)/,
    );
    expect(await merged(repo, 3)).toBe(false);

    // The token was asked for exactly the declaration, for this one repository.
    const mints = stack.emulator.requests.filter((r) => r.method === "POST" && /\/app\/installations\/\d+\/access_tokens$/.test(r.path) && (r.body as { permissions?: unknown })?.permissions);
    expect(mints.map((r) => r.body)).toContainEqual({ repositories: ["perm-issues-only"], permissions: { issues: "write", metadata: "read" } });
    expect(takeViolations(/pulls\/3\/merge: the token lacks contents:write/)).toHaveLength(1);
  });

  it("merges when the workflow declares contents: write", async () => {
    const repo = newRepo("perm-contents-write", { ".workflows/merge.ts": merger(`{ contents: "write", pull_requests: "read" }`) });
    await openAndDeliver(repo, 4);
    const check = await waitFor("the Merge check run", completed(repo, "repoflow: Merge"), 60_000);
    expect(check.conclusion).toBe("success");
    expect(check.output.summary).toContain("Token permissions: contents: write, metadata: read, pull_requests: read.");
    expect(await merged(repo, 4)).toBe(true);
  });

  it("gives a workflow that declares nothing a read-only token: it reads the pull request, and its comment is refused", async () => {
    const repo = newRepo("perm-default", {
      ".workflows/reader.ts": `
import { workflow } from "repoflow";
export default workflow({
  name: "Reader",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const title = await step.do("read", async () => (await github.rest.pulls.get({ ...repo, pull_number: event.pull_request.number })).data.title);
    await step.do("comment", { retries: { limit: 0, delay: 0 } }, () => github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: title }).then(() => true));
  },
});
`,
    });
    await openAndDeliver(repo, 5);
    const check = await waitFor("the Reader check run", completed(repo, "repoflow: Reader"), 60_000);
    expect(check.conclusion).toBe("failure");
    expect(check.output.summary).toContain("Token permissions: contents: read, issues: read, metadata: read, pull_requests: read.");
    expect(check.output.summary).toMatch(/✅ \| read \|/);
    expect(stack.emulator.comments(repo.fullName, 5)).toEqual([]);
    expect(takeViolations(/issues\/5\/comments: the token lacks/)).toHaveLength(1);
  });

  it("lets GraphQL through for the run's own repository only: another repository of the installation does not resolve", async () => {
    const repo = newRepo("perm-graphql", {
      ".workflows/query.ts": `
import { workflow } from "repoflow";
export default workflow({
  name: "Query",
  permissions: { pull_requests: "write" },
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const number = event.pull_request.number;
    const own = await step.do("own", async () => {
      const data = await github.graphql<{ repository: { pullRequest: { title: string } } }>(
        "query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { pullRequest(number: $number) { title } } }",
        { owner: repo.owner, name: repo.repo, number },
      );
      return data.repository.pullRequest.title;
    });
    const other = await step.do("other", async () => {
      try {
        await github.graphql('query { repository(owner: "octo-org", name: "perm-graphql-private") { pullRequest(number: 1) { title } } }');
        return "reachable";
      } catch (error) {
        return (error as { errors?: { type?: string }[] }).errors?.[0]?.type ?? String(error);
      }
    });
    await step.do("report", () => github.rest.issues.createComment({ ...repo, issue_number: number, body: "own=" + own + "; other=" + other }).then(() => true));
  },
});
`,
    });
    // The same installation holds a private repository with a pull request the run must not see.
    stack.emulator.addRepo({ fullName: "octo-org/perm-graphql-private", installationId: repo.installationId, private: true, files: { "README.md": "secret\n" } });
    stack.emulator.openPullRequest("octo-org/perm-graphql-private", { number: 1, title: "Secret plans", head: "secret", base: "main" });

    await openAndDeliver(repo, 6);
    const check = await waitFor("the Query check run", completed(repo, "repoflow: Query"), 60_000);
    expect(check.conclusion).toBe("success");
    expect(stack.emulator.comments(repo.fullName, 6).map((c) => c.body)).toEqual(["own=Change 6; other=NOT_FOUND"]);
    expect(stack.emulator.requests.filter((r) => r.path === "/graphql" && r.status === 200)).toHaveLength(2);
  });

  it("never lets a workflow write repoflow's own check runs", async () => {
    const repo = newRepo("perm-forge", {
      ".workflows/forge.ts": `
import { workflow } from "repoflow";
export default workflow({
  name: "Forge",
  permissions: { checks: "read", pull_requests: "write" },
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    // The check run opens beside the first step; from the second on, it exists.
    await step.do("begin", async () => true);
    const answer = await step.do("forge", async () => {
      const { data } = await github.rest.checks.listForRef({ ...repo, ref: event.pull_request.head.sha });
      const mine = data.check_runs.find((run) => run.name === "repoflow: Forge");
      try {
        await github.rest.checks.update({ ...repo, check_run_id: mine!.id, status: "completed", conclusion: "success" });
        return "forged";
      } catch (error) {
        return String((error as { status?: number }).status) + " " + (error as Error).message;
      }
    });
    await step.do("report", () => github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: answer }).then(() => true));
  },
});
`,
    });
    await openAndDeliver(repo, 7);
    const check = await waitFor("the Forge check run", completed(repo, "repoflow: Forge"), 60_000);
    expect(check.conclusion).toBe("success");
    const [body] = stack.emulator.comments(repo.fullName, 7).map((c) => c.body);
    expect(body).toMatch(/^403 repoflow: check runs and suites are repoflow's own/);
    // Nothing reached the emulator: the only PATCHes of the check run are repoflow's own.
    expect(stack.emulator.requests.filter((r) => r.method === "PATCH" && r.path.includes("/check-runs/") && r.headers["user-agent"]?.includes("repoflow-workflow"))).toEqual([]);
  });

  it("does not take a workflow's word for its permissions: a getter that says read to the check and write to the token is a compile error, never a token", async () => {
    const repo = newRepo("perm-liar", {});
    const { sha } = stack.emulator.commit(
      repo.fullName,
      {
        ".workflows/liar.ts": `
import { workflow } from "repoflow";
let asked = 0;
export default workflow({
  name: "Liar",
  // Read once by the tenant's own check ("read"), then again when its manifest is built ("write").
  permissions: { get checks() { asked += 1; return (asked > 1 ? "write" : "read") as "read"; } },
  on: { pull_request: ["opened"] },
  async run() {},
});
`,
      },
      "Add a workflow that lies about its permissions",
    );
    await deliver(stack.service.url, WEBHOOK_SECRET, "push", pushTo(repo, { before: repo.sha, after: sha, paths: [".workflows/liar.ts"] }));
    const compile = await waitFor("the compile check run", completed(repo, "repoflow: compile .workflows"), 60_000);
    expect(compile.conclusion).toBe("failure");
    expect(compile.output.annotations).toEqual([expect.objectContaining({ path: ".workflows/liar.ts", annotation_level: "failure", message: expect.stringMatching(/its permissions could not be read as declared/) })]);
    stack.emulator.openPullRequest(repo.fullName, { number: 10, title: "Change 10", head: "feature-10", base: "main" });
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 10, headSha: stack.emulator.headSha(repo.fullName, "feature-10") }));
    const processed = await waitFor("the pull request's delivery to be processed", async () => {
      const view = (await (await fetch(`${stack.service.url}/api/deliveries/${sent.id}`)).json()) as { delivery?: { status: string; outcome?: { ignored?: string } | null }; runs?: unknown[] };
      return view.delivery?.status === "processed" ? view : null;
    }, 60_000);
    // Nothing ran, so no token with checks: write was ever asked for.
    expect(processed.runs).toEqual([]);
    expect(processed.delivery?.outcome?.ignored).toMatch(/did not compile/);
    expect(stack.emulator.checkRuns(repo.fullName).filter((run) => run.name === "repoflow: Liar")).toEqual([]);
    const mints = stack.emulator.requests.filter((r) => /\/access_tokens$/.test(r.path) && (r.body as { permissions?: Record<string, string> })?.permissions?.checks === "write");
    expect(mints).toEqual([]);
  });

  it("names, on the compile check, a permission a workflow declares and the App lacks; its runs fail saying how to grant it", async () => {
    const repo = newRepo("perm-app-lacks", {});
    const { sha } = stack.emulator.commit(
      repo.fullName,
      {
        ".workflows/admin.ts": `
import { workflow } from "repoflow";
export default workflow({
  name: "Admin",
  permissions: { administration: "write" },
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    await step.do("settings", { retries: { limit: 0, delay: 0 } }, () => github.rest.repos.get(repo).then((r) => r.data.full_name));
  },
});
`,
      },
      "Add a workflow that asks too much",
    );
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "push", pushTo(repo, { before: repo.sha, after: sha, paths: [".workflows/admin.ts"] }));
    expect(sent.status).toBe(202);
    const compile = await waitFor("the compile check run", completed(repo, "repoflow: compile .workflows"), 60_000);
    expect(compile.output.annotations).toEqual([
      expect.objectContaining({ path: ".workflows/admin.ts", annotation_level: "warning", message: expect.stringMatching(/"Admin" declares administration: write, which the GitHub App does not have/) }),
    ]);

    await openAndDeliver(repo, 8);
    const check = await waitFor("the Admin check run", completed(repo, "repoflow: Admin"), 60_000);
    expect(check.conclusion).toBe("failure");
    expect(`${check.output.summary}\n${check.output.text ?? ""}`).toMatch(/does not grant all the permissions this workflow declares on octo-org\/perm-app-lacks \(administration: write, metadata: read;/);
    expect(takeViolations(/access_tokens/).length).toBeGreaterThan(0);
  });
});
