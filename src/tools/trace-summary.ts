// A run's trace in a few numbers, for a caller that cannot read the whole
// trace (a model calling `run_plan`): how many calls, how long the run took,
// how long the calls would have taken one after another, and the chain of
// calls that set the makespan (the critical path).
import type { Trace, TraceEntry } from "../runtime/types.js";

export interface CriticalCall {
  id: string;
  binding?: string;
  tool?: string;
  line?: number;
  ms: number;
}

export interface TraceSummary {
  /** Calls that ran (each child counts once; calls from a journal do not). */
  calls: number;
  failed: number;
  makespanMs: number;
  /** The sum of every call's duration: the time the calls would take one after another. */
  sequentialMs: number;
  /** The longest chain of call durations through dependencies, first call first. */
  criticalPath: { ms: number; calls: CriticalCall[] };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

function duration(e: TraceEntry): number {
  return e.start === undefined || e.end === undefined || e.fromJournal === true
    ? 0
    : Math.max(0, e.end - e.start);
}

export function summarizeTrace(trace: Trace): TraceSummary {
  const calls = trace.nodes.filter((n) => n.kind === "call");
  const byId = new Map(trace.nodes.map((n) => [n.id, n]));
  // An `each` node stands for its children: depending on it is depending on all of them.
  const children = new Map<string, TraceEntry[]>();
  for (const n of calls) {
    if (n.parent === undefined) continue;
    const list = children.get(n.parent) ?? [];
    list.push(n);
    children.set(n.parent, list);
  }
  const best = new Map<string, { ms: number; prev: TraceEntry | undefined }>();
  const longest = (n: TraceEntry, active: Set<string>): number => {
    const known = best.get(n.id);
    if (known !== undefined) return known.ms;
    if (active.has(n.id)) return 0; // a graph is acyclic; a malformed trace must not loop
    active.add(n.id);
    let top: { ms: number; prev: TraceEntry | undefined } = { ms: 0, prev: undefined };
    const consider = (d: TraceEntry): void => {
      const ms = longest(d, active);
      if (ms > top.ms || top.prev === undefined) top = { ms, prev: d };
    };
    for (const id of n.deps) {
      const dep = byId.get(id);
      if (dep === undefined) continue;
      if (dep.kind === "each") for (const c of children.get(dep.id) ?? []) consider(c);
      else consider(dep);
    }
    active.delete(n.id);
    const ms = top.ms + duration(n);
    best.set(n.id, { ms, prev: top.prev });
    return ms;
  };
  const ran = calls.filter((n) => n.start !== undefined && n.fromJournal !== true);
  // The path ends at a call that ran: one that never started (a run stopped by
  // a missing input, say) took no time and set nothing.
  let end: TraceEntry | undefined;
  let endMs = -1;
  for (const n of ran) {
    const ms = longest(n, new Set());
    if (ms > endMs) [end, endMs] = [n, ms];
  }
  const path: CriticalCall[] = [];
  for (let n = end; n !== undefined; n = best.get(n.id)?.prev) {
    const binding = n.binding ?? childBinding(n, byId);
    path.unshift({
      id: n.id,
      ...(binding === undefined ? {} : { binding }),
      ...(n.tool === undefined ? {} : { tool: n.tool }),
      ...(n.line === undefined ? {} : { line: n.line }),
      ms: round(duration(n)),
    });
  }
  return {
    calls: ran.length,
    failed: calls.filter((n) => n.status === "failed").length,
    makespanMs: round(trace.makespanMs),
    sequentialMs: round(ran.reduce((sum, n) => sum + duration(n), 0)),
    criticalPath: { ms: round(Math.max(0, endMs)), calls: path },
  };
}

/** An `each` child reads as its element of the parent's binding: `pages[2]`. */
function childBinding(n: TraceEntry, byId: Map<string, TraceEntry>): string | undefined {
  const parent = n.parent === undefined ? undefined : byId.get(n.parent)?.binding;
  const index = /\[(\d+)\]$/.exec(n.id)?.[1];
  return parent === undefined || index === undefined ? undefined : `${parent}[${index}]`;
}
