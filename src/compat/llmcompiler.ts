// ## LLMCompiler plans
//   Thought: I need both populations.
//   1. search("Tokyo population")
//   2. search('Paris population')
//   3. math("$1 / ${2}")
//   4. join()<END_OF_PLAN>
// becomes
//   # Thought: I need both populations.
//   $1 = search("Tokyo population")
//   $2 = search("Paris population")
//   $3 = math("$1 / $2")
//   # 4. join(): end of the plan; the joiner reads every result
//
// A step is a line `N. tool(args)`; the arguments are Python literals
// (python-args.ts). `join()` is LLMCompiler's cue for its joiner, not a tool:
// a Weft plan without `return` already yields every result, so it becomes a
// comment and marks the plan complete. `<END_OF_PLAN>` and `###` end the plan.
// Arguments that are not Python literals are read as one string, as
// LLMCompiler does when `literal_eval` fails (I006). A step whose `)` is
// missing is imported when its arguments are complete and the next line
// starts a new step (I005), and diagnosed at its line otherwise.
import type { Range } from "../diagnostics/range.js";
import { importDiag } from "./diagnostics.js";
import { PlanBuilder, type Arg, type BuiltPlan, type Part, type Value } from "./plan-builder.js";
import { PythonArgs, textValue, type ArgsContext } from "./python-args.js";
import { Scope, Source, isBlank } from "./scan.js";
import type { ImportOptions } from "./types.js";
import { isToolName } from "../parser/names.js";

