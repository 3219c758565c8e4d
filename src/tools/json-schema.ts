// JSON Schema -> zod, for tools described in JSON Schema (MCP servers,
// OpenAI-style function definitions, hand-written tools). zod's own
// `z.fromJSONSchema` does the work; this file first rewrites what it rejects
// (draft-07 `definitions`, draft-04 boolean bounds, OpenAPI `nullable`,
// regexes JavaScript cannot compile, `not`, `if`/`then`, external `$ref`...)
// into something looser, and falls back to an any-value schema for whatever
// still fails. A schema never crashes the checker: at worst a value is
// accepted here and the tool itself rejects it.
import { z } from "zod";
import type { AnyTool, ToolContext, ToolDefinition } from "../compiler/tool.js";
import { isToolName } from "../parser/names.js";
import { argumentName, weftName } from "./names.js";

export type JsonSchema = Record<string, unknown> | boolean;

// ## Rewriting what zod cannot read

const TYPES = new Set(["string", "number", "integer", "boolean", "null", "object", "array"]);

/** Keywords zod does not support, or that only narrow a value: dropped (accept more). */
const DROPPED = [
  "not",
  "if",
  "then",
  "else",
  "dependentSchemas",
  "dependentRequired",
  "dependencies",
  "unevaluatedItems",
  "unevaluatedProperties",
  // Formats are checked by the tool, which knows what it means by them: zod's
  // `date-time` or `uri` are stricter than many servers.
  "format",
  "$schema",
  "$id",
  "$anchor",
  "$dynamicAnchor",
  "$comment",
];

const MAP_KEYWORDS = ["properties", "patternProperties", "$defs"];
const SCHEMA_KEYWORDS = ["additionalProperties", "additionalItems", "contains", "propertyNames"];
const LIST_KEYWORDS = ["anyOf", "oneOf", "allOf", "prefixItems"];
const MAX_DEPTH = 64;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function compiles(pattern: unknown): boolean {
  if (typeof pattern !== "string") return false;
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** What a local `$ref` (`#/$defs/x`, `#/definitions/x`, `#`) points at in `root`. */
function target(root: unknown, ref: string): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let at: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    } catch {
      return false;
    }
    if (!isRecord(at) && !Array.isArray(at)) return undefined;
    if (!Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return isRecord(at) || typeof at === "boolean" ? at : undefined;
}

const UNGUARDED = ["anyOf", "oneOf", "allOf"];

/**
 * Does `ref` lead back to itself without passing through a property or an
 * item (`{ $ref: "#" }`, `{ anyOf: [{ $ref: "#" }] }`)? Such a schema
 * describes nothing, and zod would recurse forever on any value.
 */
function loopsToItself(root: unknown, ref: string): boolean {
  const start = target(root, ref);
  const seen = new Set<unknown>();
  const visit = (node: unknown): boolean => {
    if (!isRecord(node) || seen.has(node)) return false;
    seen.add(node);
    const inner = node["$ref"];
    if (typeof inner === "string")
      return target(root, inner) === start || visit(target(root, inner));
    return UNGUARDED.some((k) => Array.isArray(node[k]) && (node[k] as unknown[]).some(visit));
  };
  return visit(start);
}

/** A copy of `schema` that `z.fromJSONSchema` (draft 2020-12) reads without throwing, as far as can be told. */
export function normalizeJsonSchema(schema: unknown): JsonSchema {
  return rewrite(schema, schema, 0);
}

