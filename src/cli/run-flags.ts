// Parsing `weft run`'s flag values; every mistake is a UsageError (exit 2).
import type { PlanInput } from "../compiler/ir.js";
import { MAX_TIMEOUT_MS } from "../runtime/options.js";
import { UsageError } from "./io.js";

const inputName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `--arg name=value` pairs, values still as text. A leading `$` on the name is
 * allowed; a name given twice is a mistake.
 */
export function parseArgs(pairs: readonly string[]): Record<string, string> {
  // No prototype: `--arg __proto__=x` is an input name like any other (and so an unknown one).
  const args = Object.create(null) as Record<string, string>;
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const name = (eq === -1 ? pair : pair.slice(0, eq)).replace(/^\$/, "");
    if (eq === -1 || !inputName.test(name))
      throw new UsageError(`--arg expects name=value (like --arg city=Paris), got \`${pair}\``);
    if (Object.hasOwn(args, name)) throw new UsageError(`--arg ${name} is given twice`);
    args[name] = pair.slice(eq + 1);
  }
  return args;
}

/**
 * The value of each `--arg`: JSON when it parses as JSON (`n=3`, `xs=[1,2]`,
 * `flag=true`), else the text as it is (`city=Paris`). For an input declared
 * `string` the text is taken as it is unless it is a JSON string literal, so
 * `--arg zip=02134` or `--arg year=1999` stay strings.
 */
export function argValues(
  args: Record<string, string>,
  inputs: readonly PlanInput[],
): Record<string, unknown> {
  const types = new Map(inputs.map((i) => [i.name, i.type]));
  const values = Object.create(null) as Record<string, unknown>;
  for (const [name, text] of Object.entries(args)) {
    const value = jsonOrText(text);
    values[name] = types.get(name) === "string" && typeof value !== "string" ? text : value;
  }
  return values;
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A whole number >= 1, for `--concurrency`. */
export function parsePositiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} expects a whole number of at least 1, got \`${text}\``);
  return n;
}

/** A duration in ms > 0, for `--timeout`; timers cannot wait longer than MAX_TIMEOUT_MS. */
export function parseMs(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} expects a duration in milliseconds (> 0), got \`${text}\``);
  if (n > MAX_TIMEOUT_MS)
    throw new UsageError(
      `${flag} is at most ${MAX_TIMEOUT_MS} ms (about 24.8 days), got \`${text}\``,
    );
  return n;
}
