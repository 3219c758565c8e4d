// Evaluating IR expressions against what a run knows: node results, plan
// inputs and, inside an `each` body, the current element. Tool results are
// data of any shape, so every field and index access is checked here: the
// checker could only rule out what the output schemas say.
import type { IrExpr, PathStep } from "../compiler/ir.js";
import { setOwn, type RefExpr } from "../compiler/ir-walk.js";

/** Where references find their values. */
export interface EvalEnv {
  /** The result of a finished node (a body-local id inside an `each` body). */
  node(id: string): unknown;
  input(name: string): unknown;
  /** The element of the enclosing `each`. */
  item(name: string): unknown;
  /** How a reference is written in the plan, for messages: `$hits`, `$c`. */
  refName(ref: RefExpr): string;
}

/** A runtime type error of the plan: the message says what was accessed and what was there. */
export class EvalError extends Error {
  override readonly name = "EvalError";
}

export function evaluate(expr: IrExpr, env: EvalEnv): unknown {
  switch (expr.kind) {
    case "literal":
      return expr.value;
    case "ref":
      return evaluateRef(expr, env);
    case "template": {
      let out = "";
      for (const part of expr.parts)
        out += typeof part === "string" ? part : interpolate(evaluate(part, env));
      return out;
    }
    case "list": {
      const out: unknown[] = new Array(expr.items.length);
      for (let i = 0; i < expr.items.length; i++) out[i] = evaluate(expr.items[i] as IrExpr, env);
      return out;
    }
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, value] of expr.entries) setOwn(out, key, evaluate(value, env));
      return out;
    }
  }
}

function evaluateRef(ref: RefExpr, env: EvalEnv): unknown {
  let value =
    ref.source === "node"
      ? env.node(ref.name)
      : ref.source === "input"
        ? env.input(ref.name)
        : env.item(ref.name);
  const path = ref.path;
  for (let i = 0; i < path.length; i++) value = step(value, path[i] as PathStep, ref, i, env);
  return value;
}

function step(value: unknown, key: PathStep, ref: RefExpr, at: number, env: EvalEnv): unknown {
  if (typeof key === "number") {
    if (!Array.isArray(value)) {
      throw new EvalError(
        `cannot index ${written(ref, at, env)} with [${key}]: it is ${describeValue(value)}, not a list`,
      );
    }
    if (key >= value.length) {
      throw new EvalError(
        `index [${key}] is out of range: ${written(ref, at, env)} is ${describeValue(value)}`,
      );
    }
    return value[key] as unknown;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new EvalError(
      `cannot read field \`${key}\` of ${written(ref, at, env)}: it is ${describeValue(value)}, not an object`,
    );
  }
  if (!Object.hasOwn(value, key)) {
    throw new EvalError(
      `no field \`${key}\` in ${written(ref, at, env)} (${describeValue(value)})`,
    );
  }
  return (value as Record<string, unknown>)[key];
}

/** The reference as written up to (not including) path step `upTo`: `$hits[0]`. */
function written(ref: RefExpr, upTo: number, env: EvalEnv): string {
  return `\`${env.refName(ref)}${pathText(ref.path.slice(0, upTo))}\``;
}

export function pathText(path: readonly PathStep[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/** Text for a value inside a string: strings as they are, anything else as compact JSON. */
export function interpolate(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "null";
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    // A cycle or a BigInt: not JSON, but the plan still gets readable text.
    return String(value);
  }
}

/** A short description of a value for error messages: `a string`, `a list of 3`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing (undefined)";
  if (Array.isArray(value))
    return value.length === 0 ? "an empty list" : `a list of ${value.length}`;
  switch (typeof value) {
    case "string":
      return value.length > 40 ? "a string" : `the string ${JSON.stringify(value)}`;
    case "number":
      return `the number ${value}`;
    case "boolean":
      return `${value}`;
    case "object": {
      const keys = Object.keys(value);
      if (keys.length === 0) return "an empty object";
      const shown = keys
        .slice(0, 6)
        .map((k) => `\`${k}\``)
        .join(", ");
      return `an object with ${keys.length > 6 ? `fields ${shown}, ...` : `field${keys.length === 1 ? "" : "s"} ${shown}`}`;
    }
    default:
      return `a ${typeof value}`;
  }
}