function rewrite(node: unknown, root: unknown, depth: number): JsonSchema {
  if (typeof node === "boolean") return node;
  if (!isRecord(node) || depth > MAX_DEPTH) return {};
  const ref = node["$ref"];
  if (typeof ref === "string") {
    // Siblings of `$ref` are ignored before 2020-12, and rarely matter after it.
    if (target(root, ref) === undefined || loopsToItself(root, ref)) return {};
    return { $ref: ref.replace(/^#\/definitions\//, "#/$defs/") };
  }
  if (node["$ref"] !== undefined || node["$dynamicRef"] !== undefined) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.includes(key) || key === "definitions" || key === "nullable") continue;
    const next = (v: unknown) => rewrite(v, root, depth + 1);
    if (MAP_KEYWORDS.includes(key)) {
      if (!isRecord(value)) continue;
      const map: Record<string, JsonSchema> = {};
      for (const [name, sub] of Object.entries(value)) {
        if (key === "patternProperties" && !compiles(name)) continue;
        map[name] = next(sub);
      }
      out[key] = map;
    } else if (SCHEMA_KEYWORDS.includes(key)) {
      out[key] = next(value);
    } else if (LIST_KEYWORDS.includes(key)) {
      if (Array.isArray(value) && value.length > 0) out[key] = value.map(next);
    } else if (key === "items") {
      out[key] = Array.isArray(value) ? value.map(next) : next(value);
    } else if (key === "type") {
      const types = (Array.isArray(value) ? value : [value]).filter(
        (t): t is string => typeof t === "string" && TYPES.has(t),
      );
      if (types.length > 0) out[key] = Array.isArray(value) ? types : types[0];
    } else if (key === "pattern") {
      if (compiles(value)) out[key] = value;
    } else if (key === "enum") {
      if (Array.isArray(value) && value.length > 0) out[key] = value;
    } else if (key === "required") {
      if (Array.isArray(value)) out[key] = value.filter((r) => typeof r === "string");
    } else if (key === "exclusiveMinimum" || key === "exclusiveMaximum") {
      // Draft 04: a boolean that makes `minimum` / `maximum` exclusive.
      if (typeof value === "number") out[key] = value;
      else if (value === true) {
        const bound = node[key === "exclusiveMinimum" ? "minimum" : "maximum"];
        if (typeof bound === "number") out[key] = bound;
      }
    } else {
      out[key] = value;
    }
  }
  if (node["exclusiveMinimum"] === true) delete out["minimum"];
  if (node["exclusiveMaximum"] === true) delete out["maximum"];
  // Draft 07's `definitions` live where 2020-12's `$defs` do (refs are rewritten to match).
  if (depth === 0 && isRecord(node["definitions"])) {
    const defs = rewrite({ properties: node["definitions"] }, root, depth + 1);
    out["$defs"] = { ...(defs as { properties: object }).properties, ...(out["$defs"] as object) };
  }
  // OpenAPI's `nullable: true`, common in function definitions.
  if (node["nullable"] === true) return { anyOf: [out, { type: "null" }] };
  return out;
}

// ## Converting

/** Any JSON Schema as a zod schema. Never throws: what cannot be read accepts anything. */
export function zodFromJsonSchema(schema: unknown): z.ZodType {
  const normal = normalizeJsonSchema(schema);
  try {
    return z.fromJSONSchema(normal, { defaultTarget: "draft-2020-12" });
  } catch {
    return isRecord(normal) && isRecord(normal["properties"])
      ? objectByProperty(normal, false)
      : z.unknown();
  }
}

/**
 * A tool's input: always a zod object, whose keys (in `properties` order)
 * are the tool's parameters. Unless `additionalProperties` says otherwise,
 * keys beyond `properties` are rejected, so the checker catches a misspelt
 * argument name (JSON Schema would allow it, and the tool would ignore it).
 */
export function inputFromJsonSchema(schema: unknown): z.ZodObject {
  const normal = asObjectSchema(normalizeJsonSchema(schema ?? {}));
  if (!isRecord(normal)) return z.looseObject({});
  const props = normal["properties"];
  const closed =
    isRecord(props) &&
    Object.keys(props).length > 0 &&
    normal["additionalProperties"] === undefined &&
    normal["patternProperties"] === undefined;
  const top = closed ? { ...normal, additionalProperties: false } : normal;
  let converted: z.ZodType;
  try {
    converted = z.fromJSONSchema(top, { defaultTarget: "draft-2020-12" });
  } catch {
    return isRecord(props) ? objectByProperty(top, closed) : z.looseObject({});
  }
  if (converted instanceof z.ZodObject) return converted;
  // A union or intersection at the top (`anyOf` of objects): no parameter
  // list for the checker, but the values are still validated.
  return z.looseObject({}).superRefine((value, ctx) => {
    const r = converted.safeParse(value);
    if (r.success) return;
    for (const issue of r.error.issues)
      ctx.addIssue({ code: "custom", message: issue.message, path: issue.path, input: value });
  });
}

