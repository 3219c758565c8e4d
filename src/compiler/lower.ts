// Lowering: a checked AST becomes a PlanGraph. Every call becomes a node with
// an id in evaluation order; variables disappear: references name node ids,
// inputs or the `each` item, and value bindings are inlined where they are used.
import type { Range } from "../diagnostics/range.js";
import type {
  Call,
  Each,
  Expr,
  InputDecl,
  ObjectLit,
  Plan,
  Ref,
  StringLit,
} from "../parser/ast.js";
import { IR_VERSION } from "./ir.js";
import type {
  CallNode,
  EachNode,
  IrArgs,
  IrExpr,
  Json,
  PathStep,
  PlanGraph,
  PlanInput,
  PlanNode,
  Span,
} from "./ir.js";
import { referencedNodeIds, setOwn, sortedIds } from "./ir-walk.js";
import type { ToolSet } from "./tool.js";

export interface LowerOptions {
  /** When given, positional arguments of known tools become named ones. */
  tools?: ToolSet;
  /** The file the plan came from; copied to `PlanGraph.source`. */
  source?: string;
}

/** What a variable stands for while lowering. */
type Meaning =
  | { kind: "node"; id: string }
  | { kind: "input" }
  | { kind: "item" }
  /** A value binding: its lowered value, inlined at every use. */
  | { kind: "value"; expr: IrExpr };

/** Where the calls met while lowering go: the plan's node list, or an `each` body. */
interface Scope {
  vars: ReadonlyMap<string, Meaning>;
  nextId(): string;
  add(node: PlanNode): void;
}

type LiteralExpr = Extract<IrExpr, { kind: "literal" }>;

/**
 * Lowers a plan that checked without errors.
 *
 * Value bindings are inlined. A path into an inlined value is resolved
 * statically when that value is a list, object or literal (`$p = [$a, 2]`
 * makes `$p[0].x` a ref to `$a`'s node with path `["x"]`); a path that
 * selects nothing from a statically known value (a missing key, an index past
 * the end, a field of a string) lowers to `null`, as a missing JSON field reads.
 */
export function lower(plan: Plan, options: LowerOptions = {}): PlanGraph {
  const nodes: PlanNode[] = [];
  const inputs: PlanInput[] = [];
  const vars = new Map<string, Meaning>();
  let counter = 0;
  const outer: Scope = { vars, nextId: () => `n${++counter}`, add: (node) => nodes.push(node) };
  const lowerer = new Lowerer(options.tools);
  const named: [string, IrExpr][] = [];
  let output: IrExpr | undefined;

  for (const st of plan.statements) {
    switch (st.kind) {
      case "Input":
        inputs.push(lowerInput(st));
        vars.set(st.name.name, { kind: "input" });
        break;
      case "CallStatement":
        lowerer.call(st.call, outer, { statement: true });
        break;
      case "Return":
        output = lowerer.expr(st.value, outer);
        break;
      case "Binding": {
        const name = st.target.name;
        let meaning: Extract<Meaning, { kind: "node" | "value" }>;
        if (st.value.kind === "Each") {
          meaning = { kind: "node", id: lowerer.each(st.value, outer, name) };
        } else if (st.value.kind === "Call") {
          meaning = { kind: "node", id: lowerer.call(st.value, outer, { binding: name }) };
        } else {
          meaning = { kind: "value", expr: lowerer.expr(st.value, outer) };
        }
        vars.set(name, meaning);
        named.push([
          name,
          meaning.kind === "value"
            ? meaning.expr
            : { kind: "ref", source: "node", name: meaning.id, path: [] },
        ]);
        break;
      }
      case "Invalid":
        break;
    }
  }

  const graph: PlanGraph =
    options.source === undefined
      ? { version: IR_VERSION, inputs, nodes, output: NULL }
      : { version: IR_VERSION, source: options.source, inputs, nodes, output: NULL };
  graph.output = output ?? { kind: "object", entries: named };
  return graph;
}

const NULL: IrExpr = { kind: "literal", value: null };

class Lowerer {
  constructor(private readonly tools: ToolSet | undefined) {}

  // ## Calls and each

