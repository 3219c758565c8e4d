// The plan graph as Graphviz DOT: calls are boxes, inputs parallelograms,
// each `each` a double octagon in a dashed cluster with its body.
import type { PlanGraph } from "../ir.js";
import { isGroup, viewOf } from "./view.js";
import type { Vertex } from "./view.js";

export function toDot(graph: PlanGraph): string {
  const view = viewOf(graph);
  const lines = [
    "digraph plan {",
    "  rankdir=TB;",
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
  ];
  for (const item of view.items) {
    if (!isGroup(item)) {
      lines.push(`  ${vertexLine(item)}`);
      continue;
    }
    lines.push(`  subgraph ${quote(`cluster_${item.each.key}`)} {`);
    lines.push(`    label=${quote(item.label)};`);
    lines.push("    style=dashed;");
    for (const m of item.members) lines.push(`    ${vertexLine(m)}`);
    lines.push("  }");
  }
  for (const e of view.edges) {
    lines.push(`  ${quote(e.from.key)} -> ${quote(e.to.key)}${e.item ? " [style=dashed]" : ""};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

const SHAPES = { input: "parallelogram", call: undefined, each: "doubleoctagon" } as const;

function vertexLine(v: Vertex): string {
  const shape = SHAPES[v.shape];
  return `${quote(v.key)} [label=${quote(v.label)}${shape === undefined ? "" : `, shape=${shape}`}];`;
}

/** A DOT double-quoted string: only `"` and `\` need escaping; line breaks become `\n`. */
export function quote(text: string): string {
  return `"${text.replace(/["\\]/g, "\\$&").replace(/\r\n|\r|\n/g, "\\n")}"`;
}
