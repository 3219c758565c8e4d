// The plan graph: the versioned, JSON-serialisable IR that the runtime executes.
// References name node ids, never source variables, so the runtime never re-reads plan text.
import type { InputType } from "../parser/ast.js";

export const IR_VERSION = 1;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A source span in the IR: 1-based line/column, 0-based offsets; end is exclusive. */
export interface Span {
  start: { line: number; column: number; offset: number };
  end: { line: number; column: number; offset: number };
}

export interface PlanGraph {
  version: typeof IR_VERSION;
  /** The file the plan came from, when known. */
  source?: string;
  inputs: PlanInput[];
  nodes: PlanNode[];
  output: IrExpr;
}

export interface PlanInput {
  name: string;
  type: InputType;
  /** Absent when the input is required. */
  default?: Json;
  span?: Span;
}

export type PlanNode = CallNode | EachNode;

export interface CallNode {
  id: string;
  kind: "call";
  /** The variable name without `$`, when the call is bound. */
  binding?: string;
  tool: string;
  /** Positional arguments not yet mapped to parameter names (only when tools were unknown at compile time). */
  args: IrArgs;
  /** Ids of the nodes whose results this call needs, sorted, without duplicates. */
  deps: string[];
  /** True for a call written as a statement of its own: never pruned. */
  statement?: boolean;
  span?: Span;
}

export interface IrArgs {
  positional: IrExpr[];
  named: Record<string, IrExpr>;
}

/**
 * `each $item in over: body`. The body is a small graph run once per list
 * element; inside it `{ kind: "ref", source: "item" }` is the element, and
 * `source: "node"` refers to body nodes (by their local ids) or outer nodes.
 */
export interface EachNode {
  id: string;
  kind: "each";
  binding?: string;
  item: string;
  over: IrExpr;
  body: { nodes: CallNode[]; output: IrExpr };
  deps: string[];
  span?: Span;
}

export type PathStep = string | number;

export type IrExpr =
  | { kind: "literal"; value: Json }
  | { kind: "ref"; source: "node" | "input" | "item"; name: string; path: PathStep[] }
  /** String interpolation: strings as they are, other values as compact JSON. */
  | { kind: "template"; parts: (string | IrExpr)[] }
  | { kind: "list"; items: IrExpr[] }
  | { kind: "object"; entries: [string, IrExpr][] };
