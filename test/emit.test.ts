import { describe, expect, it } from "vitest";
import { toDot } from "../src/compiler/emit/dot.js";
import { toJson } from "../src/compiler/emit/json.js";
import { toMermaid } from "../src/compiler/emit/mermaid.js";
import type { PlanGraph } from "../src/compiler/ir.js";
import { lower } from "../src/compiler/lower.js";
import { parseGraphJson } from "../src/compiler/validate.js";
import { parse } from "../src/parser/parse.js";

const text = [
  "input $topic: string",
  "$hits = search($topic)",
  "$sums = each $h in $hits: summarize(fetch($h.url), $topic)",
  'return llm("Answer: $sums")',
  "",
].join("\n");
const graph = lower(parse(text).plan);

/** A graph with names no plan can have, as a JSON file might hold. */
const odd: PlanGraph = {
  version: 1,
  inputs: [{ name: "end", type: "any" }],
  nodes: [
    {
      id: "end",
      kind: "call",
      binding: 'say "hi"',
      tool: "we\\ird#<b>",
      args: { positional: [], named: {} },
      deps: [],
    },
    {
      id: "n.1",
      kind: "call",
      tool: "t",
      args: { positional: [{ kind: "ref", source: "input", name: "end", path: [] }], named: {} },
      deps: ["end"],
    },
    { id: "n_1", kind: "call", tool: "t", args: { positional: [], named: {} }, deps: [] },
  ],
  output: { kind: "literal", value: null },
};

describe("toJson", () => {
  it("prints a fixed key order, two-space indented, with a trailing newline", () => {
    const g: PlanGraph = {
      output: { value: { z: 1, a: [true] }, kind: "literal" },
      nodes: [
        {
          span: {
            end: { offset: 5, column: 6, line: 1 },
            start: { offset: 0, column: 1, line: 1 },
          },
          deps: [],
          args: {
            named: { q: { path: [0], name: "x", source: "input", kind: "ref" } },
            positional: [],
          },
          tool: "search",
          kind: "call",
          id: "n1",
        },
      ],
      inputs: [{ type: "list", name: "x" }],
      source: "a.plan",
      version: 1,
    };
    expect(toJson(g)).toBe(`{
  "version": 1,
  "source": "a.plan",
  "inputs": [
    {
      "name": "x",
      "type": "list"
    }
  ],
  "nodes": [
    {
      "id": "n1",
      "kind": "call",
      "tool": "search",
      "args": {
        "positional": [],
        "named": {
          "q": {
            "kind": "ref",
            "source": "input",
            "name": "x",
            "path": [
              0
            ]
          }
        }
      },
      "deps": [],
      "span": {
        "start": {
          "line": 1,
          "column": 1,
          "offset": 0
        },
        "end": {
          "line": 1,
          "column": 6,
          "offset": 5
        }
      }
    }
  ],
  "output": {
    "kind": "literal",
    "value": {
      "z": 1,
      "a": [
        true
      ]
    }
  }
}
`);
  });

  it("round-trips through parseGraphJson", () => {
    const json = toJson(graph);
    const back = parseGraphJson(json);
    expect(back.diagnostics).toEqual([]);
    expect(toJson(back.graph as PlanGraph)).toBe(json);
  });
});

describe("toDot", () => {
  it("draws inputs, calls, each clusters and dependency edges", () => {
    expect(toDot(graph)).toBe(`digraph plan {
  rankdir=TB;
  node [shape=box, style=rounded, fontname="Helvetica"];
  "$topic" [label="$topic: string", shape=parallelogram];
  "n1" [label="$hits = search"];
  subgraph "cluster_n2" {
    label="each $h";
    style=dashed;
    "n2" [label="$sums = each $h", shape=doubleoctagon];
    "n2.1" [label="fetch"];
    "n2.2" [label="summarize"];
  }
  "n3" [label="llm"];
  "$topic" -> "n1";
  "n1" -> "n2";
  "n2" -> "n2.1" [style=dashed];
  "n2.1" -> "n2.2";
  "$topic" -> "n2.2";
  "n2" -> "n3";
}
`);
  });

  it("escapes quotes and backslashes", () => {
    expect(toDot(odd)).toBe(`digraph plan {
  rankdir=TB;
  node [shape=box, style=rounded, fontname="Helvetica"];
  "$end" [label="$end: any", shape=parallelogram];
  "end" [label="$say \\"hi\\" = we\\\\ird#<b>"];
  "n.1" [label="t"];
  "n_1" [label="t"];
  "end" -> "n.1";
  "$end" -> "n.1";
}
`);
  });
});

describe("toMermaid", () => {
  it("draws a flowchart with safe ids, shapes and a subgraph per each", () => {
    expect(toMermaid(graph)).toBe(`flowchart TD
  in_topic[/"$topic: string"/]
  n1["$hits = search"]
  subgraph n2_body ["each $h"]
    n2{{"$sums = each $h"}}
    n2_1["fetch"]
    n2_2["summarize"]
  end
  n3["llm"]
  in_topic --> n1
  n1 --> n2
  n2 -.-> n2_1
  n2_1 --> n2_2
  in_topic --> n2_2
  n2 --> n3
`);
  });

  it("escapes labels with entity codes and keeps ids distinct and non-reserved", () => {
    expect(toMermaid(odd)).toBe(`flowchart TD
  in_end[/"$end: any"/]
  id_end["$say #quot;hi#quot; = we\\ird#35;#lt;b#gt;"]
  n_1["t"]
  n_1_2["t"]
  id_end --> n_1
  in_end --> n_1
`);
  });
});
