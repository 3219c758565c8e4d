// Finds where malformed JSON goes wrong. V8's JSON.parse messages do not
// always carry a position ("Unexpected end of JSON input"), and the wording
// changes between Node versions, so the error is located by a scanner of our own.

export interface JsonError {
  /** 0-based offset of the offending character (text length at the end of input). */
  offset: number;
  message: string;
}

type Mode = "value" | "valueOrClose" | "after" | "key" | "keyOrClose" | "colon";

const WS = new Set([" ", "\t", "\n", "\r"]);

/** The first syntax error in `text`, or undefined when `text` is valid JSON. */
export function findJsonError(text: string): JsonError | undefined {
  // Iterative (a stack of open brackets), so deep nesting cannot overflow.
  const open: ("[" | "{")[] = [];
  let mode: Mode = "value";
  let i = 0;
  const n = text.length;
  const found = () =>
    i >= n
      ? "the end of the input"
      : `\`${describe(String.fromCodePoint(text.codePointAt(i) ?? 0))}\``;
  const fail = (expected: string): JsonError => ({
    offset: i,
    message: `expected ${expected}, found ${found()}`,
  });

  for (;;) {
    while (i < n && WS.has(text[i] as string)) i++;
    const c = text[i];
    switch (mode) {
      case "value":
      case "valueOrClose": {
        if (mode === "valueOrClose" && c === "]") {
          open.pop();
          i++;
          mode = "after";
          break;
        }
        if (c === "[" || c === "{") {
          open.push(c);
          i++;
          mode = c === "[" ? "valueOrClose" : "keyOrClose";
          break;
        }
        const err = c === '"' ? scanString() : c === "-" || isDigit(c) ? scanNumber() : scanWord();
        if (err !== undefined) return err;
        mode = "after";
        break;
      }
      case "key":
      case "keyOrClose": {
        if (mode === "keyOrClose" && c === "}") {
          open.pop();
          i++;
          mode = "after";
          break;
        }
        if (c !== '"') return fail("a property name in double quotes");
        const err = scanString();
        if (err !== undefined) return err;
        mode = "colon";
        break;
      }
      case "colon":
        if (c !== ":") return fail("`:`");
        i++;
        mode = "value";
        break;
      case "after": {
        const top = open[open.length - 1];
        if (top === undefined)
          return i < n
            ? { offset: i, message: `unexpected ${found()} after the JSON value` }
            : undefined;
        const close = top === "[" ? "]" : "}";
        if (c === ",") {
          i++;
          mode = top === "[" ? "value" : "key";
        } else if (c === close) {
          open.pop();
          i++;
        } else {
          return fail(`\`,\` or \`${close}\``);
        }
        break;
      }
    }
  }

  function scanString(): JsonError | undefined {
    const start = i;
    i++;
    while (i < n) {
      const ch = text[i] as string;
      if (ch === '"') {
        i++;
        return undefined;
      }
      if (ch === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
            return { offset: i, message: "invalid `\\u` escape in string" };
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          return { offset: i, message: "invalid escape in string" };
        }
        continue;
      }
      if (ch.charCodeAt(0) < 0x20)
        return { offset: i, message: "control character in string (escape it)" };
      i++;
    }
    return { offset: start, message: "unterminated string" };
  }

  function scanNumber(): JsonError | undefined {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else if (isDigit(text[i])) while (isDigit(text[i])) i++;
    else return fail("a digit");
    if (text[i] === ".") {
      i++;
      if (!isDigit(text[i])) return fail("a digit");
      while (isDigit(text[i])) i++;
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      if (!isDigit(text[i])) return fail("a digit");
      while (isDigit(text[i])) i++;
    }
    return undefined;
  }

  function scanWord(): JsonError | undefined {
    for (const w of ["true", "false", "null"]) {
      if (text.startsWith(w, i)) {
        i += w.length;
        return undefined;
      }
    }
    return fail("a JSON value");
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

function describe(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x20 ? `\\u${code.toString(16).padStart(4, "0")}` : c;
}
