/**
 * Reads a repository's `.workflows/` at one commit for the compiler: the tree
 * first, limits checked from its sizes, only then the blobs.
 *
 * The code is untrusted (invariant 5), so nothing here fails the service on
 * bad input: a symlink, a submodule, a file over a limit, a listing GitHub
 * truncated, or bytes that are not UTF-8 each become a problem the author
 * sees, with the path and the limit to respect. Symlinks and submodules are
 * not followed: their targets lie outside the commit's `.workflows/` (or
 * outside the repository).
 *
 * The recursive listing is of the `.workflows` subtree, found from the root
 * tree, not of the whole repository: GitHub truncates a recursive tree past
 * 100,000 entries or 7 MB, which a monorepo reaches long before its
 * `.workflows/` does.
 */
import type { GitHubClient } from "./client.ts";
import type { RepoRef, WorkflowFile, WorkflowTree, WorkflowTreeLimits, WorkflowTreeProblem } from "./types.ts";

export const WORKFLOWS_DIR = ".workflows";

export const DEFAULT_WORKFLOW_TREE_LIMITS: WorkflowTreeLimits = {
  maxFiles: 200,
  maxFileBytes: 256 * 1024,
  maxTotalBytes: 2 * 1024 * 1024,
};

/** Blob downloads in flight at once: enough to hide latency, few enough to stay clear of GitHub's secondary limits. */
const BLOB_CONCURRENCY = 6;

const FULL_SHA = /^[0-9a-f]{40}$/i;

const MODE_SYMLINK = "120000";
const MODE_SUBMODULE = "160000";

export interface WorkflowTreeOptions {
  /**
   * Asked with the git tree sha of `.workflows/` before any blob is downloaded: a git tree sha
   * names its whole content, so a caller that already compiled that tree answers true and
   * the download is skipped (the result then has no files and `skipped: true`).
   */
  alreadyKnown?: (treeSha: string) => Promise<boolean>;
}

export async function fetchWorkflowTree(
  octokit: GitHubClient,
  { owner, repo, ref }: RepoRef & { ref: string },
  limits: WorkflowTreeLimits = DEFAULT_WORKFLOW_TREE_LIMITS,
  options: WorkflowTreeOptions = {},
): Promise<WorkflowTree> {
  const sha = FULL_SHA.test(ref) ? ref.toLowerCase() : (await octokit.rest.repos.getCommit({ owner, repo, ref, per_page: 1 })).data.sha;
  const root = await octokit.rest.git.getTree({ owner, repo, tree_sha: sha });
  const entry = root.data.tree.find((item) => item.path === WORKFLOWS_DIR);
  if (!entry) return { sha, treeSha: null, files: [], problems: [] };
  if (entry.type !== "tree" || !entry.sha) return { sha, treeSha: null, files: [], problems: [notFollowed(WORKFLOWS_DIR, entry.mode)] };
  const treeSha = entry.sha;
  if (await options.alreadyKnown?.(treeSha)) return { sha, treeSha, files: [], problems: [], skipped: true };

  const listing = await octokit.rest.git.getTree({ owner, repo, tree_sha: entry.sha, recursive: "1" });
  if (listing.data.truncated) {
    return {
      sha,
      treeSha,
      files: [],
      problems: [{ path: WORKFLOWS_DIR, message: `GitHub truncated the listing of ${WORKFLOWS_DIR}/ (over 100,000 entries or 7 MB). Keep only workflow sources there (at most ${limits.maxFiles} files).` }],
    };
  }

  const plan = planDownloads(
    listing.data.tree.map((item) => ({ path: `${WORKFLOWS_DIR}/${item.path}`, mode: item.mode ?? "", type: item.type ?? "", sha: item.sha ?? "", size: item.size })),
    limits,
  );
  const downloaded = await mapBounded(plan.blobs, BLOB_CONCURRENCY, async (blob) => {
    const { data } = await octokit.rest.git.getBlob({ owner, repo, file_sha: blob.sha });
    return decodeBlob(blob.path, data.content, data.encoding, limits);
  });
  const files: WorkflowFile[] = [];
  const problems = [...plan.problems];
  for (const result of downloaded) {
    if ("content" in result) files.push(result);
    else problems.push(result);
  }
  return { sha, treeSha, files, problems };
}

