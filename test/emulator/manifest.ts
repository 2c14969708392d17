/**
 * The App as `app.yml` (the GitHub App manifest, Probot's format) declares
 * it: the permissions an installation grants and the events the App
 * subscribes to. The emulator grants exactly these by default, so a workflow
 * or a service call that needs more than the manifest asks for fails here
 * with GitHub's 403 "Resource not accessible by integration", not first in
 * production.
 *
 * Reads only the subset of YAML the manifest uses for these two keys: a
 * top-level `key:` followed by indented `name: value` pairs or `- item`
 * lines, with `#` comments. Anything else under them is refused by name
 * rather than guessed.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Access, Permissions } from "./auth.ts";

export const APP_MANIFEST = fileURLToPath(new URL("../../app.yml", import.meta.url).href);

export interface Manifest {
  permissions: Permissions;
  events: string[];
}

export class ManifestError extends Error {
  override readonly name = "ManifestError";
  constructor(path: string, problem: string) {
    super(`repoflow: cannot read ${path}: ${problem}; the emulator reads default_permissions (name: read|write) and default_events (- name) from it.`);
  }
}

export function readManifest(path = APP_MANIFEST): Manifest {
  return parseManifest(readFileSync(path, "utf8"), path);
}

export function parseManifest(text: string, path = "app.yml"): Manifest {
  const sections = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s+#.*$/, "").replace(/^\s*#.*$/, "").trimEnd();
    if (line === "") continue;
    const top = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (top) {
      current = top[2] === "" ? [] : null;
      if (current) sections.set(top[1] ?? "", current);
      continue;
    }
    current?.push(line.trim());
  }
  const permissions: Permissions = {};
  for (const entry of sections.get("default_permissions") ?? []) {
    const match = /^([a-z_]+):\s*(read|write)$/.exec(entry);
    if (!match?.[1] || !match[2]) throw new ManifestError(path, `default_permissions has "${entry}"`);
    permissions[match[1]] = match[2] as Access;
  }
  const events = (sections.get("default_events") ?? []).map((entry) => {
    const match = /^-\s*([a-z_]+)$/.exec(entry);
    if (!match?.[1]) throw new ManifestError(path, `default_events has "${entry}"`);
    return match[1];
  });
  if (Object.keys(permissions).length === 0) throw new ManifestError(path, "it declares no default_permissions");
  return { permissions, events };
}
