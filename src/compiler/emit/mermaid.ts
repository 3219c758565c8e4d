// The plan graph as a Mermaid flowchart: calls are rectangles, inputs
// parallelograms, each `each` a hexagon inside a subgraph with its body.
import type { PlanGraph } from "../ir.js";
import { isGroup, viewOf } from "./view.js";
import type { Vertex } from "./view.js";

/** Words Mermaid reads as syntax when they stand as a node id. */
const RESERVED = new Set([
  "end",
  "graph",
  "subgraph",
  "flowchart",
  "direction",
  "style",
  "class",
  "classDef",
  "click",
  "linkStyle",
  "default",
]);

export function toMermaid(graph: PlanGraph): string {
  const view = viewOf(graph);
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  const safe = (key: string): string => {
    const known = ids.get(key);
    if (known !== undefined) return known;
    // Ids may only hold letters, digits and `_`: `n3.1` -> `n3_1`, `$topic` -> `in_topic`.
    let base = key.startsWith("$") ? `in_${key.slice(1)}` : key;
    base = base.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z]/.test(base) || RESERVED.has(base.toLowerCase())) base = `id_${base}`;
    let id = base;
    for (let i = 2; taken.has(id); i++) id = `${base}_${i}`;
    taken.add(id);
    ids.set(key, id);
    return id;
  };

  const lines = ["flowchart TD"];
  const shape = (v: Vertex): string => {
    const label = `"${escapeLabel(v.label)}"`;
    const id = safe(v.key);
    if (v.shape === "input") return `${id}[/${label}/]`;
    if (v.shape === "each") return `${id}{{${label}}}`;
    return `${id}[${label}]`;
  };
  for (const item of view.items) {
    if (!isGroup(item)) {
      lines.push(`  ${shape(item)}`);
      continue;
    }
    lines.push(`  subgraph ${safe(`${item.each.key} body`)} ["${escapeLabel(item.label)}"]`);
    for (const m of item.members) lines.push(`    ${shape(m)}`);
    lines.push("  end");
  }
  for (const e of view.edges)
    lines.push(`  ${safe(e.from.key)} ${e.item ? "-.->" : "-->"} ${safe(e.to.key)}`);
  return `${lines.join("\n")}\n`;
}

/** Mermaid entity codes for the characters that end or reshape a quoted label. */
export function escapeLabel(text: string): string {
  return text
    .replace(/#/g, "#35;")
    .replace(/"/g, "#quot;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/\r\n|\r|\n/g, " ");
}
