// The validator for plan graphs read from outside (a JSON file, another
// process): structure by a zod schema of the IR, then the graph rules that a
// schema cannot say: version, unique ids, no dangling references, deps that
// cover every reference, no cycles.
import { z } from "zod";
import { diag } from "../diagnostics/catalogue.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { LineMap } from "../diagnostics/range.js";
import type { Range } from "../diagnostics/range.js";
import { IR_VERSION } from "./ir.js";
import type { IrExpr, Json, PlanGraph, PlanNode, Span } from "./ir.js";
import { forEachRef } from "./ir-walk.js";
import { findJsonError } from "./json-error.js";

export interface GraphValidation {
  /** Present exactly when there are no errors. */
  graph?: PlanGraph;
  diagnostics: Diagnostic[];
}

/** Deeper values are rejected before the (recursive) schema sees them. */
export const MAX_GRAPH_DEPTH = 500;
/** Structural errors beyond this many are not listed one by one. */
const MAX_STRUCTURE_ERRORS = 20;
/** A bound on the work of walking an in-memory value whose objects are shared. */
const MAX_GRAPH_OBJECTS = 50_000_000;
const MAX_CYCLES = 10;

// ## Schema

const point = z.object({
  line: z.number().int().min(1),
  column: z.number().int().min(1),
  offset: z.number().int().min(0),
});
const span = z.object({ start: point, end: point });
const json = z.custom<Json>((v) => isJson(v), { message: "expected a JSON value" });
const pathStep = z.union([z.string(), z.number().int().min(0)]);

export const irExprSchema: z.ZodType<IrExpr> = z.lazy(() =>
  z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("literal"), value: json }),
    z.object({
      kind: z.literal("ref"),
      source: z.enum(["node", "input", "item"]),
      name: z.string(),
      path: z.array(pathStep),
    }),
    z.object({ kind: z.literal("template"), parts: z.array(z.union([z.string(), irExprSchema])) }),
    z.object({ kind: z.literal("list"), items: z.array(irExprSchema) }),
    z.object({ kind: z.literal("object"), entries: z.array(z.tuple([z.string(), irExprSchema])) }),
  ]),
);

const id = z.string().min(1);

const callNode = z.object({
  id,
  kind: z.literal("call"),
  binding: z.string().optional(),
  tool: z.string().min(1),
  args: z.object({ positional: z.array(irExprSchema), named: z.record(z.string(), irExprSchema) }),
  deps: z.array(id),
  statement: z.boolean().optional(),
  span: span.optional(),
});

const eachNode = z.object({
  id,
  kind: z.literal("each"),
  binding: z.string().optional(),
  item: z.string().min(1),
  over: irExprSchema,
  body: z.object({ nodes: z.array(callNode), output: irExprSchema }),
  deps: z.array(id),
  span: span.optional(),
});

export const planGraphSchema = z.object({
  version: z.literal(IR_VERSION),
  source: z.string().optional(),
  inputs: z.array(
    z.object({
      name: z.string().min(1),
      type: z.enum(["string", "number", "boolean", "list", "object", "any"]),
      default: json.optional(),
      span: span.optional(),
    }),
  ),
  nodes: z.array(z.discriminatedUnion("kind", [callNode, eachNode])),
  output: irExprSchema,
});

// ## Entry points

/** Parses and validates a plan graph from JSON text; malformed JSON is a G001 at its position. */
export function parseGraphJson(text: string): GraphValidation {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const found = findJsonError(text);
    const lines = new LineMap(text);
    const offset = found?.offset ?? positionInMessage(e) ?? 0;
    const end = Math.min(offset + 1, text.length);
    const detail = found?.message ?? (e instanceof Error ? e.message : String(e));
    return {
      diagnostics: [
        diag.invalidGraph(lines.range(offset, Math.max(end, offset)), `malformed JSON: ${detail}`),
      ],
    };
  }
  return validateGraph(value);
}

/** Validates an untrusted value as a PlanGraph; never throws. */
export function validateGraph(value: unknown): GraphValidation {
  if (isPlainObject(value) && "version" in value && value["version"] !== IR_VERSION) {
    return { diagnostics: [diag.unsupportedVersion(NO_SOURCE, value["version"])] };
  }
  const shape = tooDeep(value, MAX_GRAPH_DEPTH);
  if (shape !== undefined) {
    const why =
      shape === "deep"
        ? `values are nested more than ${MAX_GRAPH_DEPTH} levels deep`
        : `the graph has more than ${MAX_GRAPH_OBJECTS} objects and arrays`;
    return { diagnostics: [diag.invalidGraph(NO_SOURCE, why)] };
  }
  let parsed: ReturnType<typeof planGraphSchema.safeParse>;
  try {
    parsed = planGraphSchema.safeParse(value);
  } catch (e) {
    // The depth limit should make this unreachable; keep the promise never to throw.
    if (e instanceof RangeError)
      return { diagnostics: [diag.invalidGraph(NO_SOURCE, "the graph is nested too deeply")] };
    throw e;
  }
  if (!parsed.success) return { diagnostics: structureDiagnostics(parsed.error.issues, value) };
  const graph = parsed.data as PlanGraph;
  const diagnostics = checkGraph(graph);
  return diagnostics.some((d) => d.severity === "error") ? { diagnostics } : { graph, diagnostics };
}

