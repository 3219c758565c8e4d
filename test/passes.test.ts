import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { CallNode, IrExpr, Json, PlanGraph, PlanNode } from "../src/compiler/ir.js";
import {
  compareIds,
  inDependencyOrder,
  sortedIds,
  topologicalOrder,
} from "../src/compiler/ir-walk.js";
import { lower } from "../src/compiler/lower.js";
import { mergePure } from "../src/compiler/passes/merge-pure.js";
import { prune } from "../src/compiler/passes/prune.js";
import { defineTool, toolSet } from "../src/compiler/tool.js";
import type { AnyTool } from "../src/compiler/tool.js";
import { validateGraph } from "../src/compiler/validate.js";
import { parse } from "../src/parser/parse.js";
import { planText } from "./arbitraries/plan.js";

const tool = (name: string, extra: Partial<AnyTool> = {}): AnyTool =>
  defineTool({
    name,
    input: z.object({ a: z.unknown().optional(), b: z.unknown().optional() }),
    run: () => null,
    ...extra,
  });

const tools = toolSet([
  tool("f", { pure: true }),
  tool("g", { pure: true }),
  tool("search"),
  tool("send", { effect: true }),
]);

function lowerText(text: string): PlanGraph {
  const { plan, diagnostics } = parse(text);
  expect(diagnostics).toEqual([]);
  return lower(plan, { tools });
}

/** Runs a pass, checking that it leaves its input alone and its output valid. */
function run(g: PlanGraph, pass: (g: PlanGraph) => PlanGraph): PlanGraph {
  const before = JSON.stringify(g);
  const out = pass(g);
  expect(JSON.stringify(g)).toBe(before);
  expect(validateGraph(JSON.parse(JSON.stringify(out))).diagnostics).toEqual([]);
  return out;
}

/** `id binding? tool deps` per node, bodies indented. */
function summary(g: PlanGraph): string[] {
  return g.nodes.flatMap((n) => {
    const head = `${n.id}${n.binding === undefined ? "" : ` $${n.binding}`} ${n.kind === "call" ? n.tool : "each"} [${n.deps.join(",")}]`;
    if (n.kind === "call") return [head];
    return [head, ...n.body.nodes.map((b) => `  ${b.id} ${b.tool} [${b.deps.join(",")}]`)];
  });
}

describe("prune", () => {
  const text = [
    'search("statement")', // n1: a statement
    '$dead = search("unused")', // n2
    '$feeds = search("x")', // n3: only feeds an effect
    "$eff = send($feeds)", // n4: effect
    "$deadToo = f($dead)", // n5
    '$used = search("y")', // n6
    "$xs = each $x in $used: send($x)", // n7: body calls an effect tool
    "$ys = each $y in [1, 2]: search($y)", // n8: dead each
    "return g($used, $used.z)", // n9
    "",
  ].join("\n");

  it("keeps statements, effects and what the output needs; removes the rest", () => {
    const g = run(lowerText(text), (x) => prune(x, tools));
    expect(summary(g)).toEqual([
      "n1 search []",
      "n3 $feeds search []",
      "n4 $eff send [n3]",
      "n6 $used search []",
      "n7 $xs each [n6]",
      "  n7.1 send []",
      "n9 g [n6]",
    ]);
  });

  it("without tools, knows no effects", () => {
    const g = run(lowerText(text), (x) => prune(x));
    expect(g.nodes.map((n) => n.id)).toEqual(["n1", "n6", "n9"]);
  });

  it("keeps every binding of a plan without return (they are all in the output)", () => {
    const g = lowerText('$a = search("1")\n$b = f($a)\n');
    expect(run(g, (x) => prune(x, tools))).toEqual(g);
  });

  it("removes dead calls inside an each body (from a graph read from JSON), and the outer deps only they used", () => {
    // Lowered plan bodies have no dead calls: point the body's output past one.
    const g = lowerText(
      '$o = search("o")\n$k = search("k")\n$xs = each $x in [1]: [f($x, $o), g($x)]\nreturn $xs\n',
    );
    const each = g.nodes[2] as Extract<PlanGraph["nodes"][number], { kind: "each" }>;
    each.body.output = { kind: "ref", source: "node", name: "n3.2", path: [] };
    expect(summary(g)).toEqual([
      "n1 $o search []",
      "n2 $k search []",
      "n3 $xs each [n1]",
      "  n3.1 f [n1]",
      "  n3.2 g []",
    ]);
    expect(summary(run(g, (x) => prune(x, tools)))).toEqual(["n3 $xs each []", "  n3.2 g []"]);
  });
});

