/**
 * The product, end to end: `wrangler dev` plus the GitHub emulator, driven
 * the way GitHub drives it (signed real example payloads). Each test gets its
 * own repository on one shared stack; the restart test runs last because it
 * restarts the service.
 */
import { describe, expect, it } from "vitest";
import { deliver } from "../support/deliver.ts";
import { pullRequestOpened, pushTo, type Target } from "../support/payloads.ts";
import { waitFor, WEBHOOK_SECRET } from "../support/stack.ts";
import { useStack } from "../support/use-stack.ts";

const stack = useStack();
let nextInstallation = 7000;

function newRepo(name: string, files: Record<string, string>): Target & { sha: string } {
  const target = { fullName: `octo-org/${name}`, installationId: nextInstallation++, defaultBranch: "main" };
  const { sha } = stack.emulator.addRepo({ ...target, files: { "README.md": `# ${name}\n`, ...files } });
  return { ...target, sha };
}

function openPr(target: Target, number: number) {
  stack.emulator.openPullRequest(target.fullName, { number, title: `PR ${number}`, head: `feature-${number}`, base: "main" });
  return stack.emulator.headSha(target.fullName, `feature-${number}`);
}

const completed = (target: Target, name: string) => () =>
  stack.emulator.checkRuns(target.fullName).find((run) => run.name === name && run.status === "completed");

const GREETER = `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Greet",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const number = event.pull_request.number;
    console.log("greeting PR", number);
    await step.do("comment", async () => {
      console.warn("about to comment on", number);
      await github.rest.issues.createComment({ ...repo, issue_number: number, body: "Thanks for the PR!" });
    });
    await step.do("label", async () => {
      await github.rest.issues.addLabels({ ...repo, issue_number: number, labels: ["triage"] });
    });
    return { greeted: number };
  },
});
`;

