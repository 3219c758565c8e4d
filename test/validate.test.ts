import { describe, expect, it } from "vitest";
import type { CallNode, IrExpr, PlanGraph, PlanNode } from "../src/compiler/ir.js";
import { lower } from "../src/compiler/lower.js";
import { parseGraphJson, validateGraph } from "../src/compiler/validate.js";
import type { Diagnostic } from "../src/diagnostics/diagnostic.js";
import { parse } from "../src/parser/parse.js";

const ref = (name: string, source: "node" | "input" | "item" = "node"): IrExpr => ({
  kind: "ref",
  source,
  name,
  path: [],
});

function call(id: string, deps: string[], args: IrExpr[] = deps.map((d) => ref(d))): CallNode {
  return { id, kind: "call", tool: "t", args: { positional: args, named: {} }, deps };
}

function graph(
  nodes: PlanNode[],
  output: IrExpr = { kind: "literal", value: null },
  inputs: PlanGraph["inputs"] = [],
): PlanGraph {
  return { version: 1, inputs, nodes, output };
}

/** `CODE line:col message` for each diagnostic. */
function show(diagnostics: Diagnostic[]): string[] {
  return diagnostics.map(
    (d) => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`,
  );
}

describe("validateGraph: accepts", () => {
  it("every graph that lower makes, after a JSON round trip", () => {
    const text = [
      "input $topic: string",
      "input $n: number = 3",
      "$hits = search($topic, limit: $n)",
      '$style = fetch("style")',
      "$sums = each $h in $hits: summarize(fetch($h.url), style: $style)",
      "$top = $sums[0]",
      'log("top: $top")',
      'return {"top": $top, "all": $sums}',
      "",
    ].join("\n");
    const g = lower(parse(text).plan, { source: "x.plan" });
    const result = parseGraphJson(JSON.stringify(g));
    expect(result.diagnostics).toEqual([]);
    expect(result.graph).toEqual(g);
  });

  it("a 100k-node chain, without overflowing the stack", () => {
    const nodes = Array.from({ length: 100_000 }, (_, i) =>
      call(`n${i + 1}`, i === 0 ? [] : [`n${i}`]),
    );
    const result = validateGraph(graph(nodes, ref("n100000")));
    expect(result.diagnostics).toEqual([]);
    expect(result.graph?.nodes.length).toBe(100_000);
  });

  it("extra deps that no ref uses (ordering only)", () => {
    expect(validateGraph(graph([call("a", []), call("b", ["a"], [])])).diagnostics).toEqual([]);
  });
});

describe("validateGraph: rejects", () => {
  it("a cycle of 3, named in data-flow order from the first node", () => {
    const g = graph([
      call("n1", ["n2"]),
      call("n2", ["n3"]),
      call("n3", ["n1"]),
      call("n4", ["n1"]),
    ]);
    g.nodes[0]!.span = {
      start: { line: 4, column: 2, offset: 30 },
      end: { line: 4, column: 9, offset: 37 },
    };
    const result = validateGraph(g);
    expect(result.graph).toBeUndefined();
    // n1 needs n2, n2 needs n3, n3 needs n1: data flows n1 -> n3 -> n2 -> n1.
    expect(show(result.diagnostics)).toEqual([
      "G004 4:2 the graph has a cycle: n1 -> n3 -> n2 -> n1",
    ]);
  });

  it("a cycle that the DFS enters from its middle, still named from the first-listed node", () => {
    const g = graph([
      call("n1", ["n3"]),
      call("n2", ["n1"]),
      call("n3", ["n2"]),
      call("n4", ["n2"]),
    ]);
    expect(show(validateGraph(g).diagnostics)).toEqual([
      "G004 1:1 the graph has a cycle: n1 -> n2 -> n3 -> n1",
    ]);
  });

  it("a self-dependency and a cycle in a 100k-node chain", () => {
    expect(show(validateGraph(graph([call("a", ["a"])])).diagnostics)).toEqual([
      "G004 1:1 the graph has a cycle: a -> a",
    ]);
    const nodes = Array.from({ length: 100_000 }, (_, i) =>
      call(`n${i + 1}`, [`n${i === 0 ? 100_000 : i}`]),
    );
    const [d] = validateGraph(graph(nodes)).diagnostics;
    expect(d?.code).toBe("G004");
    expect(d?.message).toBe(
      "the graph has a cycle: n1 -> n2 -> n3 -> n4 -> n5 -> n6 -> n7 -> n8 -> n9 -> n10 -> ... 99981 more ... -> n99992 -> n99993 -> n99994 -> n99995 -> n99996 -> n99997 -> n99998 -> n99999 -> n100000 -> n1",
    );
  });

  it("a cycle inside an each body", () => {
    const each: PlanNode = {
      id: "e",
      kind: "each",
      item: "x",
      over: { kind: "literal", value: [] },
      body: { nodes: [call("e.1", ["e.2"]), call("e.2", ["e.1"])], output: ref("e.1") },
      deps: [],
    };
    expect(show(validateGraph(graph([each])).diagnostics)).toEqual([
      "G004 1:1 the graph has a cycle: e.1 -> e.2 -> e.1",
    ]);
  });

  it("dangling refs to nodes, inputs and items, and dangling deps", () => {
    const g = graph(
      [
        call("n1", ["n9"]),
        call("n2", [], [ref("nope", "input"), ref("x", "item")]),
        call("n3", ["n8"], []),
        {
          id: "n4",
          kind: "each",
          item: "x",
          over: ref("x", "item"),
          body: {
            nodes: [call("n4.1", [], [ref("y", "item"), ref("x", "item"), ref("q", "input")])],
            output: ref("n4.1"),
          },
          deps: [],
        },
      ],
      ref("n4.1"),
      [{ name: "q", type: "any" }],
    );
    expect(show(validateGraph(g).diagnostics)).toEqual([
      "G003 1:1 node `n1` refers to `n9`, which does not exist",
      "G003 1:1 node `n2` refers to `$nope`, which does not exist",
      "G003 1:1 node `n2` refers to `$x`, which does not exist",
      "G003 1:1 node `n3` refers to `n8`, which does not exist",
      "G003 1:1 node `n4` refers to `$x`, which does not exist",
      "G003 1:1 node `n4.1` refers to `$y`, which does not exist",
      "G003 1:1 node `output` refers to `n4.1`, which does not exist",
    ]);
  });

  it("a ref that deps do not list, for calls, body calls and each nodes", () => {
    const g = graph([
      call("n1", []),
      call("n2", [], [ref("n1")]),
      {
        id: "n3",
        kind: "each",
        item: "x",
        over: { kind: "literal", value: [] },
        body: {
          nodes: [call("n3.1", ["n1"], [ref("n1"), ref("n3.2")]), call("n3.2", [])],
          output: ref("n2"),
        },
        deps: [],
      },
    ]);
    expect(show(validateGraph(g).diagnostics)).toEqual([
      "G001 1:1 invalid plan graph: node `n2` uses `n1` but does not list it in deps",
      "G001 1:1 invalid plan graph: node `n3.1` uses `n3.2` but does not list it in deps",
      "G001 1:1 invalid plan graph: node `n3` uses `n1` but does not list it in deps",
      "G001 1:1 invalid plan graph: node `n3` uses `n2` but does not list it in deps",
    ]);
  });

  it("duplicate node ids, also between a body and the plan, at the node's span", () => {
    const dup = call("n1", []);
    dup.span = {
      start: { line: 7, column: 3, offset: 50 },
      end: { line: 7, column: 8, offset: 55 },
    };
    const each: PlanNode = {
      id: "n2",
      kind: "each",
      item: "x",
      over: { kind: "literal", value: [] },
      body: { nodes: [call("n1", [])], output: ref("n1") },
      deps: [],
    };
    expect(show(validateGraph(graph([call("n1", []), dup, each])).diagnostics)).toEqual([
      "G005 7:3 duplicate node id `n1`",
      "G005 1:1 duplicate node id `n1`",
    ]);
  });

  it("a version other than 1", () => {
    expect(show(validateGraph({ version: 2, nodes: "whatever" }).diagnostics)).toEqual([
      "G002 1:1 unsupported plan graph version 2",
    ]);
    expect(validateGraph({ version: "1" }).diagnostics[0]?.help).toBe("this Weft reads version 1");
  });

  it("structure errors, with the path to the bad value", () => {
    const value = {
      version: 1,
      inputs: [{ name: "a", type: "text" }],
      nodes: [
        { id: "n1", kind: "call", tool: "t", args: { positional: [], named: {} }, deps: [] },
        {
          id: "n2",
          kind: "call",
          tool: "t",
          args: { positional: [{ kind: "ref", source: "node", name: 3, path: [] }], named: {} },
          deps: "n1",
        },
        { id: "n3", kind: "loop" },
      ],
      output: { kind: "template", parts: ["a", 1] },
    };
    expect(show(validateGraph(value).diagnostics)).toEqual([
      'G001 1:1 invalid plan graph: inputs[0].type: expected "string" or "number" or "boolean" or "list" or "object" or "any", got "text"',
      "G001 1:1 invalid plan graph: nodes[1].args.positional[0].name: expected string, got number",
      "G001 1:1 invalid plan graph: nodes[1].deps: expected array, got string",
      'G001 1:1 invalid plan graph: nodes[2].kind: expected "call" or "each", got "loop"',
      "G001 1:1 invalid plan graph: output.parts[1]: expected a string or an expression, got number",
    ]);
    expect(show(validateGraph({ version: 1, nodes: [] }).diagnostics)).toEqual([
      "G001 1:1 invalid plan graph: inputs: expected array, but it is missing",
      "G001 1:1 invalid plan graph: output: expected object, but it is missing",
    ]);
    expect(show(validateGraph(null).diagnostics)).toEqual([
      "G001 1:1 invalid plan graph: expected object, got null",
    ]);
  });

  it("values nested too deeply or cyclic, without throwing", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(
      show(validateGraph(graph([], { kind: "literal", value: deep as null })).diagnostics),
    ).toEqual(["G001 1:1 invalid plan graph: values are nested more than 500 levels deep"]);
    const cyclic: Record<string, unknown> = { version: 1, inputs: [], nodes: [] };
    cyclic["output"] = cyclic;
    expect(validateGraph(cyclic).diagnostics.map((d) => d.code)).toEqual(["G001"]);
  });

  it("literal values that are not JSON", () => {
    const g = graph([], { kind: "literal", value: [1, Number.NaN] as unknown as null });
    expect(show(validateGraph(g).diagnostics)).toEqual([
      "G001 1:1 invalid plan graph: output.value: expected a JSON value",
    ]);
  });
});

describe("parseGraphJson", () => {
  it.each([
    ['{\n  "version": 1,\n  "nodes": [}\n', "3:13", "expected a JSON value, found `}`"],
    [
      '{\n  "version": 1,\n  "nodes": [1,',
      "3:15",
      "expected a JSON value, found the end of the input",
    ],
    ['{"a": "abc', "1:7", "unterminated string"],
    ['{"a" 1}', "1:6", "expected `:`, found `1`"],
    ["{'a': 1}", "1:2", "expected a property name in double quotes, found `'`"],
    ["[1, 2] x", "1:8", "unexpected `x` after the JSON value"],
    ["[01]", "1:3", "expected `,` or `]`, found `1`"],
    ['["\\x"]', "1:3", "invalid escape in string"],
    ["", "1:1", "expected a JSON value, found the end of the input"],
  ])("reports malformed JSON %j at %s", (text, at, message) => {
    expect(show(parseGraphJson(text).diagnostics)).toEqual([
      `G001 ${at} invalid plan graph: malformed JSON: ${message}`,
    ]);
  });

  it("validates well-formed JSON", () => {
    expect(show(parseGraphJson('{"version": 3}').diagnostics)).toEqual([
      "G002 1:1 unsupported plan graph version 3",
    ]);
  });
});
