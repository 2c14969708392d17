/**
 * Realistic `.workflows/` trees for the run-engine benchmark: `count` workflow
 * files of 40–80 lines, each importing `repoflow` and a shared helper under
 * `.workflows/lib/`, as a repository that has grown a few automations looks.
 *
 * Shaped by the compiler's content addressing: a bundle is found again by its
 * content hash, so every measurement that must be cold gets a `salt` that
 * changes one comment per file (new content, same code), and nothing is reused.
 */
import type { SourceFile } from "../../src/compiler/index.ts";

/** The one workflow that answers `pull_request.opened`; its first step makes exactly one GitHub call. */
export const FIRST_WORKFLOW = ".workflows/workflow-00.ts";

/** What the first step's call carries, so the bench can tell it from the service's own GitHub calls. */
export const TENANT_USER_AGENT = "repoflow-workflow";

const HELPER = (salt: string) => `// Shared by every workflow in this repository. ${salt}
export const LABELS = ["triage", "bug", "docs", "needs-review"] as const;
export type Label = (typeof LABELS)[number];

export function summarize(items: readonly string[]): string {
  return items.map((item, index) => \`\${index + 1}. \${item}\`).join("\\n");
}

export function pickLabel(title: string): Label {
  const lower = title.toLowerCase();
  if (lower.includes("fix")) return "bug";
  if (lower.includes("doc")) return "docs";
  return LABELS[title.length % LABELS.length]!;
}

export function isBot(login: string | undefined): boolean {
  return login !== undefined && login.endsWith("[bot]");
}
`;

function workflowSource(index: number, salt: string): string {
  const id = String(index).padStart(2, "0");
  const first = index === 0;
  const lines = [
    `import { workflow } from "repoflow";`,
    `import { isBot, pickLabel, summarize, type Label } from "./lib/helpers.ts";`,
    ``,
    `// Workflow ${id}. ${salt}`,
    `interface Triage {`,
    `  label: Label;`,
    `  notes: string[];`,
    `}`,
    ``,
    `export default workflow({`,
    `  name: "Workflow ${id}",`,
    // One workflow answers pull_request.opened; the others wait for other events, as in a real repository.
    first ? `  on: { pull_request: ["opened", "synchronize"] },` : `  on: { issues: ["opened", "labeled"], pull_request: ["closed"] },`,
    `  if: ({ event }) => !isBot(event.sender?.login),`,
    `  async run({ event, step, github, repo }) {`,
    `    const repository = await step.do("load repository", async () => {`,
    `      const { data } = await github.rest.repos.get(repo);`,
    `      return { name: data.full_name, defaultBranch: data.default_branch, open: data.open_issues_count };`,
    `    });`,
    `    const title = String((event as { pull_request?: { title?: string }; issue?: { title?: string } }).pull_request?.title ?? "untitled");`,
    `    const triage = await step.do("triage", async (): Promise<Triage> => {`,
    `      const notes: string[] = [];`,
    `      if (repository.open > 100) notes.push("a busy repository");`,
    `      if (title.length > 72) notes.push("a long title");`,
    `      return { label: pickLabel(title), notes };`,
    `    });`,
  ];
  for (let s = 0; s < 4 + (index % 4) * 2; s++) {
    lines.push(
      `    const part${s} = await step.do("check ${s}", async () => {`,
      `      const items = [repository.name, title, triage.label, "${id}-${s}"];`,
      `      return { summary: summarize(items), count: items.length + ${s} };`,
      `    });`,
      `    if (part${s}.count > 10) console.log(part${s}.summary);`,
    );
  }
  lines.push(`    return { label: triage.label, notes: triage.notes.length };`, `  },`, `});`);
  return lines.join("\n") + "\n";
}

export function workflowTree(count: number, salt = ""): SourceFile[] {
  const files: SourceFile[] = [{ path: ".workflows/lib/helpers.ts", content: HELPER(salt) }];
  for (let index = 0; index < count; index++) {
    files.push({ path: `.workflows/workflow-${String(index).padStart(2, "0")}.ts`, content: workflowSource(index, salt) });
  }
  return files;
}

export function asFileMap(files: readonly SourceFile[]): Record<string, string> {
  return Object.fromEntries(files.map((file) => [file.path, file.content]));
}
