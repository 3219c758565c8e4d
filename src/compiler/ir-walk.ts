// Small helpers over the IR shared by lowering, validation, passes and emitters.
import type { CallNode, IrExpr, PlanNode } from "./ir.js";

export type RefExpr = Extract<IrExpr, { kind: "ref" }>;

/**
 * Natural order for node ids, so that `n2` sorts before `n10` and `n3.2`
 * before `n3.10`: deps lists then read in evaluation order.
 */
export function compareIds(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    const xd = /^\d/.test(x);
    const yd = /^\d/.test(y);
    if (xd && yd) {
      // Compare digit runs by value without Number() so huge runs stay exact.
      const xs = x.replace(/^0+(?=\d)/, "");
      const ys = y.replace(/^0+(?=\d)/, "");
      if (xs.length !== ys.length) return xs.length - ys.length;
      if (xs !== ys) return xs < ys ? -1 : 1;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Sorted (natural order), duplicate-free copy of `ids`. */
export function sortedIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort(compareIds);
}

/** Calls `visit` for every reference in `expr`, depth-first, left to right. */
export function forEachRef(expr: IrExpr, visit: (ref: RefExpr) => void): void {
  // Iterative, so a deeply nested graph read from JSON cannot overflow the stack.
  const stack: IrExpr[] = [expr];
  while (stack.length > 0) {
    const e = stack.pop() as IrExpr;
    switch (e.kind) {
      case "ref":
        visit(e);
        break;
      case "literal":
        break;
      case "template":
        for (let i = e.parts.length - 1; i >= 0; i--) {
          const p = e.parts[i];
          if (typeof p !== "string" && p !== undefined) stack.push(p);
        }
        break;
      case "list":
        for (let i = e.items.length - 1; i >= 0; i--) stack.push(e.items[i] as IrExpr);
        break;
      case "object":
        for (let i = e.entries.length - 1; i >= 0; i--)
          stack.push((e.entries[i] as [string, IrExpr])[1]);
        break;
    }
  }
}

/** A copy of `expr` with every reference replaced by `replace(ref)`. */
export function mapRefs(expr: IrExpr, replace: (ref: RefExpr) => IrExpr): IrExpr {
  switch (expr.kind) {
    case "ref":
      return replace(expr);
    case "literal":
      return expr;
    case "template":
      return {
        kind: "template",
        parts: expr.parts.map((p) => (typeof p === "string" ? p : mapRefs(p, replace))),
      };
    case "list":
      return { kind: "list", items: expr.items.map((i) => mapRefs(i, replace)) };
    case "object":
      return { kind: "object", entries: expr.entries.map(([k, v]) => [k, mapRefs(v, replace)]) };
  }
}

/** The argument expressions of a call, positional first, then named in key order. */
export function callArgExprs(node: CallNode): IrExpr[] {
  return [...node.args.positional, ...Object.values(node.args.named)];
}

/** Every expression a node evaluates in the outer scope (for `each`: `over` only). */
export function outerExprs(node: PlanNode): IrExpr[] {
  return node.kind === "call" ? callArgExprs(node) : [node.over];
}

/** Ids of the nodes that `exprs` reference, sorted and without duplicates. */
export function referencedNodeIds(exprs: Iterable<IrExpr>): string[] {
  const ids = new Set<string>();
  for (const e of exprs) {
    forEachRef(e, (r) => {
      if (r.source === "node") ids.add(r.name);
    });
  }
  return sortedIds(ids);
}

/** Sets an own, enumerable property, even for the key `__proto__`. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

/**
 * `nodes` in an order where every node follows its deps (deps naming no node
 * are ignored); undefined when there is a cycle. A list already in that order
 * (as `lower` makes it) comes back as it is.
 */
export function topologicalOrder(nodes: readonly PlanNode[]): PlanNode[] | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  let ordered = true;
  for (const n of nodes) {
    if (n.deps.some((d) => byId.has(d) && !seen.has(d))) {
      ordered = false;
      break;
    }
    seen.add(n.id);
  }
  if (ordered) return [...nodes];

  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const n of nodes) {
    const deps = new Set(n.deps.filter((d) => byId.has(d)));
    pending.set(n.id, deps.size);
    for (const d of deps) {
      const list = dependents.get(d);
      if (list === undefined) dependents.set(d, [n.id]);
      else list.push(n.id);
    }
  }
  const order = nodes.filter((n) => pending.get(n.id) === 0);
  for (let i = 0; i < order.length; i++) {
    for (const id of dependents.get((order[i] as PlanNode).id) ?? []) {
      const left = (pending.get(id) ?? 0) - 1;
      pending.set(id, left);
      if (left === 0) order.push(byId.get(id) as PlanNode);
    }
  }
  return order.length === nodes.length ? order : undefined;
}
