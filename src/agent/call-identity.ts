// ## Which statement of a plan a call is
// The memo reuses a call across the plans of one ask (stream prefixes, the
// full plan, repairs, replans), but two statements of ONE plan that make the
// same call are two calls, as `run()` makes them: `report.write("x")` written
// twice writes twice, `time.now()` twice reads the clock twice. So the memo
// keys a call by (tool, arguments, ordinal), where the ordinal tells apart the
// statements of a plan that look the same.
//
// The ordinal is read from the plan, not from the order calls arrive in, so
// every prefix of a stream and every repair gives a statement the same one:
// the calls of a plan are walked in node order (the order they are written
// in, nested calls first), and a call's ordinal is how many earlier calls
// have the same shape: the same tool and the same argument expressions, a
// reference compared by the shape of what it names, never by its binding (a
// repair that renames `$a` to `$page` still reuses the call). A `pure` tool
// has no ordinal: its identical calls merge freely (as `mergePure` merges
// them in one plan).
import type { IrExpr, PlanGraph, PlanNode } from "../compiler/ir.js";
import { canonicalJson } from "../runtime/hash.js";

/**
 * Node id -> ordinal for every call of the plan (`each` body calls by their
 * body id), except the calls of pure tools.
 */
export function callOrdinals(
  graph: PlanGraph,
  isPure: (tool: string) => boolean,
): Map<string, number> {
  const byId = new Map<string, PlanNode>();
  for (const node of graph.nodes) {
    byId.set(node.id, node);
    if (node.kind === "each") for (const b of node.body.nodes) byId.set(b.id, b);
  }
  /** Node id -> its shape's number: a reference embeds the number, not the text, so shapes stay short down a chain. */
  const shapes = new Map<string, string>();
  const interned = new Map<string, string>();
  const shapeOf = (id: string): string => {
    let shape = shapes.get(id);
    if (shape !== undefined) return shape;
    const node = byId.get(id);
    // A reference the graph does not hold (it validated, so it should not happen): its id is its shape.
    if (node === undefined) return `?${id}`;
    // Set first: a cycle (validation rejects them) must not recurse forever.
    shapes.set(id, `?${id}`);
    shape =
      node.kind === "call"
        ? JSON.stringify([
            "call",
            node.tool,
            node.args.positional.map(exprShape),
            Object.entries(node.args.named)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([k, e]) => [k, exprShape(e)]),
          ])
        : JSON.stringify([
            "each",
            exprShape(node.over),
            node.body.nodes.map((b) => shapeOf(b.id)),
            exprShape(node.body.output),
          ]);
    let number = interned.get(shape);
    if (number === undefined) interned.set(shape, (number = `#${interned.size}`));
    shapes.set(id, number);
    return number;
  };
  const exprShape = (e: IrExpr): unknown => {
    switch (e.kind) {
      case "literal":
        return ["lit", canonicalJson(e.value)];
      case "ref":
        return ["ref", e.source === "node" ? shapeOf(e.name) : `${e.source}:${e.name}`, e.path];
      case "template":
        return ["tpl", e.parts.map((p) => (typeof p === "string" ? p : exprShape(p)))];
      case "list":
        return ["list", e.items.map(exprShape)];
      case "object":
        return ["obj", e.entries.map(([k, v]) => [k, exprShape(v)])];
    }
  };

  const ordinals = new Map<string, number>();
  const seen = new Map<string, number>();
  const visit = (id: string, tool: string) => {
    if (isPure(tool)) return;
    const shape = shapeOf(id);
    const n = seen.get(shape) ?? 0;
    seen.set(shape, n + 1);
    ordinals.set(id, n);
  };
  for (const node of graph.nodes) {
    if (node.kind === "call") visit(node.id, node.tool);
    else for (const b of node.body.nodes) visit(b.id, b.tool);
  }
  return ordinals;
}

/** The plan node a runtime call came from: an `each` element's call `n3.1[2]` is body node `n3.1`. */
export function planNodeId(runtimeId: string): string {
  const at = runtimeId.indexOf("[");
  return at === -1 ? runtimeId : runtimeId.slice(0, at);
}