  /** Lowers a call, its nested calls first, and returns its node id. */
  call(call: Call, scope: Scope, extra: { binding?: string; statement?: boolean } = {}): string {
    const args = this.args(call, scope);
    const node: CallNode = {
      id: scope.nextId(),
      kind: "call",
      ...(extra.binding === undefined ? {} : { binding: extra.binding }),
      tool: call.callee.name,
      args,
      deps: referencedNodeIds([...args.positional, ...Object.values(args.named)]),
      ...(extra.statement === true ? { statement: true } : {}),
      span: toSpan(call.range),
    };
    scope.add(node);
    return node.id;
  }

  private args(call: Call, scope: Scope): IrArgs {
    const tool = this.tools?.get(call.callee.name);
    const keys: string[] | undefined =
      tool === undefined ? undefined : Object.keys(tool.input.shape);
    const positional: IrExpr[] = [];
    const named: Record<string, IrExpr> = {};
    let index = 0;
    for (const arg of call.args) {
      // Lowered in source order, so nested calls get ids left to right.
      const value = this.expr(arg.value, scope);
      if (arg.name !== undefined) {
        setOwn(named, arg.name.name, value);
        continue;
      }
      // Positional arguments precede named ones (C017), so the i-th maps to the i-th key.
      const key = keys?.[index++];
      if (key === undefined) positional.push(value);
      else setOwn(named, key, value);
    }
    return { positional, named };
  }

  /** Lowers `each`: `over` first (in the outer scope), then its body into local ids. */
  each(each: Each, scope: Scope, binding: string): string {
    const over = this.expr(each.over, scope);
    const id = scope.nextId();
    const body: CallNode[] = [];
    let local = 0;
    const vars = new Map(scope.vars);
    vars.set(each.variable.name, { kind: "item" });
    const bodyScope: Scope = {
      vars,
      nextId: () => `${id}.${++local}`,
      add: (n) => {
        // The grammar allows `each` only as the whole value of a binding, never in a body.
        if (n.kind !== "call") throw new Error("lower: `each` inside an `each` body");
        body.push(n);
      },
    };
    const output = this.expr(each.body, bodyScope);
    const localIds = new Set(body.map((n) => n.id));
    const used = [...referencedNodeIds([over, output]), ...body.flatMap((n) => n.deps)];
    const node: EachNode = {
      id,
      kind: "each",
      binding,
      item: each.variable.name,
      over,
      body: { nodes: body, output },
      deps: sortedIds(used.filter((d) => !localIds.has(d))),
      span: toSpan(each.range),
    };
    scope.add(node);
    return id;
  }

  // ## Expressions

  expr(e: Expr, scope: Scope): IrExpr {
    switch (e.kind) {
      case "Call":
        return { kind: "ref", source: "node", name: this.call(e, scope), path: [] };
      case "Ref":
        return this.ref(e, scope);
      case "String":
        return this.string(e, scope);
      case "Number":
      case "Boolean":
        return { kind: "literal", value: e.value };
      case "Null":
        return NULL;
      case "List": {
        const items = e.items.map((i) => this.expr(i, scope));
        return items.every(isLiteral)
          ? { kind: "literal", value: items.map((i) => (i as LiteralExpr).value) }
          : { kind: "list", items };
      }
      case "Object":
        return this.object(e, scope);
    }
  }

  private object(e: ObjectLit, scope: Scope): IrExpr {
    const entries: [string, IrExpr][] = e.entries.map((en) => [
      en.key.name,
      this.expr(en.value, scope),
    ]);
    if (!entries.every(([, v]) => isLiteral(v))) return { kind: "object", entries };
    const value: Record<string, Json> = {};
    for (const [k, v] of entries) setOwn(value, k, (v as LiteralExpr).value);
    return { kind: "literal", value };
  }

