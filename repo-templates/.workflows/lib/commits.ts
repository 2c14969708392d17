/**
 * The commits a branch has that the default branch lacks, for a release pull request's description.
 * GitHub's compare endpoint (`GET …/compare/{base}...{head}`) answers that in one call, but repoflow's API
 * gateway refuses every path that contains "..", so a workflow's call to it is blocked. Until it is allowed,
 * these walk commits with git.getCommit, one call per commit, bounded.
 *
 * The walk follows first parents (as `git log --first-parent` does) and stops at a commit the default branch
 * has: one of its last `depth` first-parent commits or their parents. When develop is merged into it with a
 * merge commit at each release, that set holds develop's commit of the last release (and, before the first,
 * the commit develop was branched from).
 */
import type { GitHub } from "repoflow";

type Repo = { owner: string; repo: string };

export interface ListedCommit {
  sha: string;
  subject: string;
  author: string;
}

/** The default branch's recent commits and their parents: where a walk from develop stops. */
export async function releasedCommits(github: GitHub, repo: Repo, baseSha: string, depth = 10): Promise<Set<string>> {
  const released = new Set<string>();
  let sha: string | undefined = baseSha;
  for (let i = 0; i < depth && sha !== undefined; i++) {
    const { data }: { data: { sha: string; parents: { sha: string }[] } } = await github.rest.git.getCommit({ ...repo, commit_sha: sha });
    released.add(data.sha);
    for (const parent of data.parents) released.add(parent.sha);
    sha = data.parents[0]?.sha;
  }
  return released;
}

/** Up to `max` commits from `head` back to the first released one, oldest first; `complete` says whether the walk got there. */
export async function commitsSince(github: GitHub, repo: Repo, head: string, released: Set<string>, max: number): Promise<{ commits: ListedCommit[]; complete: boolean }> {
  const commits: ListedCommit[] = [];
  let sha: string | undefined = head;
  while (sha !== undefined && !released.has(sha) && commits.length < max) {
    const { data }: { data: { sha: string; message: string; author: { name: string }; parents: { sha: string }[] } } = await github.rest.git.getCommit({ ...repo, commit_sha: sha });
    commits.push({ sha: data.sha, subject: data.message.split("\n")[0] ?? "", author: data.author.name });
    sha = data.parents[0]?.sha;
  }
  return { commits: commits.reverse(), complete: sha === undefined || released.has(sha) };
}
