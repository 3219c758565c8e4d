// Graph shapes for the runtime bench, built directly as PlanGraphs (no
// parsing): ids `n1`, `n2`, ... in topological order, as the compiler emits
// them. Nodes take no arguments: a dependency here is pure ordering, so what
// is measured is the scheduler, not argument evaluation.
import type { CallNode, IrExpr, PlanGraph } from "../src/compiler/ir.js";

/** A DAG by index: `deps[i]` are indices below `i`, sorted, without duplicates. */
export interface Dag {
  name: string;
  deps: number[][];
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function chain(n: number): Dag {
  const deps: number[][] = [[]];
  for (let i = 1; i < n; i++) deps.push([i - 1]);
  return { name: `chain ${n.toLocaleString("en-US")}`, deps };
}

/** One root, `n - 2` children of it, and one join that waits for every child. */
export function fanOut(n: number): Dag {
  const deps: number[][] = [[]];
  const children: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    deps.push([0]);
    children.push(i);
  }
  deps.push(children);
  return { name: `fan-out ${(n - 2).toLocaleString("en-US")} wide`, deps };
}

/**
 * Each node depends on 0-3 distinct earlier nodes, uniformly chosen among
 * the previous `window` nodes (all earlier nodes when `window` is absent).
 */
export function randomDag(n: number, seed: number, window = Infinity): Dag {
  const random = rng(seed);
  const deps: number[][] = [];
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - window);
    const span = i - lo;
    const k = Math.min(Math.floor(random() * 4), span);
    const picked = new Set<number>();
    while (picked.size < k) picked.add(lo + Math.floor(random() * span));
    deps.push([...picked].sort((a, b) => a - b));
  }
  const where = window === Infinity ? "" : `, deps within ${window}`;
  return { name: `random ${n.toLocaleString("en-US")}${where}`, deps };
}

/** Level of each node: the longest path from a root, in nodes (roots are level 0). */
export function levels(dag: Dag): number[] {
  const level: number[] = [];
  for (const ds of dag.deps) {
    let l = 0;
    for (const d of ds) l = Math.max(l, (level[d] as number) + 1);
    level.push(l);
  }
  return level;
}

export function depth(dag: Dag): number {
  return levels(dag).reduce((a, b) => Math.max(a, b + 1), 0);
}

/** The longest path through the DAG, where node `i` takes `duration[i]`. */
export function criticalPath(dag: Dag, duration: readonly number[]): number {
  const finish: number[] = [];
  let longest = 0;
  for (let i = 0; i < dag.deps.length; i++) {
    let start = 0;
    for (const d of dag.deps[i] as number[]) start = Math.max(start, finish[d] as number);
    const f = start + (duration[i] as number);
    finish.push(f);
    longest = Math.max(longest, f);
  }
  return longest;
}

export const id = (i: number): string => `n${i + 1}`;

/** The DAG as a PlanGraph; node `i` calls `tool(i)`; the output is the last node's result. */
export function toGraph(dag: Dag, tool: (i: number) => string): PlanGraph {
  const nodes: CallNode[] = dag.deps.map((ds, i) => ({
    id: id(i),
    kind: "call",
    tool: tool(i),
    args: { positional: [], named: {} },
    deps: ds.map(id),
  }));
  const output: IrExpr = { kind: "ref", source: "node", name: id(dag.deps.length - 1), path: [] };
  return { version: 1, inputs: [], nodes, output };
}
