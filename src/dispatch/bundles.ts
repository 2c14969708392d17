/**
 * From a commit to a runnable, pinned bundle: fetch `.workflows/` through the
 * GitHub API, compile it once per content, store the artifact immutably, and
 * learn its manifest by asking the bundle itself (describe() runs in the
 * tenant isolate, so author code never runs in the dispatcher).
 *
 * Compile once per content: a bundle is found by the commit (an unchanged
 * HEAD costs no GitHub call), else by the git tree sha of `.workflows/` with
 * the compiler and runtime versions (a new commit with the same folder costs
 * two tree listings, no blob download and no esbuild).
 */
import { compile, COMPILER_VERSION, contentHash, type Diagnostic } from "../compiler";
import { initEsbuildWasm } from "../compiler/esbuild-wasm";
import { fetchWorkflowTree, type GitHubClient } from "../github";
import { RUNTIME_MODULES, RUNTIME_VERSION, type DescribeResult, type WorkflowManifestEntry } from "../runtime";
import { findBundle, findBundleForCommit, linkCommit, saveBundle, type BundleRecord } from "../store";
import { putArtifact } from "./artifacts";
import { loadTenant, type LoaderEnv } from "./loader";
import { scheduleProblems } from "./trigger-checks";
import { isCurrentBuild, withTrustedPermissions } from "./bundle-trust";

export interface PreparedBundle {
  hash: string;
  ok: boolean;
  /** Empty when the commit has no .workflows/ at all. */
  workflows: WorkflowManifestEntry[];
  diagnostics: Diagnostic[];
  /** True when this call compiled it; false when an earlier compile of the same content was reused. */
  compiled: boolean;
  /** The bundles row it is (absent from results memoized before it was kept); null when the commit has no .workflows/. */
  sourceKey?: string | null;
}

export type BundleEnv = LoaderEnv & { DB: D1Database };

interface TenantControl {
  describe(): Promise<DescribeResult>;
}

export async function prepareBundle(
  env: BundleEnv,
  octokit: GitHubClient,
  source: { installationId: number; repository: string; commitSha: string },
): Promise<PreparedBundle> {
  // Most events arrive on a HEAD already seen: no GitHub call at all. A bundle of an older compiler or
  // runtime is not reused for new runs (runs already going stay pinned to theirs): the tree is looked at again.
  const byCommit = await findBundleForCommit(env.DB, source.repository, source.commitSha);
  if (byCommit && isCurrentBuild(byCommit.sourceKey)) return reuse(byCommit);

  const [owner = "", repo = ""] = source.repository.split("/");
  // A commit not seen before may need a compile: esbuild-wasm's once-per-isolate start runs beside the tree fetch.
  // Its failure is the compile's to report; a tree already known simply leaves it started for later.
  const esbuild = initEsbuildWasm();
  esbuild.catch(() => undefined);
  let known: BundleRecord | null = null;
  const tree = await fetchWorkflowTree(octokit, { owner, repo, ref: source.commitSha }, undefined, {
    // A new commit with the same .workflows/ tree: found by its git tree sha, before any blob download.
    alreadyKnown: async (treeSha) => (known = await findBundle(env.DB, sourceKeyOf(treeSha))) !== null,
  });
  if (known) {
    await linkCommit(env.DB, source.repository, source.commitSha, (known as BundleRecord).sourceKey);
    return reuse(known);
  }
  if (tree.treeSha === null && tree.problems.length === 0) return NO_WORKFLOWS;
  const sourceKey = sourceKeyOf(tree.treeSha ?? `unreadable:${tree.sha}`);

  let result: Omit<PreparedBundle, "compiled">;
  if (tree.problems.length > 0) {
    result = {
      hash: await contentHash(tree.files, RUNTIME_VERSION),
      ok: false,
      workflows: [],
      diagnostics: tree.problems.map((p) => ({ file: p.path, message: p.message, severity: "error" as const })),
    };
  } else {
    const compiled = await compile(tree.files, await esbuild, { salt: RUNTIME_VERSION });
    if (!compiled.ok) {
      result = { hash: compiled.hash, ok: false, workflows: [], diagnostics: compiled.diagnostics };
    } else {
      const { bundle } = compiled;
      await putArtifact(env.BLOBS, {
        hash: bundle.hash,
        modules: { ...RUNTIME_MODULES, "bundle.js": bundle.code },
        commitSha: tree.sha,
        createdAt: new Date().toISOString(),
      });
      const described = await describeBundle(env, { installationId: source.installationId, repository: source.repository, bundleHash: bundle.hash });
      const trusted = withTrustedPermissions(described.workflows);
      const problems: Diagnostic[] = [
        ...described.problems.map((p) => ({ file: p.file, message: p.message, severity: "error" as const })),
        ...trusted.problems,
        ...scheduleProblems(trusted.workflows),
      ];
      result = {
        hash: bundle.hash,
        ok: problems.length === 0,
        workflows: problems.length === 0 ? trusted.workflows : [],
        diagnostics: [...compiled.diagnostics, ...problems],
      };
    }
  }
  await saveBundle(env.DB, {
    sourceKey,
    hash: result.hash,
    ok: result.ok,
    manifest: result.workflows,
    diagnostics: result.diagnostics,
    commitSha: tree.sha,
    repository: source.repository,
  });
  await linkCommit(env.DB, source.repository, source.commitSha, sourceKey);
  return { ...result, compiled: true, sourceKey };
}

