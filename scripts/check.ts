/**
 * `npm run check -- --dir path/to/repo`: compiles the folder's `.workflows/`
 * exactly as the service would and type-checks it with the templates'
 * declarations (repo-templates/types/repoflow.d.ts), sending nothing
 * anywhere. Prints diagnostics as tsc does and exits 1 on any error, 0 when
 * the folder would compile and run; 2 on a usage error.
 *
 * Node runs this file as is (type stripping); the service's modules are
 * bundled with esbuild first (scripts/check/main.ts), because they use
 * extensionless imports Node's loader does not resolve.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url).href);
const USAGE = "usage: npm run check -- --dir path/to/repo [--no-types]   (the folder holding .workflows/)";

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

function parse(argv: string[]): { dir: string; types: boolean } {
  let dir: string | null = null;
  let types = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--dir") dir = argv[++i] ?? fail(`repoflow: --dir needs a folder. ${USAGE}`, 2);
    else if (arg === "--no-types") types = false;
    else if (arg === "--help" || arg === "-h") fail(USAGE, 2);
    else if (!arg.startsWith("--") && dir === null) dir = arg;
    else fail(`repoflow: unknown argument ${arg}. ${USAGE}`, 2);
  }
  return { dir: resolve(dir ?? "."), types };
}

/** tsc over the folder's workflows with the configuration and declarations authors copy from repo-templates/. */
function typecheck(dir: string, cache: string): { ok: boolean; output: string } {
  const config = join(cache, `tsconfig-${process.pid}.json`);
  writeFileSync(config, JSON.stringify({ extends: join(ROOT, "repo-templates/tsconfig.json"), include: [join(dir, ".workflows/**/*.ts"), join(ROOT, "repo-templates/types/repoflow.d.ts")] }));
  try {
    execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", config, "--pretty", "false"], { cwd: dir, stdio: "pipe" });
    return { ok: true, output: "" };
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, output: `${e.stdout?.toString() ?? ""}${e.stderr?.toString() ?? ""}`.trim() };
  } finally {
    rmSync(config, { force: true });
  }
}

async function main(): Promise<number> {
  const { dir, types } = parse(process.argv.slice(2));
  if (!existsSync(join(dir, ".workflows"))) fail(`repoflow: ${dir} has no .workflows/ folder; give the repository's folder with --dir.`, 2);
  // Inside node_modules, so the bundle's bare imports (esbuild, @octokit/*) resolve from the repository.
  const cache = join(ROOT, "node_modules/.cache/repoflow-check");
  mkdirSync(cache, { recursive: true });
  const entry = join(cache, `main-${process.pid}.mjs`);
  await esbuild.build({ entryPoints: [join(ROOT, "scripts/check/main.ts")], outfile: entry, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "error" });
  try {
    const { check } = (await import(pathToFileURL(entry).href)) as typeof import("./check/main.ts");
    const result = await check(dir);
    let errors = 0;
    for (const d of result.diagnostics) {
      if (d.severity === "error") errors++;
      console.log(`${d.file}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ""}` : ""} - ${d.severity}: ${d.message}`);
    }
    if (types) {
      const typed = typecheck(dir, cache);
      if (!typed.ok) {
        console.log(typed.output);
        errors += typed.output.split("\n").filter((line) => / error TS\d+:/.test(line)).length || 1;
      }
    }
    if (errors > 0) {
      // The service reports the same on the push's compile check run; a folder that does not compile runs nothing.
      console.error(`✗ ${errors} error${errors === 1 ? "" : "s"} in ${join(dir, ".workflows")}${result.workflows.length === 0 ? "; as it is, no workflow of it would run" : ""}.`);
      return 1;
    }
    const names = result.workflows.map((w) => `${w.name} (${w.file})`);
    console.log(`✓ ${result.workflows.length} workflow${result.workflows.length === 1 ? "" : "s"} compile${types ? " and type-check" : ""}: ${names.join(", ")}`);
    return 0;
  } finally {
    rmSync(entry, { force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
