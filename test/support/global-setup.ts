// The Worker imports the generated tenant runtime and App manifest; build them before any project loads the Worker.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL("../../scripts/build-runtime.mjs", import.meta.url).href)], { stdio: "inherit" });
  execFileSync(process.execPath, [fileURLToPath(new URL("../../scripts/build-app-manifest.mjs", import.meta.url).href)], { stdio: "inherit" });
}
