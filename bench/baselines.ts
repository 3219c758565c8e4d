// The two designs the runtime is compared against, written for the bench.
// Both take the same PlanGraph and call the same tool functions as Weft, but
// do only what their design does: no argument evaluation (bench graphs have
// no arguments), no timeouts, no error handling, no trace. Each can validate
// the (empty) arguments with the tool's zod schema, as Weft always does, so
// that the comparison can be made with equal work per call.
import type { PlanGraph } from "../src/compiler/ir.js";
import type { AnyTool, ToolContext, ToolSet } from "../src/compiler/tool.js";

export interface BaselineOptions {
  /** Validate each call's arguments with the tool's input schema first. */
  validate?: boolean;
  /** At most this many calls in flight (level-by-level: within each level). */
  cap?: number;
}

export interface BaselineResult {
  /** False when the polling loop ran out of its time budget. */
  completed: boolean;
  results: unknown[];
}

const NO_ARGS = Object.freeze({});
const CTX: ToolContext = {
  signal: new AbortController().signal,
  attempt: 1,
  node: { id: "" },
};

function toolsOf(graph: PlanGraph, tools: ToolSet): AnyTool[] {
  return graph.nodes.map((node) => {
    const tool = node.kind === "call" ? tools.get(node.tool) : undefined;
    if (tool === undefined) throw new Error(`baselines run only call nodes of known tools`);
    return tool;
  });
}

function invoke(tool: AnyTool, validate: boolean): unknown {
  let args: unknown = NO_ARGS;
  if (validate) {
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) throw new Error(`invalid arguments for ${tool.name}`);
    args = parsed.data;
  }
  return (tool.run as (args: unknown, ctx: ToolContext) => unknown)(args, CTX);
}

// ## Level by level (LlamaIndex, NVIDIA's ReWOO)

/**
 * Computes each node's level (longest path from a root), then runs the
 * levels in turn: `await Promise.all(level)`. With a cap, each level is run
 * by `cap` workers taking its calls in plan order.
 */
export async function runLevelByLevel(
  graph: PlanGraph,
  tools: ToolSet,
  options: BaselineOptions = {},
): Promise<BaselineResult> {
  const validate = options.validate === true;
  const cap = options.cap ?? Infinity;
  const fns = toolsOf(graph, tools);
  const index = new Map<string, number>();
  const byLevel: number[][] = [];
  const level: number[] = [];
  graph.nodes.forEach((node, i) => {
    index.set(node.id, i);
    let l = 0;
    for (const d of node.deps) l = Math.max(l, (level[index.get(d) as number] as number) + 1);
    level.push(l);
    (byLevel[l] ??= []).push(i);
  });
  const results: unknown[] = new Array(graph.nodes.length);
  for (const nodes of byLevel) {
    if (cap >= nodes.length) {
      const values = await Promise.all(nodes.map((i) => invoke(fns[i] as AnyTool, validate)));
      for (let k = 0; k < nodes.length; k++) results[nodes[k] as number] = values[k];
      continue;
    }
    let next = 0;
    const worker = async () => {
      while (next < nodes.length) {
        const i = nodes[next++] as number;
        results[i] = await invoke(fns[i] as AnyTool, validate);
      }
    };
    await Promise.all(Array.from({ length: cap }, worker));
  }
  return { completed: true, results };
}

// ## Polling every 10 ms (LLMCompiler)

/**
 * LLMCompiler's `TaskFetchingUnit.schedule()`, line for line: while not
 * every task is done (a scan of all tasks), start every remaining task whose
 * dependencies are all done (a scan of the remaining tasks), then sleep the
 * scheduling interval. Gives up after `budgetMs` of wall time.
 */
export async function runPolling(
  graph: PlanGraph,
  tools: ToolSet,
  options: BaselineOptions & { intervalMs?: number; budgetMs?: number } = {},
): Promise<BaselineResult> {
  const validate = options.validate === true;
  const interval = options.intervalMs ?? 10;
  const budget = options.budgetMs ?? Infinity;
  const fns = toolsOf(graph, tools);
  const tasks = new Map<string, { tool: AnyTool; deps: string[]; index: number }>();
  const tasksDone = new Map<string, { isSet: boolean }>();
  const remaining = new Set<string>();
  graph.nodes.forEach((node, i) => {
    tasks.set(node.id, { tool: fns[i] as AnyTool, deps: node.deps, index: i });
    tasksDone.set(node.id, { isSet: false });
    remaining.add(node.id);
  });
  const results: unknown[] = new Array(graph.nodes.length);
  const allTasksDone = () => [...tasksDone.values()].every((e) => e.isSet);
  const executable = () =>
    [...remaining].filter((name) =>
      (tasks.get(name)?.deps ?? []).every((d) => tasksDone.get(d)?.isSet === true),
    );
  const runTask = async (name: string) => {
    const task = tasks.get(name);
    if (task === undefined) return;
    results[task.index] = await invoke(task.tool, validate);
    (tasksDone.get(name) as { isSet: boolean }).isSet = true;
  };
  const t0 = performance.now();
  while (!allTasksDone()) {
    if (performance.now() - t0 > budget) return { completed: false, results };
    for (const name of executable()) {
      void runTask(name);
      remaining.delete(name);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  return { completed: true, results };
}
