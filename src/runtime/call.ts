// One tool call, the parts that do not depend on the scheduler: mapping and
// validating arguments, the context a tool sees, invoking `run` without a
// promise chain, checking the result, and the retry policy.
import type { z } from "zod";
import { setOwn } from "../compiler/ir-walk.js";
import type { AnyTool, ToolContext } from "../compiler/tool.js";
import { pathText } from "./evaluate.js";

export type Checked = { ok: true; value: unknown } | { ok: false; message: string };

// ## Arguments

/**
 * The call's arguments as one object: positional arguments the compiler
 * could not map (it did not know the tool) go to the input schema's keys in
 * order, as the checker maps them.
 */
export function mapArguments(
  tool: AnyTool,
  positional: readonly unknown[],
  named: Record<string, unknown>,
): Checked {
  const shape = shapeOf(tool);
  if (positional.length > 0) {
    const keys = shape === undefined ? [] : Object.keys(shape);
    if (positional.length > keys.length) {
      return {
        ok: false,
        message: `\`${tool.name}\` takes at most ${keys.length} argument${keys.length === 1 ? "" : "s"}, but ${positional.length} were given`,
      };
    }
    for (let i = 0; i < positional.length; i++) {
      const key = keys[i] as string;
      if (Object.hasOwn(named, key)) {
        return { ok: false, message: `argument \`${key}\` of \`${tool.name}\` is given twice` };
      }
      setOwn(named, key, positional[i]);
    }
  }
  // zod strips unknown keys of a plain object silently; the checker calls them errors, so do we.
  if (shape !== undefined && !hasCatchall(tool)) {
    for (const key of Object.keys(named)) {
      if (!Object.hasOwn(shape, key)) {
        return { ok: false, message: `\`${tool.name}\` has no parameter \`${key}\`` };
      }
    }
  }
  return { ok: true, value: named };
}

function shapeOf(tool: AnyTool): Record<string, unknown> | undefined {
  const shape = (tool.input as { shape?: unknown } | undefined)?.shape;
  return typeof shape === "object" && shape !== null
    ? (shape as Record<string, unknown>)
    : undefined;
}

function hasCatchall(tool: AnyTool): boolean {
  const def = (tool.input as { _zod?: { def?: { catchall?: unknown } } })._zod?.def;
  return def?.catchall !== undefined;
}

export function validateArguments(tool: AnyTool, args: unknown): Checked {
  const r = safeParse(tool.input, args);
  if (r.ok) return r;
  return { ok: false, message: `invalid arguments for \`${tool.name}\`: ${r.message}` };
}

export function validateOutput(tool: AnyTool, value: unknown): Checked {
  if (tool.output === undefined) return { ok: true, value };
  const r = safeParse(tool.output, value);
  if (r.ok) return r;
  return {
    ok: false,
    message: `the result of \`${tool.name}\` does not match its output schema: ${r.message}`,
  };
}

function safeParse(schema: z.ZodType, value: unknown): Checked {
  let parsed: ReturnType<z.ZodType["safeParse"]>;
  try {
    parsed = schema.safeParse(value);
  } catch (e) {
    // An async refinement, or a refinement that throws: the schema cannot say yes.
    return { ok: false, message: `the schema could not be checked: ${errorMessage(e)}` };
  }
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, message: formatIssues(parsed.error.issues) };
}

/** zod's issues as one line: `limit: Too big: expected number to be <=10; query: ...`. */
function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 5).map((issue) => {
    const path = issue.path.filter(
      (p): p is string | number => typeof p === "string" || typeof p === "number",
    );
    const where = path.length === 0 ? "" : `\`${pathText(path).replace(/^\./, "")}\`: `;
    return `${where}${issue.message}`;
  });
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  return shown.join("; ");
}

// ## Results

export type ResultCheck =
  { ok: true; value: unknown } | { ok: false; kind: "validation" | "limit"; message: string };

