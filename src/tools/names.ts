// Tool names from elsewhere (MCP servers, OpenAI function definitions,
// command lines) turned into names a plan can call: dotted identifiers whose
// parts are not keywords.

import { KEYWORDS } from "../parser/names.js";

/** One part of a dotted name: `[A-Za-z_][A-Za-z0-9_]*`, not a keyword. */
export function identifier(raw: string): string {
  const id = argumentName(raw);
  return KEYWORDS.has(id) ? `${id}_` : id;
}

/** A dotted name whose parts are identifiers: `read-file` -> `read_file`, `a..b` -> `a.b`. */
export function weftName(raw: string): string {
  const parts = raw.split(".").filter((p) => p !== "");
  return parts.length === 0 ? "_" : parts.map(identifier).join(".");
}

/** An argument name a plan can write (`max-length` -> `max_length`); keywords are fine there. */
export function argumentName(raw: string): string {
  let id = raw.replace(/[^A-Za-z0-9_]+/g, "_");
  if (id === "") id = "_";
  return /^[0-9]/.test(id) ? `_${id}` : id;
}
