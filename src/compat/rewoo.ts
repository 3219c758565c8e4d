// ## ReWOO plans
//   Plan: Search for more information about the River Sava
//   #E1 = Wikipedia[River Sava]
//   Plan: Find the capital on it
//   #E2 = LLM[Which capital lies on the River Sava? Given context: #E1]
// becomes
//   # Plan: Search for more information about the River Sava
//   $E1 = Wikipedia("River Sava")
//   # Plan: Find the capital on it
//   $E2 = LLM("Which capital lies on the River Sava? Given context: $E1")
//
// A step starts at a line that begins with `#E<n> =` (or Gentopia's
// `#E<n>:`), for any n, and runs until the next such line or `Plan:` line;
// its input may span lines. The input ends at the `]` that balances its `[`.
// When that `]` is followed by more text on its line that ends in `]`, the
// `]` was part of the text (`LLM[is a] b the same as c?]`): the input runs to
// the last `]` of the line (I009). `Tool[a] and Tool[b]` is two calls (I010).
import type { Range } from "../diagnostics/range.js";
import { importDiag } from "./diagnostics.js";
import { PlanBuilder, type BuiltPlan, type Part, type Value } from "./plan-builder.js";
import { Scope, Source, isBlank, type Line } from "./scan.js";
import type { ImportOptions } from "./types.js";
import { isToolName } from "../parser/names.js";

const STEP = /^[ \t]*#E(\d+)[ \t]*[=:][ \t]*/;
const PLAN = /^[ \t]*Plan[ \t]*\d*[ \t]*:/i;
/** A step written after a `Plan:` on the same line. */
const INLINE_STEP = /#E(\d+)[ \t]*[=:][ \t]*[A-Za-z_][\w.]*[ \t]*\[/;
const REFERENCE = /#E(\d+)/g;
/** Between two calls of one step: `Tool[a] and Tool[b]`, `Tool[a], Tool[b]`. */
const NEXT_CALL = /^[ \t]*(?:and|,|&|;|then|\+)[ \t]*([A-Za-z_][\w.]*)[ \t]*\[/i;

type Segment =
  | { kind: "step"; start: number; key: string; end: number }
  | { kind: "plan"; start: number; end: number }
  | { kind: "text"; start: number; end: number };

/** Cuts the text into `Plan:` lines, steps (to the next step or `Plan:`) and other lines. */
function segments(src: Source): Segment[] {
  const out: Segment[] = [];
  const open = (): Segment | undefined => {
    const last = out[out.length - 1];
    return last?.kind === "step" ? last : undefined;
  };
  for (const line of src.lines) {
    const text = src.text.slice(line.start, line.end);
    const step = STEP.exec(text);
    if (step !== null) {
      const hash = line.start + text.indexOf("#");
      out.push({ kind: "step", start: hash, key: `E${step[1]}`, end: line.next });
      continue;
    }
    if (PLAN.test(text)) {
      const inline = INLINE_STEP.exec(text);
      if (inline === null) {
        out.push({ kind: "plan", start: line.start, end: line.end });
        continue;
      }
      out.push({ kind: "plan", start: line.start, end: line.start + inline.index });
      out.push({
        kind: "step",
        start: line.start + inline.index,
        key: `E${inline[1]}`,
        end: line.next,
      });
      continue;
    }
    const current = open();
    if (current !== undefined) current.end = line.next;
    else out.push({ kind: "text", start: line.start, end: line.end });
  }
  return out;
}

/** The offset of the `]` that balances the `[` before `from`, or -1. */
function balancedClose(text: string, from: number, to: number): number {
  let depth = 1;
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]" && --depth === 0) return i;
  }
  return -1;
}

function lineOf(src: Source, offset: number): Line {
  const pos = src.map.position(offset);
  return src.lines[pos.line - 1] ?? { start: offset, end: offset, next: offset };
}

class RewooReader {
  readonly #src: Source;
  readonly #b = new PlanBuilder();
  readonly #scope: Scope;
  readonly #map: Record<string, string>;
  readonly #segments: Segment[];

