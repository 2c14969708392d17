/**
 * Questions about a repository's history that several endpoints and webhook
 * payloads ask: which commit a ref names, where two branches meet, which
 * files a change touched and by how many lines, what a merge would produce.
 */
import type { FileEntry, GitObject } from "./git.ts";
import { repoUrl, type Site } from "./shapes.ts";
import type { Repo } from "./state.ts";

type Json = Record<string, unknown>;

/** A commit sha, an unambiguous abbreviated sha (≥ 4 hex digits), a branch, `heads/…` or `refs/heads/…`. */
export function resolveCommit(repo: Repo, ref: string): Extract<GitObject, { type: "commit" }> | undefined {
  const branch = repo.branches.get(ref.replace(/^(refs\/)?heads\//, ""));
  const sha = branch ?? (/^[0-9a-f]{4,40}$/.test(ref) ? uniquePrefix(repo, ref) : undefined);
  const found = sha ? repo.store.get(sha) : undefined;
  return found?.type === "commit" ? found : undefined;
}

function uniquePrefix(repo: Repo, prefix: string): string | undefined {
  const matches = [...repo.store.objects.keys()].filter((sha) => sha.startsWith(prefix));
  return matches.length === 1 ? matches[0] : undefined;
}

export function lookupCommit(repo: Repo, sha: string): Extract<GitObject, { type: "commit" }> | undefined {
  const found = repo.store.get(sha);
  return found?.type === "commit" ? found : undefined;
}

export function changedFiles(site: Site, repo: Repo, sha: string, before: Map<string, FileEntry>, after: Map<string, FileEntry>): Json[] {
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const files: Json[] = [];
  for (const path of paths) {
    const old = before.get(path);
    const now = after.get(path);
    const oldSha = old ? entrySha(repo, old) : null;
    const newSha = now ? entrySha(repo, now) : null;
    if (oldSha === newSha) continue;
    const oldLines = old && "content" in old ? lines(old.content) : [];
    const newLines = now && "content" in now ? lines(now.content) : [];
    const additions = countMissing(newLines, oldLines);
    const deletions = countMissing(oldLines, newLines);
    files.push({
      sha: newSha ?? oldSha,
      filename: path,
      status: !old ? "added" : !now ? "removed" : "modified",
      additions,
      deletions,
      changes: additions + deletions,
      blob_url: `${site.url}/${repo.fullName}/blob/${sha}/${encodePath(path)}`,
      raw_url: `${site.url}/${repo.fullName}/raw/${sha}/${encodePath(path)}`,
      contents_url: `${repoUrl(site, repo)}/contents/${encodePath(path)}?ref=${sha}`,
    });
  }
  return files;
}

/** A repository path in a URL: each segment percent-encoded, the slashes kept. */
export function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

export function entrySha(repo: Repo, entry: FileEntry): string {
  return "sha" in entry ? entry.sha : repo.store.writeBlob(entry.content);
}

function lines(content: Uint8Array): string[] {
  const text = new TextDecoder().decode(content);
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

/** Lines of `a` not matched by a line of `b` (a multiset difference: a cheap stand-in for a diff's line counts). */
function countMissing(a: string[], b: string[]): number {
  const pool = new Map<string, number>();
  for (const line of b) pool.set(line, (pool.get(line) ?? 0) + 1);
  let missing = 0;
  for (const line of a) {
    const left = pool.get(line) ?? 0;
    if (left > 0) pool.set(line, left - 1);
    else missing++;
  }
  return missing;
}

/**
 * A file-level three-way merge: the base's files plus every change the head
 * made since their merge base. Null when both sides changed a path
 * differently (GitHub then reports the pull request as not mergeable).
 */
export function mergeTrees(repo: Repo, baseSha: string, headSha: string): Map<string, FileEntry> | null {
  const filesOf = (sha: string | undefined) => {
    const commit = sha ? lookupCommit(repo, sha) : undefined;
    return commit ? repo.store.readFiles(commit.tree) : new Map<string, FileEntry>();
  };
  const ancestor = mergeBase(repo, baseSha, headSha);
  const origin = filesOf(ancestor);
  const base = filesOf(baseSha);
  const head = filesOf(headSha);
  const key = (entry: FileEntry | undefined) => (entry ? `${entry.mode}:${entrySha(repo, entry)}` : "");
  const result = new Map(base);
  for (const path of new Set([...origin.keys(), ...head.keys()])) {
    const fromOrigin = key(origin.get(path));
    const fromHead = key(head.get(path));
    if (fromHead === fromOrigin) continue;
    const fromBase = key(base.get(path));
    if (fromBase !== fromOrigin && fromBase !== fromHead) return null;
    const entry = head.get(path);
    if (entry) result.set(path, entry);
    else result.delete(path);
  }
  return result;
}

export function mergeBase(repo: Repo, a: string, b: string): string | undefined {
  const ancestors = new Set<string>();
  const pending = [a];
  while (pending.length > 0) {
    const sha = pending.pop() ?? "";
    if (ancestors.has(sha)) continue;
    ancestors.add(sha);
    pending.push(...(lookupCommit(repo, sha)?.parents ?? []));
  }
  const queue = [b];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const sha = queue.shift() ?? "";
    if (ancestors.has(sha)) return sha;
    if (seen.has(sha)) continue;
    seen.add(sha);
    queue.push(...(lookupCommit(repo, sha)?.parents ?? []));
  }
  return undefined;
}

/** True when `descendant` contains `ancestor` (or is it): moving a branch from one to the other is a fast-forward. */
export function isAncestor(repo: Repo, ancestor: string, descendant: string): boolean {
  const seen = new Set<string>();
  const pending = [descendant];
  while (pending.length > 0) {
    const sha = pending.pop() ?? "";
    if (sha === ancestor) return true;
    if (seen.has(sha)) continue;
    seen.add(sha);
    pending.push(...(lookupCommit(repo, sha)?.parents ?? []));
  }
  return false;
}

function filesAt(repo: Repo, sha: string | undefined): Map<string, FileEntry> {
  const commit = sha ? lookupCommit(repo, sha) : undefined;
  return commit ? repo.store.readFiles(commit.tree) : new Map<string, FileEntry>();
}

/** What a pull request changes, as GitHub counts it: the head against its merge base with the base branch. */
export function pullDiff(site: Site, repo: Repo, baseSha: string, headSha: string): { files: Json[]; commits: number; additions: number; deletions: number } {
  const ancestor = mergeBase(repo, baseSha, headSha);
  const files = changedFiles(site, repo, headSha, filesAt(repo, ancestor), filesAt(repo, headSha));
  const sum = (field: string) => files.reduce((total, file) => total + (file[field] as number), 0);
  return { files, commits: commitsBetween(repo, ancestor, headSha).length, additions: sum("additions"), deletions: sum("deletions") };
}

/** Commits reachable from `head` but not from `base`, parents before children (a push's `commits`, a pull request's count). */
export function commitsBetween(repo: Repo, base: string | undefined, head: string): Extract<GitObject, { type: "commit" }>[] {
  const excluded = new Set<string>();
  const exclude = [base ?? ""];
  while (exclude.length > 0) {
    const sha = exclude.pop() ?? "";
    if (excluded.has(sha)) continue;
    excluded.add(sha);
    exclude.push(...(lookupCommit(repo, sha)?.parents ?? []));
  }
  // Post-order over parents: commits made in the same second have no usable time order.
  const found: Extract<GitObject, { type: "commit" }>[] = [];
  const seen = new Set<string>();
  const stack: { sha: string; expanded: boolean }[] = [{ sha: head, expanded: false }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    const commit = lookupCommit(repo, top.sha);
    if (!commit) continue;
    if (top.expanded) {
      found.push(commit);
      continue;
    }
    if (seen.has(top.sha) || excluded.has(top.sha)) continue;
    seen.add(top.sha);
    stack.push({ sha: top.sha, expanded: true });
    for (const parent of [...commit.parents].reverse()) stack.push({ sha: parent, expanded: false });
  }
  return found;
}