/** A commit without .workflows/. */
const NO_WORKFLOWS: PreparedBundle = { hash: "", ok: true, workflows: [], diagnostics: [], compiled: false, sourceKey: null };

function reuse(known: BundleRecord): PreparedBundle {
  // A manifest saved before declarations (or by a tenant that lied) is read the way a fresh one is.
  const { workflows, problems } = withTrustedPermissions(known.manifest as WorkflowManifestEntry[]);
  return {
    hash: known.hash,
    ok: known.ok && problems.length === 0,
    workflows: problems.length === 0 ? workflows : [],
    diagnostics: [...(known.diagnostics as Diagnostic[]), ...problems],
    compiled: false,
    sourceKey: known.sourceKey,
  };
}

/**
 * The bundle the inbox's index names (triage.ts), from D1 alone: no GitHub
 * call. Null when that row is gone or from an older compiler or runtime; the
 * caller then prepares the commit's bundle the usual way.
 */
export async function indexedBundle(env: BundleEnv, sourceKey: string | null): Promise<PreparedBundle | null> {
  if (sourceKey === null) return NO_WORKFLOWS;
  if (!isCurrentBuild(sourceKey)) return null;
  const known = await findBundle(env.DB, sourceKey);
  return known ? reuse(known) : null;
}

/** A git tree sha names the folder's whole content; the compiler and runtime versions decide what it compiles to. */
function sourceKeyOf(treeSha: string): string {
  return `${treeSha}:${COMPILER_VERSION}:${RUNTIME_VERSION}`;
}

/**
 * Asks the bundle for its workflows. The host imports the bundle lazily, so a
 * throw in the author's top-level code comes back as a problem, a value. What
 * still throws here is ours or the platform's (an R2 miss, a loader or RPC
 * fault): it propagates, the step retries, and nothing is saved under the
 * tree sha, because a saved failure would brand every later commit with the
 * same folder broken. A Dynamic Worker over its CPU or memory limit is the
 * author's (an endless loop at top level) and becomes a diagnostic.
 */
export async function describeBundle(env: LoaderEnv, ref: { installationId: number; repository: string; bundleHash: string }): Promise<DescribeResult> {
  try {
    const control = loadTenant(env, { ...ref, permissions: null }).getEntrypoint("TenantControl") as unknown as TenantControl;
    return await control.describe();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!TENANT_LIMIT.test(message)) throw error;
    return { workflows: [], problems: [{ file: ".workflows", message: `repoflow: loading the workflows failed: ${message}` }] };
  }
}

const TENANT_LIMIT = /exceeded (its )?(CPU|memory)|CPU time limit|memory limit/i;

