// Loads a tools module (JS or TS) whose default export is an array of tools.
// Plain objects work, so a tools file needs nothing but zod, or nothing at
// all when its signatures are JSON Schema or OpenAI function definitions.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { existsSync } from "node:fs";
import type { AnyTool } from "../compiler/tool.js";
import { isJsonSchemaToolShape, jsonSchemaTool } from "../tools/json-schema.js";
import { isToolName } from "../parser/names.js";
import { UsageError } from "./io.js";

function isZodObject(v: unknown): boolean {
  const def = (v as { _zod?: { def?: { type?: unknown } } } | null)?._zod?.def;
  return def?.type === "object";
}

function isZodSchema(v: unknown): boolean {
  return typeof v === "object" && v !== null && "_zod" in v;
}

/** Checks one entry of a tools module and says exactly what is wrong with it. */
function validateTool(value: unknown, where: string): AnyTool {
  if (typeof value !== "object" || value === null)
    throw new UsageError(`${where} is not an object`);
  const t = value as Record<string, unknown>;
  if (isJsonSchemaToolShape(t)) {
    try {
      return jsonSchemaTool(t as unknown as Parameters<typeof jsonSchemaTool>[0]);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new UsageError(message.startsWith("tool `") ? message : `${where}: ${message}`);
    }
  }
  if (typeof t["name"] !== "string" || !isToolName(t["name"])) {
    const given = typeof t["name"] === "string" ? ` (not ${JSON.stringify(t["name"])})` : "";
    throw new UsageError(`${where} needs a \`name\` like \`search\` or \`web.search\`${given}`);
  }
  const name = t["name"];
  if (!isZodObject(t["input"]))
    throw new UsageError(
      `tool \`${name}\`: \`input\` must be a zod object schema (z.object({...})), or give \`inputSchema\` as JSON Schema`,
    );
  if (t["output"] !== undefined && !isZodSchema(t["output"])) {
    throw new UsageError(`tool \`${name}\`: \`output\` must be a zod schema`);
  }
  if (t["run"] !== undefined && typeof t["run"] !== "function")
    throw new UsageError(`tool \`${name}\`: \`run\` must be a function`);
  return value as AnyTool;
}

export async function loadTools(modulePath: string, cwd: string): Promise<AnyTool[]> {
  const file = resolve(cwd, modulePath);
  if (!existsSync(file)) throw new UsageError(`cannot load tools from ${modulePath}: no such file`);
  let mod: Record<string, unknown>;
  try {
    const url = pathToFileURL(file).href;
    if (/\.[cm]?tsx?$/.test(file)) {
      // A global, temporary hook rather than tsx's namespaced import: modules
      // the CLI already loaded (zod, weft itself) are reused, not loaded twice.
      // The CommonJS hook too: in a package without `"type": "module"` a .ts
      // file is CommonJS, and Node would otherwise fail with "require() ... in a cycle".
      const { register } = await import("tsx/esm/api");
      const { register: registerCjs } = await import("tsx/cjs/api");
      const unregister = register();
      const unregisterCjs = registerCjs();
      try {
        mod = (await import(url)) as Record<string, unknown>;
      } finally {
        unregisterCjs();
        await unregister();
      }
    } else {
      mod = (await import(url)) as Record<string, unknown>;
    }
  } catch (e) {
    const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new UsageError(`cannot load tools from ${modulePath}: ${message}`);
  }
  let list = mod["default"] ?? mod["tools"];
  // A CommonJS-style `module.exports = [...]` arrives as default.default under some loaders.
  if (
    list !== null &&
    typeof list === "object" &&
    !Array.isArray(list) &&
    Array.isArray((list as { default?: unknown }).default)
  ) {
    list = (list as { default: unknown }).default;
  }
  if (!Array.isArray(list)) {
    throw new UsageError(`tools module ${modulePath} must \`export default\` an array of tools`);
  }
  const tools = list.map((t, i) => validateTool(t, `tool #${i + 1} of ${modulePath}`));
  const seen = new Set<string>();
  for (const t of tools) {
    if (seen.has(t.name))
      throw new UsageError(`tools module ${modulePath} defines \`${t.name}\` twice`);
    seen.add(t.name);
  }
  return tools;
}
