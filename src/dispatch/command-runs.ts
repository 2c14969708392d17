/**
 * Slash-command triggers (`on: { command }`): who may give a command, and the
 * acknowledgements a person sees on their comment. The decision is the
 * dispatcher's, before any run exists: a refused command starts nothing and
 * gets a short reply; an accepted one gets 👀 at once, then 🚀 or 😕 when
 * its run ends (settle in execute-run.ts).
 */
import type { GitHubClient, RepositoryRole } from "../github";
import type { CommandManifest } from "../runtime";
import type { ParsedCommand } from "./commands";
import type { EventFacts } from "./event-facts";
import { roleAtLeast } from "./wait-spec";

export type CommandDecision = { ok: true } | { ok: false; reason: string };

export async function authorizeCommand(
  manifest: CommandManifest,
  command: ParsedCommand,
  facts: Pick<EventFacts, "actor">,
  roleOf: (login: string) => Promise<RepositoryRole | null>,
): Promise<CommandDecision> {
  const actor = facts.actor;
  if (actor === null) return { ok: false, reason: `${manifest.name} needs a person behind the comment.` };
  if ("logins" in manifest.from) {
    if (!manifest.from.logins.includes(actor.toLowerCase())) return { ok: false, reason: `@${actor}, only ${manifest.from.logins.map((l) => `@${l}`).join(", ")} may use \`${manifest.name}\` here.` };
  } else {
    const role = await roleOf(actor);
    if (!roleAtLeast(role, manifest.from.role)) {
      return { ok: false, reason: `@${actor}, \`${manifest.name}\` needs ${manifest.from.role} access to this repository; you have ${role ?? "none"}.` };
    }
  }
  const { min, max } = manifest.args;
  if (command.args.length < min || command.args.length > max) {
    const wanted = min === max ? `${min}` : max >= 20 ? `at least ${min}` : `${min} to ${max}`;
    const usage = manifest.usage ? `\n\nUsage: ${manifest.usage}` : "";
    return { ok: false, reason: `@${actor}, \`${manifest.name}\` takes ${wanted} argument${wanted === "1" ? "" : "s"}; got ${command.args.length}.${usage}` };
  }
  return { ok: true };
}

export type Reaction = "eyes" | "rocket" | "confused" | "-1";

/** Reactions are idempotent on GitHub (the same one again answers 200), so a retried step adds nothing twice. */
export async function reactToComment(github: GitHubClient, repository: string, commentId: number, content: Reaction): Promise<void> {
  const [owner = "", repo = ""] = repository.split("/");
  await github.rest.reactions.createForIssueComment({ owner, repo, comment_id: commentId, content });
}

/**
 * The refusal as a reply on the issue or pull request. A marker names the
 * comment it answers, so a retried step finds its reply instead of posting a
 * second one.
 */
export async function replyToCommand(
  github: GitHubClient,
  repository: string,
  comment: { issueNumber: number; id: number; createdAt: string },
  text: string,
): Promise<void> {
  const [owner = "", repo = ""] = repository.split("/");
  const marker = `<!-- repoflow:command-reply:${comment.id} -->`;
  // The reaction first: it is idempotent, so a step retried after the reply was posted still adds it.
  await reactToComment(github, repository, comment.id, "-1");
  // Only comments since the command can be the reply: one page of them, however long the thread.
  const recent = await github.rest.issues.listComments({ owner, repo, issue_number: comment.issueNumber, since: comment.createdAt, per_page: 100 });
  if (recent.data.some((reply) => reply.body?.includes(marker))) return;
  await github.rest.issues.createComment({ owner, repo, issue_number: comment.issueNumber, body: `${text}\n\n${marker}` });
}