// ## Graph rules

const NO_SOURCE: Range = {
  start: { offset: 0, line: 1, column: 1 },
  end: { offset: 0, line: 1, column: 1 },
};

function at(span: Span | undefined): Range {
  return span ?? NO_SOURCE;
}

/** What a reference may name where it appears. */
interface RefScope {
  nodes: ReadonlySet<string>;
  /** Inside an `each` body: the body's own ids. */
  local?: ReadonlySet<string>;
  inputs: ReadonlySet<string>;
  item?: string;
}

function knows(scope: RefScope, id: string): boolean {
  return scope.nodes.has(id) || scope.local?.has(id) === true;
}

function checkGraph(graph: PlanGraph): Diagnostic[] {
  const out: Diagnostic[] = [];
  const reported = new Set<string>();
  const dangling = (node: { id: string; span?: Span }, to: string) => {
    const key = `${node.id}\u0000${to}`;
    if (reported.has(key)) return;
    reported.add(key);
    out.push(diag.danglingReference(at(node.span), node.id, to));
  };

  const inputs = new Set<string>();
  for (const input of graph.inputs) {
    if (inputs.has(input.name))
      out.push(diag.invalidGraph(at(input.span), `duplicate input \`${input.name}\``));
    inputs.add(input.name);
  }

  // One namespace for every id, body-local ones included, so a ref is never ambiguous.
  const allIds = new Set<string>();
  const outerIds = new Set<string>();
  const claim = (node: { id: string; span?: Span }) => {
    if (allIds.has(node.id)) out.push(diag.duplicateNodeId(at(node.span), node.id));
    allIds.add(node.id);
  };
  for (const node of graph.nodes) {
    claim(node);
    outerIds.add(node.id);
  }
  for (const node of graph.nodes)
    if (node.kind === "each") for (const b of node.body.nodes) claim(b);

  const outer: RefScope = { nodes: outerIds, inputs };

  /** Checks refs of `exprs` in `scope`; returns the node ids they use that exist. */
  const checkRefs = (
    owner: { id: string; span?: Span },
    exprs: IrExpr[],
    scope: RefScope,
  ): Set<string> => {
    const used = new Set<string>();
    for (const e of exprs) {
      forEachRef(e, (r) => {
        if (r.source === "node") {
          if (knows(scope, r.name)) used.add(r.name);
          else dangling(owner, r.name);
        } else if (r.source === "input") {
          if (!scope.inputs.has(r.name)) dangling(owner, `$${r.name}`);
        } else if (scope.item !== r.name) {
          dangling(owner, `$${r.name}`);
        }
      });
    }
    return used;
  };

  const checkDeps = (
    node: { id: string; span?: Span; deps: string[] },
    used: Iterable<string>,
    scope: RefScope,
  ) => {
    const deps = new Set(node.deps);
    for (const d of deps) if (!knows(scope, d)) dangling(node, d);
    for (const u of used) {
      if (!deps.has(u)) {
        out.push(
          diag.invalidGraph(
            at(node.span),
            `node \`${node.id}\` uses \`${u}\` but does not list it in deps`,
          ),
        );
      }
    }
  };

  for (const node of graph.nodes) {
    if (node.kind === "call") {
      checkDeps(
        node,
        checkRefs(node, [...node.args.positional, ...Object.values(node.args.named)], outer),
        outer,
      );
      continue;
    }
    const local = new Set(node.body.nodes.map((b) => b.id));
    const inBody: RefScope = { nodes: outerIds, local, inputs, item: node.item };
    const used = checkRefs(node, [node.over], outer);
    for (const b of node.body.nodes) {
      const bUsed = checkRefs(b, [...b.args.positional, ...Object.values(b.args.named)], inBody);
      checkDeps(b, bUsed, inBody);
      for (const d of b.deps) if (outerIds.has(d) && !local.has(d)) used.add(d);
    }
    for (const u of checkRefs(node, [node.body.output], inBody)) if (!local.has(u)) used.add(u);
    checkDeps(node, used, outer);
    const cycle = findCycles(node.body.nodes);
    for (const c of cycle) out.push(diag.cycle(at(spanOf(node.body.nodes, c[0])), abridge(c)));
  }

  checkRefs({ id: "output" }, [graph.output], outer);

  for (const c of findCycles(graph.nodes))
    out.push(diag.cycle(at(spanOf(graph.nodes, c[0])), abridge(c)));
  return out;
}

/** A long cycle named by its ends, so that the message stays readable. */
function abridge(cycle: string[]): string[] {
  if (cycle.length <= 20) return cycle;
  return [...cycle.slice(0, 10), `... ${cycle.length - 19} more ...`, ...cycle.slice(-9)];
}

