/** Throwaway folders of files for a test (a repository on disk, a .workflows/ to check), removed with `removeAll()`. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Scratch {
  /** A new folder holding `files` (paths relative to it, folders created as needed). */
  folder(files: Record<string, string>): string;
  removeAll(): void;
}

export function scratchFolders(prefix: string): Scratch {
  const made: string[] = [];
  return {
    folder(files) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      made.push(dir);
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(join(dir, path, ".."), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      return dir;
    },
    removeAll() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
