// ## Checking an imported plan, reported against the ORIGINAL text
// The checker and compiler speak about the Weft text; a user looks at the
// ReWOO or LLMCompiler plan they imported. Each Weft statement knows the
// ranges it came from (plan-builder.ts), so a diagnostic about the Weft text
// moves to the tool name, the argument or the step it concerns.
import { compile } from "../compiler/compile.js";
import type { PlanGraph } from "../compiler/ir.js";
import type { AnyTool, ToolSet } from "../compiler/tool.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import { plainRange, type Range } from "../diagnostics/range.js";
import type { Statement } from "../parser/ast.js";
import { TEXT_START } from "./diagnostics.js";
import type { BuiltPlan, Origin } from "./plan-builder.js";

export interface CheckImportOptions {
  /** The tools to check against; without them, tool names and signatures are not checked. */
  tools?: Iterable<AnyTool> | ToolSet;
  /** The file name recorded in the graph. */
  source?: string;
}

export interface CheckedImport {
  ok: boolean;
  /** The import's diagnostics and the checker's, all at ranges of the original text. */
  diagnostics: Diagnostic[];
  /** The compiled graph, when the Weft text has no errors. */
  graph?: PlanGraph;
  /** For each step's Weft variable, the variables of the steps it waits for in the graph. */
  graphEdges: Map<string, string[]>;
}

function contains(r: Range, offset: number): boolean {
  return r.start.offset <= offset && offset < Math.max(r.end.offset, r.start.offset + 1);
}

/** The index of the statement whose range holds `offset`, or -1. */
function statementAt(statements: readonly Statement[], offset: number): number {
  return statements.findIndex((s) => contains(s.range, offset));
}

/** The original range a Weft range stands for: the tool, an argument, or the whole step. */
function originalRange(
  r: Range,
  statements: readonly Statement[],
  origins: readonly Origin[],
  fallback: Range,
): Range {
  const i = statementAt(statements, r.start.offset);
  const s = statements[i];
  const origin = origins[i];
  if (s === undefined || origin === undefined) return fallback;
  const call =
    s.kind === "Binding" && s.value.kind === "Call"
      ? s.value
      : s.kind === "CallStatement"
        ? s.call
        : undefined;
  if (call !== undefined) {
    if (origin.tool !== undefined && contains(call.callee.range, r.start.offset))
      return origin.tool;
    const k = call.args.findIndex((a) => contains(a.range, r.start.offset));
    const arg = origin.args[k];
    if (arg !== undefined) return arg;
  }
  return origin.range;
}

/**
 * Compiles an imported plan with the given tools. Checker diagnostics are
 * moved to the original text; the import's own come first in position order.
 */
export function checkImported(built: BuiltPlan, options: CheckImportOptions = {}): CheckedImport {
  const compiled = compile(built.text, {
    ...(options.tools === undefined ? {} : { tools: options.tools }),
    ...(options.source === undefined ? {} : { source: options.source }),
    // Identical calls stay separate nodes: the graph mirrors the original's steps.
    mergePure: false,
  });
  const statements = compiled.plan.statements;
  const moved = compiled.diagnostics.map((d): Diagnostic => {
    const out: Diagnostic = {
      ...d,
      range: plainRange(originalRange(d.range, statements, built.origins, TEXT_START)),
    };
    if (d.related !== undefined) {
      out.related = d.related.map((r) => ({
        message: r.message,
        range: plainRange(originalRange(r.range, statements, built.origins, TEXT_START)),
      }));
    }
    return out;
  });
  const diagnostics = sortDiagnostics([...built.diagnostics, ...moved]);
  const result: CheckedImport = {
    ok: !hasErrors(diagnostics),
    diagnostics,
    graphEdges: new Map(),
  };
  if (compiled.graph !== undefined) {
    result.graphEdges = stepEdges(compiled.graph, statements);
    result.graph = originalSpans(compiled.graph, statements, built.origins);
  }
  return result;
}

/**
 * The graph with each node's span moved to its step in the original text, so
 * that run errors and traces, like diagnostics, point at the file the user has.
 */
function originalSpans(
  graph: PlanGraph,
  statements: readonly Statement[],
  origins: readonly Origin[],
): PlanGraph {
  const nodes = graph.nodes.map((node) => {
    if (node.span === undefined) return node;
    const origin = origins[statementAt(statements, node.span.start.offset)];
    return origin === undefined ? node : { ...node, span: plainRange(origin.range) };
  });
  return { ...graph, nodes };
}

/**
 * The dependencies between steps in a compiled graph: each node belongs to the
 * statement its span lies in, and a step waits for the steps of its nodes' deps.
 */
function stepEdges(graph: PlanGraph, statements: readonly Statement[]): Map<string, string[]> {
  const stepOf = new Map<string, string>();
  const nameOf = (i: number): string | undefined => {
    const s = statements[i];
    return s?.kind === "Binding" ? s.target.name : undefined;
  };
  for (const node of graph.nodes) {
    const name =
      node.span === undefined ? undefined : nameOf(statementAt(statements, node.span.start.offset));
    if (name !== undefined) stepOf.set(node.id, name);
  }
  const edges = new Map<string, Set<string>>();
  for (const s of statements) if (s.kind === "Binding") edges.set(s.target.name, new Set());
  for (const node of graph.nodes) {
    const step = stepOf.get(node.id);
    if (step === undefined) continue;
    for (const dep of node.deps) {
      const from = stepOf.get(dep);
      if (from !== undefined && from !== step) edges.get(step)?.add(from);
    }
  }
  return new Map([...edges].map(([k, v]) => [k, [...v].sort()]));
}
