// ## CST to AST
// The only place that knows the shape of the CST. Semantic checks that belong
// to syntax (number spelling, index form, input types) are reported here.
import type { CstElement, CstNode, IToken } from "chevrotain";
import { diag } from "../diagnostics/catalogue.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { endOffset, startOffset, type LineMap, type Range } from "../diagnostics/range.js";
import type * as A from "./ast.js";
import { PlanParser } from "./grammar.js";
import { tokenEnd } from "./split.js";
import { decodeString, staticText } from "./strings.js";
import * as T from "./tokens.js";

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const INPUT_TYPES = new Set<string>(["string", "number", "boolean", "list", "object", "any"]);

type Children = Record<string, CstElement[] | undefined>;

const NONE: CstElement[] = [];

/** Thrown inside the visitor when the CST lacks a part it must have; caught per statement. */
class Malformed extends Error {}

function isToken(e: CstElement | undefined): e is IToken {
  return e !== undefined && "image" in e;
}

function isNode(e: CstElement | undefined): e is CstNode {
  return e !== undefined && "children" in e;
}

export const parserInstance = new PlanParser();
const BaseVisitor = parserInstance.getBaseCstVisitorConstructor();

export class AstBuilder extends BaseVisitor {
  readonly #lines: LineMap;
  /** Where the diagnostics of the statement being built go; set per statement. */
  sink: Diagnostic[] = [];
  static #validated = false;

  constructor(lines: LineMap) {
    super();
    this.#lines = lines;
    if (!AstBuilder.#validated) {
      this.validateVisitor();
      AstBuilder.#validated = true;
    }
  }