describe("runs", () => {
  it("runs pull_request.opened to a successful check run, posting the workflow's comment", async () => {
    const repo = newRepo("greeter", { ".workflows/greet.ts": GREETER });
    const headSha = openPr(repo, 7);
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 7, headSha }));
    expect(sent.status).toBe(202);

    const run = await waitFor("the Greet check run to complete", completed(repo, "repoflow: Greet"), 60_000);
    expect(run).toMatchObject({ head_sha: headSha, conclusion: "success" });
    expect(run.output.summary).toContain("comment");
    expect(run.output.summary).toContain("label");
    expect(stack.emulator.comments(repo.fullName, 7).map((c) => c.body)).toEqual(["Thanks for the PR!"]);
    expect(stack.emulator.labels(repo.fullName, 7)).toContain("triage");

    // console output of the workflow is kept with the run, attributed to its step.
    const delivery = (await (await fetch(`${stack.service.url}/api/deliveries/${sent.id}`)).json()) as { runs: { id: string }[] };
    const logs = (await (await fetch(`${stack.service.url}/api/runs/${delivery.runs[0]!.id}/logs`)).json()) as { lines: { level: string; step: string | null; message: string }[]; capped: boolean };
    expect(logs.capped).toBe(false);
    expect(logs.lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: "log", step: null, message: "greeting PR 7" }),
        expect.objectContaining({ level: "warn", step: "comment", message: "about to comment on 7" }),
      ]),
    );

    // It went through in_progress first: created in progress, then completed.
    const creates = stack.emulator.requests.filter((r) => r.method === "POST" && r.path === `/repos/${repo.fullName}/check-runs`);
    expect(creates.map((r) => (r.body as { status?: string }).status)).toEqual(["in_progress"]);
  });

  it("compiles once per .workflows content: later events on the same HEAD, or a HEAD with the same folder, fetch no blob and compile nothing", async () => {
    // Content of its own: an identical .workflows tree in another repository would already be compiled.
    const repo = newRepo("cached", { ".workflows/greet.ts": `${GREETER}\n// cached ${Date.now()}\n` });
    const gitReads = () => stack.emulator.requests.filter((r) => /^\/repos\/[^/]+\/[^/]+\/git\/(trees|blobs)\//.test(r.path) && r.path.startsWith(`/repos/${repo.fullName}/`));
    const first = openPr(repo, 1);
    await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 1, headSha: first }));
    await waitFor("the first run", completed(repo, "repoflow: Greet"), 60_000);
    const afterFirst = gitReads().length;
    expect(gitReads().some((r) => r.path.includes("/git/blobs/"))).toBe(true);

    const second = openPr(repo, 2);
    await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 2, headSha: second }));
    await waitFor("the second run", () => stack.emulator.comments(repo.fullName, 2).length > 0, 60_000);
    expect(gitReads().length, "same HEAD: no tree or blob request").toBe(afterFirst);

    const before = stack.emulator.headSha(repo.fullName);
    const { sha: after } = stack.emulator.commit(repo.fullName, { "README.md": "docs only" });
    // GitHub's push reaches the inbox before the next event: HEAD moves, .workflows/ did not, so neither does the bundle.
    await deliver(stack.service.url, WEBHOOK_SECRET, "push", pushTo(repo, { before, after, paths: ["README.md"] }));
    const third = openPr(repo, 3);
    await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 3, headSha: third }));
    await waitFor("the third run", () => stack.emulator.comments(repo.fullName, 3).length > 0, 60_000);
    // The README commit's push left .workflows/ alone: the inbox moved its index to the new HEAD with the same bundle.
    const newReads = gitReads().slice(afterFirst);
    expect(newReads.filter((r) => r.path.includes("/git/blobs/")), "same .workflows tree: no blob download").toEqual([]);
    const runs = (await (await fetch(`${stack.service.url}/api/runs?repo=${encodeURIComponent(repo.fullName)}`)).json()) as { runs: { commitSha: string }[] };
    expect(runs.runs.map((run) => run.commitSha)).toContain(after);
  });

  it("starts no second run for a redelivered delivery (invariant 2)", async () => {
    const repo = newRepo("redelivery", { ".workflows/greet.ts": GREETER });
    const headSha = openPr(repo, 3);
    const payload = pullRequestOpened(repo, { number: 3, headSha });
    const first = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", payload);
    await waitFor("the first run", completed(repo, "repoflow: Greet"), 60_000);
    const again = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", payload, { id: first.id });
    expect(again).toMatchObject({ status: 202, body: { status: "duplicate" } });
    // Give a wrongly started second run time to show itself.
    await new Promise((r) => setTimeout(r, 3000));
    expect(stack.emulator.checkRuns(repo.fullName).filter((r) => r.name === "repoflow: Greet")).toHaveLength(1);
    expect(stack.emulator.comments(repo.fullName, 3)).toHaveLength(1);
  });

  it("reports a compile error as a failed check run with an annotation at the right line (invariant 5)", async () => {
    const broken = `import { workflow } from "repoflow";\n\nexport default workflow({\n  name: "Broken",\n  on: { push: [] },\n  async run() {\n    const x = ;\n  },\n});\n`;
    const repo = newRepo("broken", {});
    const before = repo.sha;
    const { sha } = stack.emulator.commit(repo.fullName, { ".workflows/broken.ts": broken }, "Add a broken workflow");
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "push", pushTo(repo, { before, after: sha, paths: [".workflows/broken.ts"] }));
    expect(sent.status).toBe(202);

    const check = await waitFor("the compile check run", completed(repo, "repoflow: compile .workflows"), 60_000);
    expect(check).toMatchObject({ head_sha: sha, conclusion: "failure" });
    expect(check.output.annotations).toEqual([
      expect.objectContaining({ path: ".workflows/broken.ts", start_line: 7, annotation_level: "failure" }),
    ]);
  });
});

// An endless loop is not among these: Cloudflare ends it with the Dynamic Worker's cpuMs limit
// (src/dispatch/loader.ts), but local workerd does not enforce CPU limits, so locally it would
// hang the whole dev server. docs/authors.md says so.
describe("honest logs", () => {
  it("says where a step's lines and the run's byte budget stopped the logs: a marker line each, and capped: true", async () => {
    const repo = newRepo("chatty", {
      ".workflows/chatty.ts": `
import { workflow } from "repoflow";
export default workflow({
  name: "Chatty",
  on: { pull_request: ["opened"] },
  async run({ step }) {
    await step.do("noisy", async () => {
      for (let i = 0; i < 20000; i++) console.log("line " + i);
    });
    await step.do("big", async () => {
      for (let i = 0; i < 400; i++) console.log(String(i).padEnd(1000, "x"));
    });
  },
});
`,
    });
    const headSha = openPr(repo, 11);
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 11, headSha }));
    await waitFor("the Chatty check run to complete", completed(repo, "repoflow: Chatty"), 60_000);
    const delivery = (await (await fetch(`${stack.service.url}/api/deliveries/${sent.id}`)).json()) as { runs: { id: string }[] };
    const logs = (await (await fetch(`${stack.service.url}/api/runs/${delivery.runs[0]!.id}/logs`)).json()) as { lines: { level: string; step: string | null; message: string }[]; capped: boolean };
    expect(logs.capped).toBe(true);
    const noisy = logs.lines.filter((line) => line.step === "noisy");
    expect(noisy).toHaveLength(1001);
    expect(noisy.at(-2)?.message).toBe("line 999");
    expect(noisy.at(-1)).toMatchObject({ level: "warn", message: 'repoflow: 19,000 more console lines were not kept from step "noisy": a step keeps at most 1,000 lines. Log less, or return what matters as the step\'s result.' });
    const big = logs.lines.filter((line) => line.step === "big");
    expect(big.length).toBeGreaterThan(200);
    expect(big.length).toBeLessThan(400);
    expect(big.at(-1)).toMatchObject({ level: "warn", message: "repoflow: this run's logs reached 256 KB; later lines are not kept." });
  });
});

