// Tool signatures written in Weft syntax, for people and for models:
//   wiki.fact(title: string, fact: string) -> number | string  # A fact from an article
// The planner prompt, `weft mcp`'s describe_tools and error messages share it.
import type { AnyTool } from "./tool.js";
import { fieldOf, typeFromZod, type ObjectType, type Type } from "./types.js";

/** Deeper types are cut to `...`: a prompt line must stay short. */
const MAX_TYPE_DEPTH = 3;

/** A type as a reader of plans expects it: `list of {title: string, url: string}`. */
export function typeText(t: Type, depth = 0): string {
  switch (t.k) {
    case "literal":
      return JSON.stringify(t.value);
    case "list": {
      const item = typeText(t.item, depth + 1);
      return `list of ${t.item.k === "union" ? `(${item})` : item}`;
    }
    case "object": {
      const names = Object.keys(t.fields);
      if (names.length === 0) return "object";
      if (depth >= MAX_TYPE_DEPTH) return "{...}";
      const fields = names.map((name) => fieldText(t, name, depth + 1));
      return `{${fields.join(", ")}${t.open ? ", ..." : ""}}`;
    }
    case "union":
      return t.options.map((o) => typeText(o, depth + 1)).join(" | ");
    default:
      return t.k;
  }
}

/** `name: type`, or `name?: type` when the field may be left out. */
function fieldText(t: ObjectType, name: string, depth: number): string {
  const field = fieldOf(t, name);
  const type = field === undefined ? "any" : typeText(field.type, depth);
  return `${name}${field?.optional === true ? "?" : ""}: ${type}`;
}

/** Parameters in order, as `name: type` (`name?: type` when it may be left out). */
function parameterList(tool: AnyTool): string {
  const input = typeFromZod(tool.input);
  if (input.k !== "object") return "...";
  return Object.keys(input.fields)
    .map((name) => fieldText(input, name, 1))
    .join(", ");
}

/** One line: `name(params) -> output  # description` (the description's first non-blank line). */
export function toolSignature(tool: AnyTool): string {
  const output = tool.output === undefined ? "any" : typeText(typeFromZod(tool.output));
  const head = `${tool.name}(${parameterList(tool)}) -> ${output}`;
  // MCP servers often start a description with a blank line.
  const description = tool.description
    ?.split("\n")
    .map((line) => line.trim())
    .find((line) => line !== "");
  return description ? `${head}  # ${description}` : head;
}
