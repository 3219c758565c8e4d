// The public API: types (expectTypeOf) and behaviour through the package entry.
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import * as weft from "../src/index.js";
import type { Diagnostic, PlanGraph, ToolDefinition } from "../src/index.js";

const search = weft.defineTool({
  name: "search",
  description: "Search",
  input: z.object({ query: z.string(), limit: z.number().optional() }),
  output: z.array(z.object({ title: z.string() })),
  run: async ({ query, limit }, ctx) => {
    expectTypeOf(query).toEqualTypeOf<string>();
    expectTypeOf(limit).toEqualTypeOf<number | undefined>();
    expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
    return [{ title: query }];
  },
});

describe("public API types", () => {
  it("defineTool infers run's arguments and result from the zod schemas", () => {
    expectTypeOf(search).toMatchTypeOf<ToolDefinition>();
    expectTypeOf(search.run).returns.toEqualTypeOf<
      { title: string }[] | Promise<{ title: string }[]>
    >();
    weft.defineTool({
      name: "bad",
      input: z.object({ n: z.number() }),
      output: z.string(),
      // @ts-expect-error -- the output schema says string
      run: ({ n }) => n,
    });
  });

  it("the pipeline functions have the documented signatures", () => {
    expectTypeOf(weft.parse).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(weft.parse).returns.toHaveProperty("plan");
    expectTypeOf(weft.check).returns.toHaveProperty("diagnostics").toEqualTypeOf<Diagnostic[]>();
    expectTypeOf(weft.compile)
      .returns.toHaveProperty("graph")
      .toEqualTypeOf<PlanGraph | undefined>();
    expectTypeOf(weft.format).returns.toHaveProperty("text").toEqualTypeOf<string | undefined>();
    expectTypeOf(weft.validateGraph).parameter(0).toBeUnknown();
    expectTypeOf<Diagnostic["severity"]>().toEqualTypeOf<"error" | "warning">();
    expectTypeOf<PlanGraph["version"]>().toEqualTypeOf<1>();
  });
});

describe("public API behaviour", () => {
  const text = '$hits = search("weft", limit: 2)\nreturn $hits[0].title\n';

  it("parse, check, compile and format work together", () => {
    expect(weft.parse(text).diagnostics).toEqual([]);
    expect(weft.check(text, { tools: [search] }).ok).toBe(true);
    const { graph } = weft.compile(text, { tools: [search] });
    expect(graph?.nodes.map((n) => n.id)).toEqual(["n1"]);
    expect(weft.validateGraph(JSON.parse(weft.toJson(graph!))).diagnostics).toEqual([]);
    expect(weft.format("$hits=search( 'weft' ,limit=2)\nreturn $hits[0].title").text).toBe(text);
  });

  it("returns diagnostics as data, never throws", () => {
    const r = weft.check('$x = serch("a")', { tools: [search] });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({
      code: "C004",
      severity: "error",
      help: "did you mean `search`?",
    });
    expect(r.diagnostics[0]?.range.start).toEqual({ line: 1, column: 6, offset: 5 });
    expect(weft.renderDiagnostics(r.diagnostics, '$x = serch("a")', { file: "p.plan" })).toContain(
      "p.plan:1:6: error[C004]: unknown tool `serch`",
    );
  });

  it("diagnostics are plain JSON data", () => {
    const r = weft.check("$x = f(", {});
    expect(JSON.parse(JSON.stringify(r.diagnostics))).toEqual(r.diagnostics);
  });

  it("the built package exports the same API", async () => {
    // `weft` resolves to dist/ (built by the test setup) through the package's own exports.
    const built = (await import("weft")) as unknown as typeof weft;
    expect(Object.keys(built).sort()).toEqual(Object.keys(weft).sort());
    expect(built.check(text, { tools: [search] }).ok).toBe(true);
  });
});
