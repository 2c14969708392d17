/**
 * What a tenant's import may name. A tenant's Dynamic Worker has exactly three modules
 * (host.js, repoflow.js, bundle.js) and no network but the GitHub gateway, so the only
 * things worth importing are the SDK and the repository's own files under
 * `.workflows/`. Every other specifier is refused here with a reason and a fix, rather
 * than left for esbuild's generic "could not resolve" or a failure inside the tenant.
 */
import { WORKFLOWS_DIR } from "./input.ts";

/** The SDK's bare name, and the module it becomes next to bundle.js in the tenant's Worker. */
export const SDK_SPECIFIER = "repoflow";
export const SDK_MODULE = "./repoflow.js";

/** Extensions that are modules, and the esbuild loader for each. */
export const LOADERS = { ".ts": "ts", ".mts": "ts", ".js": "js", ".mjs": "js", ".json": "json" } as const;
type ModuleExtension = keyof typeof LOADERS;

export type Resolution = { kind: "sdk" } | { kind: "file"; path: string } | { kind: "refused"; message: string };

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const LOCAL_FIX = `copy the code into ${WORKFLOWS_DIR}/lib/ and import it relatively`;

/**
 * Resolves `specifier`, imported from the repo file `importer` by an esbuild import of
 * `kind` ("import-statement", "dynamic-import", "require-call", ...), against the set of
 * repo paths.
 */
export function resolveImport(specifier: string, importer: string, kind: string, files: ReadonlySet<string>): Resolution {
  if (specifier === SDK_SPECIFIER) {
    // esbuild turns require() of an external into a shim that throws at run time in an ES module.
    return kind === "require-call" ? refused(`require("repoflow") does not work in an ES module bundle: write import { workflow } from "repoflow"`) : { kind: "sdk" };
  }
  if (specifier.startsWith(`${SDK_SPECIFIER}/`)) {
    return refused(`"${specifier}" is not a module: import from "repoflow" itself`);
  }
  const scheme = SCHEME.exec(specifier)?.[1]?.toLowerCase();
  if (scheme !== undefined) return refused(schemeMessage(specifier, scheme));
  if (specifier.startsWith("/") || specifier.startsWith("\\")) {
    return refused(`"${specifier}" is an absolute path: import files in ${WORKFLOWS_DIR}/ relatively, e.g. "./lib/util.ts"`);
  }
  if (specifier === "." || specifier === ".." || specifier.startsWith("./") || specifier.startsWith("../")) {
    return resolveRelative(specifier, importer, files);
  }
  return refused(`"${specifier}" is a package, and workflows can import only "repoflow" and files in ${WORKFLOWS_DIR}/: ${LOCAL_FIX}`);
}

function schemeMessage(specifier: string, scheme: string): string {
  switch (scheme) {
    case "node":
      return `"${specifier}" is a Node.js built-in, and workflows run in a Worker without Node built-ins: use Web APIs (crypto, TextEncoder, URL) and the repoflow SDK`;
    case "cloudflare":
      return `"${specifier}" is reserved for repoflow's runtime: use the step and github objects your workflow's run receives`;
    case "http":
    case "https":
      return `"${specifier}" is a URL import, and workflows are compiled without network access: ${LOCAL_FIX}`;
    case "data":
      return `data: URL imports are not allowed: ${LOCAL_FIX}`;
    default:
      return `"${specifier}" uses the ${scheme}: scheme, which workflows cannot import: import "repoflow" or a relative file in ${WORKFLOWS_DIR}/`;
  }
}

function resolveRelative(specifier: string, importer: string, files: ReadonlySet<string>): Resolution {
  const target = joinRepoPath(importer, specifier);
  if (target === null || target.split("/")[0] !== WORKFLOWS_DIR) {
    return refused(`"${specifier}" points outside ${WORKFLOWS_DIR}/, and workflows can import only files inside it: move the code into ${WORKFLOWS_DIR}/lib/`);
  }
  const tried = candidates(target);
  const found = tried.find((path) => files.has(path) && moduleExtension(path) !== null);
  if (found !== undefined) return { kind: "file", path: found };
  if (files.has(target)) {
    return refused(`${target} cannot be imported: only ${Object.keys(LOADERS).join(", ")} files are modules`);
  }
  return refused(`cannot find "${specifier}" from ${importer}: tried ${tried.join(", ")}; check the name, or add the file`);
}

/** Joins a relative specifier onto the importer's folder; null if `..` climbs above the repository root. */
function joinRepoPath(importer: string, specifier: string): string | null {
  const segments = importer.split("/").slice(0, -1);
  for (const segment of specifier.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length === 0) return null;
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return segments.join("/");
}

/**
 * Paths tried for a relative import, in order. TypeScript's ESM style names the emitted
 * file (`./util.js` for `util.ts`), so `.js`/`.mjs` also try `.ts`/`.mts`, as esbuild does.
 */
function candidates(target: string): string[] {
  const ext = moduleExtension(target);
  if (ext === ".js") return [target, `${target.slice(0, -3)}.ts`];
  if (ext === ".mjs") return [target, `${target.slice(0, -4)}.mts`];
  if (ext !== null) return [target];
  return [target, ...Object.keys(LOADERS).map((e) => target + e), `${target}/index.ts`, `${target}/index.js`];
}

export function moduleExtension(path: string): ModuleExtension | null {
  const dot = path.lastIndexOf(".");
  if (dot <= path.lastIndexOf("/")) return null;
  const ext = path.slice(dot);
  return ext in LOADERS ? (ext as ModuleExtension) : null;
}

function refused(message: string): Resolution {
  return { kind: "refused", message };
}