/**
 * Arguments always arrive as an object, so `properties` without `type`
 * (common in hand-written definitions) or `type: ["object", "null"]` mean an
 * object: otherwise zod reads the schema as any value, or a union, and the
 * tool would show no parameters at all.
 */
function asObjectSchema(schema: JsonSchema): JsonSchema {
  if (!isRecord(schema) || !isRecord(schema["properties"])) return schema;
  const type = schema["type"];
  if (type === undefined || (Array.isArray(type) && type.includes("object")))
    return { ...schema, type: "object" };
  return schema;
}

/** A tool's parameters, renamed where a plan could not write them as `name: value`. */
export interface ToolInput {
  input: z.ZodObject;
  /** The arguments by the names the schema gave them, from the names the plan used. */
  toOriginal: (args: Record<string, unknown>) => Record<string, unknown>;
}

/**
 * Like {@link inputFromJsonSchema}, but parameters whose names are not
 * identifiers (`max-length`, `$filter`) are renamed (`max_length`, `_filter`;
 * `_2` after a name already taken), and `toOriginal` maps a call's
 * arguments back for the tool.
 */
export function toolInputFromJsonSchema(schema: unknown): ToolInput {
  const props = isRecord(schema) ? schema["properties"] : undefined;
  const keys = isRecord(props) ? Object.keys(props) : [];
  if (keys.every((k) => argumentName(k) === k))
    return { input: inputFromJsonSchema(schema), toOriginal: (args) => args };
  const taken = new Set(keys.filter((k) => argumentName(k) === k));
  const original = new Map<string, string>();
  const renamed: Record<string, unknown> = {};
  for (const key of keys) {
    let name = key;
    if (argumentName(key) !== key) {
      name = argumentName(key);
      for (let n = 2; taken.has(name); n++) name = `${argumentName(key)}_${n}`;
      taken.add(name);
      original.set(name, key);
    }
    renamed[name] = (props as Record<string, unknown>)[key];
  }
  const s = schema as Record<string, unknown>;
  const required = Array.isArray(s["required"])
    ? s["required"].map((r) => {
        for (const [name, key] of original) if (key === r) return name;
        return r as unknown;
      })
    : undefined;
  const input = inputFromJsonSchema({
    ...s,
    properties: renamed,
    ...(required === undefined ? {} : { required }),
  });
  const toOriginal = (args: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(args)) {
      Object.defineProperty(out, original.get(name) ?? name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  return { input, toOriginal };
}

/** One property at a time, when the whole schema cannot be converted: what fails accepts anything. */
function objectByProperty(schema: Record<string, unknown>, closed: boolean): z.ZodObject {
  const props = schema["properties"] as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema["required"]) ? schema["required"] : []);
  const defs = schema["$defs"];
  const shape: Record<string, z.ZodType> = {};
  for (const [name, sub] of Object.entries(props)) {
    let field: z.ZodType;
    try {
      const withDefs = isRecord(sub) && defs !== undefined ? { ...sub, $defs: defs } : sub;
      field = z.fromJSONSchema(withDefs, { defaultTarget: "draft-2020-12" });
    } catch {
      field = z.unknown();
    }
    shape[name] = required.has(name) ? field : field.optional();
  }
  return closed ? z.strictObject(shape) : z.looseObject(shape);
}

// ## Tools described in JSON Schema

/** The runtime options a JSON-Schema tool shares with a zod one (pure, effect, timeoutMs...). */
export type ToolOptions = Omit<ToolDefinition, "name" | "description" | "input" | "output" | "run">;
type JsonRun = (args: Record<string, unknown>, ctx: ToolContext) => unknown;