describe("mergePure", () => {
  it("merges identical pure calls, transitively: f(g(1)) twice is 2 nodes", () => {
    const g = run(lowerText("$a = f(g(1))\n$b = f(g(1))\nreturn [$a, $b]\n"), (x) =>
      mergePure(x, tools),
    );
    expect(summary(g)).toEqual(["n1 g []", "n2 $a f [n1]"]);
    expect(g.output).toEqual({
      kind: "list",
      items: [
        { kind: "ref", source: "node", name: "n2", path: [] },
        { kind: "ref", source: "node", name: "n2", path: [] },
      ],
    });
  });

  it("does not merge impure calls, nor calls with different arguments", () => {
    const g = lowerText(
      '$a = search("x")\n$b = search("x")\n$c = f($a)\n$d = f($b)\n$e = f(1)\n$h = f(2)\n',
    );
    expect(summary(run(g, (x) => mergePure(x, tools)))).toEqual(summary(g));
  });

  it("treats named arguments as a record (order does not matter) and rewrites the output", () => {
    const g = run(lowerText("$a = f(a: 1, b: [2])\n$b = f(b: [2], a: 1)\n$c = f(1, [2])\n"), (x) =>
      mergePure(x, tools),
    );
    expect(summary(g)).toEqual(["n1 $a f []"]);
    expect(g.output).toEqual({
      kind: "object",
      entries: [
        ["a", { kind: "ref", source: "node", name: "n1", path: [] }],
        ["b", { kind: "ref", source: "node", name: "n1", path: [] }],
        ["c", { kind: "ref", source: "node", name: "n1", path: [] }],
      ],
    });
  });

  it("keeps a merged statement a statement, so prune still keeps it", () => {
    const g = run(lowerText("$a = f(1)\nf(1)\nreturn 0\n"), (x) => mergePure(x, tools));
    expect(g.nodes).toMatchObject([{ id: "n1", binding: "a", statement: true }]);
    expect(run(g, (x) => prune(x, tools)).nodes.map((n) => n.id)).toEqual(["n1"]);
  });

  it("merges inside an each body and rewrites refs into it", () => {
    const g = run(
      lowerText("$a = g(0)\n$b = g(0)\n$xs = each $x in [1]: [f($x, $b), f($x, $a)]\n"),
      (x) => mergePure(x, tools),
    );
    expect(summary(g)).toEqual(["n1 $a g []", "n3 $xs each [n1]", "  n3.1 f [n1]"]);
    expect(g.nodes[1]).toMatchObject({
      body: {
        output: {
          kind: "list",
          items: [
            { kind: "ref", name: "n3.1" },
            { kind: "ref", name: "n3.1" },
          ],
        },
      },
    });
  });
});

