/** A point in source text. `line` and `column` are 1-based; `offset` is a 0-based UTF-16 index. */
export interface Position {
  offset: number;
  line: number;
  column: number;
}

/** A half-open source range: `end` points just past the last character. */
export interface Range {
  start: Position;
  end: Position;
}

export function rangeFrom(start: Range, end: Range): Range {
  return { start: plain(start.start), end: plain(end.end) };
}

/** A range as a plain object (diagnostics carry these: they are data). */
export function plainRange(r: Range): Range {
  return { start: plain(r.start), end: plain(r.end) };
}

function plain(p: Position): Position {
  return { offset: p.offset, line: p.line, column: p.column };
}

/** The start offset of a range, without working out its line and column. */
export function startOffset(r: Range): number {
  return r instanceof LazyRange ? r.startOffset : r.start.offset;
}

/** The end offset of a range, without working out its line and column. */
export function endOffset(r: Range): number {
  return r instanceof LazyRange ? r.endOffset : r.end.offset;
}

/**
 * A range that works out its lines and columns when first asked. A plan's AST
 * holds hundreds of thousands of ranges and most are never read: storing two
 * offsets instead of three objects halves the parser's memory and GC time.
 */
class LazyRange implements Range {
  readonly #map: LineMap;
  readonly startOffset: number;
  readonly endOffset: number;
  #start: Position | undefined;
  #end: Position | undefined;

  constructor(map: LineMap, startOffset: number, endOffset: number) {
    this.#map = map;
    this.startOffset = startOffset;
    this.endOffset = endOffset;
  }

  get start(): Position {
    return (this.#start ??= this.#map.position(this.startOffset));
  }

  get end(): Position {
    return (this.#end ??= this.#map.position(this.endOffset));
  }

  toJSON(): Range {
    return plainRange(this);
  }
}

/** Maps offsets to line/column positions for one source text. */
export class LineMap {
  readonly #lineStarts: number[];
  readonly text: string;

  constructor(text: string) {
    this.text = text;
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) starts.push(i + 1);
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
    }
    this.#lineStarts = starts;
  }

  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const starts = this.#lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { offset: o, line: lo + 1, column: o - (starts[lo] ?? 0) + 1 };
  }

  range(startOffset: number, endOffset: number): Range {
    return new LazyRange(this, startOffset, endOffset);
  }

  /** The text of a 1-based line, without its line break. */
  lineText(line: number): string {
    const start = this.#lineStarts[line - 1];
    if (start === undefined) return "";
    const next = this.#lineStarts[line];
    let end = next === undefined ? this.text.length : next;
    while (end > start && (this.text[end - 1] === "\n" || this.text[end - 1] === "\r")) end--;
    return this.text.slice(start, end);
  }

  get lineCount(): number {
    return this.#lineStarts.length;
  }
}
