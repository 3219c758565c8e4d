// ## Python-literal call arguments (LLMCompiler, Chain-of-Abstraction)
// LLMCompiler reads a step's arguments with Python's `ast.literal_eval`; this
// reads the same literals (strings in ' or " or triple quotes with Python's
// escapes, numbers, True/False/None, lists, tuples, dicts) plus `name=value`
// keyword arguments and bare references (`$1`, `y1`), and keeps the original
// offset of every decoded character so a reference inside a string is
// reported where it was written.
import type { Range } from "../diagnostics/range.js";
import { importDiag } from "./diagnostics.js";
import type { Arg, Part, PlanBuilder, Value } from "./plan-builder.js";
import type { Source } from "./scan.js";

export interface ArgsContext {
  src: Source;
  b: PlanBuilder;
  /**
   * Reads a bare reference at `at` (`$1`, `${1}`, `y1`): its length and the
   * Weft name (undefined when the reference does not resolve: reported, and the
   * step reads it as text). Returns undefined when no reference starts there.
   */
  bareRef(at: number, deps: Set<string>): { length: number; value: Value } | undefined;
  /** Splits decoded string text into text and references. */
  textParts(text: string, offsets: readonly number[], deps: Set<string>): Part[];
  /** Whether the line starting at `offset` ends an open call (a new step, `Thought:`...). */
  stopsCall(offset: number): boolean;
}

export type ArgsResult =
  | { kind: "ok"; args: Arg[]; close: number }
  /** The arguments are complete but the `)` is missing: the next line starts a new step. */
  | { kind: "unclosed"; args: Arg[]; end: number }
  /** The text ends inside the call. */
  | { kind: "eof" }
  /** Not Python literals (unquoted text, say); `at` is where reading failed. */
  | { kind: "invalid"; at: number };

type Fail = { fail: "eof" | "invalid" | "stop"; at: number };
const isFail = (v: Value | Fail): v is Fail => "fail" in v;

