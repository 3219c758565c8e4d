// What the outside sees of tasks: node references for events and errors,
// "where" prefixes that name the plan line, and the trace.
import type { EachNode } from "../compiler/ir.js";
import { CANCELLED, FAILED, OK, SKIPPED, type Task } from "./task.js";
import type { NodeRef, NodeStatus, Trace, TraceEntry } from "./types.js";

export function nodeRef(task: Task): NodeRef {
  if (task.ref !== undefined) return task.ref;
  const node = task.node;
  const ref: NodeRef = { id: task.id, kind: node.kind };
  if (node.binding !== undefined) ref.binding = node.binding;
  if (node.kind === "call") ref.tool = node.tool;
  const span = node.span ?? task.parent?.node.span;
  if (span !== undefined) {
    ref.line = span.start.line;
    ref.span = span;
  }
  if (task.parent !== undefined && task.element !== undefined) {
    ref.parent = task.parent.id;
    ref.index = task.element.index;
  }
  task.ref = ref;
  return ref;
}

/** `line 5 ($first = wiki.page)`; for a child `line 7 (search in $pops, element 2)`. */
export function where(task: Task): string {
  const ref = nodeRef(task);
  const at = ref.line === undefined ? `node ${ref.id}` : `line ${ref.line}`;
  return `${at} (${what(task)})`;
}

function what(task: Task): string {
  const node = task.node;
  const bound = node.binding === undefined ? "" : `$${node.binding} = `;
  if (node.kind === "each") return `${bound}each $${node.item}`;
  if (task.parent === undefined || task.element === undefined) return `${bound}${node.tool}`;
  const each = task.parent.node as EachNode;
  const owner = each.binding === undefined ? `each ${each.id}` : `$${each.binding}`;
  return `${bound}${node.tool} in ${owner}, element ${task.element.index}`;
}

// ## The trace

const STATUS: Record<number, NodeStatus> = {
  [OK]: "ok",
  [FAILED]: "failed",
  [SKIPPED]: "skipped",
  [CANCELLED]: "cancelled",
};

/** Times are rounded to microseconds: the clock is no finer, and the file stays readable. */
function ms(t: number): number {
  return Math.round(t * 1000) / 1000;
}

function traceEntry(task: Task): TraceEntry {
  const node = task.node;
  const entry: TraceEntry = {
    id: task.id,
    kind: node.kind,
    deps: childDeps(task),
    // A run settles only when every task is final.
    status: STATUS[task.state] ?? "skipped",
    attempts: task.attempts,
  };
  if (node.binding !== undefined) entry.binding = node.binding;
  if (node.kind === "call") entry.tool = node.tool;
  if (task.start >= 0) {
    entry.start = ms(task.start);
    entry.end = ms(Math.max(task.end, task.start));
  }
  if (task.parent !== undefined) entry.parent = task.parent.id;
  const span = node.span ?? task.parent?.node.span;
  if (span !== undefined) entry.line = span.start.line;
  if (task.fromJournal) entry.fromJournal = true;
  return entry;
}

/** A child depends on what its `each` depends on, plus the body calls it uses for its element. */
function childDeps(task: Task): string[] {
  if (task.parent === undefined || task.element === undefined) return task.node.deps.slice();
  const deps = task.parent.node.deps.slice();
  const index = task.element.index;
  const outer = new Set(deps);
  for (const d of task.node.deps) if (!outer.has(d)) deps.push(`${d}[${index}]`);
  return deps;
}

/** The trace of `tasks`, listed as the scheduler walks them: each `each` followed by its children. */
export function buildTrace(tasks: readonly Task[]): Trace {
  const nodes: TraceEntry[] = new Array(tasks.length);
  let last = 0;
  let each: TraceEntry | undefined;
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i] as Task;
    const entry = traceEntry(task);
    nodes[i] = entry;
    if (task.node.kind === "each") each = entry;
    if (task.node.kind === "call" && task.end > last) last = task.end;
    // An `each` that failed early still spans the children that ran on (keepGoing).
    if (task.parent !== undefined && each?.id === task.parent.id && entry.end !== undefined) {
      if (each.end === undefined || entry.end > each.end) each.end = entry.end;
    }
  }
  return { makespanMs: ms(last), nodes };
}
