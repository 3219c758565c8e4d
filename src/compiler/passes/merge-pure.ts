// Merging identical calls of pure tools: `f(g(1))` written twice runs `g` and
// `f` once each. Nodes are visited in dependency order and references are
// rewritten as merges happen, so a call whose arguments became identical
// through an earlier merge is merged in turn.
import type { CallNode, IrArgs, IrExpr, Json, PlanGraph, PlanNode } from "../ir.js";
import { mapRefs, setOwn, sortedIds, topologicalOrder } from "../ir-walk.js";
import type { ToolSet } from "../tool.js";

/**
 * Returns a new graph where every call of a tool marked `pure` that repeats
 * an earlier call (same tool, structurally identical arguments) is gone and
 * every reference to it names the earlier node, which keeps its id, binding
 * and span (and becomes a statement if any merged call was one). Calls inside
 * an `each` body merge with calls of the same body only. A cyclic graph is
 * returned unchanged (validate it first).
 */
export function mergePure(graph: PlanGraph, tools: ToolSet): PlanGraph {
  const isPure = (n: CallNode) => tools.get(n.tool)?.pure === true;
  const replaced = new Map<string, string>();
  const rewrite = (e: IrExpr): IrExpr =>
    mapRefs(e, (r) => {
      const to = r.source === "node" ? replaced.get(r.name) : undefined;
      return to === undefined ? r : { ...r, name: to };
    });
  const rewriteDeps = (deps: string[]) => sortedIds(deps.map((d) => replaced.get(d) ?? d));

  /** Merges within one list of nodes; returns the survivors, in their original order. */
  const mergeList = <N extends PlanNode>(
    nodes: readonly N[],
    visit: (n: N) => N,
  ): N[] | undefined => {
    const order = topologicalOrder(nodes);
    if (order === undefined) return undefined;
    const seen = new Map<string, CallNode>();
    const survivors = new Map<string, N>();
    for (const original of order as N[]) {
      const node = visit(original);
      if (node.kind === "call" && isPure(node)) {
        const key = callKey(node);
        const first = seen.get(key);
        if (first !== undefined) {
          replaced.set(node.id, first.id);
          if (node.statement === true) first.statement = true;
          continue;
        }
        seen.set(key, node);
      }
      survivors.set(node.id, node);
    }
    return nodes.flatMap((n) => {
      const s = survivors.get(n.id);
      return s === undefined ? [] : [s];
    });
  };

  const visitCall = (n: CallNode): CallNode => ({
    ...n,
    args: rewriteArgs(n.args, rewrite),
    deps: rewriteDeps(n.deps),
  });
  let bodyCyclic = false;
  const nodes = mergeList<PlanNode>(graph.nodes, (n) => {
    if (n.kind === "call") return visitCall(n);
    const body = mergeList(n.body.nodes, visitCall);
    if (body === undefined) bodyCyclic = true;
    return {
      ...n,
      over: rewrite(n.over),
      body: { nodes: body ?? n.body.nodes, output: rewrite(n.body.output) },
      deps: rewriteDeps(n.deps),
    };
  });
  if (nodes === undefined || bodyCyclic) return graph;
  return { ...graph, nodes, output: rewrite(graph.output) };
}

function rewriteArgs(args: IrArgs, rewrite: (e: IrExpr) => IrExpr): IrArgs {
  const named: Record<string, IrExpr> = {};
  for (const [k, v] of Object.entries(args.named)) setOwn(named, k, rewrite(v));
  return { positional: args.positional.map(rewrite), named };
}

/** Identity of a call: tool and arguments, named ones in key order (they are a record). */
function callKey(n: CallNode): string {
  const named = Object.keys(n.args.named)
    .sort()
    .map((k) => [k, n.args.named[k] as IrExpr]);
  return JSON.stringify([
    n.tool,
    n.args.positional.map(exprKey),
    named.map(([k, v]) => [k, exprKey(v as IrExpr)]),
  ]);
}

function exprKey(e: IrExpr): Json {
  switch (e.kind) {
    case "literal":
      return ["l", e.value];
    case "ref":
      return ["r", e.source, e.name, e.path];
    case "template":
      return ["t", e.parts.map((p) => (typeof p === "string" ? p : exprKey(p)))];
    case "list":
      return ["a", e.items.map(exprKey)];
    case "object":
      return ["o", e.entries.map(([k, v]) => [k, exprKey(v)])];
  }
}
