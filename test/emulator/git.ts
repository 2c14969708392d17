/**
 * Real git objects for the emulated repositories: blobs, trees and commits
 * hashed exactly as git hashes them (sha1 over `<type> <size>\0<body>`), so a
 * tree the emulator serves has the sha `git write-tree` gives for the same
 * files, and a blob sha equals `git hash-object`. repoflow keys compiled
 * bundles on tree content, so fake shas would hide caching bugs.
 *
 * Tree entries are sorted the way git sorts them: by name bytes, with a
 * subtree compared as if its name ended in "/". Modes are git's: 100644,
 * 100755, 120000 (symlink; the blob holds the target path) and 160000
 * (submodule; the entry names a commit of another repository, no object here).
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export type FileMode = "100644" | "100755" | "120000" | "160000";

/** A path in a commit: file content (or symlink target), or a submodule's commit sha. */
export type FileEntry = { mode: "100644" | "100755" | "120000"; content: Uint8Array } | { mode: "160000"; sha: string };

export interface TreeEntry {
  name: string;
  mode: FileMode | "40000";
  type: "blob" | "tree" | "commit";
  sha: string;
}

export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch, UTC. */
  time: number;
  /** The time zone git records beside the time, `+hhmm` or `-hhmm`; "+0000" when absent. It is part of the object, so it changes the sha. */
  offset?: string;
}

export type GitObject =
  | { type: "blob"; sha: string; content: Uint8Array }
  | { type: "tree"; sha: string; entries: TreeEntry[] }
  | { type: "commit"; sha: string; tree: string; parents: string[]; author: Signature; committer: Signature; message: string };

const encoder = new TextEncoder();

/** A repository's object database: content-addressed, append-only. */
export class ObjectStore {
  readonly objects = new Map<string, GitObject>();

  get(sha: string): GitObject | undefined {
    return this.objects.get(sha);
  }

  writeBlob(content: Uint8Array): string {
    const sha = hashObject("blob", content);
    this.objects.set(sha, { type: "blob", sha, content });
    return sha;
  }

  /** Writes the nested trees for a flat path → entry map and returns the root tree sha. */
  writeTree(files: ReadonlyMap<string, FileEntry>): string {
    const root: DirNode = new Map();
    for (const [path, entry] of files) {
      const parts = path.split("/");
      let dir = root;
      for (const part of parts.slice(0, -1)) {
        let child = dir.get(part);
        if (!(child instanceof Map)) {
          child = new Map();
          dir.set(part, child);
        }
        dir = child;
      }
      dir.set(parts[parts.length - 1] ?? path, entry);
    }
    return this.writeDir(root);
  }

  /** The committer defaults to the author, as `git commit-tree` with only the author set would record it. */
  writeCommit(tree: string, parents: string[], message: string, author: Signature, committer: Signature = author): string {
    const text = message.endsWith("\n") ? message : `${message}\n`;
    const line = (who: Signature) => `${who.name} <${who.email}> ${who.time} ${who.offset ?? "+0000"}`;
    const body = [`tree ${tree}`, ...parents.map((parent) => `parent ${parent}`), `author ${line(author)}`, `committer ${line(committer)}`, "", text].join("\n");
    const sha = hashObject("commit", encoder.encode(body));
    this.objects.set(sha, { type: "commit", sha, tree, parents, author, committer, message: text });
    return sha;
  }

  /** Every path of a tree, recursively, as the flat map `writeTree` takes. */
  readFiles(treeSha: string, prefix = "", into = new Map<string, FileEntry>()): Map<string, FileEntry> {
    const tree = this.get(treeSha);
    if (tree?.type !== "tree") return into;
    for (const entry of tree.entries) {
      const path = prefix + entry.name;
      if (entry.type === "tree") this.readFiles(entry.sha, `${path}/`, into);
      else if (entry.mode === "160000") into.set(path, { mode: "160000", sha: entry.sha });
      else {
        const blob = this.get(entry.sha);
        if (blob?.type === "blob") into.set(path, { mode: entry.mode as "100644" | "100755" | "120000", content: blob.content });
      }
    }
    return into;
  }

  /** The entry at `path` inside a tree (the root itself for ""), or undefined. */
  lookup(treeSha: string, path: string): TreeEntry | undefined {
    let current: TreeEntry = { name: "", mode: "40000", type: "tree", sha: treeSha };
    for (const part of path.split("/").filter(Boolean)) {
      const tree = this.get(current.sha);
      if (tree?.type !== "tree") return undefined;
      const next = tree.entries.find((entry) => entry.name === part);
      if (!next) return undefined;
      current = next;
    }
    return current;
  }

  private writeDir(dir: DirNode): string {
    const entries: TreeEntry[] = [];
    for (const [name, node] of dir) {
      if (node instanceof Map) entries.push({ name, mode: "40000", type: "tree", sha: this.writeDir(node) });
      else if (node.mode === "160000") entries.push({ name, mode: "160000", type: "commit", sha: node.sha });
      else entries.push({ name, mode: node.mode, type: "blob", sha: this.writeBlob(node.content) });
    }
    entries.sort((a, b) => compareBytes(sortKey(a), sortKey(b)));
    const chunks: Uint8Array[] = [];
    for (const entry of entries) {
      chunks.push(encoder.encode(`${entry.mode} ${entry.name}\0`), hexToBytes(entry.sha));
    }
    const sha = hashObject("tree", concat(chunks));
    this.objects.set(sha, { type: "tree", sha, entries });
    return sha;
  }
}

type DirNode = Map<string, DirNode | FileEntry>;

/** git's object id: sha1 of `<type> <byte length>\0<body>`. */
function hashObject(type: "blob" | "tree" | "commit", body: Uint8Array): string {
  return createHash("sha1").update(`${type} ${body.byteLength}\0`).update(body).digest("hex");
}

/**
 * Every file under `dir` as commit entries: the executable bit becomes 100755
 * and a symlink becomes 120000 holding its target, as `git add` records them.
 * `.git` is skipped so a checkout can serve as a seed.
 */
export function readDirectory(dir: string): Map<string, FileEntry> {
  const files = new Map<string, FileEntry>();
  const walk = (absolute: string, relative: string) => {
    for (const name of readdirSync(absolute).sort()) {
      if (name === ".git") continue;
      const path = join(absolute, name);
      const key = relative ? `${relative}/${name}` : name;
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) files.set(key, { mode: "120000", content: encoder.encode(readlinkSync(path)) });
      else if (stat.isDirectory()) walk(path, key);
      else if (stat.isFile()) files.set(key, { mode: (stat.mode & 0o111) !== 0 ? "100755" : "100644", content: new Uint8Array(readFileSync(path)) });
    }
  };
  walk(dir, "");
  return files;
}

function sortKey(entry: TreeEntry): Uint8Array {
  return encoder.encode(entry.type === "tree" ? `${entry.name}/` : entry.name);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
