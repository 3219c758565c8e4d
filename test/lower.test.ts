import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { IrExpr, PlanGraph, PlanNode } from "../src/compiler/ir.js";
import { lower } from "../src/compiler/lower.js";
import { defineTool, toolSet } from "../src/compiler/tool.js";
import { validateGraph } from "../src/compiler/validate.js";
import { parse } from "../src/parser/parse.js";

const tools = toolSet([
  defineTool({
    name: "search",
    input: z.object({ query: z.string(), limit: z.number().optional() }),
    run: () => [],
  }),
  defineTool({
    name: "summarize",
    input: z.object({ text: z.string(), style: z.string().optional() }),
    run: () => "",
  }),
  defineTool({ name: "fetch", input: z.object({ url: z.string() }), run: () => "" }),
]);

function lowerText(text: string, withTools = false): PlanGraph {
  const { plan, diagnostics } = parse(text);
  expect(diagnostics).toEqual([]);
  const graph = lower(plan, withTools ? { tools } : {});
  // Everything lower makes must pass the validator for graphs from outside.
  expect(validateGraph(JSON.parse(JSON.stringify(graph))).diagnostics).toEqual([]);
  return graph;
}

/** The graph without spans, for compact expectations. */
function strip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === "span" ? undefined : v))) as T;
}

const ref = (name: string, ...path: (string | number)[]): IrExpr => ({
  kind: "ref",
  source: "node",
  name,
  path,
});
const lit = (value: string | number | boolean | null): IrExpr => ({ kind: "literal", value });

describe("lower: calls", () => {
  it("numbers nested calls before the call that uses them", () => {
    const g = strip(lowerText('$s = summarize(search("x"), fetch("u"))\n'));
    expect(
      g.nodes.map((n) => [n.id, n.kind === "call" ? n.tool : "each", n.binding ?? null]),
    ).toEqual([
      ["n1", "search", null],
      ["n2", "fetch", null],
      ["n3", "summarize", "s"],
    ]);
    expect(g.nodes[2]).toEqual({
      id: "n3",
      kind: "call",
      binding: "s",
      tool: "summarize",
      args: { positional: [ref("n1"), ref("n2")], named: {} },
      deps: ["n1", "n2"],
    });
  });

  it("marks bare call statements and leaves their nested calls unmarked", () => {
    const g = strip(lowerText('summarize(search("x"))\n'));
    expect(g.nodes).toEqual([
      {
        id: "n1",
        kind: "call",
        tool: "search",
        args: { positional: [lit("x")], named: {} },
        deps: [],
      },
      {
        id: "n2",
        kind: "call",
        tool: "summarize",
        args: { positional: [ref("n1")], named: {} },
        deps: ["n1"],
        statement: true,
      },
    ]);
  });

  it("maps positional arguments to the input schema's keys when tools are known", () => {
    const g = strip(
      lowerText(
        '$a = search("x", limit: 3)\n$b = summarize($a, "short")\n$c = unknown.tool(1, k: 2)\n',
        true,
      ),
    );
    const args = g.nodes.map((n) => (n.kind === "call" ? n.args : undefined));
    expect(args).toEqual([
      { positional: [], named: { query: lit("x"), limit: lit(3) } },
      { positional: [], named: { text: ref("n1"), style: lit("short") } },
      { positional: [lit(1)], named: { k: lit(2) } },
    ]);
    expect(Object.keys((g.nodes[0] as { args: { named: object } }).args.named)).toEqual([
      "query",
      "limit",
    ]);
  });

  it("keeps positional arguments without tools, and named ones in source order", () => {
    const g = strip(lowerText('$a = search("x", style: 1, limit: 2)\n'));
    const node = g.nodes[0] as Extract<PlanNode, { kind: "call" }>;
    expect(node.args.positional).toEqual([lit("x")]);
    expect(Object.keys(node.args.named)).toEqual(["style", "limit"]);
  });

  it("copies spans from the AST", () => {
    const g = lowerText('input $q: string = "hi"\n$a = search(\n  $q)\n');
    expect(g.nodes[0]?.span).toEqual({
      start: { line: 2, column: 6, offset: 29 },
      end: { line: 3, column: 6, offset: 42 },
    });
    expect(g.inputs).toEqual([
      {
        name: "q",
        type: "string",
        default: "hi",
        span: {
          start: { line: 1, column: 1, offset: 0 },
          end: { line: 1, column: 24, offset: 23 },
        },
      },
    ]);
  });
});

