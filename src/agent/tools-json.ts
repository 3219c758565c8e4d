// The registry as the chat API's function tools, for the react and fc
// baselines: JSON Schema from zod 4, and names the API accepts. Function
// names must match ^[a-zA-Z0-9_-]{1,64}$, so `wiki.page` is sent as
// `wiki_page` and mapped back when the model calls it.
import type { ChatCompletionTool } from "openai/resources/chat/completions";
import { z } from "zod";
import type { ToolSet } from "../compiler/tool.js";

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Tool names <-> function names, one-to-one. */
export interface NameMap {
  toFunction: ReadonlyMap<string, string>;
  toTool: ReadonlyMap<string, string>;
}

/**
 * Function names for the tools. Valid names are kept as they are and win;
 * the others are cleaned (`wiki.page` -> `wiki_page`) and given a `_2`, `_3`
 * suffix when the clean name is taken, so two tools never share a name.
 */
export function nameMap(tools: ToolSet): NameMap {
  const toFunction = new Map<string, string>();
  const toTool = new Map<string, string>();
  const names = [...tools.keys()];
  for (const name of names.filter((n) => VALID.test(n))) {
    toFunction.set(name, name);
    toTool.set(name, name);
  }
  for (const name of names.filter((n) => !VALID.test(n))) {
    const clean = name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 60) || "tool";
    let wire = clean;
    for (let i = 2; toTool.has(wire); i++) wire = `${clean}_${i}`;
    toFunction.set(name, wire);
    toTool.set(wire, name);
  }
  return { toFunction, toTool };
}

/** The tools as chat-completions function tools, their parameters from the input schemas. */
export function functionTools(
  tools: ToolSet,
  names: NameMap = nameMap(tools),
): ChatCompletionTool[] {
  return [...tools.values()].map((tool) => ({
    type: "function",
    function: {
      name: names.toFunction.get(tool.name) ?? tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: parametersOf(tool.input),
    },
  }));
}

/**
 * The JSON Schema of what the caller may pass (`io: "input"`: defaulted
 * fields are optional), without the `$schema` key and the safe-integer bounds
 * zod adds to every `.int()`, which no hand-written schema would carry.
 */
function parametersOf(input: z.ZodObject): Record<string, unknown> {
  const schema = z.toJSONSchema(input, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  delete schema["$schema"];
  return clean(schema) as Record<string, unknown>;
}

function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "minimum" && value === Number.MIN_SAFE_INTEGER) continue;
    if (key === "maximum" && value === Number.MAX_SAFE_INTEGER) continue;
    out[key] = clean(value);
  }
  return out;
}
