// ## Where each comment goes when the formatter reprints a plan
// Comments are not in the tree (Plan.comments holds them with their ranges),
// so before printing, each one is attached to a place the printer knows:
//
// - Between statements: a comment on the line where a statement ends is that
//   statement's trailing comment (`stmt  # c`); any other comment stands on its
//   own line before the next statement, or at the end of the file.
// - Inside a bracket (call arguments, list, object): the innermost bracket
//   that contains the comment is forced to break, one item per line, and:
//   a comment on the line where an item ends trails that item (`item,  # c`);
//   one on the line of the opening bracket, before any item, stays after the
//   bracket (`f(  # c`); any other comment goes on its own line before the
//   next item, or before the closing bracket when no item follows. A comment
//   inside an item but in no deeper bracket (`$x  # c` + newline + `.field`)
//   is placed the same way, so it moves before that item.
// - Inside a statement but in no bracket (the grammar leaves no such place;
//   kept for safety): on its own line before the statement.
// - Inside an Invalid statement: printed with that statement's source text.
// Every rule puts a comment where the same rule finds it again in the output,
// which keeps formatting idempotent.
import type { Call, Comment, Each, Expr, ListLit, ObjectLit, Plan, Statement } from "./ast.js";
import type { Range } from "../diagnostics/range.js";

export type Bracketed = Call | ListLit | ObjectLit;

export interface BracketComments {
  afterOpen: Comment | undefined;
  /** By item index: comments on their own lines before the item. */
  leading: Map<number, Comment[]>;
  /** By item index: the comment at the end of the item's last line. */
  trailing: Map<number, Comment>;
  dangling: Comment[];
}

export interface StatementComments {
  /** Own-line comments that stood inside the statement, printed just before it. */
  inside: Comment[];
  trailing: Comment | undefined;
}

/** One top-level item, with its source lines (to keep blank lines) and start offset (to order). */
export type TopElement =
  | { kind: "comment"; comment: Comment; offset: number; startLine: number; endLine: number }
  | { kind: "statement"; index: number; offset: number; startLine: number; endLine: number };

export interface CommentPlacement {
  brackets: Map<Bracketed, BracketComments>;
  statements: StatementComments[];
  /** Statements and own-line comments in source order. */
  elements: TopElement[];
}

const contains = (r: Range, offset: number): boolean =>
  r.start.offset < offset && offset < r.end.offset;

function innermostIn(e: Expr | Each | undefined, offset: number): Bracketed | undefined {
  if (e === undefined || !contains(e.range, offset)) return undefined;
  switch (e.kind) {
    case "Each":
      return innermostIn(e.over, offset) ?? innermostIn(e.body, offset);
    case "Call":
      for (const a of e.args) {
        const inner = innermostIn(a.value, offset);
        if (inner !== undefined) return inner;
      }
      return e;
    case "List":
      for (const i of e.items) {
        const inner = innermostIn(i, offset);
        if (inner !== undefined) return inner;
      }
      return e;
    case "Object":
      for (const en of e.entries) {
        const inner = innermostIn(en.value, offset);
        if (inner !== undefined) return inner;
      }
      return e;
    default:
      return undefined;
  }
}

function statementValue(s: Statement): Expr | Each | undefined {
  switch (s.kind) {
    case "Input":
      return s.default;
    case "Binding":
    case "Return":
      return s.value;
    case "CallStatement":
      return s.call;
    case "Invalid":
      return undefined;
  }
}

/** The ranges of a bracket's items, in order: arguments, list items or entries. */
export function itemRanges(b: Bracketed): Range[] {
  switch (b.kind) {
    case "Call":
      return b.args.map((a) => a.range);
    case "List":
      return b.items.map((i) => i.range);
    case "Object":
      return b.entries.map((e) => e.range);
  }
}

function openLine(b: Bracketed): number {
  return b.kind === "Call" ? b.callee.range.end.line : b.range.start.line;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function placeInBracket(b: Bracketed, c: Comment, into: BracketComments): void {
  const items = itemRanges(b);
  const at = c.range.start.offset;
  let prev = -1;
  items.forEach((r, i) => {
    if (r.end.offset <= at) prev = i;
  });
  const anchorLine = prev >= 0 ? items[prev]!.end.line : openLine(b);
  if (c.range.start.line === anchorLine) {
    if (prev >= 0 && !into.trailing.has(prev)) {
      into.trailing.set(prev, c);
      return;
    }
    if (prev < 0 && into.afterOpen === undefined) {
      into.afterOpen = c;
      return;
    }
  }
  const next = items.findIndex((r) => r.end.offset > at);
  if (next < 0) into.dangling.push(c);
  else pushTo(into.leading, next, c);
}

export function placeComments(plan: Plan): CommentPlacement {
  const statements = plan.statements;
  const brackets = new Map<Bracketed, BracketComments>();
  const perStatement: StatementComments[] = statements.map(() => ({
    inside: [],
    trailing: undefined,
  }));
  const ownLine: Comment[] = [];
  const comments = [...plan.comments].sort((a, b) => a.range.start.offset - b.range.start.offset);

  let s = 0; // the first statement that does not end before the comment
  for (const c of comments) {
    const at = c.range.start.offset;
    while (s < statements.length && statements[s]!.range.end.offset <= at) s++;
    const stmt = statements[s];
    if (stmt !== undefined && contains(stmt.range, at)) {
      if (stmt.kind === "Invalid") continue; // part of its verbatim text
      const b = innermostIn(statementValue(stmt), at);
      if (b === undefined) {
        perStatement[s]!.inside.push(c);
        continue;
      }
      let bc = brackets.get(b);
      if (bc === undefined) {
        bc = { afterOpen: undefined, leading: new Map(), trailing: new Map(), dangling: [] };
        brackets.set(b, bc);
      }
      placeInBracket(b, c, bc);
      continue;
    }
    const prev = s > 0 ? statements[s - 1] : undefined;
    const prevComments = perStatement[s - 1];
    if (prev !== undefined && prevComments !== undefined && prevComments.trailing === undefined) {
      if (prev.range.end.line === c.range.start.line) {
        prevComments.trailing = c;
        continue;
      }
    }
    ownLine.push(c);
  }

  const elements: TopElement[] = [
    ...ownLine.map((comment): TopElement => ({
      kind: "comment",
      comment,
      offset: comment.range.start.offset,
      startLine: comment.range.start.line,
      endLine: comment.range.start.line,
    })),
    ...statements.map((st, index): TopElement => ({
      kind: "statement",
      index,
      offset: st.range.start.offset,
      startLine: st.range.start.line,
      endLine: st.range.end.line,
    })),
  ];
  elements.sort((a, b) => a.offset - b.offset);
  return { brackets, statements: perStatement, elements };
}