function spanOf(nodes: readonly PlanNode[], id: string | undefined): Span | undefined {
  return nodes.find((n) => n.id === id)?.span;
}

/**
 * Cycles through deps, each named in the direction data flows (`a -> b`
 * means b depends on a, as edges are drawn by the emitters) and starting at
 * the node listed first. An iterative DFS, so a 100k-node chain cannot
 * overflow the stack.
 */
export function findCycles(nodes: readonly PlanNode[]): string[][] {
  const index = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (!index.has(n.id)) index.set(n.id, i);
  });
  const deps = nodes.map((n) =>
    n.deps.map((d) => index.get(d)).filter((d): d is number => d !== undefined),
  );
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const colour = new Uint8Array(nodes.length);
  const cycles: string[][] = [];
  const seen = new Set<string>();

  for (let root = 0; root < nodes.length && cycles.length < MAX_CYCLES; root++) {
    if (colour[root] !== WHITE) continue;
    const stack: number[] = [root];
    const next: number[] = [0];
    colour[root] = GREY;
    while (stack.length > 0 && cycles.length < MAX_CYCLES) {
      const top = stack.length - 1;
      const u = stack[top] as number;
      const edges = deps[u] as number[];
      const k = next[top] as number;
      if (k >= edges.length) {
        colour[u] = BLACK;
        stack.pop();
        next.pop();
        continue;
      }
      next[top] = k + 1;
      const v = edges[k] as number;
      if (colour[v] === WHITE) {
        colour[v] = GREY;
        stack.push(v);
        next.push(0);
      } else if (colour[v] === GREY) {
        // The stack runs from a node to its deps; reversed, it runs the way data flows.
        const loop = stack.slice(stack.lastIndexOf(v)).reverse();
        let first = 0;
        for (let j = 1; j < loop.length; j++)
          if ((loop[j] as number) < (loop[first] as number)) first = j;
        const ordered = [...loop.slice(first), ...loop.slice(0, first)];
        const key = ordered.join(",");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(ordered.map((i) => (nodes[i] as PlanNode).id));
        }
      }
    }
  }
  return cycles;
}

// ## Structure errors

function structureDiagnostics(issues: readonly z.core.$ZodIssue[], value: unknown): Diagnostic[] {
  const out = issues.slice(0, MAX_STRUCTURE_ERRORS).map((issue) => {
    const where = formatPath(issue.path);
    return diag.invalidGraph(
      NO_SOURCE,
      `${where === "" ? "" : `${where}: `}${describeIssue(issue, valueAt(value, issue.path))}`,
    );
  });
  if (issues.length > MAX_STRUCTURE_ERRORS) {
    out.push(
      diag.invalidGraph(
        NO_SOURCE,
        `${issues.length - MAX_STRUCTURE_ERRORS} more structural errors not shown`,
      ),
    );
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, actual: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      return actual === undefined
        ? `expected ${issue.expected}, but it is missing`
        : `expected ${issue.expected}, got ${typeName(actual)}`;
    case "invalid_union": {
      const options = (issue as { options?: unknown[] }).options;
      if (Array.isArray(options)) {
        const list = options.map((o) => JSON.stringify(o));
        return `expected ${list.slice(0, -1).join(", ")}${list.length > 1 ? " or " : ""}${list[list.length - 1] ?? ""}, got ${actual === undefined ? "nothing" : (JSON.stringify(actual) ?? typeName(actual))}`;
      }
      return `expected ${unionExpectation(issue.path)}, got ${typeName(actual)}`;
    }
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}, got ${actual === undefined ? "nothing" : (JSON.stringify(actual) ?? typeName(actual))}`;
    default:
      return lowerFirst(issue.message);
  }
}

function unionExpectation(path: readonly PropertyKey[]): string {
  const last = path[path.length - 2];
  return last === "parts" ? "a string or an expression" : "a string or a non-negative integer";
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && /^[A-Za-z_$][\w$]*$/.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur = value;
  for (const p of path) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, p)) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return typeof v;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

// ## Value checks (iterative: the value may be arbitrarily deep)

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Whether `value` nests deeper than `max` levels, or is too large to walk.
 * A cyclic in-memory value counts as too deep, so nothing after this loops forever.
 */
function tooDeep(value: unknown, max: number): "deep" | "large" | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  let visited = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== "object") continue;
    if (depth >= max) return "deep";
    if (++visited > MAX_GRAPH_OBJECTS) return "large";
    for (const item of Array.isArray(v) ? v : Object.values(v)) stack.push([item, depth + 1]);
  }
  return undefined;
}

/** True for JSON data: null, booleans, finite numbers, strings, arrays and plain objects of them. */
export function isJson(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v === "string" || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return false;
      continue;
    }
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
      continue;
    }
    if (typeof v !== "object") return false;
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    for (const item of Object.values(v)) stack.push(item);
  }
  return true;
}

function positionInMessage(e: unknown): number | undefined {
  const m = e instanceof Error ? /at position (\d+)/.exec(e.message) : null;
  return m === null ? undefined : Number(m[1]);
}
