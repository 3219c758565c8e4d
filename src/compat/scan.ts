// ## Shared reading helpers: lines with offsets, and the step names in scope
import type { Range } from "../diagnostics/range.js";
import { LineMap } from "../diagnostics/range.js";
import { importDiag } from "./diagnostics.js";
import type { PlanBuilder } from "./plan-builder.js";

export interface Line {
  /** Offset of the first character. */
  start: number;
  /** Offset just past the last character, before the line break. */
  end: number;
  /** Offset of the next line (past the line break). */
  next: number;
}

/** Lines as the Weft lexer sees them: `\n`, `\r\n` and `\r` all end a line. */
function splitLines(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      const next = c === 13 && text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
      out.push({ start, end: i, next });
      start = next;
      i = next - 1;
    }
  }
  out.push({ start, end: text.length, next: text.length });
  return out;
}

export function isBlank(text: string): boolean {
  return text.trim() === "";
}

/** A source text with its line map: ranges from offsets. */
export class Source {
  readonly text: string;
  readonly map: LineMap;
  readonly lines: Line[];

  constructor(text: string) {
    this.text = text;
    this.map = new LineMap(text);
    this.lines = splitLines(text);
  }

  range(start: number, end: number): Range {
    return this.map.range(start, Math.max(start, end));
  }
}

interface Definition {
  /** The Weft variable (without `$`) the step's result is bound to. */
  name: string;
  range: Range;
}

/**
 * The steps defined so far, by their name in the original format (`E1` for
 * `#E1`, `1` for LLMCompiler's step 1, `y1`). A step defined twice is
 * renamed (`E2_2`), and later references use the newest definition, as the
 * peers' own executors do.
 */
export class Scope {
  readonly #defined = new Map<string, Definition>();
  readonly #count = new Map<string, number>();
  /** Every step header in the text (read before the steps), for "defined later". */
  readonly #declared: Map<string, Range>;

  constructor(declared: Map<string, Range>) {
    this.#declared = declared;
  }

  /** Binds a step; returns its Weft name. Reports a redefinition. */
  define(key: string, range: Range, builder: PlanBuilder, label: string): string {
    const n = (this.#count.get(key) ?? 0) + 1;
    this.#count.set(key, n);
    const first = this.#defined.get(key);
    let name = key;
    if (n > 1) {
      // A suffix no original name can have: step names never contain `_`.
      // `$3_2` would read as `$3` then `_2`: a number gets a word in front.
      name = /^\d+$/.test(key) ? `step${key}_${n}` : `${key}_${n}`;
      builder.report(importDiag.redefinedStep(range, label, name, first?.range ?? range));
    }
    this.#defined.set(key, { name, range });
    return name;
  }

  /**
   * The Weft name a reference resolves to, or undefined after reporting why it
   * does not (the caller then keeps the reference as plain text).
   */
  resolve(key: string, range: Range, builder: PlanBuilder, label: string): string | undefined {
    const d = this.#defined.get(key);
    if (d !== undefined) return d.name;
    const later = this.#declared.get(key);
    builder.report(
      later === undefined
        ? importDiag.unknownReference(range, label)
        : importDiag.laterReference(range, label, later),
    );
    return undefined;
  }

  has(key: string): boolean {
    return this.#defined.has(key);
  }
}