describe("mergePure: what it shares, orders and compares", () => {
  it("shares the nodes it does not change, and copies the one a statement merges into", () => {
    const g = lowerText('$a = f(1)\n$b = search("x")\nf(1)\nreturn [$a, $b]\n');
    const out = run(g, (x) => mergePure(x, tools));
    expect(summary(out)).toEqual(["n1 $a f []", "n2 $b search []"]);
    expect(out.nodes[1]).toBe(g.nodes[1]);
    expect(out.nodes[0]).not.toBe(g.nodes[0]);
    expect(out.nodes[0]).toEqual({ ...g.nodes[0], statement: true });
    expect(g.nodes[0]).not.toHaveProperty("statement");
  });

  it("visits a graph whose nodes are out of order in dependency order, keeping its order", () => {
    const g = lowerText("$a = f(g(1))\n$b = search($a)\n$c = f(g(1))\n$d = f($b, $c)\n");
    expect(summary(run(g, (x) => mergePure(x, tools)))).toEqual([
      "n1 g []",
      "n2 $a f [n1]",
      "n3 $b search [n2]",
      "n6 $d f [n2,n3]",
    ]);
    // Reversed, `g(1)` as n4 is met first (it depends on nothing), so n4 and n5 stay.
    const reversed = run({ ...g, nodes: [...g.nodes].reverse() }, (x) => mergePure(x, tools));
    expect(summary(reversed)).toEqual([
      "n6 $d f [n3,n5]",
      "n5 $c f [n4]",
      "n4 g []",
      "n3 $b search [n5]",
    ]);
  });

  it("returns deps sorted and without repeats, also where nothing merged", () => {
    const node = (id: string, deps: string[]): CallNode => ({
      id,
      kind: "call",
      tool: "search",
      args: { positional: [], named: {} },
      deps,
    });
    const g: PlanGraph = {
      version: 1,
      inputs: [],
      nodes: [node("n2", []), node("n10", []), node("n11", ["n10", "n2", "n10"])],
      output: { kind: "literal", value: null },
    };
    expect(mergePure(g, tools).nodes.map((n) => n.deps)).toEqual([[], [], ["n2", "n10"]]);
    expect(g.nodes[2]?.deps).toEqual(["n10", "n2", "n10"]);
  });

  it("compares literal arguments by their JSON text", () => {
    const call = (id: string, value: Json, name = "a"): CallNode => ({
      id,
      kind: "call",
      tool: "f",
      args: { positional: [], named: { [name]: { kind: "literal", value } } },
      deps: [],
    });
    const g: PlanGraph = {
      version: 1,
      inputs: [],
      nodes: [
        call("n1", 0),
        call("n2", -0), // written `0`: the same call
        call("n3", "0"),
        call("n4", { x: 1, y: 2 }),
        call("n5", { y: 2, x: 1 }), // another key order is another JSON text
        call("n6", { x: 1, y: 2 }),
        call("n7", [1, [2]]),
        call("n8", [1, [2]]),
        call("n9", 0, "b"),
      ],
      output: { kind: "literal", value: null },
    };
    expect(run(g, (x) => mergePure(x, tools)).nodes.map((n) => n.id)).toEqual([
      "n1",
      "n3",
      "n4",
      "n5",
      "n7",
      "n9",
    ]);
  });
});

describe("node ids (ir-walk)", () => {
  /** The natural order as first written: split into digit and other runs with regexes. */
  function referenceCompare(a: string, b: string): number {
    const pa = a.match(/\d+|\D+/g) ?? [];
    const pb = b.match(/\d+|\D+/g) ?? [];
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
      const x = pa[i] as string;
      const y = pb[i] as string;
      if (x === y) continue;
      if (/^\d/.test(x) && /^\d/.test(y)) {
        const xs = x.replace(/^0+(?=\d)/, "");
        const ys = y.replace(/^0+(?=\d)/, "");
        if (xs.length !== ys.length) return xs.length - ys.length;
        if (xs !== ys) return xs < ys ? -1 : 1;
        return x.length - y.length;
      }
      return x < y ? -1 : 1;
    }
    return pa.length - pb.length || (a < b ? -1 : a > b ? 1 : 0);
  }

  it("sort in natural order: digit runs by value, other runs as text, shorter first", () => {
    const ids = [
      "n10",
      "n2",
      "n3.10",
      "n3.2",
      "n3",
      "n07",
      "n7",
      "ab1",
      "ab!",
      "",
      "n",
      "n99999999999999999999",
      "n100000000000000000000",
    ];
    expect(sortedIds([...ids, "n2", "n3"])).toEqual([
      "",
      "ab1",
      "ab!",
      "n",
      "n2",
      "n3",
      "n3.2",
      "n3.10",
      "n7",
      "n07",
      "n10",
      "n99999999999999999999",
      "n100000000000000000000",
    ]);
  });

  it("compare exactly as the regex-based definition does", () => {
    // Digits, zeros, dots, other ASCII and non-ASCII text, and a surrogate pair.
    const id = fc
      .array(fc.constantFrom("n", "0", "1", "9", ".", "a", "b", "!", "é", "😀"), { maxLength: 8 })
      .map((cs) => cs.join(""));
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(compareIds(a, b)).toBe(referenceCompare(a, b));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.array(id, { maxLength: 12 }), (ids) => {
        expect(sortedIds(ids)).toEqual([...new Set(ids)].sort(referenceCompare));
      }),
      { numRuns: 500 },
    );
  });

  it("tell a list in dependency order, with or without repeated ids", () => {
    const node = (id: string, ...deps: string[]): PlanNode => ({
      id,
      kind: "call",
      tool: "t",
      args: { positional: [], named: {} },
      deps,
    });
    const lowered = lowerText("$a = f(1)\n$b = f($a)\n$c = each $x in $b: g($x, $a)\n").nodes;
    expect(inDependencyOrder(lowered, true)).toBe(true);
    expect(inDependencyOrder([...lowered].reverse())).toBe(false);
    // Ids out of natural order, deps naming nothing here, deps naming a later node.
    expect(inDependencyOrder([node("b"), node("a", "b", "zz")], true)).toBe(true);
    expect(inDependencyOrder([node("a", "b"), node("b")])).toBe(false);
    expect(inDependencyOrder([node("a", "a")])).toBe(false);
    // A repeated id is fine for the order, not where ids must be unique.
    const repeated = [node("x"), node("y", "x"), node("x")];
    expect(inDependencyOrder(repeated)).toBe(true);
    expect(inDependencyOrder(repeated, true)).toBe(false);
    expect(topologicalOrder([node("c", "b"), node("b", "a"), node("a")])?.map((n) => n.id)).toEqual(
      ["a", "b", "c"],
    );
  });
});

