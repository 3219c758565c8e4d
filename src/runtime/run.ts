// ## run(): plan text or graph in, results out.
// Everything that can be known before the first call is checked first — the
// plan compiles (or the graph validates), every tool exists, options and
// inputs make sense, the journal opens — so a run that starts is a run that
// only tools and data can still fail.
import { compile } from "../compiler/compile.js";
import type { PlanGraph } from "../compiler/ir.js";
import { suggest } from "../compiler/suggest.js";
import { toolSet, type ToolSet } from "../compiler/tool.js";
import { validateGraph } from "../compiler/validate.js";
import { diag } from "../diagnostics/catalogue.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Range } from "../diagnostics/range.js";
import { errorMessage } from "./call.js";
import { resolveInputs } from "./inputs.js";
import { openJournal } from "./journal.js";
import type { CallJournal } from "./journal-types.js";
import {
  checkOptions,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_NODES,
  DEFAULT_MAX_RESULT_BYTES,
} from "./options.js";
import { Scheduler } from "./scheduler.js";
import type { RunError, RunOptions, RunResult, TraceEntry } from "./types.js";

/**
 * Runs a plan: text is compiled with `options.tools` first, a graph object
 * is validated first. Never throws for anything a plan, a tool or the
 * options do: every problem is in `errors`.
 */
export async function run(plan: string | PlanGraph, options: RunOptions): Promise<RunResult> {
  const tools = toolsOf(options);
  if (tools === undefined) return notRun([TOOLS_ERROR], undefined);
  const loaded = loadGraph(plan, tools, options.source);
  if (loaded.errors !== undefined) return notRun(loaded.errors, undefined);
  return runValid(loaded.graph, tools, options);
}

/**
 * Runs a graph that is known to be valid — from `compile()`, or a graph
 * `validateGraph()` accepted — without validating it again: validation
 * costs more than running a large graph of fast tools. An invalid graph may
 * make this throw.
 */
export async function runGraph(graph: PlanGraph, options: RunOptions): Promise<RunResult> {
  const tools = toolsOf(options);
  if (tools === undefined) return notRun([TOOLS_ERROR], graph);
  return runValid(graph, tools, options);
}

const TOOLS_ERROR: RunError = {
  kind: "input",
  message: "option `tools` must be a list (or Map) of tool definitions",
};

/** The tools, or undefined when `options.tools` is not something tools can be read from. */
function toolsOf(options: RunOptions | undefined): ToolSet | undefined {
  try {
    const tools = toolSet(options?.tools ?? []);
    for (const tool of tools.values())
      if (typeof tool !== "object" || tool === null || typeof tool.name !== "string")
        return undefined;
    return tools;
  } catch {
    return undefined;
  }
}

