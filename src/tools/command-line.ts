// A command line as a shell would split it, for `--mcp "node server.mjs --flag"`.
// Words, single quotes (literal), double quotes (with \" \\ \$ \` escapes) and
// backslash escapes; no variables, globs, pipes or redirections: the command
// is started directly, not through a shell.

const OPERATORS = new Set(["|", "||", "&", "&&", ";", ">", ">>", "<", "2>", "2>&1"]);

export class CommandLineError extends Error {}

export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quoted = false;
  const end = (): void => {
    if (!inWord) return;
    if (!quoted && OPERATORS.has(word))
      throw new CommandLineError(
        `\`${word}\` is shell syntax, and the command is not run by a shell: wrap it as sh -c '...'`,
      );
    words.push(word);
    word = "";
    inWord = quoted = false;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) throw new CommandLineError(`unterminated ' quote in: ${line}`);
      word += line.slice(i + 1, close);
      inWord = quoted = true;
      i = close + 1;
    } else if (c === '"') {
      inWord = quoted = true;
      i++;
      for (;;) {
        if (i >= line.length) throw new CommandLineError(`unterminated " quote in: ${line}`);
        const d = line[i] as string;
        if (d === '"') {
          i++;
          break;
        }
        const next = line[i + 1];
        if (d === "\\" && next !== undefined && '"\\$`'.includes(next)) {
          word += next;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
    } else if (c === "\\") {
      const next = line[i + 1];
      // A backslash before a line break joins the lines, as in a shell.
      if (next !== undefined && next !== "\n") {
        word += next;
        inWord = true;
      }
      i += 2;
    } else if (/\s/.test(c)) {
      end();
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  end();
  return words;
}
