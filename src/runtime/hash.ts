// Identity of a tool call for the journal: the tool and its arguments, with
// object keys sorted so that `{a, b}` and `{b, a}` are the same call.
import { createHash } from "node:crypto";

/** JSON with the keys of every object sorted; `undefined` members are dropped as JSON does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, sortKeys) ?? "null";
}

function sortKeys(_key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    // defineProperty, so that a `__proto__` key stays data.
    Object.defineProperty(sorted, k, {
      value: (value as Record<string, unknown>)[k],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return sorted;
}

/** sha256 (hex) of the tool name and the canonical JSON of its arguments. */
export function hashArgs(tool: string, args: unknown): string {
  return createHash("sha256")
    .update(tool)
    .update("\u0000")
    .update(canonicalJson(args))
    .digest("hex");
}
