// Merging identical calls of pure tools: `f(g(1))` written twice runs `g` and
// `f` once each. Nodes are visited in dependency order and references are
// rewritten as merges happen, so a call whose arguments became identical
// through an earlier merge is merged in turn.
//
// The result shares with the input every node, expression and deps list that
// no merge changes: on a plan with few merges, copying it all would be most
// of the work (and of the garbage).
import type { CallNode, IrArgs, IrExpr, PlanGraph, PlanNode } from "../ir.js";
import {
  inDependencyOrder,
  isSortedUnique,
  setOwn,
  sortedIds,
  sortUniqueIds,
  topologicalOrder,
} from "../ir-walk.js";
import type { ToolSet } from "../tool.js";

/**
 * Returns a new graph where every call of a tool marked `pure` that repeats
 * an earlier call (same tool, structurally identical arguments) is gone and
 * every reference to it names the earlier node, which keeps its id, binding
 * and span (and becomes a statement if any merged call was one). Calls inside
 * an `each` body merge with calls of the same body only. Deps lists come out
 * sorted and without duplicates. The input is not changed. A cyclic graph is
 * returned unchanged (validate it first).
 */
export function mergePure(graph: PlanGraph, tools: ToolSet): PlanGraph {
  const isPure = (n: CallNode) => tools.get(n.tool)?.pure === true;
  /** Merged node id -> the id of the node it merged into. */
  const replaced = new Map<string, string>();
  const rewrite = (e: IrExpr): IrExpr => (replaced.size === 0 ? e : rewriteRefs(e, replaced));

  /** Merges within one list of nodes; returns the survivors, in their original order. */
  const mergeList = <N extends PlanNode>(
    nodes: readonly N[],
    visit: (n: N) => N,
  ): N[] | undefined => {
    // A list from `lower` is in dependency order already, and most lists come from `lower`.
    const ordered = inDependencyOrder(nodes, true);
    const order = ordered ? nodes : (topologicalOrder(nodes) as N[] | undefined);
    if (order === undefined) return undefined;
    const survivors: N[] = [];
    /** Hash of a pure call -> where in `survivors` the first calls with that hash are. */
    const seen = new Map<number, number | number[]>();
    const find = (bucket: number | number[] | undefined, call: CallNode): number | undefined => {
      if (typeof bucket === "number")
        return sameCall(survivors[bucket] as CallNode, call) ? bucket : undefined;
      return bucket?.find((at) => sameCall(survivors[at] as CallNode, call));
    };
    for (let i = 0; i < order.length; i++) {
      const node = visit(order[i] as N);
      if (node.kind === "call" && isPure(node)) {
        const hash = callHash(node);
        const bucket = seen.get(hash);
        const at = find(bucket, node);
        if (at !== undefined) {
          const first = survivors[at] as N & CallNode;
          replaced.set(node.id, first.id);
          // A copy, not an assignment: `first` may be the caller's node.
          if (node.statement === true && first.statement !== true)
            survivors[at] = { ...first, statement: true };
          continue;
        }
        if (bucket === undefined) seen.set(hash, survivors.length);
        else if (typeof bucket === "number") seen.set(hash, [bucket, survivors.length]);
        else bucket.push(survivors.length);
      }
      survivors.push(node);
    }
    if (ordered) return survivors;
    // Back to the original order; a later node with the same id wins, as it always has.
    const byId = new Map<string, N>();
    for (const s of survivors) byId.set(s.id, s);
    return nodes.flatMap((n) => {
      const s = byId.get(n.id);
      return s === undefined ? [] : [s];
    });
  };

  const visitCall = (n: CallNode): CallNode => {
    const args = replaced.size === 0 ? n.args : rewriteArgs(n.args, rewrite);
    const deps = rewriteDeps(n.deps, replaced);
    return args === n.args && deps === n.deps ? n : { ...n, args, deps };
  };
  let bodyCyclic = false;
  const nodes = mergeList<PlanNode>(graph.nodes, (n) => {
    if (n.kind === "call") return visitCall(n);
    const merged = mergeList(n.body.nodes, visitCall);
    if (merged === undefined) bodyCyclic = true;
    const body = merged ?? n.body.nodes;
    const over = rewrite(n.over);
    const output = rewrite(n.body.output);
    const deps = rewriteDeps(n.deps, replaced);
    if (over === n.over && output === n.body.output && deps === n.deps && same(body, n.body.nodes))
      return n;
    return { ...n, over, body: { nodes: body, output }, deps };
  });
  if (nodes === undefined || bodyCyclic) return graph;
  return { ...graph, nodes, output: rewrite(graph.output) };
}

