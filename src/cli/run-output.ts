// What `weft run` prints: the plan's value, its errors, and node labels that
// read like the plan (`$pop_a = wiki.fact(...)`, `$pages[1] = wiki.page(...)`).
import type { Json, PlanGraph } from "../compiler/ir.js";
import type { NodeRef, RunError, RunResult } from "../runtime/types.js";

/** The parts of a node that labels need: events carry a NodeRef, the trace a TraceEntry. */
export interface NodeLike {
  id: string;
  kind: "call" | "each";
  binding?: string;
  tool?: string;
  line?: number;
  parent?: string;
  index?: number;
}

/** Labels nodes as the plan names them; each children by their `each`'s binding and index. */
export class Labels {
  readonly #eachBinding = new Map<string, string>();

  constructor(graph: PlanGraph) {
    for (const node of graph.nodes)
      if (node.kind === "each" && node.binding !== undefined)
        this.#eachBinding.set(node.id, node.binding);
  }

  /** `$pop_a`, `$pages[1]` for an each child, undefined for a bare call. */
  name(node: NodeLike): string | undefined {
    if (node.parent !== undefined) {
      const owner = this.#eachBinding.get(node.parent);
      const index = node.index ?? /\[(\d+)\]$/.exec(node.id)?.[1];
      if (owner !== undefined && index !== undefined) return `$${owner}[${index}]`;
    }
    return node.binding === undefined ? undefined : `$${node.binding}`;
  }

  /** `$pop_a = wiki.fact(...)`, `wiki.page(...)` for a bare call, `$pages = each ...`. */
  call(node: NodeLike): string {
    const name = this.name(node);
    const rhs = node.kind === "each" ? "each ..." : `${node.tool ?? node.id}(...)`;
    return name === undefined ? rhs : `${name} = ${rhs}`;
  }
}

/** `file:line` when the node has a line, else the file. */
export function location(file: string, node: NodeLike | undefined): string {
  return node?.line === undefined ? file : `${file}:${node.line}`;
}

/** Strings as they are; anything else as indented JSON; nothing for a plan without a value. */
export function formatValue(value: Json | undefined): string {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return text.endsWith("\n") ? text : `${text}\n`;
}

/**
 * The runtime's messages start with where the node is (`line 5 ($a = f): ...`);
 * the CLI says that in its own `file:line:` form, so the prefix goes.
 */
export function detail(message: string, node: NodeRef | undefined): string {
  if (node === undefined) return message;
  const m = /^(?:line \d+|node \S+) \([^)]*\): /.exec(message);
  return m === null ? message : message.slice(m[0].length);
}

/** `FILE:LINE: error: $b = tool(...) failed: message`; `FILE: error: message` for the run. */
export function formatRunError(error: RunError, file: string, labels: Labels): string {
  if (error.node === undefined) return `${file}: error: ${error.message}`;
  return `${location(file, error.node)}: error: ${labels.call(error.node)} failed: ${detail(error.message, error.node)}`;
}

/** The `--json` report: `{ ok, value, errors }`, errors as data. */
export function jsonReport(result: Pick<RunResult, "ok" | "value" | "errors">): string {
  const errors = result.errors.map((e) => ({
    kind: e.kind,
    message: e.message,
    ...(e.node === undefined ? {} : { node: e.node }),
    ...(e.diagnostics === undefined ? {} : { diagnostics: e.diagnostics }),
  }));
  return `${JSON.stringify({ ok: result.ok, value: result.value ?? null, errors }, null, 2)}\n`;
}
