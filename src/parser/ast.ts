// The abstract syntax tree. Every node carries the source range it was read from.
import type { Range } from "../diagnostics/range.js";

export interface Plan {
  kind: "Plan";
  statements: Statement[];
  /** Every `#` comment in the text, in order; the formatter puts them back. */
  comments: Comment[];
  range: Range;
}

export interface Comment {
  /** The text after `#`, without the line break. */
  text: string;
  range: Range;
}

export type Statement = InputDecl | Binding | CallStatement | Return | InvalidStatement;

export type InputType = "string" | "number" | "boolean" | "list" | "object" | "any";

export interface InputDecl {
  kind: "Input";
  name: Var;
  type?: { name: InputType; range: Range };
  default?: Expr;
  range: Range;
}

export interface Binding {
  kind: "Binding";
  target: Var;
  value: Expr | Each;
  range: Range;
}

/** A call not bound to a variable: it runs for its effect (or its result feeds the output). */
export interface CallStatement {
  kind: "CallStatement";
  call: Call;
  range: Range;
}

export interface Return {
  kind: "Return";
  value: Expr;
  range: Range;
}

/**
 * A statement that did not parse. Its syntax errors are already reported;
 * `defines` keeps the name it binds so that later uses do not cascade errors.
 */
export interface InvalidStatement {
  kind: "Invalid";
  defines?: Var;
  range: Range;
}

/** `each $item in <over>: <body>` — a parallel map; only the value of a binding. */
export interface Each {
  kind: "Each";
  variable: Var;
  over: Expr;
  body: Expr;
  range: Range;
}

export type Expr = Call | Ref | StringLit | NumberLit | BooleanLit | NullLit | ListLit | ObjectLit;

/** A variable name without its `$`: `x` for `$x`, `1` for `$1`. */
export interface Var {
  kind: "Var";
  name: string;
  range: Range;
}

export interface Call {
  kind: "Call";
  /** Dotted tool name, `wiki.page`. */
  callee: { name: string; range: Range };
  args: Arg[];
  range: Range;
}

export interface Arg {
  /** Present for a named argument (`key: value` or `key=value`). */
  name?: { name: string; range: Range };
  value: Expr;
  range: Range;
}

export interface Ref {
  kind: "Ref";
  variable: Var;
  path: Accessor[];
  range: Range;
}

export type Accessor = FieldAccess | IndexAccess;

export interface FieldAccess {
  kind: "Field";
  name: string;
  range: Range;
}

export interface IndexAccess {
  kind: "Index";
  index: number;
  range: Range;
}

export type StringStyle = "double" | "single" | "triple";

export interface StringLit {
  kind: "String";
  style: StringStyle;
  /** Text and interpolated references, in order. Adjacent text parts are merged. */
  parts: StringPart[];
  range: Range;
}

export type StringPart = TextPart | Ref;

export interface TextPart {
  kind: "Text";
  /** The text with escapes decoded. */
  value: string;
  range: Range;
}

export interface NumberLit {
  kind: "Number";
  value: number;
  /** The source spelling, kept so the formatter does not rewrite `1e6` as `1000000`. */
  raw: string;
  range: Range;
}

export interface BooleanLit {
  kind: "Boolean";
  value: boolean;
  range: Range;
}

export interface NullLit {
  kind: "Null";
  range: Range;
}

export interface ListLit {
  kind: "List";
  items: Expr[];
  range: Range;
}

export interface ObjectLit {
  kind: "Object";
  entries: ObjectEntry[];
  range: Range;
}

export interface ObjectEntry {
  key: { name: string; quoted: boolean; range: Range };
  value: Expr;
  range: Range;
}