/** A tool whose signature is JSON Schema (`parameters` is accepted for `inputSchema`). */
export interface JsonSchemaToolDefinition extends ToolOptions {
  name: string;
  description?: string;
  inputSchema?: JsonSchema;
  parameters?: JsonSchema;
  outputSchema?: JsonSchema;
  run?: JsonRun;
}

/**
 * An OpenAI-style function definition with its implementation beside it:
 * `{ type: "function", function: { name, description, parameters }, run }`.
 * `name` gives the plan's name for it; by default the function's name with
 * characters a plan name cannot hold replaced by `_` (`get-weather` -> `get_weather`).
 */
export interface FunctionToolDefinition extends ToolOptions {
  type: "function";
  function: { name: string; description?: string; parameters?: JsonSchema; strict?: boolean };
  name?: string;
  outputSchema?: JsonSchema;
  run?: JsonRun;
}

/** An object that is one of the two shapes above rather than a zod tool. */
export function isJsonSchemaToolShape(value: unknown): boolean {
  if (!isRecord(value)) return false;
  if (value["type"] === "function" && isRecord(value["function"])) return true;
  return (
    value["input"] === undefined &&
    (value["inputSchema"] !== undefined || value["parameters"] !== undefined)
  );
}

function checkSchema(value: unknown, what: string): void {
  if (value !== undefined && !isRecord(value) && typeof value !== "boolean")
    throw new TypeError(`\`${what}\` must be a JSON Schema object`);
}

/**
 * A tool from a JSON Schema or OpenAI function definition: the schemas become
 * zod (for the checker and for validating arguments and results); every other
 * field (`pure`, `effect`, `timeoutMs`...) is kept. Throws a TypeError that
 * says what is wrong with a malformed definition.
 */
export function jsonSchemaTool(
  definition: JsonSchemaToolDefinition | FunctionToolDefinition,
): AnyTool {
  if (!isRecord(definition)) throw new TypeError("a tool definition must be an object");
  const d = definition as unknown as Record<string, unknown>;
  let name: unknown;
  let description: unknown;
  let parameters: unknown;
  if (d["type"] === "function") {
    const fn = d["function"];
    if (!isRecord(fn) || typeof fn["name"] !== "string" || fn["name"] === "")
      throw new TypeError("`function.name` must be a string");
    name = d["name"] ?? weftName(fn["name"]);
    description = fn["description"];
    parameters = fn["parameters"];
    checkSchema(parameters, "function.parameters");
  } else {
    name = d["name"];
    description = d["description"];
    parameters = d["inputSchema"] ?? d["parameters"];
    checkSchema(parameters, d["inputSchema"] !== undefined ? "inputSchema" : "parameters");
  }
  if (typeof name !== "string" || !isToolName(name))
    throw new TypeError(
      `needs a \`name\` like \`search\` or \`web.search\`${typeof name === "string" ? ` (not ${JSON.stringify(name)})` : ""}`,
    );
  if (description !== undefined && typeof description !== "string")
    throw new TypeError(`tool \`${name}\`: \`description\` must be a string`);
  checkSchema(d["outputSchema"], "outputSchema");
  if (d["run"] !== undefined && typeof d["run"] !== "function")
    throw new TypeError(`tool \`${name}\`: \`run\` must be a function`);
  const {
    type: _type,
    function: _function,
    inputSchema: _inputSchema,
    parameters: _parameters,
    outputSchema,
    run,
    ...rest
  } = d;
  const { input, toOriginal } = toolInputFromJsonSchema(parameters);
  const jsonRun = run as JsonRun | undefined;
  return {
    ...rest,
    name,
    ...(description === undefined ? {} : { description }),
    input,
    ...(outputSchema === undefined ? {} : { output: zodFromJsonSchema(outputSchema) }),
    // The tool gets its arguments by the names its schema gave them.
    ...(jsonRun === undefined
      ? {}
      : {
          run: (args: Record<string, unknown>, ctx: ToolContext) => jsonRun(toOriginal(args), ctx),
        }),
  } as AnyTool;
}