  constructor(text: string, options: ImportOptions) {
    this.#src = new Source(text);
    this.#map = options.map ?? {};
    const declared = new Map<string, Range>();
    this.#segments = segments(this.#src);
    for (const s of this.#segments) {
      if (s.kind === "step" && !declared.has(s.key))
        declared.set(s.key, this.#src.range(s.start, s.start + s.key.length + 1));
    }
    this.#scope = new Scope(declared);
  }

  read(): BuiltPlan {
    const src = this.#src;
    let seenStep = false;
    let truncated = false;
    for (const seg of this.#segments) {
      const text = src.text.slice(seg.start, seg.end);
      if (seg.kind === "plan") {
        this.#b.note(text.trim());
      } else if (seg.kind === "text") {
        if (isBlank(text)) continue;
        this.#stray(seg.start, seg.end, seenStep ? "between steps" : "before the first step");
      } else {
        seenStep = true;
        this.#b.steps++;
        if (!this.#step(seg)) truncated = true;
      }
    }
    if (this.#b.steps === 0) {
      this.#b.report(
        importDiag.noSteps(src.range(0, src.text.length), "ReWOO `#E<n> = Tool[input]`"),
      );
    }
    return this.#b.build(this.#b.steps > 0 && !truncated);
  }

  #stray(start: number, end: number, where: string): void {
    const text = this.#src.text.slice(start, end);
    const lead = text.length - text.trimStart().length;
    const s = start + lead;
    const e = start + text.trimEnd().length;
    this.#b.report(importDiag.strayText(this.#src.range(s, e), where));
    for (const l of text.split(/\r\n|\r|\n/)) if (!isBlank(l)) this.#b.note(l.trim());
  }

  /** Reads one step; false when it was cut off by the end of the text. */
  #step(seg: Extract<Segment, { kind: "step" }>): boolean {
    const src = this.#src;
    const text = src.text;
    const label = `#${seg.key}`;
    const stepLabel = `step ${label}`;
    const bodyStart = seg.start + headerLength(text, seg.start);
    const headerLine = lineOf(src, seg.start);
    const atEnd = seg.end >= text.length;
    const open = text.indexOf("[", bodyStart);
    const openOnLine = open !== -1 && open < headerLine.end ? open : -1;
    const stepRange = (end: number): Range => src.range(seg.start, end);
    const lastNonBlank = seg.start + text.slice(seg.start, seg.end).trimEnd().length;

