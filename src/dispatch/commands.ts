/**
 * Slash commands in GitHub comment bodies: `/backport 1.x 2.x` on a line of
 * its own. Only text a reader sees as the author's own prose counts, so lines
 * in code (fenced or indented), in quotes (an email reply quotes the comment
 * it answers, commands included) and in HTML comments (issue and PR templates
 * hide their instructions in `<!-- -->`) are skipped.
 *
 * This is a line scanner, not a Markdown parser: it follows CommonMark where
 * a command could hide (fences, indented code, block quotes, comments) and
 * ignores the rest (lists, lazy quote continuation). Caps bound the work an
 * arbitrary comment, up to GitHub's 65,536 characters, can cause.
 */

export interface ParsedCommand {
  /** Lowercased, with its slash: "/backport". */
  name: string;
  args: string[];
}

const MAX_COMMANDS = 10;
const MAX_ARGS = 20;
const MAX_ARG_LENGTH = 200;

const COMMAND = /^\/([A-Za-z][A-Za-z0-9_-]{0,49})(?=\s|$)/;
const FENCE = /^(`{3,}|~{3,})(.*)$/;

export function parseCommands(body: string): ParsedCommand[] {
  const commands: ParsedCommand[] = [];
  let fence: { char: string; length: number } | null = null;
  let inComment = false;
  let inIndentedCode = false;
  // Indented code cannot interrupt a paragraph: four spaces after a text line are that text's continuation.
  let inParagraph = false;
  for (const line of body.split(/\r\n|\r|\n/)) {
    if (commands.length === MAX_COMMANDS) break;
    const content = line.trimStart();
    if (fence !== null) {
      const close = FENCE.exec(content);
      if (close !== null && close[1]![0] === fence.char && close[1]!.length >= fence.length && close[2]!.trim() === "") fence = null;
      continue;
    }
    if (inComment) {
      inComment = !line.includes("-->");
      inParagraph = false;
      continue;
    }
    if (content === "") {
      inParagraph = false;
      continue;
    }
    if (indentation(line) >= 4 && (inIndentedCode || !inParagraph)) {
      inIndentedCode = true;
      continue;
    }
    inIndentedCode = false;
    const open = FENCE.exec(content);
    // A backtick fence's info string cannot hold a backtick: "```x```" is inline code.
    if (open !== null && !(open[1]![0] === "`" && open[2]!.includes("`"))) {
      fence = { char: open[1]![0]!, length: open[1]!.length };
      inParagraph = false;
      continue;
    }
    inParagraph = true;
    if (content.startsWith(">")) continue;
    const visible = withoutComments(content);
    inComment = visible.commentOpen;
    const command = COMMAND.exec(visible.text);
    if (command === null) continue;
    commands.push({ name: `/${command[1]!.toLowerCase()}`, args: splitArgs(visible.text.slice(command[0].length)) });
  }
  return commands;
}

/** The first command called `name` ("backport" or "/Backport" alike), or null. */
export function findCommand(body: string, name: string): ParsedCommand | null {
  const wanted = `/${name.replace(/^\//, "").toLowerCase()}`;
  return parseCommands(body).find((command) => command.name === wanted) ?? null;
}

/** Columns of leading whitespace; a tab advances to the next multiple of 4 (CommonMark). */
function indentation(line: string): number {
  let columns = 0;
  for (const char of line) {
    if (char === " ") columns++;
    else if (char === "\t") columns += 4 - (columns % 4);
    else break;
  }
  return columns;
}

/**
 * The line without its HTML comments, and whether one stays open past the
 * line's end. Code spans are kept whole, so "`<!--`" opens nothing. Linear in
 * the line's length: each backtick run's closer is found in one pass.
 */
function withoutComments(line: string): { text: string; commentOpen: boolean } {
  const runs = Array.from(line.matchAll(/`+/g), (match) => ({ at: match.index, end: match.index + match[0].length }));
  const closer: number[] = [];
  const nextOfLength = new Map<number, number>();
  for (let k = runs.length - 1; k >= 0; k--) {
    const length = runs[k]!.end - runs[k]!.at;
    closer[k] = nextOfLength.get(length) ?? -1;
    nextOfLength.set(length, k);
  }
  let text = "";
  let i = 0;
  let k = 0;
  while (i < line.length) {
    while (k < runs.length && runs[k]!.at < i) k++;
    if (runs[k]?.at === i) {
      const stop = runs[closer[k]!]?.end ?? runs[k]!.end;
      text += line.slice(i, stop);
      i = stop;
    } else if (line.startsWith("<!--", i)) {
      const end = line.indexOf("-->", i + 4);
      if (end === -1) return { text, commentOpen: true };
      i = end + 3;
    } else {
      text += line[i];
      i++;
    }
  }
  return { text, commentOpen: false };
}

/** Whitespace-separated; "double quotes" keep spaces, and \" or \\ inside them stand for themselves. */
function splitArgs(text: string): string[] {
  const args: string[] = [];
  let arg = "";
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < text.length && args.length < MAX_ARGS; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"') quoted = false;
      else if (char === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) arg += text[++i];
      else arg += char;
    } else if (/\s/.test(char)) {
      if (inArg) args.push(arg);
      arg = "";
      inArg = false;
    } else {
      inArg = true;
      if (char === '"') quoted = true;
      else arg += char;
    }
  }
  if (inArg && args.length < MAX_ARGS) args.push(arg);
  // Characters, not UTF-16 units, so an emoji is never cut in half.
  return args.map((a) => (a.length > MAX_ARG_LENGTH ? Array.from(a).slice(0, MAX_ARG_LENGTH).join("") : a));
}