describe("hostile workflow code (invariants 4 and 5)", () => {
  const hostile = (name: string, body: string) => `
import { workflow } from "repoflow";
export default workflow({
  name: ${JSON.stringify(name)},
  on: { issues: ["opened"] },
  async run({ step, github, repo }) {
    ${body}
  },
});
`;

  it("fails cleanly, is reported failed, and the service keeps serving", async () => {
    const repo = newRepo("hostile", {
      ".workflows/token.ts": hostile(
        "Steal token",
        `const found = await step.do("look for a token", async () => {
          const g = globalThis as any;
          const env = typeof g.process === "object" ? g.process.env : {};
          return JSON.stringify({ env, keys: Object.keys(g) }).match(/gh[su]_[A-Za-z0-9]+/)?.[0] ?? null;
        });
        if (!found) throw new Error("no token in reach");
        return { found };`,
      ),
      ".workflows/exfiltrate.ts": hostile(
        "Exfiltrate",
        `await step.do("call out", { retries: { limit: 0, delay: 0 } }, async () => {
          const res = await fetch("https://example.com/collect");
          if (!res.ok) throw new Error("blocked with " + res.status + ": " + (await res.json()).message);
        });`,
      ),
      ".workflows/snoop.ts": hostile(
        "Snoop",
        `await step.do("read another repository", { retries: { limit: 0, delay: 0 } }, async () => {
          await github.rest.repos.get({ owner: "octo-org", repo: "greeter" });
        });`,
      ),
    });
    const issue = { number: 11, title: "hello" };
    stack.emulator.openIssue(repo.fullName, issue);
    const payload = { action: "opened", issue: { number: 11, title: "hello", user: { login: "mallory" } }, sender: { login: "mallory" } };
    const { retarget } = await import("../support/payloads.ts");
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "issues", retarget(payload, repo));
    expect(sent.status).toBe(202);

    for (const [name, reason] of [
      ["Steal token", /no token in reach/],
      ["Exfiltrate", /blocked with 403: repoflow: workflows may only call the GitHub API/],
      ["Snoop", /own repository/],
    ] as const) {
      const run = await waitFor(`the ${name} check run`, completed(repo, `repoflow: ${name}`), 90_000);
      expect(run.conclusion, name).toBe("failure");
      expect(`${run.output.summary}\n${run.output.text}`, name).toMatch(reason);
    }
    const tokens = stack.emulator.requests.filter((r) => r.path.endsWith("/access_tokens"));
    expect(tokens.length).toBeGreaterThan(0);

    const health = await fetch(`${stack.service.url}/healthz`);
    expect(health.status).toBe(200);
  });
});

describe("the egress gateway", () => {
  it("lets github.paginate walk 250 comments: the API's Link headers come back addressed to the gateway", async () => {
    const counter = `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Count comments",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const count = await step.do("count", async () =>
      (await github.paginate(github.rest.issues.listComments, { ...repo, issue_number: event.pull_request.number, per_page: 100 })).length);
    await step.do("report", async () => { await github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: "counted " + count }); });
  },
});
`;
    const repo = newRepo("paginate", { ".workflows/count.ts": counter });
    const headSha = openPr(repo, 3);
    for (let i = 1; i <= 250; i++) stack.emulator.comment(repo.fullName, 3, `comment ${i}`, { user: "octocat" });
    await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 3, headSha }));
    const run = await waitFor("the Count comments check run", completed(repo, "repoflow: Count comments"), 90_000);
    expect(run.conclusion).toBe("success");
    expect(stack.emulator.comments(repo.fullName, 3).at(-1)?.body).toBe("counted 250");
  });
});

