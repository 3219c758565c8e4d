// openToolbox: the API's way to combine your own tools, MCP servers and the
// standard library (what the CLI's --tools / --mcp / --std flags do).
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineTool } from "../src/compiler/tool.js";
import { run } from "../src/runtime/run.js";
import { openToolbox, ToolboxError } from "../src/tools/toolbox.js";

const root = resolve(import.meta.dirname, "..");
const calc = `calc=node ${join(root, "test/fixtures/mcp/calc.mjs")}`;

const double = defineTool({
  name: "double",
  input: z.object({ n: z.number() }),
  output: z.number(),
  run: ({ n }) => n * 2,
});

describe("openToolbox", () => {
  it("runs a plan over own tools, an MCP server and the standard library together", async () => {
    const box = await openToolbox({ tools: [double], mcp: [calc], std: true });
    try {
      const names = box.tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(["double", "calc.add", "math.eval"]));
      const r = await run(
        '$a = calc.add(1, 2)\n$b = double($a.sum)\n$c = math.eval("$b * 10")\nreturn $c\n',
        { tools: box.tools },
      );
      expect(r.errors).toEqual([]);
      expect(r.value).toBe(60);
    } finally {
      await box.close();
    }
  });

  it("refuses a tool name two sources define, naming both, and stops what it started", async () => {
    const clash = { ...double, name: "calc.add" };
    const error = await openToolbox({ tools: [clash], mcp: [calc] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolboxError);
    expect((error as Error).message).toBe(
      "tool `calc.add` is defined twice: by the `tools` option and by MCP server `calc`",
    );
  });

  it("reports an MCP server that does not start as a ToolboxError", async () => {
    const error = await openToolbox({ mcp: ["nope=definitely-not-a-command-weft"] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ToolboxError);
    expect((error as Error).message).toContain("nope");
  });

  it("passes the standard library's options: capabilities stay denied unless granted", async () => {
    const box = await openToolbox({ std: { allowNet: ["example.com"] } });
    const r = await run('$x = http.get("https://other.example/")\n', { tools: box.tools });
    expect(r.ok).toBe(false);
    expect(r.errors[0]?.message).toContain("--allow-net other.example");
    await box.close();
  });
});

describe("toolSet", () => {
  it("takes any ReadonlyMap of tools, not only a Map", async () => {
    const { toolSet } = await import("../src/compiler/tool.js");
    const inner = new Map([["double", double]]);
    const readonly: ReadonlyMap<string, typeof double> = {
      get: (k) => inner.get(k),
      has: (k) => inner.has(k),
      forEach: (f) => inner.forEach(f),
      get size() {
        return inner.size;
      },
      entries: () => inner.entries(),
      keys: () => inner.keys(),
      values: () => inner.values(),
      [Symbol.iterator]: () => inner[Symbol.iterator](),
    };
    const r = await run("return double(21)\n", { tools: toolSet(readonly) });
    expect(r.value).toBe(42);
  });
});
