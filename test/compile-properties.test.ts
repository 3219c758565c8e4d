// Properties of compiling generated valid plans: the graph is acyclic, its
// edges are exactly the references, and no call is ever dropped or doubled.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import type { IrExpr, PlanNode } from "../src/compiler/ir.js";
import { validateGraph } from "../src/compiler/validate.js";
import type { Expr, Plan } from "../src/parser/ast.js";
import { parse } from "../src/parser/parse.js";
import { arbPlanText } from "./arbitraries/plan.js";

function nodeRefs(e: IrExpr, out: Set<string>): void {
  switch (e.kind) {
    case "ref":
      if (e.source === "node") out.add(e.name);
      return;
    case "template":
      for (const p of e.parts) if (typeof p !== "string") nodeRefs(p, out);
      return;
    case "list":
      for (const i of e.items) nodeRefs(i, out);
      return;
    case "object":
      for (const [, v] of e.entries) nodeRefs(v, out);
      return;
    default:
      return;
  }
}

/** The node ids a node's expressions refer to, excluding its own body's local ids. */
function referenced(n: PlanNode): Set<string> {
  const out = new Set<string>();
  if (n.kind === "call") {
    for (const e of [...n.args.positional, ...Object.values(n.args.named)]) nodeRefs(e, out);
    return out;
  }
  nodeRefs(n.over, out);
  nodeRefs(n.body.output, out);
  for (const b of n.body.nodes) for (const e of Object.values(b.args.named)) nodeRefs(e, out);
  for (const b of n.body.nodes) for (const e of b.args.positional) nodeRefs(e, out);
  for (const b of n.body.nodes) out.delete(b.id);
  return out;
}

function countCalls(plan: Plan): number {
  let calls = 0;
  const expr = (e: Expr): void => {
    if (e.kind === "Call") {
      calls++;
      for (const a of e.args) expr(a.value);
    } else if (e.kind === "List") e.items.forEach(expr);
    else if (e.kind === "Object") e.entries.forEach((en) => expr(en.value));
  };
  for (const s of plan.statements) {
    if (s.kind === "Binding") {
      if (s.value.kind === "Each") {
        expr(s.value.over);
        expr(s.value.body);
      } else expr(s.value);
    } else if (s.kind === "CallStatement") expr(s.call);
    else if (s.kind === "Return") expr(s.value);
  }
  return calls;
}

describe("compile properties (generated valid plans)", () => {
  it("graphs are acyclic, topologically ordered, with deps exactly the references, and keep every call", () => {
    fc.assert(
      fc.property(arbPlanText, (text) => {
        const r = compile(text, { mergePure: false });
        // Generated plans are syntactically valid; a few are ill-typed (`each` over `true`).
        expect(r.diagnostics.every((d) => d.code.startsWith("C"))).toBe(true);
        fc.pre(r.graph !== undefined);
        const graph = r.graph!;
        expect(validateGraph(JSON.parse(JSON.stringify(graph))).diagnostics).toEqual([]);
        const seen = new Set<string>();
        let calls = 0;
        for (const n of graph.nodes) {
          expect([...referenced(n)].sort()).toEqual([...n.deps].sort());
          for (const d of n.deps) expect(seen.has(d)).toBe(true);
          seen.add(n.id);
          calls += n.kind === "call" ? 1 : n.body.nodes.length;
        }
        expect(calls).toBe(countCalls(parse(text).plan));
      }),
      { numRuns: 1000 },
    );
  });
});