function same<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `deps` renamed through `replaced`, sorted, without duplicates; `deps` itself when it already is. */
function rewriteDeps(deps: string[], replaced: ReadonlyMap<string, string>): string[] {
  let renamed = false;
  if (replaced.size > 0) {
    for (let i = 0; i < deps.length && !renamed; i++) renamed = replaced.has(deps[i] as string);
  }
  if (!renamed) return isSortedUnique(deps) ? deps : sortedIds(deps);
  return sortUniqueIds(deps.map((d) => replaced.get(d) ?? d));
}

/** `args` with its expressions rewritten; `args` itself when none changed. */
function rewriteArgs(args: IrArgs, rewrite: (e: IrExpr) => IrExpr): IrArgs {
  let positional: IrExpr[] | undefined;
  for (let i = 0; i < args.positional.length; i++) {
    const e = args.positional[i] as IrExpr;
    const r = rewrite(e);
    if (r === e) continue;
    positional ??= args.positional.slice();
    positional[i] = r;
  }
  let namedChanged = false;
  for (const k in args.named) {
    if (!Object.hasOwn(args.named, k)) continue;
    const e = args.named[k] as IrExpr;
    if (rewrite(e) !== e) {
      namedChanged = true;
      break;
    }
  }
  if (positional === undefined && !namedChanged) return args;
  let named = args.named;
  if (namedChanged) {
    named = {};
    for (const [k, v] of Object.entries(args.named)) setOwn(named, k, rewrite(v));
  }
  return { positional: positional ?? args.positional, named };
}

/**
 * `expr` with every reference to a merged node renamed; `expr` itself (not a
 * copy) when it has none, and likewise for each unchanged sub-expression.
 */
function rewriteRefs(expr: IrExpr, replaced: ReadonlyMap<string, string>): IrExpr {
  switch (expr.kind) {
    case "literal":
      return expr;
    case "ref": {
      const to = expr.source === "node" ? replaced.get(expr.name) : undefined;
      return to === undefined ? expr : { ...expr, name: to };
    }
    case "template": {
      let parts: (string | IrExpr)[] | undefined;
      for (let i = 0; i < expr.parts.length; i++) {
        const p = expr.parts[i] as string | IrExpr;
        if (typeof p === "string") continue;
        const r = rewriteRefs(p, replaced);
        if (r === p) continue;
        parts ??= expr.parts.slice();
        parts[i] = r;
      }
      return parts === undefined ? expr : { kind: "template", parts };
    }
    case "list": {
      let items: IrExpr[] | undefined;
      for (let i = 0; i < expr.items.length; i++) {
        const item = expr.items[i] as IrExpr;
        const r = rewriteRefs(item, replaced);
        if (r === item) continue;
        items ??= expr.items.slice();
        items[i] = r;
      }
      return items === undefined ? expr : { kind: "list", items };
    }
    case "object": {
      let entries: [string, IrExpr][] | undefined;
      for (let i = 0; i < expr.entries.length; i++) {
        const [k, v] = expr.entries[i] as [string, IrExpr];
        const r = rewriteRefs(v, replaced);
        if (r === v) continue;
        entries ??= expr.entries.slice();
        entries[i] = [k, r];
      }
      return entries === undefined ? expr : { kind: "object", entries };
    }
  }
}

// ## Call identity
//
// Two calls are the same when their tools and arguments are: named arguments
// as a record (key order aside), expressions structurally, literal values as
// their JSON text (so `-0` is `0`). Calls are bucketed by a hash that
// identical calls share, then compared; no key strings are built.

function sameCall(a: CallNode, b: CallNode): boolean {
  if (!sameJson(a.tool, b.tool)) return false;
  const pa = a.args.positional;
  const pb = b.args.positional;
  if (pa.length !== pb.length) return false;
  for (let i = 0; i < pa.length; i++) if (!sameExpr(pa[i] as IrExpr, pb[i] as IrExpr)) return false;
  const na = a.args.named;
  const nb = b.args.named;
  let count = 0;
  for (const k in na) {
    if (!Object.hasOwn(na, k)) continue;
    if (!Object.hasOwn(nb, k) || !sameExpr(na[k] as IrExpr, nb[k] as IrExpr)) return false;
    count++;
  }
  for (const k in nb) if (Object.hasOwn(nb, k)) count--;
  return count === 0;
}

