/**
 * From a commit to a runnable, pinned bundle: fetch `.workflows/` through the
 * GitHub API, compile it once per content, store the artifact immutably, and
 * learn its manifest by asking the bundle itself (describe() runs in the
 * tenant isolate, so author code never runs in the dispatcher).
 *
 * Compile once per content hash: the hash covers the files, the compiler's
 * version and the runtime SDK's version, and a hit in the bundles table skips
 * esbuild entirely.
 */
import { compile, contentHash, type Diagnostic } from "../compiler";
import { initEsbuildWasm } from "../compiler/esbuild-wasm";
import { fetchWorkflowTree, type GitHubClient } from "../github";
import { RUNTIME_MODULES, RUNTIME_VERSION, type DescribeResult, type WorkflowManifestEntry } from "../runtime";
import { findBundle, saveBundle } from "../store";
import { putArtifact } from "./artifacts";
import { loadTenant, type LoaderEnv } from "./loader";

export interface PreparedBundle {
  hash: string;
  ok: boolean;
  /** Empty when the commit has no .workflows/ at all. */
  workflows: WorkflowManifestEntry[];
  diagnostics: Diagnostic[];
  /** True when this call compiled it; false when an earlier compile of the same content was reused. */
  compiled: boolean;
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
  const [owner = "", repo = ""] = source.repository.split("/");
  const tree = await fetchWorkflowTree(octokit, { owner, repo, ref: source.commitSha });
  if (tree.files.length === 0 && tree.problems.length === 0) {
    return { hash: "", ok: true, workflows: [], diagnostics: [], compiled: false };
  }
  const sourceKey = await contentHash(tree.files, RUNTIME_VERSION);
  const known = await findBundle(env.DB, sourceKey);
  if (known) {
    return { hash: known.hash, ok: known.ok, workflows: known.manifest as WorkflowManifestEntry[], diagnostics: known.diagnostics as Diagnostic[], compiled: false };
  }

  let result: Omit<PreparedBundle, "compiled">;
  if (tree.problems.length > 0) {
    result = {
      hash: sourceKey,
      ok: false,
      workflows: [],
      diagnostics: tree.problems.map((p) => ({ file: p.path, message: p.message, severity: "error" as const })),
    };
  } else {
    const compiled = await compile(tree.files, await initEsbuildWasm(), { salt: RUNTIME_VERSION });
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
      const problems: Diagnostic[] = described.problems.map((p) => ({ file: p.file, message: p.message, severity: "error" as const }));
      result = {
        hash: bundle.hash,
        ok: problems.length === 0,
        workflows: problems.length === 0 ? described.workflows : [],
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
  return { ...result, compiled: true };
}

/** Loading the module runs the author's top-level code: a throw or an endless loop there is a diagnostic, not a crash. */
async function describeBundle(env: LoaderEnv, ref: { installationId: number; repository: string; bundleHash: string }): Promise<DescribeResult> {
  try {
    const control = loadTenant(env, ref).getEntrypoint("TenantControl") as unknown as TenantControl;
    return await control.describe();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { workflows: [], problems: [{ file: ".workflows", message: `repoflow: loading the workflows failed: ${message}` }] };
  }
}