    if (openOnLine === -1) {
      if (atEnd) {
        this.#b.report(importDiag.truncatedStep(stepRange(lastNonBlank), stepLabel));
        this.#b.comment(`not imported (cut off): ${text.slice(seg.start, lastNonBlank)}`);
        return false;
      }
      this.#b.report(
        importDiag.unreadableStep(stepRange(headerLine.end), stepLabel, "`Tool[input]`"),
      );
      this.#b.comment(`not imported: ${text.slice(seg.start, headerLine.end)}`);
      this.#rest(headerLine.next, seg.end);
      return true;
    }

    const toolStart = bodyStart;
    const toolText = text.slice(toolStart, openOnLine).trimEnd();
    const close = balancedClose(text, openOnLine + 1, seg.end);
    let end: number; // offset of the `]` that ends the (last) input
    const calls: { tool: string; toolRange: Range; open: number; close: number }[] = [];
    const toolRange = src.range(toolStart, toolStart + toolText.length);

    if (close !== -1) {
      end = close;
      calls.push({ tool: toolText, toolRange, open: openOnLine, close });
      const closeLine = lineOf(src, close);
      const after = text.slice(close + 1, closeLine.end);
      if (!isBlank(after)) {
        const more = this.#moreCalls(close + 1, closeLine.end, seg.end);
        if (more !== undefined) {
          calls.push(...more);
          end = more[more.length - 1]!.close;
          this.#b.report(importDiag.severalCalls(stepRange(end + 1), label, calls.length));
        } else if (after.trimEnd().endsWith("]")) {
          end = close + 1 + after.trimEnd().length - 1;
          calls[0] = { ...calls[0]!, close: end };
          this.#b.report(importDiag.bracketInText(src.range(close, close + 1), "]"));
        }
      }
    } else {
      // No balancing `]`. At the end of the text the input is cut off (a
      // streamed reply may still close it); before the next step, the input
      // ends at its last `]` (a `[` in the text) or, without one, the `]` is missing.
      const lastClose = text.lastIndexOf("]", seg.end - 1);
      if (atEnd) {
        this.#b.report(importDiag.truncatedStep(stepRange(lastNonBlank), stepLabel));
        this.#b.comment(`not imported (cut off): ${text.slice(seg.start, lastNonBlank)}`);
        return false;
      } else if (lastClose > openOnLine) {
        end = lastClose;
        calls.push({ tool: toolText, toolRange, open: openOnLine, close: lastClose });
        this.#b.report(importDiag.bracketInText(src.range(openOnLine, openOnLine + 1), "]"));
      } else {
        // The next step or `Plan:` line starts: the input was complete, only `]` is missing.
        end = lastNonBlank;
        calls.push({ tool: toolText, toolRange, open: openOnLine, close: lastNonBlank });
        this.#b.report(importDiag.missingClose(src.range(lastNonBlank, lastNonBlank), "]"));
      }
    }

    // Tool names first: an invalid one means the step cannot be written as
    // Weft (reported once per step: one diagnostic per step not imported).
    const tools = calls.map((c) => this.#map[c.tool] ?? c.tool);
    const invalid = tools.findIndex((t) => !isToolName(t));
    if (invalid >= 0)
      this.#b.report(importDiag.invalidToolName(calls[invalid]!.toolRange, tools[invalid]!));
    const deps = new Set<string>();
    const values: Value[] = calls.map((c) => this.#input(c.open + 1, c.close, deps));
    const after = lineOf(src, Math.min(end, text.length - 1));
    if (invalid >= 0) {
      this.#b.comment(`not imported: ${text.slice(seg.start, Math.min(end + 1, after.end))}`);
      this.#rest(after.next, seg.end);
      return true;
    }
    const name = this.#scope.define(
      seg.key,
      src.range(seg.start, seg.start + label.length),
      this.#b,
      label,
    );
    this.#b.edges.set(name, [...deps].sort());
    const argRange = (c: (typeof calls)[number]): Range => src.range(c.open + 1, c.close);
    const callValue = (i: number): Value => ({
      kind: "call",
      tool: tools[i]!,
      args: [{ value: values[i]!, range: argRange(calls[i]!) }],
    });
    const first = calls[0]!;
    this.#b.statement({
      binding: name,
      value:
        calls.length === 1
          ? callValue(0)
          : { kind: "list", items: calls.map((_, i) => callValue(i)) },
      origin:
        calls.length === 1
          ? {
              range: stepRange(Math.min(end + 1, text.length)),
              tool: first.toolRange,
              args: [argRange(first)],
            }
          : { range: stepRange(Math.min(end + 1, text.length)), args: [] },
    });
    this.#rest(Math.min(end + 1, text.length), seg.end);
    return true;
  }

  /** `and Tool[b]` after a step's first call: the further calls, or undefined. */
  #moreCalls(
    from: number,
    lineEnd: number,
    segEnd: number,
  ): { tool: string; toolRange: Range; open: number; close: number }[] | undefined {
    const text = this.#src.text;
    const out: { tool: string; toolRange: Range; open: number; close: number }[] = [];
    let at = from;
    while (!isBlank(text.slice(at, lineEnd))) {
      const m = NEXT_CALL.exec(text.slice(at, lineEnd));
      if (m === null) return undefined;
      const open = at + m[0].length - 1;
      const close = balancedClose(text, open + 1, Math.min(segEnd, lineEnd));
      if (close === -1) return undefined;
      const tool = m[1]!;
      const ts = at + m[0].indexOf(tool);
      out.push({ tool, toolRange: this.#src.range(ts, ts + tool.length), open, close });
      at = close + 1;
    }
    return out;
  }

  /** What follows a step's last `]` up to the next step: stray text, if any. */
  #rest(from: number, to: number): void {
    if (from >= to || isBlank(this.#src.text.slice(from, to))) return;
    this.#stray(from, to, "after a step");
  }

  /**
   * A step's input: exactly `#Ek` is the reference `$Ek`; anything else is a
   * string in which each `#Ek` interpolates `${Ek}`. Unknown or later
   * references stay plain text, with a diagnostic.
   */
  #input(start: number, end: number, deps: Set<string>): Value {
    const src = this.#src;
    const raw = src.text.slice(start, end);
    const exact = /^\s*#E(\d+)\s*$/.exec(raw);
    if (exact !== null) {
      const at = start + raw.indexOf("#");
      const key = `E${exact[1]}`;
      const name = this.#scope.resolve(key, src.range(at, at + key.length + 1), this.#b, `#${key}`);
      if (name !== undefined) {
        deps.add(name);
        return { kind: "ref", name };
      }
    }
    const parts: Part[] = [];
    let last = 0;
    for (const m of raw.matchAll(REFERENCE)) {
      const key = `E${m[1]}`;
      const at = start + m.index;
      const name =
        exact !== null
          ? undefined // already reported above
          : this.#scope.resolve(key, src.range(at, at + m[0].length), this.#b, `#${key}`);
      if (name === undefined) continue;
      deps.add(name);
      parts.push(raw.slice(last, m.index), { ref: name });
      last = m.index + m[0].length;
    }
    parts.push(raw.slice(last));
    return { kind: "text", parts };
  }
}

/** The length of a step's header (`#E2 = `, with any indentation) at `at`. */
function headerLength(text: string, at: number): number {
  const re = /[ \t]*#E\d+[ \t]*[=:][ \t]*/y;
  re.lastIndex = at;
  return re.exec(text)?.[0].length ?? 0;
}

export function readRewoo(text: string, options: ImportOptions = {}): BuiltPlan {
  return new RewooReader(text, options).read();
}