async function runValid(graph: PlanGraph, tools: ToolSet, options: RunOptions): Promise<RunResult> {
  const used = toolNames(graph);
  const unknown = unknownTools(graph, tools, used);
  if (unknown.length > 0)
    return notRun([planError(unknown, options.source ?? graph.source)], graph);
  const optionErrors = checkOptions(options, tools, used);
  const inputs = resolveInputs(graph.inputs, options.inputs);
  const early = [...optionErrors, ...inputs.errors];
  if (early.length > 0) return notRun(early, graph);

  let journal: CallJournal | undefined;
  if (options.journal !== undefined) {
    try {
      journal = await openJournal(options.journal);
    } catch (e) {
      return notRun([{ kind: "journal", message: errorMessage(e) }], graph);
    }
  }

  const limits = options.limits ?? {};
  const path = options.journal ?? "";
  let scheduler: Scheduler;
  try {
    scheduler = new Scheduler(graph, {
      tools,
      inputs: inputs.values,
      cap: Math.min(options.concurrency ?? Infinity, limits.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT),
      toolConcurrency: options.toolConcurrency,
      keepGoing: options.keepGoing === true,
      callTimeoutMs: options.callTimeoutMs,
      retries: options.retries ?? 0,
      onEvent: options.onEvent,
      maxNodes: limits.maxNodes ?? DEFAULT_MAX_NODES,
      maxResultBytes: limits.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES,
      journal,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
  } catch (e) {
    // A broken invariant; the journal is closed all the same.
    if (journal !== undefined) await closeJournal(journal, path, undefined, undefined);
    throw e;
  }
  const timeoutMs = options.timeoutMs;
  const deadlineAt =
    timeoutMs === undefined || timeoutMs === Infinity ? undefined : performance.now() + timeoutMs;
  let result: RunResult;
  let closeError: string | undefined;
  try {
    result = await scheduler.run();
  } finally {
    if (journal !== undefined)
      closeError = await closeJournal(journal, path, deadlineAt, options.signal);
  }
  if (closeError !== undefined) {
    result.errors.push({ kind: "journal", message: closeError });
    result.ok = false;
  }
  return result;
}

/** How long closing the journal may take after the run's deadline, or once it is cancelled. */
export const CLOSE_GRACE_MS = 100;

/**
 * Closes the journal; the error, if any. A stuck write (a hung network
 * disk) must not hold the run past its deadline or its cancellation: the
 * wait then ends CLOSE_GRACE_MS after either, with an error.
 */
async function closeJournal(
  journal: CallJournal,
  path: string,
  deadlineAt: number | undefined,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  let closing: Promise<string | undefined>;
  try {
    closing = journal.close().then(
      () => undefined,
      (e: unknown) => errorMessage(e),
    );
  } catch (e) {
    return errorMessage(e);
  }
  if (deadlineAt === undefined && signal === undefined) return closing;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stuck = new Promise<string>((resolve) => {
    let until = Infinity;
    const giveUpAt = (t: number) => {
      if (t >= until) return;
      until = t;
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          resolve(
            `journal ${path} did not close in time: a write is stuck, so its last records may not be on disk`,
          ),
        Math.max(0, t - performance.now()),
      );
    };
    const now = performance.now();
    if (deadlineAt !== undefined) giveUpAt(Math.max(deadlineAt, now + CLOSE_GRACE_MS));
    if (signal?.aborted === true) giveUpAt(now + CLOSE_GRACE_MS);
    else if (signal !== undefined) {
      onAbort = () => giveUpAt(performance.now() + CLOSE_GRACE_MS);
      signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([closing, stuck]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
  }
}

function loadGraph(
  plan: string | PlanGraph,
  tools: ToolSet,
  source: string | undefined,
): { graph: PlanGraph; errors?: undefined } | { errors: RunError[] } {
  if (typeof plan === "string") {
    const compiled = compile(plan, { tools, ...(source === undefined ? {} : { source }) });
    if (compiled.graph !== undefined) return { graph: compiled.graph };
    return { errors: [planError(compiled.diagnostics, source)] };
  }
  const validated = validateGraph(plan);
  if (validated.graph !== undefined) return { graph: validated.graph };
  return { errors: [planError(validated.diagnostics, source ?? plan?.source)] };
}

function planError(diagnostics: Diagnostic[], source: string | undefined): RunError {
  const errors = diagnostics.filter((d) => d.severity === "error");
  const first = errors[0];
  const where = (d: Diagnostic) =>
    `${source ?? "plan"}:${d.range.start.line}:${d.range.start.column}`;
  const message =
    first === undefined
      ? "the plan does not compile"
      : `${where(first)}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : ""}`;
  return { kind: "plan", message, diagnostics };
}

function toolNames(graph: PlanGraph): Set<string> {
  const names = new Set<string>();
  for (const node of graph.nodes) {
    if (node.kind === "call") names.add(node.tool);
    else for (const b of node.body.nodes) names.add(b.tool);
  }
  return names;
}

const NO_SOURCE: Range = {
  start: { offset: 0, line: 1, column: 1 },
  end: { offset: 0, line: 1, column: 1 },
};

/** A graph compiled without tools (or read from JSON) may call tools this run lacks. */
function unknownTools(graph: PlanGraph, tools: ToolSet, used: Set<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  let missing = false;
  for (const name of used) if (!tools.has(name)) missing = true;
  if (!missing) return out;
  const check = (node: { tool: string; span?: Range }) => {
    if (tools.has(node.tool)) return;
    out.push(diag.unknownTool(node.span ?? NO_SOURCE, node.tool, suggest(node.tool, tools.keys())));
  };
  for (const node of graph.nodes) {
    if (node.kind === "call") check(node);
    else for (const b of node.body.nodes) check(b);
  }
  return out;
}

/** The result of a run that stopped before its first call: every node skipped. */
function notRun(errors: RunError[], graph: PlanGraph | undefined): RunResult {
  const nodes: TraceEntry[] = (graph?.nodes ?? []).map((node) => {
    const entry: TraceEntry = {
      id: node.id,
      kind: node.kind,
      deps: node.deps.slice(),
      status: "skipped",
      attempts: 0,
    };
    if (node.binding !== undefined) entry.binding = node.binding;
    if (node.kind === "call") entry.tool = node.tool;
    if (node.span !== undefined) entry.line = node.span.start.line;
    return entry;
  });
  return { ok: false, results: {}, errors, trace: { makespanMs: 0, nodes } };
}