function sameExpr(a: IrExpr, b: IrExpr): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return !isExpr(a) && !isExpr(b);
  switch (a.kind) {
    case "literal":
      return sameJson(a.value, (b as typeof a).value);
    case "ref": {
      const r = b as typeof a;
      return sameJson(a.source, r.source) && sameJson(a.name, r.name) && sameJson(a.path, r.path);
    }
    case "template": {
      const parts = (b as typeof a).parts;
      if (a.parts.length !== parts.length) return false;
      for (let i = 0; i < parts.length; i++) {
        const x = a.parts[i] as string | IrExpr;
        const y = parts[i] as string | IrExpr;
        if (typeof x === "string" || typeof y === "string") {
          if (x !== y) return false;
        } else if (!sameExpr(x, y)) return false;
      }
      return true;
    }
    case "list": {
      const items = (b as typeof a).items;
      if (a.items.length !== items.length) return false;
      for (let i = 0; i < items.length; i++)
        if (!sameExpr(a.items[i] as IrExpr, items[i] as IrExpr)) return false;
      return true;
    }
    case "object": {
      const entries = (b as typeof a).entries;
      if (a.entries.length !== entries.length) return false;
      for (let i = 0; i < entries.length; i++) {
        const [k, v] = a.entries[i] as [string, IrExpr];
        const [l, w] = entries[i] as [string, IrExpr];
        if (!sameJson(k, l) || !sameExpr(v, w)) return false;
      }
      return true;
    }
  }
  return true;
}

const EXPR_KINDS = new Set(["literal", "ref", "template", "list", "object"]);

/** False for something in an expression's place that is none (a graph that skipped validation). */
function isExpr(e: IrExpr): boolean {
  return EXPR_KINDS.has(e.kind);
}

/** Whether `a` and `b` have the same JSON text (as elements of an array). */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === "string" && typeof b === "string") return a === b;
  if (typeof a === "number" && typeof b === "number" && Number.isFinite(a) && Number.isFinite(b))
    return a === b;
  if (typeof a === "boolean" && typeof b === "boolean") return a === b;
  if (Array.isArray(a) && Array.isArray(b)) {
    // Elements of arrays, so that `undefined` is compared as the `null` JSON writes.
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  return json(a) === json(b);
}

/** JSON text of a value as an array element: what JSON.stringify omits is `null` there. */
function json(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

// ### Hashes: `sameCall(a, b)` implies `callHash(a) === callHash(b)`.

const FNV_PRIME = 0x01000193;
const SEED = 0x811c9dc5;

function mix(h: number, x: number): number {
  return Math.imul(h ^ x, FNV_PRIME);
}

function hashString(s: string, h: number): number {
  h = mix(h, s.length);
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
  return h;
}

function callHash(n: CallNode): number {
  let h = hashJson(n.tool, SEED);
  const positional = n.args.positional;
  h = mix(h, positional.length);
  for (let i = 0; i < positional.length; i++) h = hashExpr(positional[i] as IrExpr, h);
  // Named arguments are a record: their hashes are summed, which ignores key order.
  const named = n.args.named;
  let sum = 0;
  for (const k in named) {
    if (Object.hasOwn(named, k))
      sum = (sum + hashExpr(named[k] as IrExpr, hashString(k, SEED))) | 0;
  }
  return mix(h, sum);
}

function hashExpr(e: IrExpr, h: number): number {
  switch (e.kind) {
    case "literal":
      return hashJson(e.value, mix(h, 1));
    case "ref":
      return hashJson(e.path, hashJson(e.name, hashJson(e.source, mix(h, 2))));
    case "template":
      h = mix(mix(h, 3), e.parts.length);
      for (const p of e.parts)
        h = typeof p === "string" ? hashString(p, mix(h, 6)) : hashExpr(p, h);
      return h;
    case "list":
      h = mix(mix(h, 4), e.items.length);
      for (const item of e.items) h = hashExpr(item, h);
      return h;
    case "object":
      h = mix(mix(h, 5), e.entries.length);
      for (const [k, v] of e.entries) h = hashExpr(v, hashJson(k, h));
      return h;
  }
  return mix(h, 0);
}

/** A hash of a value's JSON text, without writing it for strings, numbers and arrays. */
function hashJson(v: unknown, h: number): number {
  switch (typeof v) {
    case "string":
      return hashString(v, mix(h, 11));
    case "number":
      if (!Number.isFinite(v)) return mix(h, 10);
      // Integers (and -0, which is written `0`) directly; other numbers by their text.
      return v === (v | 0) ? mix(mix(h, 12), v | 0) : hashString(String(v), mix(h, 13));
    case "boolean":
      return mix(h, v ? 14 : 15);
    case "object":
      if (v === null) return mix(h, 10);
      if (Array.isArray(v)) {
        h = mix(mix(h, 16), v.length);
        for (let i = 0; i < v.length; i++) h = hashJson(v[i], h);
        return h;
      }
      return hashString(json(v), mix(h, 17));
    default:
      // undefined, functions and symbols are written `null`; a bigint throws, as in JSON.
      if (typeof v === "bigint") json(v);
      return mix(h, 10);
  }
}