describe("passes on generated plans", () => {
  it("keep every lowered graph valid, and are idempotent", () => {
    fc.assert(
      fc.property(planText({ tools: ["f", "g", "search", "send"], maxStatements: 8 }), (text) => {
        const { plan, diagnostics } = parse(text);
        fc.pre(diagnostics.length === 0);
        // Without the checker a generated call may have more positional arguments than
        // keys; lower keeps those positional, which the validator accepts.
        const g = lower(plan, { tools });
        expect(validateGraph(JSON.parse(JSON.stringify(g))).diagnostics).toEqual([]);
        const merged = run(g, (x) => mergePure(x, tools));
        expect(evaluate(merged)).toEqual(evaluate(g));
        expect(mergePure(merged, tools)).toEqual(merged);
        const pruned = run(merged, (x) => prune(x, tools));
        expect(prune(pruned, tools)).toEqual(pruned);
        expect(pruned.nodes.length).toBeLessThanOrEqual(g.nodes.length);
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * A tiny reference interpreter: pure tools echo their arguments, the others
 * also return a counter, so a wrong merge (or a lost call) changes the value.
 */
function evaluate(g: PlanGraph): Json {
  let counter = 0;
  const inputs = new Map(g.inputs.map((i) => [i.name, i.default ?? `input ${i.name}`]));
  const values = new Map<string, Json>();
  const select = (v: Json, path: (string | number)[]): Json => {
    let cur: Json = v;
    for (const step of path) {
      if (cur === null || typeof cur !== "object") return null;
      cur =
        (Array.isArray(cur)
          ? cur[step as number]
          : Object.hasOwn(cur, step)
            ? cur[step as string]
            : null) ?? null;
    }
    return cur;
  };
  const expr = (e: IrExpr, item?: [string, Json]): Json => {
    switch (e.kind) {
      case "literal":
        return e.value;
      case "ref": {
        const base =
          e.source === "node"
            ? values.get(e.name)
            : e.source === "input"
              ? inputs.get(e.name)
              : item?.[1];
        return select(base ?? null, e.path);
      }
      case "template":
        return e.parts
          .map((p) =>
            typeof p === "string"
              ? p
              : ((v) => (typeof v === "string" ? v : JSON.stringify(v)))(expr(p, item)),
          )
          .join("");
      case "list":
        return e.items.map((i) => expr(i, item));
      case "object":
        return Object.fromEntries(e.entries.map(([k, v]) => [k, expr(v, item)]));
    }
  };
  const call = (n: CallNode, item?: [string, Json]): Json => {
    const named: Record<string, Json> = {};
    for (const k of Object.keys(n.args.named).sort())
      named[k] = expr(n.args.named[k] as IrExpr, item);
    const result: Json = { tool: n.tool, p: n.args.positional.map((a) => expr(a, item)), named };
    if (tools.get(n.tool)?.pure !== true) result["k"] = counter++;
    return result;
  };
  for (const n of g.nodes) {
    if (n.kind === "call") {
      values.set(n.id, call(n));
      continue;
    }
    const over = expr(n.over);
    const results = (Array.isArray(over) ? over : []).map((x) => {
      const item: [string, Json] = [n.item, x];
      for (const b of n.body.nodes) values.set(b.id, call(b, item));
      return expr(n.body.output, item);
    });
    values.set(n.id, results);
  }
  return expr(g.output);
}