const STEP = /^[ \t]*(\d+)[ \t]*\.[ \t]*/;
const CALL = /([A-Za-z_][\w.]*)[ \t]*\(/y;
/** A line that starts the next step (`1.5,` inside a list does not). */
const NEXT_STEP = /^[ \t]*\d+[ \t]*\.[ \t]*[A-Za-z_][\w.]*[ \t]*\(/;
const THOUGHT = /^[ \t]*Thought[ \t]*:/i;
const QUESTION = /^[ \t]*Question[ \t]*:/i;
const END = "<END_OF_PLAN>";
const SEPARATOR = /^[ \t]*###/;
/** `$1` or `${1}`: LLMCompiler's references to earlier steps' results. */
const REFERENCE = /\$\{(\d+)\}|\$(\d+)/g;
const BARE_REFERENCE = /\$\{(\d+)\}|\$(\d+)(?!\w)/y;

/** Step numbers as LLMCompiler reads them (`int("01") == 1`). */
const stepKey = (digits: string): string => digits.replace(/^0+(?=\d)/, "");

class LlmCompilerReader implements ArgsContext {
  readonly src: Source;
  readonly b = new PlanBuilder();
  readonly #scope: Scope;
  readonly #map: Record<string, string>;
  #joined = false;
  #ended = false;
  #marker = END;

  constructor(text: string, options: ImportOptions) {
    this.src = new Source(text);
    this.#map = options.map ?? {};
    const declared = new Map<string, Range>();
    for (const line of this.src.lines) {
      const t = text.slice(line.start, line.end);
      const m = STEP.exec(t);
      if (m === null || /^join\s*\(/.test(t.slice(m[0].length))) continue;
      const key = stepKey(m[1]!);
      const at = line.start + m[0].indexOf(m[1]!);
      if (!declared.has(key)) declared.set(key, this.src.range(at, at + m[1]!.length));
    }
    this.#scope = new Scope(declared);
  }

  // ## ArgsContext: how references read inside arguments

  bareRef(at: number, deps: Set<string>): { length: number; value: Value } | undefined {
    BARE_REFERENCE.lastIndex = at;
    const m = BARE_REFERENCE.exec(this.src.text);
    if (m === null) return undefined;
    const digits = m[1] ?? m[2]!;
    const name = this.#scope.resolve(
      stepKey(digits),
      this.src.range(at, at + m[0].length),
      this.b,
      m[0],
    );
    if (name === undefined) return { length: m[0].length, value: { kind: "text", parts: [m[0]] } };
    deps.add(name);
    return { length: m[0].length, value: { kind: "ref", name } };
  }

  textParts(text: string, offsets: readonly number[], deps: Set<string>): Part[] {
    const parts: Part[] = [];
    let last = 0;
    for (const m of text.matchAll(REFERENCE)) {
      const digits = m[1] ?? m[2]!;
      const start = offsets[m.index] ?? 0;
      const end = offsets[m.index + m[0].length] ?? start;
      const name = this.#scope.resolve(stepKey(digits), this.src.range(start, end), this.b, m[0]);
      if (name === undefined) continue;
      deps.add(name);
      parts.push(text.slice(last, m.index), { ref: name });
      last = m.index + m[0].length;
    }
    parts.push(text.slice(last));
    return parts;
  }

  stopsCall(offset: number): boolean {
    const rest = this.src.text.slice(offset, offset + 200);
    return (
      NEXT_STEP.test(rest) ||
      THOUGHT.test(rest) ||
      QUESTION.test(rest) ||
      SEPARATOR.test(rest) ||
      rest.trimStart().startsWith(END)
    );
  }

  // ## Lines

  read(): BuiltPlan {
    const { src, b } = this;
    const lines = src.lines;
    let inQuestion = false;
    let seenStep = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const text = src.text.slice(line.start, line.end);
      if (this.#ended) {
        this.#afterEnd(line.start, this.#marker);
        break;
      }
      if (isBlank(text)) continue;
      if (SEPARATOR.test(text)) {
        this.#ended = true;
        this.#afterEnd(line.next, "###");
        break;
      }
      if (text.trimStart().startsWith(END)) {
        this.#ended = true;
        this.#trailing(line.start + text.indexOf(END) + END.length, line.end);
        continue;
      }
      if (THOUGHT.test(text) || QUESTION.test(text)) {
        inQuestion = QUESTION.test(text) && !seenStep;
        b.note(text.trim());
        continue;
      }
      const step = STEP.exec(text);
      if (step !== null) {
        seenStep = true;
        inQuestion = false;
        const next = this.#step(line.start, line.start + step[0].length, step[1]!);
        // Skip the lines the step's arguments spanned.
        while (i + 1 < lines.length && lines[i + 1]!.start < next) i++;
        continue;
      }
      if (inQuestion) {
        b.note(text.trim());
        continue;
      }
      const lead = text.length - text.trimStart().length;
      b.report(
        importDiag.strayText(
          src.range(line.start + lead, line.start + text.trimEnd().length),
          seenStep ? "between steps" : "before the first step",
        ),
      );
      b.note(text.trim());
    }
    if (b.steps === 0) {
      b.report(importDiag.noSteps(src.range(0, src.text.length), "LLMCompiler `N. tool(args)`"));
    }
    return b.build(this.#joined || this.#ended);
  }

  /** Text after `<END_OF_PLAN>` or `###`: ignored, with a warning when it is not blank. */
  #afterEnd(from: number, marker: string): void {
    const rest = this.src.text.slice(from);
    if (isBlank(rest)) return;
    const lead = rest.length - rest.trimStart().length;
    this.b.report(
      importDiag.textAfterEnd(this.src.range(from + lead, from + rest.trimEnd().length), marker),
    );
  }

  /** What follows a step's `)` on its line: the end marker, a `# comment`, or stray text. */
  #trailing(from: number, lineEnd: number): void {
    const text = this.src.text.slice(from, lineEnd);
    if (isBlank(text)) return;
    const lead = text.length - text.trimStart().length;
    const body = text.trim();
    if (body.startsWith(END)) {
      this.#ended = true;
      this.#trailing(from + lead + END.length, lineEnd);
      return;
    }
    if (body.startsWith("#") && !body.startsWith("###")) {
      this.b.note(body);
      return;
    }
    if (body.startsWith("###")) {
      this.#ended = true;
      this.#marker = "###";
      return;
    }
    this.b.report(
      importDiag.strayText(
        this.src.range(from + lead, from + text.trimEnd().length),
        "after a step",
      ),
    );
    this.b.note(body);
  }

  /** Reads the step whose number ends before `bodyStart`; returns the offset reading stopped at. */
  #step(lineStart: number, bodyStart: number, digits: string): number {
    const { src, b } = this;
    const text = src.text;
    b.steps++;
    const label = `step ${stepKey(digits)}`;
    const line = src.lines[src.map.position(lineStart).line - 1]!;
    const lineText = text.slice(lineStart, line.end);
    const lineRange = src.range(
      lineStart + lineText.length - lineText.trimStart().length,
      line.end,
    );
    const call = new RegExp(CALL.source, "y");
    call.lastIndex = bodyStart;
    const m = call.exec(text);
    const atEnd = text.slice(line.end).trim() === "";
    if (m === null || call.lastIndex > line.end) {
      if (atEnd) {
        b.report(importDiag.truncatedStep(lineRange, label));
        b.comment(`not imported (cut off): ${text.slice(lineStart, line.end).trim()}`);
      } else {
        b.report(importDiag.unreadableStep(lineRange, label, "`tool(arguments)`"));
        b.comment(`not imported: ${text.slice(lineStart, line.end).trim()}`);
      }
      return line.next;
    }
    const toolName = m[1]!;
    const toolRange = src.range(bodyStart, bodyStart + toolName.length);
    const open = call.lastIndex - 1;
    if (this.#joined) b.report(importDiag.stepAfterJoin(lineRange));
    const deps = new Set<string>();
    // What a failed reading reported is taken back: the fallbacks report again.
    const mark = b.diagnostics.length;
    const parsed = new PythonArgs(this, open + 1, deps).call();
    if (parsed.kind === "eof" || parsed.kind === "invalid") {
      b.diagnostics.length = mark;
      deps.clear();
    }

    let args: Arg[];
    let close: number; // offset just past the call
    switch (parsed.kind) {
      case "ok":
        args = parsed.args;
        close = parsed.close + 1;
        break;
      case "unclosed":
        args = parsed.args;
        close = parsed.end;
        b.report(importDiag.missingClose(src.range(parsed.end, parsed.end), ")"));
        break;
      case "eof":
        b.report(
          importDiag.truncatedStep(src.range(lineRange.start.offset, text.trimEnd().length), label),
        );
        b.comment(`not imported (cut off): ${text.slice(lineStart).trim()}`);
        return text.length;
      case "invalid": {
        // LLMCompiler passes the raw text when literal_eval fails: one string,
        // up to the `)` that ends the line (before any `<END_OF_PLAN>`).
        const body = text.slice(open + 1, line.end).replace(/\s*(<END_OF_PLAN>\s*)?$/, "");
        if (!body.endsWith(")")) {
          if (atEnd) {
            b.report(importDiag.truncatedStep(lineRange, label));
            b.comment(`not imported (cut off): ${text.slice(lineStart, line.end).trim()}`);
          } else {
            b.report(importDiag.unclosed(lineRange, ")", "its arguments are not Python literals"));
            b.comment(`not imported: ${text.slice(lineStart, line.end).trim()}`);
          }
          return line.next;
        }
        const rawEnd = open + body.length;
        const raw = text.slice(open + 1, rawEnd);
        const lead = raw.length - raw.trimStart().length;
        const trimmed = raw.trim();
        const start = open + 1 + lead;
        const offsets = Array.from({ length: trimmed.length + 1 }, (_, k) => start + k);
        const argDeps = new Set<string>();
        const value = textValue(this.textParts(trimmed, offsets, argDeps));
        for (const d of argDeps) deps.add(d);
        b.report(importDiag.unquotedArguments(src.range(open + 1, rawEnd)));
        args = trimmed === "" ? [] : [{ value, range: src.range(start, start + trimmed.length) }];
        close = rawEnd + 1;
        break;
      }
    }

    if (toolName === "join") {
      this.#joined = true;
      b.comment(`${stepKey(digits)}. join(): end of the plan; the joiner reads every result`);
    } else {
      const tool = this.#map[toolName] ?? toolName;
      if (!isToolName(tool)) {
        b.report(importDiag.invalidToolName(toolRange, tool));
        b.comment(`not imported: ${text.slice(lineStart, Math.min(close, line.end)).trim()}`);
      } else {
        const key = stepKey(digits);
        const name = this.#scope.define(key, src.range(lineStart, bodyStart), b, label);
        b.edges.set(name, [...deps].sort());
        b.statement({
          binding: name,
          value: { kind: "call", tool, args },
          origin: {
            range: src.range(lineRange.start.offset, close),
            tool: toolRange,
            args: args.map((a) => a.range),
          },
        });
      }
    }
    const closeLine = src.lines[src.map.position(Math.max(close - 1, 0)).line - 1]!;
    this.#trailing(close, closeLine.end);
    return closeLine.next;
  }
}

export function readLlmCompiler(text: string, options: ImportOptions = {}): BuiltPlan {
  return new LlmCompilerReader(text, options).read();
}
