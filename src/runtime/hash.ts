// Identity of a tool call for the journal: the tool and its arguments, with
// object keys sorted so that `{a, b}` and `{b, a}` are the same call.
//
// The arguments hashed are the evaluated ones, before the tool's schema
// parses them: a schema may transform them into values JSON cannot tell
// apart (every Set is `{}`) or cannot write at all (BigInt).
import { setOwn } from "../compiler/ir-walk.js";
import { createHash } from "node:crypto";

/** Arguments that have no faithful JSON form, so no journal key. */
export class UnhashableError extends Error {
  override readonly name = "UnhashableError";
}

/**
 * JSON with the keys of every object sorted; `undefined` members are dropped
 * as JSON does. Throws UnhashableError for a value JSON would drop or
 * blur into another: a function, symbol, BigInt, non-finite number, Map, Set.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, sortKeys) ?? "null";
}

function sortKeys(key: string, value: unknown): unknown {
  const problem = unhashable(value);
  if (problem !== undefined) {
    const at = key === "" ? "" : ` (at \`${key}\`)`;
    throw new UnhashableError(`${problem}${at} has no JSON form to key the journal with`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort())
    setOwn(sorted, k, (value as Record<string, unknown>)[k]);
  return sorted;
}

/** What is wrong with `value` as part of a key, or undefined when nothing is. */
function unhashable(value: unknown): string | undefined {
  switch (typeof value) {
    case "bigint":
      return "a BigInt";
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
    case "number":
      return Number.isFinite(value) ? undefined : `the number ${value}`;
    case "object":
      if (value instanceof Map) return "a Map";
      if (value instanceof Set) return "a Set";
      if (value instanceof WeakMap || value instanceof WeakSet) return "a weak collection";
      return undefined;
    default:
      return undefined;
  }
}

/**
 * sha256 (hex) of the tool name and the canonical JSON of its arguments.
 * Throws UnhashableError (see `canonicalJson`).
 */
export function hashArgs(tool: string, args: unknown): string {
  return createHash("sha256")
    .update(tool)
    .update("\u0000")
    .update(canonicalJson(args))
    .digest("hex");
}