describe("lower: expressions", () => {
  it("folds constant lists and objects into one literal, keeps the others structured", () => {
    const g = strip(
      lowerText(
        '$a = search("x")\n$b = fetch([1, {"k": [true, null]}])\n$c = fetch([1, $a], {k: $a.t})\n',
      ),
    );
    const args = g.nodes.map((n) => (n.kind === "call" ? n.args.positional : []));
    expect(args[1]).toEqual([{ kind: "literal", value: [1, { k: [true, null] }] }]);
    expect(args[2]).toEqual([
      { kind: "list", items: [lit(1), ref("n1")] },
      { kind: "object", entries: [["k", ref("n1", "t")]] },
    ]);
    expect(g.nodes[2]?.deps).toEqual(["n1"]);
  });

  it("lowers interpolated strings to templates with merged text", () => {
    const g = strip(
      lowerText('input $who\n$a = search("x")\n$b = fetch("hi \\$ $who, ${a.items[0]}!")\n'),
    );
    expect(g.nodes[1]).toMatchObject({
      args: {
        positional: [
          {
            kind: "template",
            parts: [
              "hi $ ",
              { kind: "ref", source: "input", name: "who", path: [] },
              ", ",
              ref("n1", "items", 0),
              "!",
            ],
          },
        ],
      },
      deps: ["n1"],
    });
  });

  it("refs to inputs name the input and are never deps", () => {
    const g = strip(lowerText("input $topic: string\n$a = search($topic.x[2])\n"));
    expect(g.nodes[0]).toMatchObject({
      args: { positional: [{ kind: "ref", source: "input", name: "topic", path: ["x", 2] }] },
      deps: [],
    });
    expect(g.inputs).toEqual([{ name: "topic", type: "string" }]);
  });

  it("defaults an input's type to any and keeps its default as JSON", () => {
    const g = strip(lowerText('input $xs = [1, {"a": "b"}]\n'));
    expect(g.inputs).toEqual([{ name: "xs", type: "any", default: [1, { a: "b" }] }]);
  });
});

describe("lower: value bindings", () => {
  it("inlines value bindings, composing paths", () => {
    const text = [
      'input $cities: list = ["a"]',
      "$pops = each $c in $cities: search($c)",
      "$top = $pops[0]",
      "$n = 3",
      '$q = "about $top.title and $n"',
      "$r = fetch($top.title, $q)",
      "",
    ].join("\n");
    const g = strip(lowerText(text));
    expect(g.nodes[1]).toEqual({
      id: "n2",
      kind: "call",
      binding: "r",
      tool: "fetch",
      args: {
        positional: [
          ref("n1", 0, "title"),
          { kind: "template", parts: ["about ", ref("n1", 0, "title"), " and 3"] },
        ],
        named: {},
      },
      deps: ["n1"],
    });
  });

  it("resolves paths into inlined lists and objects statically", () => {
    const text = [
      '$a = search("x")',
      '$p = [$a, {"k": $a.v, "s": "lit"}, 7]',
      "$b = fetch($p[0].f, $p[1].k, $p[1].s, $p[2], $p[9], $p[1].missing)",
      "",
    ].join("\n");
    const g = strip(lowerText(text));
    expect(g.nodes[1]).toMatchObject({
      args: {
        positional: [ref("n1", "f"), ref("n1", "v"), lit("lit"), lit(7), lit(null), lit(null)],
      },
      deps: ["n1"],
    });
  });

  it("resolves paths into constant values, and a string value interpolates as text", () => {
    const text = [
      '$c = {"xs": [10, 20]}',
      '$s = "v=$c.xs"',
      "$b = fetch($c.xs[1], $c.xs[5], $s)",
      "",
    ].join("\n");
    const g = strip(lowerText(text));
    expect(g.nodes[0]).toMatchObject({
      args: { positional: [lit(20), lit(null), lit("v=[10,20]")] },
      deps: [],
    });
  });

  it("a call inside a value binding is a node without binding", () => {
    const g = strip(lowerText('$v = [search("x"), 1]\n$w = fetch($v[0])\n'));
    expect(g.nodes.map((n) => [n.id, n.binding ?? null, n.deps])).toEqual([
      ["n1", null, []],
      ["n2", "w", ["n1"]],
    ]);
    expect(g.nodes[1]).toMatchObject({ args: { positional: [ref("n1")] } });
  });
});

describe("lower: each", () => {
  it("lowers the body to local ids and collects outer deps", () => {
    const text = [
      "input $topic",
      "$hits = search($topic)",
      '$style = fetch("style")',
      "$sums = each $h in $hits: summarize(fetch($h.url), style: $style)",
      "",
    ].join("\n");
    const g = strip(lowerText(text));
    expect(g.nodes[2]).toEqual({
      id: "n3",
      kind: "each",
      binding: "sums",
      item: "h",
      over: ref("n1"),
      body: {
        nodes: [
          {
            id: "n3.1",
            kind: "call",
            tool: "fetch",
            args: {
              positional: [{ kind: "ref", source: "item", name: "h", path: ["url"] }],
              named: {},
            },
            deps: [],
          },
          {
            id: "n3.2",
            kind: "call",
            tool: "summarize",
            args: { positional: [ref("n3.1")], named: { style: ref("n2") } },
            deps: ["n2", "n3.1"],
          },
        ],
        output: ref("n3.2"),
      },
      deps: ["n1", "n2"],
    });
  });

  it("gives calls in `over` outer ids before the each, and allows a body without calls", () => {
    const g = strip(
      lowerText('$a = search("q")\n$xs = each $x in fetch($a): {"t": $x.title, "a": $a}\n'),
    );
    expect(g.nodes.map((n) => n.id)).toEqual(["n1", "n2", "n3"]);
    expect(g.nodes[2]).toEqual({
      id: "n3",
      kind: "each",
      binding: "xs",
      item: "x",
      over: ref("n2"),
      body: {
        nodes: [],
        output: {
          kind: "object",
          entries: [
            ["t", { kind: "ref", source: "item", name: "x", path: ["title"] }],
            ["a", ref("n1")],
          ],
        },
      },
      deps: ["n1", "n2"],
    });
  });
});

