// ## The front end in one call: parse -> check -> lower -> passes.
import { hasErrors, sortDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Plan } from "../parser/ast.js";
import { parse } from "../parser/parse.js";
import { check as checkPlan, type SymbolInfo } from "./check.js";
import type { PlanGraph } from "./ir.js";
import { lower } from "./lower.js";
import { mergePure } from "./passes/merge-pure.js";
import { prune } from "./passes/prune.js";
import { toolSet, type AnyTool, type ToolSet } from "./tool.js";

export interface CheckSourceOptions {
  /** Registered tools. Without them, tool names and signatures are not checked. */
  tools?: Iterable<AnyTool> | ToolSet;
}

export interface CheckSourceResult {
  ok: boolean;
  plan: Plan;
  diagnostics: Diagnostic[];
  symbols: Map<string, SymbolInfo>;
}

/** Parses and typechecks plan text; every problem is in `diagnostics`. */
export function checkSource(text: string, options: CheckSourceOptions = {}): CheckSourceResult {
  const parsed = parse(text);
  const tools = options.tools === undefined ? undefined : toolSet(options.tools);
  const checked = checkPlan(parsed.plan, tools === undefined ? {} : { tools });
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...checked.diagnostics]);
  return { ok: !hasErrors(diagnostics), plan: parsed.plan, diagnostics, symbols: checked.symbols };
}

export interface CompileOptions extends CheckSourceOptions {
  /** The file name recorded in the graph. */
  source?: string;
  /** Remove calls whose results nothing uses (never statements or `effect` tools). Off by default. */
  prune?: boolean;
  /** Merge identical calls of tools marked `pure`. On by default. */
  mergePure?: boolean;
}

export interface CompileResult extends CheckSourceResult {
  /** Present when there were no errors. */
  graph?: PlanGraph;
}

export function compile(text: string, options: CompileOptions = {}): CompileResult {
  // One ToolSet for every phase (an array would otherwise be indexed twice).
  const tools = options.tools === undefined ? undefined : toolSet(options.tools);
  const checked = checkSource(text, tools === undefined ? {} : { tools });
  if (!checked.ok) return checked;
  let graph = lower(checked.plan, {
    ...(tools === undefined ? {} : { tools }),
    ...(options.source === undefined ? {} : { source: options.source }),
  });
  if (options.mergePure !== false && tools !== undefined) graph = mergePure(graph, tools);
  if (options.prune === true) graph = prune(graph, tools);
  return { ...checked, graph };
}
