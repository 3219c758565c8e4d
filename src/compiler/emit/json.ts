// The IR as JSON text: the same graph always prints the same bytes, whatever
// order its objects' keys were built in.
import type { CallNode, IrExpr, Json, PlanGraph, PlanInput, PlanNode, Span } from "../ir.js";
import { setOwn } from "../ir-walk.js";

/** Two-space indented JSON with a fixed key order and a trailing newline. */
export function toJson(graph: PlanGraph): string {
  return `${JSON.stringify(orderGraph(graph), null, 2)}\n`;
}

type Ordered = { [key: string]: unknown };

/** Builds an object from entries in the given order, leaving out undefined values. */
function obj(entries: [string, unknown][]): Ordered {
  const out: Ordered = {};
  for (const [k, v] of entries) if (v !== undefined) setOwn(out, k, v);
  return out;
}

function orderGraph(g: PlanGraph): Ordered {
  return obj([
    ["version", g.version],
    ["source", g.source],
    ["inputs", g.inputs.map(orderInput)],
    ["nodes", g.nodes.map(orderNode)],
    ["output", orderExpr(g.output)],
  ]);
}

function orderInput(i: PlanInput): Ordered {
  return obj([
    ["name", i.name],
    ["type", i.type],
    ["default", i.default],
    ["span", orderSpan(i.span)],
  ]);
}

function orderNode(n: PlanNode): Ordered {
  if (n.kind === "call") return orderCall(n);
  return obj([
    ["id", n.id],
    ["kind", n.kind],
    ["binding", n.binding],
    ["item", n.item],
    ["over", orderExpr(n.over)],
    [
      "body",
      obj([
        ["nodes", n.body.nodes.map(orderCall)],
        ["output", orderExpr(n.body.output)],
      ]),
    ],
    ["deps", n.deps],
    ["span", orderSpan(n.span)],
  ]);
}

function orderCall(n: CallNode): Ordered {
  return obj([
    ["id", n.id],
    ["kind", n.kind],
    ["binding", n.binding],
    ["tool", n.tool],
    [
      "args",
      obj([
        ["positional", n.args.positional.map(orderExpr)],
        // Named arguments keep their source order: it is the order the plan's author wrote.
        ["named", obj(Object.entries(n.args.named).map(([k, v]) => [k, orderExpr(v)]))],
      ]),
    ],
    ["deps", n.deps],
    ["statement", n.statement],
    ["span", orderSpan(n.span)],
  ]);
}

function orderExpr(e: IrExpr): Ordered {
  switch (e.kind) {
    case "literal":
      return obj([
        ["kind", e.kind],
        ["value", e.value as Json],
      ]);
    case "ref":
      return obj([
        ["kind", e.kind],
        ["source", e.source],
        ["name", e.name],
        ["path", e.path],
      ]);
    case "template":
      return obj([
        ["kind", e.kind],
        ["parts", e.parts.map((p) => (typeof p === "string" ? p : orderExpr(p)))],
      ]);
    case "list":
      return obj([
        ["kind", e.kind],
        ["items", e.items.map(orderExpr)],
      ]);
    case "object":
      return obj([
        ["kind", e.kind],
        ["entries", e.entries.map(([k, v]) => [k, orderExpr(v)])],
      ]);
  }
}

function orderSpan(s: Span | undefined): Ordered | undefined {
  if (s === undefined) return undefined;
  const point = (p: Span["start"]) =>
    obj([
      ["line", p.line],
      ["column", p.column],
      ["offset", p.offset],
    ]);
  return obj([
    ["start", point(s.start)],
    ["end", point(s.end)],
  ]);
}
