// Small helpers over the IR shared by lowering, validation, passes and emitters.
import type { IrExpr, PlanNode } from "./ir.js";

export type RefExpr = Extract<IrExpr, { kind: "ref" }>;

/**
 * Natural order for node ids, so that `n2` sorts before `n10` and `n3.2`
 * before `n3.10`: deps lists then read in evaluation order.
 *
 * The ids are compared as runs of ASCII digits and runs of other characters:
 * digit runs by value (then fewer leading zeros first), other runs as
 * strings; when one id runs out of runs first, it sorts first. Scanned in
 * place, without splitting the ids: every node's deps are sorted with it.
 */
export function compareIds(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const aDigits = isDigit(a.charCodeAt(i));
    const bDigits = isDigit(b.charCodeAt(j));
    const aEnd = runEnd(a, i, aDigits);
    const bEnd = runEnd(b, j, bDigits);
    if (aDigits && bDigits) {
      // By value without Number() so huge runs stay exact: skip leading zeros
      // (keeping one digit), then a longer run is larger, then the first difference.
      let x = i;
      let y = j;
      while (x < aEnd - 1 && a.charCodeAt(x) === 48) x++;
      while (y < bEnd - 1 && b.charCodeAt(y) === 48) y++;
      if (aEnd - x !== bEnd - y) return aEnd - x - (bEnd - y);
      for (; x < aEnd; x++, y++) {
        const d = a.charCodeAt(x) - b.charCodeAt(y);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
      if (aEnd - i !== bEnd - j) return aEnd - i - (bEnd - j);
    } else {
      const n = Math.min(aEnd - i, bEnd - j);
      for (let k = 0; k < n; k++) {
        const d = a.charCodeAt(i + k) - b.charCodeAt(j + k);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
      // One run is a prefix of the other: the shorter run sorts first.
      if (aEnd - i !== bEnd - j) return aEnd - i < bEnd - j ? -1 : 1;
    }
    i = aEnd;
    j = bEnd;
  }
  // Every run compared so far was equal: the id with fewer runs sorts first.
  return runCount(a, i) - runCount(b, j);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Where the run of digits (or of non-digits) that starts at `from` ends. */
function runEnd(s: string, from: number, digits: boolean): number {
  let k = from + 1;
  while (k < s.length && isDigit(s.charCodeAt(k)) === digits) k++;
  return k;
}

function runCount(s: string, from: number): number {
  let count = 0;
  for (let k = from; k < s.length; count++) k = runEnd(s, k, isDigit(s.charCodeAt(k)));
  return count;
}

/** Sorted (natural order), duplicate-free copy of `ids`. */
export function sortedIds(ids: Iterable<string>): string[] {
  return sortUniqueIds(Array.isArray(ids) ? ids.slice() : [...ids]);
}

/**
 * Sorts `ids` in place (natural order), drops duplicates and returns it.
 * `compareIds` is 0 only for equal ids, so the duplicates end up adjacent.
 */
export function sortUniqueIds(ids: string[]): string[] {
  if (ids.length < 2) return ids;
  if (ids.length === 2) {
    const c = compareIds(ids[0] as string, ids[1] as string);
    if (c === 0) ids.pop();
    else if (c > 0) ids.reverse();
    return ids;
  }
  ids.sort(compareIds);
  let kept = 1;
  for (let k = 1; k < ids.length; k++) {
    const id = ids[k] as string;
    if (id !== ids[kept - 1]) ids[kept++] = id;
  }
  ids.length = kept;
  return ids;
}

/** Whether `ids` is already sorted (natural order) and duplicate-free. */
export function isSortedUnique(ids: readonly string[]): boolean {
  for (let k = 1; k < ids.length; k++)
    if (compareIds(ids[k - 1] as string, ids[k] as string) >= 0) return false;
  return true;
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

/** The stack of `collectNodeRefs`, kept between calls so that a walk allocates nothing. */
const pending: (IrExpr | undefined)[] = [];

/**
 * Writes the name of every node reference in `expr` into `out` from index
 * `at` on (appending by default), depth-first, left to right, duplicates
 * included, and returns the index after the last one written. `forEachRef`
 * without a callback or allocations: this runs once per lowered call.
 */
export function collectNodeRefs(expr: IrExpr, out: string[], at = out.length): number {
  // A ref or literal needs no stack; most arguments are one of those.
  if (expr.kind === "ref") {
    if (expr.source === "node") out[at++] = expr.name;
    return at;
  }
  if (expr.kind === "literal") return at;
  // Iterative, so a deeply nested graph read from JSON cannot overflow the stack.
  let top = 0;
  pending[top++] = expr;
  while (top > 0) {
    const e = pending[--top] as IrExpr;
    // Cleared, so that the stack does not keep a graph alive.
    pending[top] = undefined;
    switch (e.kind) {
      case "ref":
        if (e.source === "node") out[at++] = e.name;
        break;
      case "literal":
        break;
      case "template":
        for (let i = e.parts.length - 1; i >= 0; i--) {
          const p = e.parts[i];
          if (typeof p !== "string" && p !== undefined) pending[top++] = p;
        }
        break;
      case "list":
        for (let i = e.items.length - 1; i >= 0; i--) pending[top++] = e.items[i];
        break;
      case "object":
        for (let i = e.entries.length - 1; i >= 0; i--)
          pending[top++] = (e.entries[i] as [string, IrExpr])[1];
        break;
    }
  }
  return at;
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
 * Whether every node of `nodes` follows the nodes its deps name (deps naming
 * no node are ignored), as in every list `lower` makes. With `uniqueIds`,
 * also whether no two nodes share an id.
 */
export function inDependencyOrder(nodes: readonly PlanNode[], uniqueIds = false): boolean {
  if (idsIncreaseAndDepsPrecede(nodes)) return true;
  // Where each id first appears: a dep is met in time when it appeared earlier.
  // (Set from the end, so that the first appearance is the one that stays.)
  const first = new Map<string, number>();
  for (let i = nodes.length - 1; i >= 0; i--) first.set((nodes[i] as PlanNode).id, i);
  if (uniqueIds && first.size !== nodes.length) return false;
  for (let i = 0; i < nodes.length; i++) {
    const deps = (nodes[i] as PlanNode).deps;
    for (let j = 0; j < deps.length; j++) {
      const at = first.get(deps[j] as string);
      if (at !== undefined && at >= i) return false;
    }
  }
  return true;
}

/**
 * The cheap sufficient test, without a map of ids, that lists from `lower`
 * pass: ids strictly increasing in natural order (so unique), and every dep
 * sorting before its node's id, so it cannot name that node or a later one.
 */
function idsIncreaseAndDepsPrecede(nodes: readonly PlanNode[]): boolean {
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as PlanNode;
    if (i > 0 && compareIds((nodes[i - 1] as PlanNode).id, node.id) >= 0) return false;
    const deps = node.deps;
    for (let j = 0; j < deps.length; j++)
      if (compareIds(deps[j] as string, node.id) >= 0) return false;
  }
  return true;
}

/**
 * `nodes` in an order where every node follows its deps (deps naming no node
 * are ignored); undefined when there is a cycle. A list already in that order
 * (as `lower` makes it) comes back as it is.
 */
export function topologicalOrder(nodes: readonly PlanNode[]): PlanNode[] | undefined {
  if (inDependencyOrder(nodes)) return [...nodes];

  const byId = new Map(nodes.map((n) => [n.id, n]));
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