/**
 * The result as the plan will see it, or why it cannot be used: not JSON, or
 * larger than `maxBytes` as JSON. What the plan sees is the result's JSON
 * form, exactly what a journal gives back on a re-run: `undefined`, NaN and
 * Infinity are `null`, a Date is its ISO string, members that are
 * `undefined` or functions are gone, and the tool keeps no reference into it.
 */
export function checkResult(tool: AnyTool, value: unknown, maxBytes: number): ResultCheck {
  if (value === undefined || value === null) return { ok: true, value: null };
  const type = typeof value;
  if (type === "boolean") return { ok: true, value };
  // `-0` is `0` in JSON.
  if (type === "number")
    return { ok: true, value: Number.isFinite(value) ? (value as number) + 0 : null };
  let json: string;
  if (type === "string") {
    json = value as string;
  } else {
    try {
      json = JSON.stringify(value) ?? "null";
    } catch (e) {
      return {
        ok: false,
        kind: "validation",
        message: `the result of \`${tool.name}\` is not JSON: ${errorMessage(e)}`,
      };
    }
  }
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit: count bytes only when the bounds do not decide.
  if (json.length * 3 > maxBytes) {
    const bytes = json.length > maxBytes ? json.length : Buffer.byteLength(json, "utf8");
    if (bytes > maxBytes) {
      return {
        ok: false,
        kind: "limit",
        message: `the result of \`${tool.name}\` is ${formatBytes(bytes)}${json.length > maxBytes ? " or more" : ""} as JSON, over the limit of ${formatBytes(maxBytes)} (limits.maxResultBytes)`,
      };
    }
  }
  return { ok: true, value: type === "string" ? value : (JSON.parse(json) as unknown) };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

// ## Errors and retries

/** The tool says retrying cannot help: `PermanentError` or any error with `permanent: true`. */
export function isPermanent(error: unknown): boolean {
  try {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as { permanent?: unknown }).permanent === true
    );
  } catch {
    // A getter that throws: nothing says retrying cannot help.
    return false;
  }
}

/** A message for whatever a tool threw; never throws itself, whatever the value's getters do. */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) {
      const message = String(error.message);
      return message === "" ? String(error.name) : message;
    }
    if (typeof error === "string") return error;
    return JSON.stringify(error) ?? String(error);
  } catch {
    try {
      return String(error);
    } catch {
      return "the tool failed with a value that cannot be shown";
    }
  }
}

/** An attempt ran past its timeout. */
export class CallTimeout extends Error {
  override readonly name = "TimeoutError";
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

/** The longest wait between two attempts, whatever the backoff says. */
export const MAX_RETRY_DELAY_MS = 30_000;

/**
 * The wait before retry number `retry` (1-based): exponential from `base`,
 * with "equal jitter" (half fixed, half random) so that calls failing
 * together do not retry together.
 */
export function retryDelay(base: number, retry: number, random: number = Math.random()): number {
  const full = Math.min(base * 2 ** (retry - 1), MAX_RETRY_DELAY_MS);
  return Math.round(full / 2 + random * (full / 2));
}

// ## The context a tool sees

/**
 * A tool's `ctx`, one per attempt. The AbortController and the `node`
 * object are made only when the tool reads them: most calls never do, and
 * they are the largest allocations of a no-op call.
 */
export class CallContext implements ToolContext {
  #controller: AbortController | undefined = undefined;
  #reason: unknown = undefined;
  #aborted = false;
  #node: ToolContext["node"] | undefined = undefined;
  readonly #id: string;
  readonly #binding: string | undefined;
  readonly #line: number | undefined;
  readonly attempt: number;

  constructor(attempt: number, id: string, binding: string | undefined, line: number | undefined) {
    this.attempt = attempt;
    this.#id = id;
    this.#binding = binding;
    this.#line = line;
  }

  get node(): ToolContext["node"] {
    if (this.#node === undefined) {
      const node: ToolContext["node"] = { id: this.#id };
      if (this.#binding !== undefined) node.binding = this.#binding;
      if (this.#line !== undefined) node.line = this.#line;
      this.#node = node;
    }
    return this.#node;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts this attempt; a tool that reads `signal` later sees it aborted. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
