// ## String literals
// Decodes escapes and finds `$ref` / `${ref}` interpolations, keeping the
// source range of every part so that errors inside a string point inside it.
import type { IToken } from "chevrotain";
import { diag } from "../diagnostics/catalogue.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { LineMap } from "../diagnostics/range.js";
import type { Accessor, StringLit, StringPart, StringStyle } from "./ast.js";

const simpleEscapes: Record<string, string> = {
  "\\": "\\",
  '"': '"',
  "'": "'",
  n: "\n",
  t: "\t",
  r: "\r",
  $: "$",
  b: "\b",
  f: "\f",
  "/": "/",
};

/** `\\`, `$` and `\r`: the characters that end a run of plain text. */
const SPECIAL = new Set([0x5c, 0x24, 0x0d]);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isIdentStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_");
const isIdentChar = (c: string | undefined): boolean => isIdentStart(c) || isDigit(c);

export function decodeString(token: IToken, lines: LineMap, diagnostics: Diagnostic[]): StringLit {
  const image = token.image;
  const style: StringStyle = image.startsWith('"""')
    ? "triple"
    : image.startsWith("'")
      ? "single"
      : "double";
  const quote = style === "triple" ? 3 : 1;
  const base = token.startOffset;
  const src = image.slice(0, image.length - quote);
  const range = lines.range(base, base + image.length);
  // Most strings have no escapes and no interpolation: one text part.
  const body = src.slice(quote);
  if (!/[\\$\r]/.test(body)) {
    const parts: StringPart[] =
      body.length === 0
        ? []
        : [{ kind: "Text", value: body, range: lines.range(base + quote, base + src.length) }];
    return { kind: "String", style, parts, range };
  }
  const parts: StringPart[] = [];
  let text = "";
  let textStart = base + quote;

  const flushText = (end: number): void => {
    if (text.length > 0)
      parts.push({ kind: "Text", value: text, range: lines.range(textStart, end) });
    text = "";
  };
  const addText = (value: string, at: number): void => {
    if (text.length === 0) textStart = at;
    text += value;
  };

  // Reads a name and a path starting at `i`; returns the end index, or -1.
  const readRef = (
    i: number,
    braced: boolean,
  ): { end: number; name: string; path: Accessor[] } | undefined => {
    let j = i;
    if (isIdentStart(src[j])) {
      while (isIdentChar(src[j])) j++;
    } else if (isDigit(src[j])) {
      while (isDigit(src[j])) j++;
    } else {
      return undefined;
    }
    const name = src.slice(i, j);
    const path: Accessor[] = [];
    for (;;) {
      if (src[j] === "." && isIdentStart(src[j + 1])) {
        let k = j + 1;
        while (isIdentChar(src[k])) k++;
        path.push({
          kind: "Field",
          name: src.slice(j + 1, k),
          range: lines.range(base + j, base + k),
        });
        j = k;
      } else if (src[j] === "[" && isDigit(src[j + 1])) {
        let k = j + 1;
        while (isDigit(src[k])) k++;
        if (src[k] !== "]") break;
        const index = Number(src.slice(j + 1, k));
        if (!Number.isSafeInteger(index)) break;
        path.push({ kind: "Index", index, range: lines.range(base + j, base + k + 1) });
        j = k + 1;
      } else {
        break;
      }
      if (!braced && j >= src.length) break;
    }
    return { end: j, name, path };
  };

  let i = quote;
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\\") {
      const e = src[i + 1];
      if (e !== undefined && simpleEscapes[e] !== undefined) {
        addText(simpleEscapes[e], base + i);
        i += 2;
        continue;
      }
      if (e === "u") {
        const braced = /^\{([0-9A-Fa-f]{1,6})\}/.exec(src.slice(i + 2));
        const plain = /^[0-9A-Fa-f]{4}/.exec(src.slice(i + 2));
        const hex = braced?.[1] ?? plain?.[0];
        const length = braced ? braced[0].length : plain ? 4 : 0;
        const code = hex === undefined ? NaN : parseInt(hex, 16);
        if (code <= 0x10ffff) {
          addText(String.fromCodePoint(code), base + i);
          i += 2 + length;
          continue;
        }
      }
      const bad = e === undefined ? "\\" : `\\${e}`;
      diagnostics.push(diag.invalidEscape(lines.range(base + i, base + i + bad.length), bad));
      addText(e ?? "", base + i);
      i += bad.length;
      continue;
    }
    if (c === "$") {
      const braced = src[i + 1] === "{";
      const ref = readRef(i + (braced ? 2 : 1), braced);
      if (braced && (ref === undefined || src[ref.end] !== "}")) {
        const stop = ref === undefined ? i + 2 : ref.end + 1;
        diagnostics.push(
          diag.invalidInterpolation(
            lines.range(base + i, base + Math.min(stop, src.length)),
            ref === undefined ? "expected a variable name after `${`" : "expected `}`",
          ),
        );
        addText("$", base + i);
        i += 1;
        continue;
      }
      if (ref === undefined) {
        addText("$", base + i); // a `$` that starts no reference is a literal dollar
        i += 1;
        continue;
      }
      flushText(base + i);
      const nameStart = base + i + (braced ? 2 : 1);
      const end = braced ? ref.end + 1 : ref.end;
      parts.push({
        kind: "Ref",
        variable: {
          kind: "Var",
          name: ref.name,
          range: lines.range(nameStart - (braced ? 2 : 1), nameStart + ref.name.length),
        },
        path: ref.path,
        range: lines.range(base + i, base + end),
      });
      i = end;
      continue;
    }
    if (c === "\r") {
      // A line break is "\n" whatever the file's line endings: the value of a
      // plan must not change when it is saved on Windows.
      addText("\n", base + i);
      i += src[i + 1] === "\n" ? 2 : 1;
      continue;
    }
    // A run of plain characters in one slice, not one concatenation each.
    let j = i + 1;
    while (j < src.length && !SPECIAL.has(src.charCodeAt(j))) j++;
    addText(src.slice(i, j), base + i);
    i = j;
  }
  flushText(base + src.length);
  return { kind: "String", style, parts, range };
}

/** The plain value of a string with no interpolation, or undefined. */
export function staticText(s: StringLit): string | undefined {
  let out = "";
  for (const p of s.parts) {
    if (p.kind !== "Text") return undefined;
    out += p.value;
  }
  return out;
}
