// ## Layout: a tiny document model for the formatter
// A statement becomes a Doc: text, sequences and bracket groups. A group is
// printed on one line when it fits, else one item per line with a trailing
// comma. Groups are decided from the outside in, so the outermost bracket
// breaks first and inner ones stay flat when their line fits.
// The layout depends on nothing but the Doc, which is what makes the
// formatter deterministic and (given a faithful parse) idempotent.

export const LINE_WIDTH = 100;
const INDENT = 2;

export type Doc = string | Doc[] | Group;

export interface GroupItem {
  doc: Doc;
  /** Comments on their own lines before the item (already spelled `# ...`). */
  leading: string[];
  /** A comment after the item's comma, on its last line. */
  trailing: string | undefined;
}

export interface Group {
  kind: "group";
  open: string;
  close: string;
  items: GroupItem[];
  /** A comment right after the opening bracket. */
  afterOpen: string | undefined;
  /** Comments after the last item, before the closing bracket. */
  dangling: string[];
  /** A group that holds a comment, here or deeper, can never be flat. */
  mustBreak: boolean;
}

export function item(doc: Doc, leading: string[] = [], trailing?: string): GroupItem {
  return { doc, leading, trailing };
}

export function group(
  open: string,
  close: string,
  items: GroupItem[],
  comments: { afterOpen?: string | undefined; dangling?: string[] } = {},
): Group {
  const dangling = comments.dangling ?? [];
  const mustBreak =
    comments.afterOpen !== undefined ||
    dangling.length > 0 ||
    items.some((i) => i.leading.length > 0 || i.trailing !== undefined || containsBreak(i.doc));
  return { kind: "group", open, close, items, afterOpen: comments.afterOpen, dangling, mustBreak };
}

function containsBreak(doc: Doc): boolean {
  if (typeof doc === "string") return false;
  if (Array.isArray(doc)) return doc.some(containsBreak);
  return doc.mustBreak;
}

function isEmpty(g: Group): boolean {
  return g.items.length === 0 && g.afterOpen === undefined && g.dangling.length === 0;
}

/** Width in code points, so that an emoji counts as one column like a letter. */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const flatCache = new WeakMap<Group, string>();

/** The one-line spelling of a Doc that has no comments. */
function flat(doc: Doc): string {
  if (typeof doc === "string") return doc;
  if (Array.isArray(doc)) return doc.map(flat).join("");
  let s = flatCache.get(doc);
  if (s === undefined) {
    s = doc.open + doc.items.map((i) => flat(i.doc)).join(", ") + doc.close;
    flatCache.set(doc, s);
  }
  return s;
}

/**
 * How much of `doc` lands on the current line before its first possible line
 * break (`stops`), assuming every group in it breaks: what must fit after an
 * earlier group for that group to stay flat.
 */
function head(doc: Doc): { width: number; stops: boolean } {
  if (typeof doc === "string") {
    const nl = doc.indexOf("\n");
    return nl < 0
      ? { width: width(doc), stops: false }
      : { width: width(doc.slice(0, nl)), stops: true };
  }
  if (Array.isArray(doc)) return headOf(doc, 0, 0);
  if (isEmpty(doc)) return { width: width(doc.open + doc.close), stops: false };
  return { width: width(doc.open), stops: true };
}

function headOf(
  docs: readonly Doc[],
  from: number,
  rest: number,
): { width: number; stops: boolean } {
  let w = 0;
  for (let i = from; i < docs.length; i++) {
    const h = head(docs[i]!);
    w += h.width;
    if (h.stops) return { width: w, stops: true };
  }
  return { width: w + rest, stops: false };
}

/**
 * Whether flat text fits from column `col` with `rest` columns needed after it.
 * Text with line breaks (a multi-line triple-quoted string) must fit on its
 * first and its last line; the lines between are string content that no
 * layout can change.
 */
function fits(text: string, col: number, rest: number): boolean {
  const first = text.indexOf("\n");
  if (first < 0) return col + width(text) + rest <= LINE_WIDTH;
  const last = text.lastIndexOf("\n");
  return (
    col + width(text.slice(0, first)) <= LINE_WIDTH &&
    width(text.slice(last + 1)) + rest <= LINE_WIDTH
  );
}

class Printer {
  out = "";
  col = 0;

  write(s: string): void {
    this.out += s;
    const nl = s.lastIndexOf("\n");
    this.col = nl < 0 ? this.col + width(s) : width(s.slice(nl + 1));
  }

  newline(indent: number): void {
    this.out += "\n" + " ".repeat(indent);
    this.col = indent;
  }

  print(doc: Doc, indent: number, rest: number): void {
    if (typeof doc === "string") {
      this.write(doc);
    } else if (Array.isArray(doc)) {
      doc.forEach((d, i) => this.print(d, indent, headOf(doc, i + 1, rest).width));
    } else if (isEmpty(doc)) {
      this.write(doc.open + doc.close);
    } else if (!doc.mustBreak && fits(flat(doc), this.col, rest)) {
      this.write(flat(doc));
    } else {
      this.#broken(doc, indent);
    }
  }

  #broken(g: Group, indent: number): void {
    const inner = indent + INDENT;
    this.write(g.open);
    if (g.afterOpen !== undefined) this.write(`  ${g.afterOpen}`);
    for (const it of g.items) {
      for (const c of it.leading) {
        this.newline(inner);
        this.write(c);
      }
      this.newline(inner);
      this.print(it.doc, inner, 1);
      this.write(",");
      if (it.trailing !== undefined) this.write(`  ${it.trailing}`);
    }
    for (const c of g.dangling) {
      this.newline(inner);
      this.write(c);
    }
    this.newline(indent);
    this.write(g.close);
  }
}

/** Prints one statement's Doc starting at column 1. */
export function layout(doc: Doc): string {
  const p = new Printer();
  p.print(doc, 0, 0);
  return p.out;
}