  private string(e: StringLit, scope: Scope): IrExpr {
    const parts: (string | IrExpr)[] = [];
    const pushText = (text: string) => {
      const last = parts.length - 1;
      if (typeof parts[last] === "string") parts[last] = parts[last] + text;
      else if (text !== "") parts.push(text);
    };
    for (const p of e.parts) {
      if (p.kind === "Text") {
        pushText(p.value);
        continue;
      }
      const value = this.ref(p, scope);
      // A statically known value is spliced in as text, the way the runtime
      // renders it: strings as they are, other values as compact JSON.
      if (value.kind === "literal") {
        pushText(typeof value.value === "string" ? value.value : JSON.stringify(value.value));
      } else if (value.kind === "template") {
        for (const q of value.parts) {
          if (typeof q === "string") pushText(q);
          else parts.push(q);
        }
      } else {
        parts.push(value);
      }
    }
    if (parts.every((p) => typeof p === "string"))
      return { kind: "literal", value: parts.join("") };
    return { kind: "template", parts };
  }

  private ref(r: Ref, scope: Scope): IrExpr {
    const name = r.variable.name;
    const path: PathStep[] = r.path.map((a) => (a.kind === "Field" ? a.name : a.index));
    const meaning = scope.vars.get(name);
    if (meaning === undefined) {
      throw new Error(
        `lower: \`$${name}\` is not defined; lower() needs a plan that checked without errors`,
      );
    }
    switch (meaning.kind) {
      case "node":
        return { kind: "ref", source: "node", name: meaning.id, path };
      case "input":
        return { kind: "ref", source: "input", name, path };
      case "item":
        return { kind: "ref", source: "item", name, path };
      case "value":
        return selectPath(meaning.expr, path);
    }
  }
}

// ## Helpers

function isLiteral(e: IrExpr): e is LiteralExpr {
  return e.kind === "literal";
}

/** `expr` followed by `path`, resolved statically as far as `expr` is known. */
function selectPath(expr: IrExpr, path: readonly PathStep[]): IrExpr {
  let cur = expr;
  for (let i = 0; i < path.length; i++) {
    const step = path[i] as PathStep;
    switch (cur.kind) {
      case "ref":
        return { ...cur, path: [...cur.path, ...path.slice(i)] };
      case "literal":
        return { kind: "literal", value: selectJson(cur.value, path.slice(i)) };
      case "list": {
        const item = typeof step === "number" ? cur.items[step] : undefined;
        if (item === undefined) return NULL;
        cur = item;
        break;
      }
      case "object": {
        // The last entry wins, as it would in a JSON object built left to right.
        const entry =
          typeof step === "string" ? cur.entries.findLast(([k]) => k === step) : undefined;
        if (entry === undefined) return NULL;
        cur = entry[1];
        break;
      }
      case "template":
        return NULL;
    }
  }
  return cur;
}

function selectJson(value: Json, path: readonly PathStep[]): Json {
  let cur: Json = value;
  for (const step of path) {
    if (typeof step === "number" && Array.isArray(cur)) {
      cur = cur[step] ?? null;
    } else if (
      typeof step === "string" &&
      cur !== null &&
      typeof cur === "object" &&
      !Array.isArray(cur)
    ) {
      cur = Object.hasOwn(cur, step) ? (cur[step] as Json) : null;
    } else {
      return null;
    }
  }
  return cur;
}

function lowerInput(decl: InputDecl): PlanInput {
  const input: PlanInput = { name: decl.name.name, type: decl.type?.name ?? "any" };
  if (decl.default !== undefined) input.default = constantJson(decl.default);
  input.span = toSpan(decl.range);
  return input;
}

/**
 * The JSON value of an input default. The checker allows only literals there;
 * a reference that slips through is kept as its source text rather than thrown on.
 */
function constantJson(e: Expr): Json {
  switch (e.kind) {
    case "String":
      return e.parts
        .map((p) =>
          p.kind === "Text"
            ? p.value
            : `\${${p.variable.name}${p.path.map((a) => (a.kind === "Field" ? `.${a.name}` : `[${a.index}]`)).join("")}}`,
        )
        .join("");
    case "Number":
    case "Boolean":
      return e.value;
    case "Null":
    case "Call":
    case "Ref":
      return null;
    case "List":
      return e.items.map(constantJson);
    case "Object": {
      const out: Record<string, Json> = {};
      for (const en of e.entries) setOwn(out, en.key.name, constantJson(en.value));
      return out;
    }
  }
}

function toSpan(range: Range): Span {
  const { start, end } = range;
  return {
    start: { line: start.line, column: start.column, offset: start.offset },
    end: { line: end.line, column: end.column, offset: end.offset },
  };
}