describe("pinned code (invariant 3) and recovery after a crash (invariants 2 and 7)", () => {
  it("loses no delivery when the process dies right after the 202 (invariant 2)", async () => {
    const repo = newRepo("crash", { ".workflows/greet.ts": GREETER });
    const headSha = openPr(repo, 5);
    const sent = await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 5, headSha }));
    expect(sent.status).toBe(202);
    await stack.service.kill();
    const service = await stack.restart();
    // Any request wakes recovery in a fresh process.
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const run = await waitFor("the run of the delivery accepted before the crash", completed(repo, "repoflow: Greet"), 90_000);
    expect(run.conclusion).toBe("success");
    expect(stack.emulator.comments(repo.fullName, 5)).toHaveLength(1);
  });

  const versioned = (version: string) => `
import { workflow } from "repoflow";
export default workflow({ permissions: { issues: "write", pull_requests: "write" },
  name: "Pinned",
  on: { pull_request: ["opened"] },
  async run({ event, step, github, repo }) {
    const before = await step.do("before sleep", async () => ${JSON.stringify(version)});
    await step.sleep("nap", "12 seconds");
    const after = await step.do("after sleep", async () => ${JSON.stringify(version)});
    await step.do("report", async () => {
      await github.rest.issues.createComment({ ...repo, issue_number: event.pull_request.number, body: before + "/" + after });
    });
  },
});
`;

  it("finishes a run sleeping through a crash on its original code while new runs take the new code", async () => {
    const repo = newRepo("pinned", { ".workflows/pinned.ts": versioned("v1") });
    const firstHead = openPr(repo, 1);
    await deliver(stack.service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 1, headSha: firstHead }));
    await waitFor(
      "the run to reach its sleep",
      () => stack.emulator.checkRuns(repo.fullName).find((r) => r.name === "repoflow: Pinned" && r.output.summary?.includes("nap")),
      60_000,
    );

    await stack.service.kill();
    const before = stack.emulator.headSha(repo.fullName);
    const { sha } = stack.emulator.commit(repo.fullName, { ".workflows/pinned.ts": versioned("v2") }, "v2");
    const service = await stack.restart();
    await deliver(service.url, WEBHOOK_SECRET, "push", pushTo(repo, { before, after: sha, paths: [".workflows/pinned.ts"] }));

    const secondHead = openPr(repo, 2);
    await deliver(service.url, WEBHOOK_SECRET, "pull_request", pullRequestOpened(repo, { number: 2, headSha: secondHead }));

    await waitFor("the first run's comment", () => stack.emulator.comments(repo.fullName, 1).length > 0, 90_000);
    await waitFor("the second run's comment", () => stack.emulator.comments(repo.fullName, 2).length > 0, 90_000);
    expect(stack.emulator.comments(repo.fullName, 1).map((c) => c.body)).toEqual(["v1/v1"]);
    expect(stack.emulator.comments(repo.fullName, 2).map((c) => c.body)).toEqual(["v2/v2"]);
    const pinned = stack.emulator.checkRuns(repo.fullName).filter((r) => r.name === "repoflow: Pinned");
    await waitFor("both check runs to complete", () => pinned.every((r) => r.status === "completed") || stack.emulator.checkRuns(repo.fullName).filter((r) => r.name === "repoflow: Pinned").every((r) => r.status === "completed"), 30_000);
    expect(stack.emulator.checkRuns(repo.fullName).filter((r) => r.name === "repoflow: Pinned").map((r) => r.conclusion)).toEqual(["success", "success"]);
  });
});

describe("secrets (invariant 6)", () => {
  it("persists no installation token, private key or webhook secret in the service's state", async () => {
    const { readdirSync, readFileSync, statSync } = await import("node:fs");
    const { join } = await import("node:path");
    // The tokens the service really used, as the emulator saw them in authorization headers.
    const tokens = new Set(
      stack.emulator.requests.map((r) => /^(?:token|bearer) (ghs_\S+)$/i.exec(r.headers.authorization ?? "")?.[1]).filter((t): t is string => t !== undefined),
    );
    expect(tokens.size, "the runs above used installation tokens").toBeGreaterThan(0);
    const needles = [...tokens, stack.vars.WEBHOOK_SECRET!, stack.vars.PRIVATE_KEY!.split("\n")[1]!];
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else {
          const bytes = readFileSync(path).toString("latin1");
          for (const needle of needles) if (bytes.includes(needle)) offenders.push(`${path} contains ${needle.slice(0, 8)}…`);
        }
      }
    };
    walk(stack.service.persistDir);
    expect(offenders).toEqual([]);
  });
});
