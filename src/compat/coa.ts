// ## Chain-of-Abstraction reasoning chains
//   Tokyo has [FUNC search("Tokyo population") = y1] people and Paris
//   [FUNC search("Paris population") = y2]; together [FUNC add(y1, y2) = y3].
// becomes
//   # Tokyo has y1 people and Paris
//   $y1 = search("Tokyo population")
//   # y2; together y3.
//   $y2 = search("Paris population")
//   $y3 = add($y1, $y2)
// (each reasoning line is a comment, with its calls replaced by their
// variables, followed by the calls written on it).
//
// A call is `[FUNC tool(args) = yN]` anywhere in the text; the arguments are
// Python literals (python-args.ts) where a bare `yN` is a reference. Inside a
// quoted argument, `yN` interpolates the result when `yN` is defined above
// (otherwise it is plain text). `-> yN` is read like `= yN`.
import type { Range } from "../diagnostics/range.js";
import { importDiag } from "./diagnostics.js";
import {
  PlanBuilder,
  type Arg,
  type BuiltPlan,
  type Part,
  type Statement,
  type Value,
} from "./plan-builder.js";
import { PythonArgs, textValue, type ArgsContext } from "./python-args.js";
import { Scope, Source, isBlank } from "./scan.js";
import type { ImportOptions } from "./types.js";
import { isToolName } from "../parser/names.js";

const BLOCK = /\[FUNC\b[ \t]*/g;
const NEXT_BLOCK = /\[FUNC\b/g;
const CALL = /([A-Za-z_][\w.]*)[ \t]*\(/y;
const RESULT = /[ \t]*(?:=|->)[ \t]*(y\d+)[ \t]*\]/y;
const NO_RESULT = /[ \t]*\]/y;
const DECLARED = /\[FUNC\b[^\]]*?(?:=|->)[ \t]*(y\d+)[ \t]*\]/g;
const BARE = /y(\d+)(?!\w)/y;
const IN_TEXT = /\by(\d+)\b/g;

/** One `[FUNC ...]`: its replacement in the reasoning text, and its statement. */
interface Block {
  start: number;
  end: number;
  replacement: string;
  statement?: Statement;
}

class CoaReader implements ArgsContext {
  readonly src: Source;
  readonly b = new PlanBuilder();
  readonly #scope: Scope;
  readonly #map: Record<string, string>;
  /** Where a call cut off by the end of the text starts. */
  #cut: number | undefined;

  constructor(text: string, options: ImportOptions) {
    this.src = new Source(text);
    this.#map = options.map ?? {};
    const declared = new Map<string, Range>();
    for (const m of text.matchAll(DECLARED)) {
      const at = m.index + m[0].lastIndexOf(m[1]!);
      if (!declared.has(m[1]!)) declared.set(m[1]!, this.src.range(at, at + m[1]!.length));
    }
    this.#scope = new Scope(declared);
  }

  bareRef(at: number, deps: Set<string>): { length: number; value: Value } | undefined {
    BARE.lastIndex = at;
    const m = BARE.exec(this.src.text);
    if (m === null) return undefined;
    const key = m[0];
    const name = this.#scope.resolve(key, this.src.range(at, at + key.length), this.b, key);
    if (name === undefined) return { length: key.length, value: { kind: "text", parts: [key] } };
    deps.add(name);
    return { length: key.length, value: { kind: "ref", name } };
  }

