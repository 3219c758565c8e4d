// Dead-node elimination (opt-in). A node stays when the output needs it, when
// it is a call written as a statement, when it calls a tool marked `effect`,
// or when a node that stays depends on it. Inside `each` bodies the same rule
// applies with the body's output as the root.
import type { CallNode, EachNode, PlanGraph, PlanNode } from "../ir.js";
import { collectNodeRefs } from "../ir-walk.js";
import type { ToolSet } from "../tool.js";

/**
 * Returns a new graph without the nodes nothing needs. Without `tools` no
 * call counts as an effect, so only the output and call statements are roots.
 */
export function prune(graph: PlanGraph, tools?: ToolSet): PlanGraph {
  const isEffect = (n: CallNode) => tools?.get(n.tool)?.effect === true;
  const nodes = graph.nodes.map((n) => (n.kind === "each" ? pruneBody(n, isEffect) : n));

  // Roots and needed ids are sets in effect: collected unsorted, with repeats.
  const roots: string[] = [];
  collectNodeRefs(graph.output, roots);
  for (const n of nodes) {
    if (n.kind === "call" ? n.statement === true || isEffect(n) : n.body.nodes.some(isEffect))
      roots.push(n.id);
  }
  const live = reachable(nodes, roots);
  return { ...graph, nodes: nodes.filter((n) => live.has(n.id)) };
}

function pruneBody(each: EachNode, isEffect: (n: CallNode) => boolean): EachNode {
  const body = each.body.nodes;
  const roots: string[] = [];
  collectNodeRefs(each.body.output, roots);
  for (const n of body) if (n.statement === true || isEffect(n)) roots.push(n.id);
  const live = reachable(body, roots);
  if (live.size === body.length) return each;

  const kept = body.filter((n) => live.has(n.id));
  const local = new Set(body.map((n) => n.id));
  // Drop only the outer deps that nothing left in the each uses; any other
  // dep (one a graph from JSON lists for ordering, say) is kept.
  const used: string[] = [];
  collectNodeRefs(each.over, used);
  collectNodeRefs(each.body.output, used);
  const needed = new Set([...used, ...kept.flatMap((n) => n.deps)]);
  const dropped = new Set(
    body.filter((n) => !live.has(n.id)).flatMap((n) => n.deps.filter((d) => !local.has(d))),
  );
  const deps = each.deps.filter((d) => needed.has(d) || !dropped.has(d));
  return { ...each, body: { nodes: kept, output: each.body.output }, deps };
}

/** Ids reachable from `roots` through deps (roots included), among `nodes`. */
function reachable(nodes: readonly PlanNode[], roots: readonly string[]): Set<string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const live = new Set<string>();
  const stack = roots.filter((r) => byId.has(r));
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (live.has(id)) continue;
    live.add(id);
    for (const d of (byId.get(id) as PlanNode).deps) if (byId.has(d) && !live.has(d)) stack.push(d);
  }
  return live;
}
