/**
 * Path globs for mapping changed files to labels: `**` matches any number of folders
 * (and names), `*` anything within one name, `?` one character. Enough for a label map,
 * and small enough to read; workflows cannot import minimatch.
 */
export function matchesGlob(glob: string, path: string): boolean {
  let pattern = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === "*" && glob[i + 1] === "*") {
      // "docs/**" matches everything under docs/; "**/README.md" matches it in any folder, the top one included.
      const slash = glob[i + 2] === "/";
      pattern += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (char === "*") {
      pattern += "[^/]*";
    } else if (char === "?") {
      pattern += "[^/]";
    } else {
      pattern += char.replace(/[\\^$.+()[\]{}|]/g, "\\$&");
    }
  }
  return new RegExp(`^${pattern}$`).test(path);
}