describe("lower: output", () => {
  it("without return, is an object of every named binding in source order", () => {
    const g = strip(
      lowerText("input $i\n$a = search($i)\nfetch($a)\n$v = $a.x\n$e = each $y in $a: $y\n"),
    );
    expect(g.output).toEqual({
      kind: "object",
      entries: [
        ["a", ref("n1")],
        ["v", ref("n1", "x")],
        ["e", ref("n3")],
      ],
    });
  });

  it("is the return expression, whose calls become unbound nodes", () => {
    const g = strip(lowerText('$a = search("x")\nreturn summarize("Use: $a")\n'));
    expect(g.output).toEqual(ref("n2"));
    expect(g.nodes[1]).toMatchObject({ id: "n2", tool: "summarize", deps: ["n1"] });
    expect(g.nodes[1]?.binding).toBeUndefined();
  });

  it("records the source file and the IR version", () => {
    const { plan } = parse("return 1\n");
    expect(lower(plan, { source: "a.plan" })).toEqual({
      version: 1,
      source: "a.plan",
      inputs: [],
      nodes: [],
      output: lit(1),
    });
  });
});

describe("lower: deps", () => {
  it("are exactly the referenced node ids, sorted in natural order", () => {
    const lines = Array.from({ length: 11 }, (_, i) => `$v${i + 1} = search("${i}")`);
    lines.push("$all = fetch([$v11, $v2, $v2.x, $v1])");
    const g = strip(lowerText(`${lines.join("\n")}\n`));
    expect(g.nodes[11]?.deps).toEqual(["n1", "n2", "n11"]);
  });

  it("come from the arguments as they end up: an overridden argument is not a dep", () => {
    // `fetch`'s only key is `url`: the positional `$a` maps to it, then `url:` replaces it.
    // The checker reports the repeat; lower must still agree with its own output.
    const { plan } = parse('$a = search("x")\n$b = fetch($a, url: "u")\n');
    const g = strip(lower(plan, { tools }));
    expect(g.nodes[1]).toMatchObject({
      args: { positional: [], named: { url: lit("u") } },
      deps: [],
    });
  });

  it("of an each are its outer deps: those of over, of the output and of the body calls", () => {
    const g = strip(
      lowerText(
        '$a = search("a")\n$b = search("b")\n$c = search("c")\n' +
          "$xs = each $x in $c: [fetch($x, $b), $a, fetch(search($x))]\n",
      ),
    );
    expect(g.nodes[3]).toMatchObject({ id: "n4", deps: ["n1", "n2", "n3"] });
    const body = (g.nodes[3] as Extract<PlanNode, { kind: "each" }>).body.nodes;
    expect(body.map((n) => [n.id, n.deps])).toEqual([
      ["n4.1", ["n2"]],
      ["n4.2", []],
      ["n4.3", ["n4.2"]],
    ]);
  });
});

describe("lower: big plans", () => {
  it("resolves every name among thousands, with eaches and value bindings between them", () => {
    const lines = ['input $q: string = "x"'];
    for (let k = 1; k <= 1000; k++) {
      lines.push(k === 1 ? '$s1 = search("$q")' : `$s${k} = search("$q \${s${k - 1}.t}")`);
      lines.push(`$e${k} = each $x in $s${k}: fetch($x${k === 1 ? "" : `, $v${k - 1}`})`);
      lines.push(`$v${k} = {prev: $e${k}, q: $q}`);
    }
    const { plan, diagnostics } = parse(`${lines.join("\n")}\n`);
    expect(diagnostics).toEqual([]);
    const g = strip(lower(plan));
    expect(g.nodes).toHaveLength(2000);
    expect(g.nodes[1998]).toMatchObject({ id: "n1999", tool: "search", deps: ["n1997"] });
    expect(g.nodes[1999]).toMatchObject({ id: "n2000", item: "x", deps: ["n1998", "n1999"] });
    const body = (g.nodes[1999] as Extract<PlanNode, { kind: "each" }>).body.nodes;
    expect(body[0]?.args.positional[1]).toEqual({
      kind: "object",
      entries: [
        ["prev", ref("n1998")],
        ["q", { kind: "ref", source: "input", name: "q", path: [] }],
      ],
    });
    expect((g.output as { entries: unknown[] }).entries).toHaveLength(3000);
  });
});
