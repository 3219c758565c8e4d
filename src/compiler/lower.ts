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
  Statement,
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
import { collectNodeRefs, setOwn, sortUniqueIds } from "./ir-walk.js";
import type { ToolSet } from "./tool.js";

export interface LowerOptions {
  /** When given, positional arguments of known tools become named ones. */
  tools?: ToolSet;
  /** The file the plan came from; copied to `PlanGraph.source`. */
  source?: string;
}

/**
 * What a variable stands for while lowering. A node binding, by far the most
 * common, is just the node's id: one object fewer per binding.
 */
type Meaning =
  | string
  | { kind: "input" }
  | { kind: "item" }
  /** A value binding: its lowered value, inlined at every use. */
  | { kind: "value"; expr: IrExpr };

/** Where the calls met while lowering go: the plan's node list, or an `each` body. */
interface Scope {
  vars: { get(name: string): Meaning | undefined };
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
  // Every input and binding defines at most one name.
  const vars = new NameTable<Meaning>(plan.statements.length);
  let counter = 0;
  const outer: Scope = { vars, nextId: () => `n${++counter}`, add: (node) => nodes.push(node) };
  const lowerer = new Lowerer(options.tools);
  const named: [string, IrExpr][] = [];
  let output: IrExpr | undefined;

  for (let i = 0; i < plan.statements.length; i++) {
    const st = plan.statements[i] as Statement;
    switch (st.kind) {
      case "Input":
        inputs.push(lowerInput(st));
        vars.set(st.name.name, INPUT);
        break;
      case "CallStatement":
        lowerer.call(st.call, outer, undefined, true);
        break;
      case "Return":
        output = lowerer.expr(st.value, outer);
        break;
      case "Binding": {
        const name = st.target.name;
        if (st.value.kind === "Each" || st.value.kind === "Call") {
          const id =
            st.value.kind === "Each"
              ? lowerer.each(st.value, outer, name)
              : lowerer.call(st.value, outer, name);
          vars.set(name, id);
          named.push([name, { kind: "ref", source: "node", name: id, path: [] }]);
        } else {
          const expr = lowerer.expr(st.value, outer);
          vars.set(name, { kind: "value", expr });
          named.push([name, expr]);
        }
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
const ITEM: Meaning = { kind: "item" };
const INPUT: Meaning = { kind: "input" };

class Lowerer {
  /**
   * Per tool name: one string for it that every call of the tool shares (a
   * plan repeats a few names thousands of times) and, for known tools, the
   * parameter names, worked out once rather than per call.
   */
  private readonly toolInfo = new Map<string, { name: string; keys: string[] | undefined }>();
  /** Scratch space for the deps of one call: one array for the whole plan, not one per call. */
  private readonly refs: string[] = [];
  /** Parts of the string being lowered (strings do not nest). */
  private readonly parts: (string | IrExpr)[] = [];

  constructor(private readonly tools: ToolSet | undefined) {}

  // ## Calls and each

  /** Lowers a call, its nested calls first, and returns its node id. */
  call(call: Call, scope: Scope, binding?: string, statement = false): string {
    const info = this.tool(call.callee.name);
    const args = this.args(call, info.keys, scope);
    const id = scope.nextId();
    const tool = info.name;
    const deps = this.deps(args);
    const span = toSpan(call.range);
    // Literals rather than spreads, keeping the key order of `CallNode`.
    const node: CallNode =
      binding !== undefined
        ? statement
          ? { id, kind: "call", binding, tool, args, deps, statement: true, span }
          : { id, kind: "call", binding, tool, args, deps, span }
        : statement
          ? { id, kind: "call", tool, args, deps, statement: true, span }
          : { id, kind: "call", tool, args, deps, span };
    scope.add(node);
    return id;
  }

  /**
   * The nodes that `args` reference, sorted, without duplicates. Read from
   * the arguments as they ended up: a value overridden by a later argument
   * of the same name is not a dep.
   */
  private deps(args: IrArgs): string[] {
    const refs = this.refs;
    // Counted, not truncated with `length`, which would free the array's storage.
    let n = 0;
    for (let i = 0; i < args.positional.length; i++)
      n = collectNodeRefs(args.positional[i] as IrExpr, refs, n);
    for (const key in args.named)
      if (Object.hasOwn(args.named, key)) n = collectNodeRefs(args.named[key] as IrExpr, refs, n);
    // An exact-size copy: the deps of every node live as long as the graph.
    return sortUniqueIds(refs.slice(0, n));
  }

  private tool(name: string): { name: string; keys: string[] | undefined } {
    let info = this.toolInfo.get(name);
    if (info === undefined) {
      const tool = this.tools?.get(name);
      info = { name, keys: tool === undefined ? undefined : Object.keys(tool.input.shape) };
      this.toolInfo.set(name, info);
    }
    return info;
  }

  private args(call: Call, keys: string[] | undefined, scope: Scope): IrArgs {
    const positional: IrExpr[] = [];
    const named: Record<string, IrExpr> = {};
    let index = 0;
    // Indexed loops in the per-call paths: an iterator costs an allocation here.
    for (let i = 0; i < call.args.length; i++) {
      const arg = call.args[i] as Call["args"][number];
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
    // An overlay, not a copy: copying every outer name per `each` is quadratic.
    const item = each.variable.name;
    const outerVars = scope.vars;
    const vars: Scope["vars"] = {
      get: (name) => (name === item ? ITEM : outerVars.get(name)),
    };
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
    // Body ids are `${id}.k`; every other node id a body can name is an outer one.
    const localPrefix = `${id}.`;
    const used: string[] = [];
    collectNodeRefs(over, used);
    collectNodeRefs(output, used);
    for (const n of body) for (const d of n.deps) used.push(d);
    let outer = 0;
    for (const d of used) if (!d.startsWith(localPrefix)) used[outer++] = d;
    used.length = outer;
    const node: EachNode = {
      id,
      kind: "each",
      binding,
      item: each.variable.name,
      over,
      body: { nodes: body, output },
      deps: sortUniqueIds(used).slice(),
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
        // `map` allocates arrays of the exact size: lowered values live as long as the graph.
        const items = e.items.map((i) => this.expr(i, scope));
        return items.every(isLiteral)
          ? { kind: "literal", value: items.map(literalValue) }
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
    if (!entries.every(isLiteralEntry)) return { kind: "object", entries };
    const value: Record<string, Json> = {};
    for (const [k, v] of entries) setOwn(value, k, (v as LiteralExpr).value);
    return { kind: "literal", value };
  }

  private string(e: StringLit, scope: Scope): IrExpr {
    // Adjacent text is joined into one part, and a string never holds "". The
    // parts gather in one reused array, counted rather than truncated (which
    // would free its storage), and are copied out at their exact size.
    const parts = this.parts;
    let n = 0;
    let text = "";
    let exprs = 0;
    for (let i = 0; i < e.parts.length; i++) {
      const p = e.parts[i] as StringLit["parts"][number];
      if (p.kind === "Text") {
        text += p.value;
        continue;
      }
      const value = this.ref(p, scope);
      // A statically known value is spliced in as text, the way the runtime
      // renders it: strings as they are, other values as compact JSON.
      if (value.kind === "literal") {
        text += typeof value.value === "string" ? value.value : JSON.stringify(value.value);
      } else if (value.kind === "template") {
        for (const q of value.parts) {
          if (typeof q === "string") {
            text += q;
            continue;
          }
          if (text !== "") parts[n++] = text;
          text = "";
          parts[n++] = q;
          exprs++;
        }
      } else {
        if (text !== "") parts[n++] = text;
        text = "";
        parts[n++] = value;
        exprs++;
      }
    }
    if (exprs === 0) return { kind: "literal", value: text };
    if (text !== "") parts[n++] = text;
    return { kind: "template", parts: parts.slice(0, n) };
  }

  private ref(r: Ref, scope: Scope): IrExpr {
    const name = r.variable.name;
    const path = r.path.map(pathStep);
    const meaning = scope.vars.get(name);
    if (meaning === undefined) {
      throw new Error(
        `lower: \`$${name}\` is not defined; lower() needs a plan that checked without errors`,
      );
    }
    if (typeof meaning === "string") return { kind: "ref", source: "node", name: meaning, path };
    switch (meaning.kind) {
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

/**
 * A map from names to values: open addressing, sized once for the whole plan
 * and keeping each name's hash. A `Map` grows by rehashing, which reads every
 * name again, and a plan's names lie all over a large heap: that was the
 * single costliest line of lowering.
 */
class NameTable<V> {
  private keys: (string | undefined)[];
  private hashes: Int32Array;
  private values: (V | undefined)[];
  private size = 0;

  constructor(expected: number) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.keys = new Array<string | undefined>(capacity).fill(undefined);
    this.hashes = new Int32Array(capacity);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
  }

  get(name: string): V | undefined {
    const hash = hashName(name);
    const mask = this.keys.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const key = this.keys[i];
      if (key === undefined) return undefined;
      if (this.hashes[i] === hash && key === name) return this.values[i];
    }
  }

  set(name: string, value: V): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const hash = hashName(name);
    const mask = this.keys.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const key = this.keys[i];
      if (key === undefined) {
        this.keys[i] = name;
        this.hashes[i] = hash;
        this.values[i] = value;
        this.size++;
        return;
      }
      if (this.hashes[i] === hash && key === name) {
        this.values[i] = value;
        return;
      }
    }
  }

  /** Doubles the capacity, placing entries by their kept hashes (names are not read). */
  private grow(): void {
    const { keys, hashes, values } = this;
    const capacity = keys.length * 2;
    const mask = capacity - 1;
    this.keys = new Array<string | undefined>(capacity).fill(undefined);
    this.hashes = new Int32Array(capacity);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    for (let j = 0; j < keys.length; j++) {
      if (keys[j] === undefined) continue;
      const hash = hashes[j] as number;
      let i = hash & mask;
      while (this.keys[i] !== undefined) i = (i + 1) & mask;
      this.keys[i] = keys[j];
      this.hashes[i] = hash;
      this.values[i] = values[j];
    }
  }
}

/** FNV-1a over the UTF-16 code units. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h;
}

function isLiteral(e: IrExpr): e is LiteralExpr {
  return e.kind === "literal";
}

function isLiteralEntry(entry: [string, IrExpr]): boolean {
  return entry[1].kind === "literal";
}

function literalValue(e: IrExpr): Json {
  return (e as LiteralExpr).value;
}

function pathStep(a: Ref["path"][number]): PathStep {
  return a.kind === "Field" ? a.name : a.index;
}

/** `expr` followed by `path`, resolved statically as far as `expr` is known. */
function selectPath(expr: IrExpr, path: readonly PathStep[]): IrExpr {
  let cur = expr;
  for (let i = 0; i < path.length; i++) {
    const step = path[i] as PathStep;
    switch (cur.kind) {
      case "ref":
        return {
          kind: "ref",
          source: cur.source,
          name: cur.name,
          path: cur.path.concat(path.slice(i)),
        };
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
