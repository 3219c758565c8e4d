// ## CST to AST
// The only place that knows the shape of the CST. Semantic checks that belong
// to syntax (number spelling, index form, input types) are reported here.
import type { CstElement, CstNode, IToken } from "chevrotain";
import { diag } from "../diagnostics/catalogue.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { LineMap, Range } from "../diagnostics/range.js";
import type * as A from "./ast.js";
import { PlanParser } from "./grammar.js";
import { decodeString, staticText } from "./strings.js";
import * as T from "./tokens.js";

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const INPUT_TYPES = new Set<string>(["string", "number", "boolean", "list", "object", "any"]);

type Children = Record<string, CstElement[] | undefined>;

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

  #nodeRange(n: CstNode): Range {
    const loc = n.location;
    if (loc === undefined || Number.isNaN(loc.startOffset)) throw new Malformed();
    return this.#lines.range(loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
  }

  #token(ctx: Children, key: string, i = 0): IToken {
    const t = ctx[key]?.[i];
    if (!isToken(t)) throw new Malformed();
    return t;
  }

  #tokens(ctx: Children, key: string): IToken[] {
    return (ctx[key] ?? []).filter(isToken);
  }

  #node(ctx: Children, key: string, i = 0): CstNode {
    const n = ctx[key]?.[i];
    if (!isNode(n)) throw new Malformed();
    return n;
  }

  #nodes(ctx: Children, key: string): CstNode[] {
    return (ctx[key] ?? []).filter(isNode);
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

  inputDecl(ctx: Children, node: CstNode): A.InputDecl {
    const decl: A.InputDecl = {
      kind: "Input",
      name: this.#var(this.#token(ctx, "variable")),
      range: this.#nodeRange(node),
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
    }
    return decl;
  }

  returnStmt(ctx: Children, node: CstNode): A.Return {
    return {
      kind: "Return",
      value: this.#expr(this.#node(ctx, "value")),
      range: this.#nodeRange(node),
    };
  }

  binding(ctx: Children, node: CstNode): A.Binding {
    const target = this.#var(this.#token(ctx, "target"));
    const each = ctx.each?.[0];
    const value = isNode(each)
      ? (this.visit(each, each) as A.Each)
      : this.#expr(this.#node(ctx, "value"));
    return { kind: "Binding", target, value, range: this.#nodeRange(node) };
  }

  eachExpr(ctx: Children, node: CstNode): A.Each {
    return {
      kind: "Each",
      variable: this.#var(this.#token(ctx, "variable")),
      over: this.#expr(this.#node(ctx, "over")),
      body: this.#expr(this.#node(ctx, "body")),
      range: this.#nodeRange(node),
    };
  }

  callStmt(ctx: Children, node: CstNode): A.CallStatement {
    return {
      kind: "CallStatement",
      call: this.visit(this.#node(ctx, "call"), this.#node(ctx, "call")) as A.Call,
      range: this.#nodeRange(node),
    };
  }

  // ### expressions
  expression(ctx: Children): A.Expr {
    const child = ctx.call ?? ctx.reference ?? ctx.list ?? ctx.object ?? ctx.literal;
    const n = child?.[0];
    if (!isNode(n)) throw new Malformed();
    return this.#expr(n);
  }

  literal(ctx: Children): A.Expr {
    const t = firstChild(ctx);
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

  call(ctx: Children, node: CstNode): A.Call {
    const parts = this.#tokens(ctx, "callee");
    const first = parts[0];
    const last = parts[parts.length - 1];
    if (first === undefined || last === undefined) throw new Malformed();
    return {
      kind: "Call",
      callee: {
        name: parts.map((p) => p.image).join("."),
        range: this.#lines.range(first.startOffset, last.startOffset + last.image.length),
      },
      args: this.#nodes(ctx, "args").map((a) => this.visit(a, a) as A.Arg),
      range: this.#nodeRange(node),
    };
  }

  argument(ctx: Children, node: CstNode): A.Arg {
    const arg: A.Arg = {
      value: this.#expr(this.#node(ctx, "value")),
      range: this.#nodeRange(node),
    };
    const key = ctx.key?.[0];
    if (isNode(key)) arg.name = this.visit(key, key) as { name: string; range: Range };
    return arg;
  }

  reference(ctx: Children, node: CstNode): A.Ref {
    const variable = this.#var(this.#token(ctx, "Variable"));
    const steps: A.Accessor[] = [];
    const dots = this.#tokens(ctx, "Dot");
    this.#nodes(ctx, "field").forEach((f, i) => {
      const { name, range } = this.visit(f, f) as { name: string; range: Range };
      const start = dots[i]?.startOffset ?? range.start.offset;
      steps.push({ kind: "Field", name, range: this.#lines.range(start, range.end.offset) });
    });
    const lbrackets = this.#tokens(ctx, "LBracket");
    const rbrackets = this.#tokens(ctx, "RBracket");
    this.#tokens(ctx, "index").forEach((t, i) => {
      const index = Number(t.image);
      const open = lbrackets[i] ?? t;
      const close = rbrackets[i] ?? t;
      const range = this.#lines.range(open.startOffset, close.startOffset + close.image.length);
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
    steps.sort((a, b) => a.range.start.offset - b.range.start.offset);
    return { kind: "Ref", variable, path: steps, range: this.#nodeRange(node) };
  }

  list(ctx: Children, node: CstNode): A.ListLit {
    return {
      kind: "List",
      items: this.#nodes(ctx, "items").map((n) => this.#expr(n)),
      range: this.#nodeRange(node),
    };
  }

  object(ctx: Children, node: CstNode): A.ObjectLit {
    return {
      kind: "Object",
      entries: this.#nodes(ctx, "entries").map((n) => this.visit(n, n) as A.ObjectEntry),
      range: this.#nodeRange(node),
    };
  }

  entry(ctx: Children, node: CstNode): A.ObjectEntry {
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
    return { key, value: this.#expr(this.#node(ctx, "value")), range: this.#nodeRange(node) };
  }

  name(ctx: Children): { name: string; range: Range } {
    const t = firstChild(ctx);
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
