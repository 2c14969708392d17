/**
 * A cherry-pick through GitHub's git data API, by whole file: each file the pull request changed
 * is set on the target branch to its blob in the merge commit, but only where the target still
 * has the blob the merge commit's first parent had. Where the target differs, copying the merged
 * file would also copy whatever else changed in it on the default branch, so that file is a
 * conflict and a person backports by hand. Blobs are referenced by sha, never downloaded: they
 * are already in the repository.
 */
import { NonRetryableError, type GitHub } from "repoflow";
import { hasStatus } from "./http.ts";

type Mode = "100644" | "100755" | "120000" | "160000";
const MODES: readonly string[] = ["100644", "100755", "120000", "160000"] satisfies Mode[];

/** A file's blob (or a submodule's commit) and mode in a tree. */
export interface Entry {
  sha: string;
  mode: Mode;
}

/** One path the pull request changed: its entry before the merge commit and in it (null: absent). */
export interface FileChange {
  path: string;
  before: Entry | null;
  after: Entry | null;
}

type Repo = { owner: string; repo: string };

export async function readChange(github: GitHub, repo: Repo, pullNumber: number, mergeCommit: string): Promise<FileChange[]> {
  const merged = await github.rest.git.getCommit({ ...repo, commit_sha: mergeCommit });
  const parent = merged.data.parents[0];
  if (!parent) throw new NonRetryableError(`repoflow backport: the merge commit ${mergeCommit} has no parent to compare with.`);
  const base = await github.rest.git.getCommit({ ...repo, commit_sha: parent.sha });
  const [before, after] = await Promise.all([entriesOf(github, repo, base.data.tree.sha), entriesOf(github, repo, merged.data.tree.sha)]);
  // The pull request's own file list (GitHub lists at most 3,000), not the merge commit's diff: a rebase merge
  // of several commits leaves only the last one in the merge commit. A file an earlier commit changed then
  // differs from `before` on the target, and is reported as a conflict rather than silently left out.
  const files = await github.paginate(github.rest.pulls.listFiles, { ...repo, pull_number: pullNumber, per_page: 100 });
  const paths = [...new Set(files.flatMap((file) => (file.previous_filename ? [file.previous_filename, file.filename] : [file.filename])))];
  return paths.map((path) => ({ path, before: before.get(path) ?? null, after: after.get(path) ?? null }));
}

/** A new commit on top of `branch` with the change applied, or why there is none. */
export async function applyChange(
  github: GitHub,
  repo: Repo,
  options: { branch: string; change: FileChange[]; message: string },
): Promise<{ commit: string } | { problem: string }> {
  const { branch, change, message } = options;
  let target: { sha: string; tree: string };
  try {
    const { data } = await github.rest.repos.getBranch({ ...repo, branch });
    target = { sha: data.commit.sha, tree: data.commit.commit.tree.sha };
  } catch (error) {
    if (hasStatus(error, 404)) return { problem: `there is no branch \`${branch}\`` };
    throw error;
  }
  const onTarget = await entriesOf(github, repo, target.tree);
  const tree: { path: string; mode: Mode; type: "blob" | "commit"; sha: string | null }[] = [];
  const conflicts: string[] = [];
  for (const file of change) {
    const current = onTarget.get(file.path) ?? null;
    if (same(current, file.after)) continue;
    if (!same(current, file.before)) {
      conflicts.push(file.path);
      continue;
    }
    tree.push(
      file.after
        ? { path: file.path, mode: file.after.mode, type: file.after.mode === "160000" ? "commit" : "blob", sha: file.after.sha }
        : // sha null deletes the path.
          { path: file.path, mode: current?.mode ?? "100644", type: current?.mode === "160000" ? "commit" : "blob", sha: null },
    );
  }
  if (conflicts.length > 0) {
    return { problem: `${conflicts.map((path) => `\`${path}\``).join(", ")} changed on \`${branch}\` since the pull request's base; backport by hand` };
  }
  if (tree.length === 0) return { problem: `\`${branch}\` has these changes already` };
  const created = await github.rest.git.createTree({ ...repo, base_tree: target.tree, tree });
  const commit = await github.rest.git.createCommit({ ...repo, message, tree: created.data.sha, parents: [target.sha] });
  return { commit: commit.data.sha };
}

/** Every file (and submodule) of a tree by path. */
async function entriesOf(github: GitHub, repo: Repo, treeSha: string): Promise<Map<string, Entry>> {
  const { data } = await github.rest.git.getTree({ ...repo, tree_sha: treeSha, recursive: "true" });
  if (data.truncated) {
    throw new NonRetryableError(`repoflow backport: the tree ${treeSha} is larger than GitHub lists in one answer; backport this pull request by hand.`);
  }
  const entries = new Map<string, Entry>();
  for (const item of data.tree) {
    if (item.path !== undefined && item.sha !== undefined && isMode(item.mode)) entries.set(item.path, { sha: item.sha, mode: item.mode });
  }
  return entries;
}

function isMode(mode: string | undefined): mode is Mode {
  return mode !== undefined && MODES.includes(mode);
}

function same(a: Entry | null, b: Entry | null): boolean {
  return a === null || b === null ? a === b : a.sha === b.sha && a.mode === b.mode;
}
