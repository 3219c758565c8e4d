// Tool definitions as the compiler sees them: a name and zod schemas. The
// runtime adds behaviour (`run`) to the same objects.
import type { z } from "zod";

export interface ToolContext {
  signal: AbortSignal;
  attempt: number;
  node: { id: string; binding?: string; line?: number };
}

export interface ToolDefinition<
  I extends z.ZodObject = z.ZodObject,
  O extends z.ZodType = z.ZodType,
> {
  name: string;
  description?: string;
  input: I;
  output?: O;
  /** Same arguments, same result, no side effects: identical calls may be merged. */
  pure?: boolean;
  /** Acts on the world: never pruned as dead code. */
  effect?: boolean;
  /** Relative latency hint for critical-path scheduling (default 1). */
  latency?: number;
  /** Timeout of one attempt, in ms. */
  timeoutMs?: number;
  /** Retries after a failure not marked permanent (exponential backoff with jitter). */
  retries?: number;
  /** First retry delay in ms (default 100); doubles on each retry. */
  retryDelayMs?: number;
  /** At most this many calls of this tool in flight at once. */
  concurrency?: number;
  /**
   * Called by the checker with the call's literal arguments, by parameter name
   * (arguments that are not literals are absent). A message means the call
   * will fail at run time (a denied capability): the checker warns (C020).
   */
  precheck?: (args: Record<string, unknown>) => string | undefined;
  run: (args: z.output<I>, ctx: ToolContext) => Promise<z.input<O>> | z.input<O>;
}

/** Any tool, whatever its schemas. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<z.ZodObject, z.ZodType> | ToolDefinition<any, any>;

/** Declares a tool; the identity function, there for type inference of `run`'s arguments. */
export function defineTool<I extends z.ZodObject, O extends z.ZodType = z.ZodUnknown>(
  tool: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return tool;
}

/** A lookup of tools by name. */
export type ToolSet = ReadonlyMap<string, AnyTool>;

/** A ToolSet, or a list of tools to index by name. */
function isToolSet(tools: Iterable<AnyTool> | ToolSet): tools is ToolSet {
  if (tools instanceof Map) return true;
  const maybe = tools as Partial<ToolSet>;
  return (
    typeof maybe.get === "function" &&
    typeof maybe.has === "function" &&
    typeof maybe.values === "function"
  );
}

export function toolSet(tools: Iterable<AnyTool> | ToolSet): ToolSet {
  // Any ReadonlyMap counts, not only a Map: iterating one would yield [name, tool] pairs.
  if (isToolSet(tools)) return tools;
  const map = new Map<string, AnyTool>();
  for (const t of tools as Iterable<AnyTool>) map.set(t.name, t);
  return map;
}

/**
 * An error a tool throws when trying again cannot help (bad credentials, a
 * missing record): the runtime does not retry it. Any error with
 * `permanent: true` counts the same.
 */
export class PermanentError extends Error {
  readonly permanent = true;
}
