// What the diagram emitters draw, independent of their syntax: one vertex per
// input, call and `each`, `each` bodies as groups, edges from a value to its users.
import type { CallNode, IrExpr, PlanGraph, PlanInput, PlanNode } from "../ir.js";
import { forEachRef } from "../ir-walk.js";

export interface Vertex {
  /** Unique among the view's vertices: the node id, or `$name` for an input. */
  key: string;
  shape: "input" | "call" | "each";
  label: string;
}

export interface Group {
  /** The `each` node that owns the body. */
  each: Vertex;
  label: string;
  members: Vertex[];
}

export interface Edge {
  from: Vertex;
  to: Vertex;
  /** The item of an `each` flowing into its body. */
  item: boolean;
}

export interface View {
  /** Inputs, then calls and `each` groups in graph order. */
  items: (Vertex | Group)[];
  edges: Edge[];
}

export function viewOf(graph: PlanGraph): View {
  const taken = new Set<string>();
  const unique = (key: string) => {
    // Only a graph from JSON can have a node id like `$x`; a prime keeps the vertices apart.
    let k = key;
    while (taken.has(k)) k += "'";
    taken.add(k);
    return k;
  };
  const outer = new Map<string, Vertex>();
  const local = new Map<string, Vertex>();
  for (const n of graph.nodes) {
    outer.set(n.id, vertex(n, unique(n.id)));
    if (n.kind === "each") for (const b of n.body.nodes) local.set(b.id, vertex(b, unique(b.id)));
  }
  const inputs = new Map(graph.inputs.map((i) => [i.name, vertex(i, unique(`$${i.name}`))]));
  const items: (Vertex | Group)[] = [...inputs.values()];
  const edges: Edge[] = [];

  /** Edges into `to`: from its deps that are drawn, and from the inputs its expressions read. */
  const edgesInto = (
    to: Vertex,
    deps: readonly string[],
    exprs: IrExpr[],
    scope: ReadonlyMap<string, Vertex>,
  ) => {
    for (const d of deps) {
      const from = scope.get(d);
      if (from !== undefined) edges.push({ from, to, item: false });
    }
    const read = new Set<string>();
    for (const e of exprs) forEachRef(e, (r) => r.source === "input" && read.add(r.name));
    for (const name of read) {
      const from = inputs.get(name);
      if (from !== undefined) edges.push({ from, to, item: false });
    }
  };

  for (const n of graph.nodes) {
    const v = outer.get(n.id) as Vertex;
    if (n.kind === "call") {
      items.push(v);
      edgesInto(v, n.deps, argExprs(n), outer);
      continue;
    }
    const members = n.body.nodes.map((b) => local.get(b.id) as Vertex);
    items.push({ each: v, label: `each $${n.item}`, members: [v, ...members] });
    edgesInto(v, n.deps, [n.over], outer);
    // Body calls draw edges from their local deps only: their outer deps are edges into the each.
    const scope = new Map(n.body.nodes.map((b, i) => [b.id, members[i] as Vertex]));
    n.body.nodes.forEach((b, i) => {
      const to = members[i] as Vertex;
      edgesInto(to, b.deps, argExprs(b), scope);
      let usesItem = false;
      for (const e of argExprs(b)) forEachRef(e, (r) => (usesItem ||= r.source === "item"));
      if (usesItem) edges.push({ from: v, to, item: true });
    });
  }
  return { items, edges };
}

function argExprs(n: CallNode): IrExpr[] {
  return [...n.args.positional, ...Object.values(n.args.named)];
}

function vertex(n: PlanInput | PlanNode, key: string): Vertex {
  if (!("kind" in n)) return { key, shape: "input", label: `$${n.name}: ${n.type}` };
  const bound = n.binding === undefined ? "" : `$${n.binding} = `;
  if (n.kind === "call") return { key, shape: "call", label: `${bound}${n.tool}` };
  return { key, shape: "each", label: `${bound}each $${n.item}` };
}

export function isGroup(item: Vertex | Group): item is Group {
  return "members" in item;
}