  // ### helpers
  #tokenRange(t: IToken): Range {
    return this.#lines.range(t.startOffset, t.startOffset + t.image.length);
  }

  // The CST carries no locations (cheaper): a node's range runs from its
  // first token to the end of its last token or child.
  #span(start: number, end: number): Range {
    return this.#lines.range(start, end);
  }

  #token(ctx: Children, key: string, i = 0): IToken {
    const t = ctx[key]?.[i];
    if (!isToken(t)) throw new Malformed();
    return t;
  }

  // The grammar puts only tokens (or only nodes) under a key: no filtering needed.
  #tokens(ctx: Children, key: string): IToken[] {
    return (ctx[key] ?? NONE) as IToken[];
  }

  #node(ctx: Children, key: string, i = 0): CstNode {
    const n = ctx[key]?.[i];
    if (!isNode(n)) throw new Malformed();
    return n;
  }

  #nodes(ctx: Children, key: string): CstNode[] {
    return (ctx[key] ?? NONE) as CstNode[];
  }

  #var(t: IToken): A.Var {
    return { kind: "Var", name: t.image.slice(1), range: this.#tokenRange(t) };
  }

  #expr(n: CstNode): A.Expr {
    return this.visit(n, n) as A.Expr;
  }

  // ### statements
  statement(ctx: Children): A.Statement {
    const child = ctx.inputDecl ?? ctx.returnStmt ?? ctx.binding ?? ctx.callStmt;
    const n = child?.[0];
    if (!isNode(n)) throw new Malformed();
    return this.visit(n, n) as A.Statement;
  }

  inputDecl(ctx: Children): A.InputDecl {
    const keyword = this.#token(ctx, "Input");
    const variable = this.#token(ctx, "variable");
    let end = tokenEnd(variable);
    const decl: A.InputDecl = {
      kind: "Input",
      name: this.#var(variable),
      range: this.#span(keyword.startOffset, end),
    };
    const type = ctx.type?.[0];
    if (isToken(type)) {
      if (!INPUT_TYPES.has(type.image)) {
        this.sink.push(
          diag.syntaxError(
            this.#tokenRange(type),
            `unknown input type \`${type.image}\``,
            "input types are string, number, boolean, list, object and any",
          ),
        );
      } else {
        decl.type = { name: type.image as A.InputType, range: this.#tokenRange(type) };
      }
      end = tokenEnd(type);
    }
    const def = ctx.default?.[0];
    if (isNode(def)) {
      const value = this.#expr(def);
      if (!isConstant(value)) {
        this.sink.push(
          diag.syntaxError(
            value.range,
            "an input's default must be a literal value",
            "no calls, references or interpolation",
          ),
        );
      }
      decl.default = value;
      end = endOffset(value.range);
    }
    decl.range = this.#span(keyword.startOffset, end);
    return decl;
  }

  returnStmt(ctx: Children): A.Return {
    const value = this.#expr(this.#node(ctx, "value"));
    const start = this.#token(ctx, "Return").startOffset;
    return { kind: "Return", value, range: this.#span(start, endOffset(value.range)) };
  }

  binding(ctx: Children): A.Binding {
    const token = this.#token(ctx, "target");
    const target = this.#var(token);
    const each = ctx.each?.[0];
    const value = isNode(each)
      ? (this.visit(each, each) as A.Each)
      : this.#expr(this.#node(ctx, "value"));
    return {
      kind: "Binding",
      target,
      value,
      range: this.#span(token.startOffset, endOffset(value.range)),
    };
  }

  eachExpr(ctx: Children): A.Each {
    const body = this.#expr(this.#node(ctx, "body"));
    return {
      kind: "Each",
      variable: this.#var(this.#token(ctx, "variable")),
      over: this.#expr(this.#node(ctx, "over")),
      body,
      range: this.#span(this.#token(ctx, "Each").startOffset, endOffset(body.range)),
    };
  }

  callStmt(ctx: Children): A.CallStatement {
    const node = this.#node(ctx, "call");
    const call = this.visit(node, node) as A.Call;
    return { kind: "CallStatement", call, range: call.range };
  }

  // ### expressions
  expression(ctx: Children): A.Expr {
    const child = ctx.call ?? ctx.reference ?? ctx.list ?? ctx.object ?? ctx.literal;
    const n = child?.[0];
    if (!isNode(n)) throw new Malformed();
    return this.#expr(n);
  }

  literal(ctx: Children): A.Expr {
    const t = (ctx.DoubleString ??
      ctx.NumberLiteral ??
      ctx.SingleString ??
      ctx.TripleString ??
      ctx.True ??
      ctx.False ??
      ctx.Null)?.[0];
    if (!isToken(t)) throw new Malformed();
    const range = this.#tokenRange(t);
    switch (t.tokenType) {
      case T.DoubleString:
      case T.SingleString:
      case T.TripleString:
        return decodeString(t, this.#lines, this.sink);
      case T.NumberLiteral:
        return this.#number(t);
      case T.True:
        return { kind: "Boolean", value: true, range };
      case T.False:
        return { kind: "Boolean", value: false, range };
      default:
        return { kind: "Null", range };
    }
  }

  #number(t: IToken): A.NumberLit {
    const value = Number(t.image);
    if (!JSON_NUMBER.test(t.image) || !Number.isFinite(value)) {
      this.sink.push(diag.invalidNumber(this.#tokenRange(t), t.image));
    }
    return { kind: "Number", value, raw: t.image, range: this.#tokenRange(t) };
  }

  call(ctx: Children): A.Call {
    const parts = this.#tokens(ctx, "callee");
    const first = parts[0];
    const last = parts[parts.length - 1];
    if (first === undefined || last === undefined) throw new Malformed();
    return {
      kind: "Call",
      callee: {
        name: parts.map((p) => p.image).join("."),
        range: this.#span(first.startOffset, tokenEnd(last)),
      },
      args: this.#nodes(ctx, "args").map((a) => this.visit(a, a) as A.Arg),
      range: this.#span(first.startOffset, tokenEnd(this.#token(ctx, "RParen"))),
    };
  }

  argument(ctx: Children): A.Arg {
    const value = this.#expr(this.#node(ctx, "value"));
    const arg: A.Arg = { value, range: value.range };
    const key = ctx.key?.[0];
    if (isNode(key)) {
      arg.name = this.visit(key, key) as { name: string; range: Range };
      arg.range = this.#span(startOffset(arg.name.range), endOffset(value.range));
    }
    return arg;
  }

  reference(ctx: Children): A.Ref {
    const token = this.#token(ctx, "Variable");
    const variable = this.#var(token);
    const steps: A.Accessor[] = [];
    const dots = this.#tokens(ctx, "Dot");
    this.#nodes(ctx, "field").forEach((f, i) => {
      const { name, range } = this.visit(f, f) as { name: string; range: Range };
      const start = dots[i]?.startOffset ?? startOffset(range);
      steps.push({ kind: "Field", name, range: this.#span(start, endOffset(range)) });
    });
    const lbrackets = this.#tokens(ctx, "LBracket");
    const rbrackets = this.#tokens(ctx, "RBracket");
    this.#tokens(ctx, "index").forEach((t, i) => {
      const index = Number(t.image);
      const open = lbrackets[i] ?? t;
      const close = rbrackets[i] ?? t;
      const range = this.#span(open.startOffset, tokenEnd(close));
      if (!/^(?:0|[1-9][0-9]*)$/.test(t.image) || !Number.isSafeInteger(index)) {
        this.sink.push(
          diag.syntaxError(
            this.#tokenRange(t),
            `invalid index \`${t.image}\``,
            "an index is a non-negative integer: `[0]`",
          ),
        );
      }
      steps.push({ kind: "Index", index, range });
    });
    // Fields and indexes are collected by kind; restore source order.
    if (dots.length > 0 && lbrackets.length > 0) {
      steps.sort((a, b) => startOffset(a.range) - startOffset(b.range));
    }
    const last = steps[steps.length - 1];
    const end = last === undefined ? tokenEnd(token) : endOffset(last.range);
    return { kind: "Ref", variable, path: steps, range: this.#span(token.startOffset, end) };
  }

  list(ctx: Children): A.ListLit {
    return {
      kind: "List",
      items: this.#nodes(ctx, "items").map((n) => this.#expr(n)),
      range: this.#span(
        this.#token(ctx, "LBracket").startOffset,
        tokenEnd(this.#token(ctx, "RBracket")),
      ),
    };
  }

  object(ctx: Children): A.ObjectLit {
    return {
      kind: "Object",
      entries: this.#nodes(ctx, "entries").map((n) => this.visit(n, n) as A.ObjectEntry),
      range: this.#span(
        this.#token(ctx, "LBrace").startOffset,
        tokenEnd(this.#token(ctx, "RBrace")),
      ),
    };
  }

  entry(ctx: Children): A.ObjectEntry {
    const keyEl = ctx.key?.[0];
    let key: A.ObjectEntry["key"];
    if (isNode(keyEl)) {
      const { name, range } = this.visit(keyEl, keyEl) as { name: string; range: Range };
      key = { name, quoted: false, range };
    } else if (isToken(keyEl)) {
      const s = decodeString(keyEl, this.#lines, this.sink);
      const text = staticText(s);
      if (text === undefined) {
        this.sink.push(
          diag.syntaxError(
            s.range,
            "an object key cannot interpolate",
            "write the key as plain text",
          ),
        );
      }
      key = { name: text ?? "", quoted: true, range: s.range };
    } else {
      throw new Malformed();
    }
    const value = this.#expr(this.#node(ctx, "value"));
    return { key, value, range: this.#span(startOffset(key.range), endOffset(value.range)) };
  }

  name(ctx: Children): { name: string; range: Range } {
    const t = ctx.Identifier?.[0] ?? firstChild(ctx);
    if (!isToken(t)) throw new Malformed();
    return { name: t.image, range: this.#tokenRange(t) };
  }
}

/** The only child of a node whose rule is a choice of single tokens. */
function firstChild(ctx: Children): CstElement | undefined {
  for (const key in ctx) {
    const v = ctx[key];
    if (v !== undefined && v.length > 0) return v[0];
  }
  return undefined;
}

/** A literal with no references, calls or interpolation: what an input default may be. */
export function isConstant(e: A.Expr): boolean {
  switch (e.kind) {
    case "Call":
    case "Ref":
      return false;
    case "String":
      return staticText(e) !== undefined;
    case "List":
      return e.items.every(isConstant);
    case "Object":
      return e.entries.every((en) => isConstant(en.value));
    default:
      return true;
  }
}

export { Malformed };