const NUMBER = /[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?(?![\w.])/y;
const KEYWORD_ARG = /([A-Za-z_]\w*)[ \t]*=(?!=)/y;
const WORD = /[A-Za-z_]\w*/y;
/**
 * Deeper lists and dicts are not read as literals (the text becomes one
 * string, I006): the reader recurses, and Weft's parser refuses more than 128
 * levels anyway (P011), which is reported for anything up to this depth.
 */
const MAX_DEPTH = 256;
const STRING_START = /([rRuUbBfF]{0,2})('''|"""|'|")/y;

function sticky(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

export class PythonArgs {
  readonly #ctx: ArgsContext;
  readonly #text: string;
  #pos: number;
  readonly #deps: Set<string>;
  #depth = 0;

  constructor(ctx: ArgsContext, start: number, deps: Set<string>) {
    this.#ctx = ctx;
    this.#text = ctx.src.text;
    this.#pos = start;
    this.#deps = deps;
  }

  #range(start: number, end: number): Range {
    return this.#ctx.src.range(start, end);
  }

  /** Skips blanks and line breaks; stops before a line that starts a new step. */
  #skip(): "ok" | "stop" | "eof" {
    const t = this.#text;
    for (;;) {
      const c = t[this.#pos];
      if (c === undefined) return "eof";
      if (c === " " || c === "\t" || c === "\f" || c === "\v") {
        this.#pos++;
        continue;
      }
      if (c === "\n" || c === "\r") {
        const next = c === "\r" && t[this.#pos + 1] === "\n" ? this.#pos + 2 : this.#pos + 1;
        if (next < t.length && this.#ctx.stopsCall(next)) return "stop";
        this.#pos = next;
        continue;
      }
      if (c === "#") {
        // A Python comment inside the call: skip to the line end.
        while (this.#pos < t.length && t[this.#pos] !== "\n" && t[this.#pos] !== "\r") this.#pos++;
        continue;
      }
      return "ok";
    }
  }

  /** Reads the arguments after a call's `(` up to and including its `)`. */
  call(): ArgsResult {
    const args: Arg[] = [];
    for (;;) {
      const s = this.#skip();
      if (s === "eof") return { kind: "eof" };
      if (s === "stop") return { kind: "unclosed", args, end: this.#pos };
      if (this.#text[this.#pos] === ")") return { kind: "ok", args, close: this.#pos };
      const start = this.#pos;
      const kw = sticky(KEYWORD_ARG, this.#text, this.#pos);
      if (kw !== null) this.#pos += kw[0].length;
      if (kw !== null && this.#skip() !== "ok") return { kind: "eof" };
      const v = this.#value();
      if (isFail(v)) return v.fail === "eof" ? { kind: "eof" } : { kind: "invalid", at: v.at };
      const arg: Arg = { value: v, range: this.#range(start, this.#pos) };
      if (kw !== null) arg.name = kw[1]!;
      args.push(arg);
      const after = this.#skip();
      if (after === "eof") return { kind: "eof" };
      if (after === "stop") return { kind: "unclosed", args, end: this.#pos };
      const c = this.#text[this.#pos];
      if (c === ",") this.#pos++;
      else if (c === ")") return { kind: "ok", args, close: this.#pos };
      else return { kind: "invalid", at: this.#pos };
    }
  }

  #value(): Value | Fail {
    const t = this.#text;
    const at = this.#pos;
    const c = t[at];
    if (c === undefined) return { fail: "eof", at };
    const ref = this.#ctx.bareRef(at, this.#deps);
    if (ref !== undefined) {
      this.#pos += ref.length;
      return ref.value;
    }
    const str = sticky(STRING_START, t, at);
    if (str !== null) return this.#string(str[1]!, str[2]!);
    const num = sticky(NUMBER, t, at);
    if (num !== null) {
      this.#pos += num[0].length;
      const n = Number(num[0].replace(/_/g, ""));
      return Number.isFinite(n) ? { kind: "number", value: n } : { fail: "invalid", at };
    }
    if (c === "[" || c === "(" || c === "{") {
      if (this.#depth >= MAX_DEPTH) return { fail: "invalid", at };
      this.#depth++;
      const v = c === "{" ? this.#dict() : this.#sequence(c === "[" ? "]" : ")");
      this.#depth--;
      return v;
    }
    const word = sticky(WORD, t, at);
    if (word !== null) {
      const w = word[0];
      const lit: Record<string, Value> = {
        True: { kind: "bool", value: true },
        False: { kind: "bool", value: false },
        None: { kind: "null" },
        true: { kind: "bool", value: true },
        false: { kind: "bool", value: false },
        null: { kind: "null" },
      };
      const v = Object.hasOwn(lit, w) ? lit[w] : undefined;
      if (v !== undefined) {
        this.#pos += w.length;
        return v;
      }
    }
    return { fail: "invalid", at };
  }

  /** A list `[...]` or a tuple `(...)`; `(x)` without a comma is just `x`, as in Python. */
  #sequence(close: "]" | ")"): Value | Fail {
    this.#pos++;
    const items: Value[] = [];
    let comma = false;
    for (;;) {
      const s = this.#skip();
      if (s !== "ok") return { fail: s, at: this.#pos };
      if (this.#text[this.#pos] === close) {
        this.#pos++;
        if (close === ")" && items.length === 1 && !comma) return items[0]!;
        return { kind: "list", items };
      }
      const v = this.#value();
      if (isFail(v)) return v;
      items.push(v);
      const after = this.#skip();
      if (after !== "ok") return { fail: after, at: this.#pos };
      const c = this.#text[this.#pos];
      if (c === ",") {
        comma = true;
        this.#pos++;
      } else if (c !== close) return { fail: "invalid", at: this.#pos };
    }
  }

  #dict(): Value | Fail {
    this.#pos++;
    const entries: [string, Value][] = [];
    for (;;) {
      const s = this.#skip();
      if (s !== "ok") return { fail: s, at: this.#pos };
      if (this.#text[this.#pos] === "}") {
        this.#pos++;
        return { kind: "object", entries };
      }
      const key = this.#value();
      if (isFail(key)) return key;
      const name = keyText(key);
      if (name === undefined) return { fail: "invalid", at: this.#pos };
      if (this.#skip() !== "ok" || this.#text[this.#pos] !== ":")
        return { fail: this.#pos >= this.#text.length ? "eof" : "invalid", at: this.#pos };
      this.#pos++;
      if (this.#skip() !== "ok") return { fail: "eof", at: this.#pos };
      const v = this.#value();
      if (isFail(v)) return v;
      // A repeated key: the last one wins, as in Python.
      const i = entries.findIndex(([k]) => k === name);
      if (i >= 0) entries.splice(i, 1);
      entries.push([name, v]);
      const after = this.#skip();
      if (after !== "ok") return { fail: after, at: this.#pos };
      const c = this.#text[this.#pos];
      if (c === ",") this.#pos++;
      else if (c !== "}") return { fail: "invalid", at: this.#pos };
    }
  }

  /** A Python string literal; the opening quote is at the current position after `prefix`. */
  #string(prefix: string, quote: string): Value | Fail {
    const t = this.#text;
    const raw = /r/i.test(prefix);
    const triple = quote.length === 3;
    let i = this.#pos + prefix.length + quote.length;
    let out = "";
    const offsets: number[] = [];
    const emit = (s: string, from: number): void => {
      for (let k = 0; k < s.length; k++) offsets.push(from);
      out += s;
    };
    for (;;) {
      const c = t[i];
      if (c === undefined) return { fail: "eof", at: i };
      if (t.startsWith(quote, i)) {
        offsets.push(i);
        this.#pos = i + quote.length;
        break;
      }
      if (!triple && (c === "\n" || c === "\r")) return { fail: "invalid", at: i };
      if (c !== "\\") {
        emit(c, i);
        i++;
        continue;
      }
      const n = t[i + 1];
      if (n === undefined) return { fail: "eof", at: i };
      if (raw) {
        // In a raw string a backslash stays, and only keeps the next quote from ending it.
        emit(c + n, i);
        i += 2;
        continue;
      }
      const decoded = this.#escape(i);
      if (decoded === undefined) return { fail: "invalid", at: i };
      emit(decoded.text, i);
      i += decoded.length;
    }
    return textValue(this.#ctx.textParts(out, offsets, this.#deps));
  }

  /** Decodes the escape at `i` (a backslash): its text and source length. */
  #escape(i: number): { text: string; length: number } | undefined {
    const t = this.#text;
    const n = t[i + 1]!;
    const simple: Record<string, string> = {
      "\\": "\\",
      "'": "'",
      '"': '"',
      n: "\n",
      t: "\t",
      r: "\r",
      a: "\x07",
      b: "\b",
      f: "\f",
      v: "\v",
    };
    if (Object.hasOwn(simple, n)) return { text: simple[n]!, length: 2 };
    if (n === "\n") return { text: "", length: 2 };
    if (n === "\r") return { text: "", length: t[i + 2] === "\n" ? 3 : 2 };
    const oct = /[0-7]{1,3}/y;
    oct.lastIndex = i + 1;
    const o = oct.exec(t);
    if (o !== null)
      return { text: String.fromCharCode(parseInt(o[0], 8)), length: 1 + o[0].length };
    const hex = (len: number): { text: string; length: number } | undefined => {
      const digits = t.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(digits)) return undefined;
      const code = parseInt(digits, 16);
      if (code > 0x10ffff) return undefined;
      return { text: String.fromCodePoint(code), length: 2 + len };
    };
    if (n === "x") return hex(2);
    if (n === "u") return hex(4);
    if (n === "U") return hex(8);
    if (n === "N") {
      // Unicode names need a table Weft does not carry: keep the escape as written.
      const m = /\\N\{[^}\n\r]*\}/y;
      m.lastIndex = i;
      const found = m.exec(t);
      if (found === null) return undefined;
      this.#ctx.b.report(
        importDiag.unsupportedEscape(this.#range(i, i + found[0].length), found[0]),
      );
      return { text: found[0], length: found[0].length };
    }
    // Python keeps an unknown escape as it is, backslash included.
    return { text: `\\${n}`, length: 2 };
  }
}

/** A string that is exactly one reference (`"$1"`) is the reference itself. */
export function textValue(parts: Part[]): Value {
  const refs = parts.filter((p) => typeof p !== "string");
  const only = refs[0];
  if (refs.length === 1 && only !== undefined && parts.every((p) => p === only || p === "")) {
    return { kind: "ref", name: only.ref };
  }
  return { kind: "text", parts };
}

function keyText(v: Value): string | undefined {
  if (v.kind === "number") return String(v.value);
  if (v.kind === "text" && v.parts.every((p) => typeof p === "string")) return v.parts.join("");
  return undefined;
}