  textParts(text: string, _offsets: readonly number[], deps: Set<string>): Part[] {
    const parts: Part[] = [];
    let last = 0;
    for (const m of text.matchAll(IN_TEXT)) {
      // Only a variable defined above is a reference; other `y1` is just text.
      if (!this.#scope.has(m[0])) continue;
      const name = this.#scope.resolve(m[0], this.src.range(0, 0), this.b, m[0])!;
      deps.add(name);
      parts.push(text.slice(last, m.index), { ref: name });
      last = m.index + m[0].length;
    }
    parts.push(text.slice(last));
    return parts;
  }

  stopsCall(): boolean {
    return false;
  }

  read(): BuiltPlan {
    const { src, b } = this;
    const text = src.text;
    const blocks: Block[] = [];
    let truncated = false;
    BLOCK.lastIndex = 0;
    for (let m = BLOCK.exec(text); m !== null; m = BLOCK.exec(text)) {
      b.steps++;
      const block = this.#block(m.index, m.index + m[0].length);
      if (block === "eof") {
        truncated = true;
        break;
      }
      blocks.push(block);
      BLOCK.lastIndex = Math.max(block.end, m.index + 1);
    }
    this.#emit(blocks, this.#cut);
    if (this.#cut !== undefined)
      b.comment(`not imported (cut off): ${text.slice(this.#cut).trim()}`);
    if (b.steps === 0) {
      b.report(importDiag.noSteps(src.range(0, text.length), "Chain-of-Abstraction `[FUNC ...]`"));
    }
    return b.build(b.steps > 0 && !truncated);
  }

  /** Reads `[FUNC tool(args) = yN]` starting at `start`; "eof" when the text ends inside it. */
  #block(start: number, bodyStart: number): Block | "eof" {
    const { src, b } = this;
    const text = src.text;
    const label = "this `[FUNC ...]` call";
    const line = src.lines[src.map.position(start).line - 1]!;
    CALL.lastIndex = bodyStart;
    const call = CALL.exec(text);
    const cutOff = (): "eof" => {
      b.report(importDiag.truncatedStep(src.range(start, text.trimEnd().length), label));
      this.#cut = start;
      return "eof";
    };
    const asText = (end: number, expected: string): Block => {
      b.report(importDiag.unreadableStep(src.range(start, end), label, expected));
      return { start, end, replacement: text.slice(start, end) };
    };
    if (call === null) {
      if (text.indexOf("]", bodyStart) === -1) return cutOff();
      return asText(Math.min(line.end, bodyStart), "`[FUNC tool(arguments) = yN]`");
    }
    const tool = call[1]!;
    const toolRange = src.range(bodyStart, bodyStart + tool.length);
    const deps = new Set<string>();
    const mark = b.diagnostics.length;
    const parsed = new PythonArgs(this, CALL.lastIndex, deps).call();
    let args: Arg[];
    let close: number;
    if (parsed.kind === "eof") {
      b.diagnostics.length = mark;
      return cutOff();
    }
    if (parsed.kind === "ok") {
      args = parsed.args;
      close = parsed.close + 1;
    } else {
      // Not Python literals: one string up to the `)` before `= yN]`, as for LLMCompiler.
      b.diagnostics.length = mark;
      deps.clear();
      const tail = /\)[ \t]*(?:(?:=|->)[ \t]*y\d+[ \t]*)?\]/g;
      tail.lastIndex = CALL.lastIndex;
      const t = tail.exec(text);
      // The call cannot end inside the next `[FUNC`: that is a step of its own.
      NEXT_BLOCK.lastIndex = CALL.lastIndex;
      const next = NEXT_BLOCK.exec(text)?.index ?? text.length;
      const limit = Math.min(line.end, next);
      if (t === null || t.index > limit) {
        if (text.indexOf("]", CALL.lastIndex) === -1) return cutOff();
        // Up to its own last `]` when it has one: the text after it is reasoning.
        const bracket = text.lastIndexOf("]", limit - 1);
        const end = bracket >= CALL.lastIndex ? bracket + 1 : limit;
        b.report(
          importDiag.unclosed(src.range(start, end), ")", "its arguments are not Python literals"),
        );
        return { start, end, replacement: text.slice(start, end) };
      }
      const raw = text.slice(CALL.lastIndex, t.index);
      const lead = raw.length - raw.trimStart().length;
      const trimmed = raw.trim();
      const at = CALL.lastIndex + lead;
      b.report(importDiag.unquotedArguments(src.range(CALL.lastIndex, t.index)));
      const value = textValue(this.textParts(trimmed, [], deps));
      args = trimmed === "" ? [] : [{ value, range: src.range(at, at + trimmed.length) }];
      close = t.index + 1;
    }
    RESULT.lastIndex = close;
    const result = RESULT.exec(text);
    NO_RESULT.lastIndex = close;
    const bare = result === null ? NO_RESULT.exec(text) : null;
    if (result === null && bare === null) {
      if (text.indexOf("]", close) === -1) return cutOff();
      return asText(close, "`= yN]` after the call");
    }
    const end = (result ?? bare)!.index + (result ?? bare)![0].length;
    const range = src.range(start, end);
    const mapped = this.#map[tool] ?? tool;
    if (!isToolName(mapped)) {
      b.report(importDiag.invalidToolName(toolRange, mapped));
      return { start, end, replacement: text.slice(start, end) };
    }
    const value: Value = { kind: "call", tool: mapped, args };
    const origin = { range, tool: toolRange, args: args.map((a) => a.range) };
    if (result === null) {
      b.report(importDiag.noResultVariable(range));
      return { start, end, replacement: "", statement: { value, origin } };
    }
    const key = result[1]!;
    const at = result.index + result[0].indexOf(key);
    const name = this.#scope.define(key, src.range(at, at + key.length), b, key);
    b.edges.set(name, [...deps].sort());
    return { start, end, replacement: name, statement: { binding: name, value, origin } };
  }

  /**
   * Writes the reasoning line by line, each followed by the calls written on
   * it. `cut` is where a cut-off call began (its text is not reasoning).
   */
  #emit(blocks: readonly Block[], cut: number | undefined): void {
    const text = this.src.text;
    let reasoning = "";
    let at = 0;
    const ends: { index: number; statement: Statement }[] = [];
    for (const block of blocks) {
      reasoning += text.slice(at, block.start) + block.replacement;
      if (block.statement !== undefined)
        ends.push({ index: reasoning.length, statement: block.statement });
      at = block.end;
    }
    const tail = text.slice(at, cut ?? text.length);
    reasoning += tail;
    let lineStart = 0;
    let next = 0;
    const lines = reasoning.split(/(\r\n|\r|\n)/);
    for (let i = 0; i < lines.length; i += 2) {
      const line = lines[i]!;
      const lineEnd = lineStart + line.length;
      if (!isBlank(line)) this.b.note(line.trim());
      while (next < ends.length && ends[next]!.index <= lineEnd)
        this.b.statement(ends[next++]!.statement);
      lineStart = lineEnd + (lines[i + 1]?.length ?? 0);
    }
    while (next < ends.length) this.b.statement(ends[next++]!.statement);
  }
}

export function readCoa(text: string, options: ImportOptions = {}): BuiltPlan {
  return new CoaReader(text, options).read();
}
