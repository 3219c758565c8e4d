// ## Printing strings, object keys and references
// The formatter's spelling of the leaf values. Every rule here exists so that
// the printed text re-parses to exactly the same parts (see strings.ts for the
// reading side): escape as little as possible, but never less.
import type { Accessor, Ref, StringLit, StringPart } from "./ast.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const isIdentChar = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** A `$` before one of these would start an interpolation (`{` a braced one). */
const startsInterpolation = (c: string | undefined): boolean => isIdentChar(c) || c === "{";

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

function isLoneSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdfff;
}

function pathText(path: readonly Accessor[]): string {
  return path.map((a) => (a.kind === "Field" ? `.${a.name}` : `[${a.index}]`)).join("");
}

/** A reference outside a string: `$name.field[0]`. */
export function printRef(ref: Ref): string {
  return `$${ref.variable.name}${pathText(ref.path)}`;
}

/**
 * Escapes decoded text for a string body. `last` says whether this text ends
 * the string: a triple-quoted string may not end in `"` (it would merge with
 * the closing `"""`). A `$` at the very end of a text part needs no escape:
 * what follows is the closing quote or an interpolation, which starts with `$`.
 */
function escapeText(value: string, triple: boolean, last: boolean): string {
  const chars = [...value];
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const next = chars[i + 1];
    switch (c) {
      case "\\":
        out += "\\\\";
        break;
      case '"':
        // In a triple-quoted string a `"` is safe unless another `"` follows
        // (a run could reach `"""`) or it is the last character of the string.
        out += !triple || next === '"' || (next === undefined && last) ? '\\"' : '"';
        break;
      case "$":
        out += startsInterpolation(next) ? "\\$" : "$";
        break;
      case "\n":
        out += triple ? "\n" : "\\n";
        break;
      case "\t":
        // Even in a triple-quoted string: a raw tab is invisible, and editors convert it.
        out += "\\t";
        break;
      case " ":
        // A space that would end a line of a triple-quoted string is escaped:
        // editors strip trailing whitespace, which would change the value.
        out += triple && next === "\n" ? "\\u{20}" : " ";
        break;
      case "\r":
        out += "\\r";
        break;
      default: {
        const code = c.codePointAt(0) ?? 0;
        out += isControl(code) || isLoneSurrogate(code) ? `\\u{${code.toString(16)}}` : c;
      }
    }
  }
  return out;
}

/**
 * An interpolated reference. The short form `$name.path` is used unless the
 * printed text after it could be read as part of the reference (a name
 * character, `.` + name character, or `[` + digit); then the braced form.
 */
function printInterpolation(ref: Ref, after: string): string {
  const a = after[0];
  const b = after[1];
  const ambiguous = isIdentChar(a) || (a === "." && isIdentChar(b)) || (a === "[" && isDigit(b));
  const inner = `${ref.variable.name}${pathText(ref.path)}`;
  return ambiguous ? `\${${inner}}` : `$${inner}`;
}

/** Adjacent text parts merged and empty ones dropped, as the parser produces them. */
function normalParts(parts: readonly StringPart[]): StringPart[] {
  const out: StringPart[] = [];
  for (const p of parts) {
    const prev = out[out.length - 1];
    if (p.kind === "Text") {
      if (p.value === "") continue;
      if (prev?.kind === "Text") {
        out[out.length - 1] = { ...prev, value: prev.value + p.value };
        continue;
      }
    }
    out.push(p);
  }
  return out;
}

/** A string literal, always with double quotes (or triple quotes for a triple-quoted one). */
export function printString(s: StringLit): string {
  const triple = s.style === "triple";
  const parts = normalParts(s.parts);
  // Printed back to front: a reference's spelling depends on what follows it.
  let body = "";
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i]!;
    body =
      (p.kind === "Text"
        ? escapeText(p.value, triple, i === parts.length - 1)
        : printInterpolation(p, body)) + body;
  }
  const quote = triple ? '"""' : '"';
  return quote + body + quote;
}

/** An object key: bare when it is a name (keywords included), else a double-quoted string. */
export function printKey(name: string): string {
  return IDENTIFIER.test(name) ? name : `"${escapeText(name, false, true)}"`;
}