export interface TreeEntry {
  path: string;
  mode: string;
  type: string;
  sha: string;
  size?: number | undefined;
}

/**
 * Decides from the listing alone what to download. Too many files or too many
 * bytes in total is one problem and nothing is downloaded (the compiler would
 * only report it anyway); a single oversize file is skipped with its own problem.
 */
export function planDownloads(entries: readonly TreeEntry[], limits: WorkflowTreeLimits): { blobs: TreeEntry[]; problems: WorkflowTreeProblem[] } {
  const problems: WorkflowTreeProblem[] = [];
  const blobs: TreeEntry[] = [];
  for (const entry of entries) {
    if (entry.mode === MODE_SYMLINK || entry.mode === MODE_SUBMODULE) problems.push(notFollowed(entry.path, entry.mode));
    else if (entry.type === "blob") blobs.push(entry);
  }
  if (blobs.length > limits.maxFiles) {
    problems.push({ path: WORKFLOWS_DIR, message: `${WORKFLOWS_DIR}/ holds ${blobs.length} files; the limit is ${limits.maxFiles}. Move data and generated files out of ${WORKFLOWS_DIR}/.` });
    return { blobs: [], problems };
  }
  const fitting: TreeEntry[] = [];
  let total = 0;
  for (const blob of blobs) {
    const size = blob.size ?? 0;
    if (size > limits.maxFileBytes) {
      problems.push({ path: blob.path, message: `${blob.path} is ${formatBytes(size)}; the limit per file is ${formatBytes(limits.maxFileBytes)}. Split it or move data out of ${WORKFLOWS_DIR}/.` });
    } else {
      fitting.push(blob);
      total += size;
    }
  }
  if (total > limits.maxTotalBytes) {
    problems.push({ path: WORKFLOWS_DIR, message: `${WORKFLOWS_DIR}/ holds ${formatBytes(total)}; the limit is ${formatBytes(limits.maxTotalBytes)} in total. Move data and generated files out of ${WORKFLOWS_DIR}/.` });
    return { blobs: [], problems };
  }
  return { blobs: fitting, problems };
}

/** A blob's text, or the problem with it. The size is checked again: the listing is GitHub's word, the bytes are what counts. */
export function decodeBlob(path: string, content: string, encoding: string, limits: WorkflowTreeLimits): WorkflowFile | WorkflowTreeProblem {
  let bytes: Uint8Array;
  if (encoding === "base64") {
    bytes = Uint8Array.from(atob(content.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
  } else if (encoding === "utf-8") {
    bytes = new TextEncoder().encode(content);
  } else {
    return { path, message: `GitHub returned ${path} in an unknown encoding "${encoding}". Re-run the check; if it persists, report it.` };
  }
  if (bytes.length > limits.maxFileBytes) {
    return { path, message: `${path} is ${formatBytes(bytes.length)}; the limit per file is ${formatBytes(limits.maxFileBytes)}. Split it or move data out of ${WORKFLOWS_DIR}/.` };
  }
  try {
    return { path, content: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    return { path, message: `${path} is not UTF-8 text. Save it as UTF-8, or move binary files out of ${WORKFLOWS_DIR}/.` };
  }
}

/** The default branch and the commit it points to now. */
/** The default branch's head commit; `knownBranch` (webhook payloads carry `repository.default_branch`) saves one request. */
export async function resolveDefaultBranchHead(octokit: GitHubClient, { owner, repo }: RepoRef, knownBranch?: string): Promise<{ branch: string; sha: string }> {
  const branch = knownBranch ?? (await octokit.rest.repos.get({ owner, repo })).data.default_branch;
  const { data } = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
  return { branch, sha: data.object.sha };
}

function notFollowed(path: string, mode: string): WorkflowTreeProblem {
  return mode === MODE_SUBMODULE
    ? { path, message: `${path} is a git submodule; repoflow does not follow submodules. Commit the files into ${WORKFLOWS_DIR}/ instead.` }
    : { path, message: `${path} is a symbolic link; repoflow does not follow links. Commit the file itself into ${WORKFLOWS_DIR}/ instead.` };
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : bytes >= 1024 ? `${Math.round((bytes / 1024) * 10) / 10} KiB` : `${bytes} bytes`;
}

async function mapBounded<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
