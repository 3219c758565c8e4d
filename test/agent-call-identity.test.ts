// Which statement of a plan a call is: ordinals read from the plan's shape.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { callOrdinals, planNodeId } from "../src/agent/call-identity.js";
import { compile } from "../src/compiler/compile.js";
import { defineTool, toolSet } from "../src/compiler/tool.js";

const f = defineTool({ name: "f", input: z.object({ x: z.unknown() }), run: ({ x }) => x });
const p = defineTool({
  name: "p",
  input: z.object({ x: z.unknown() }),
  pure: true,
  run: ({ x }) => x,
});
const tools = toolSet([f, p]);

/** Binding -> ordinal. */
function ordinals(text: string): Record<string, number | undefined> {
  const compiled = compile(text, { tools });
  expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const graph = compiled.graph!;
  const byId = callOrdinals(graph, (name) => tools.get(name)?.pure === true);
  const out: Record<string, number | undefined> = {};
  for (const n of graph.nodes) if (n.binding !== undefined) out[n.binding] = byId.get(n.id);
  return out;
}

describe("callOrdinals", () => {
  it("numbers look-alike statements in plan order, whatever their bindings", () => {
    expect(ordinals('$a = f("x")\n$b = f("y")\n$c = f("x")\nreturn [$a, $b, $c]')).toEqual({
      a: 0,
      b: 0,
      c: 1,
    });
  });

  it("compares references by what they name, not by name", () => {
    const o = ordinals('$a = f("x")\n$b = f("x")\n$c = f($a)\n$d = f($b)\nreturn [$c, $d]');
    expect(o).toEqual({ a: 0, b: 1, c: 0, d: 1 });
  });

  it("gives pure calls no ordinal", () => {
    expect(ordinals('$a = p("x")\n$b = f($a)\nreturn $b')).toEqual({ a: undefined, b: 0 });
  });

  it("stays linear down a long chain (shapes are numbered, not nested text)", () => {
    const lines = ['$v0 = f("a")'];
    for (let i = 1; i < 300; i++) lines.push(`$v${i} = f($v${i - 1})`);
    lines.push("$w = f($v0)", "return [$v299, $w]");
    const o = ordinals(lines.join("\n"));
    expect(o["w"]).toBe(1);
    expect(o["v299"]).toBe(0);
  });

  it("maps an each element's call to its body node", () => {
    expect(planNodeId("n3.1[12]")).toBe("n3.1");
    expect(planNodeId("n4")).toBe("n4");
  });
});
