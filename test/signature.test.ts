// Tool signatures in Weft syntax: what the planner prompt, `weft mcp`'s
// describe_tools and the docs show for each tool.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { toolSignature } from "../src/compiler/signature.js";
import { defineTool } from "../src/compiler/tool.js";

const base = {
  name: "wiki.fact",
  input: z.object({ title: z.string(), fact: z.string(), lang: z.string().optional() }),
  output: z.union([z.number(), z.string()]),
  run: () => 1,
};

describe("toolSignature", () => {
  it("writes parameters in order, optional ones with `?`, and the output type", () => {
    expect(toolSignature(defineTool(base))).toBe(
      "wiki.fact(title: string, fact: string, lang?: string) -> number | string",
    );
  });

  it("adds the description's first non-blank line (MCP descriptions often open blank)", () => {
    const tool = defineTool({ ...base, description: "\n\n  One fact of an article.\nMore." });
    expect(toolSignature(tool)).toBe(
      "wiki.fact(title: string, fact: string, lang?: string) -> number | string  # One fact of an article.",
    );
  });

  it("spells out nested object and list types, cut short past three levels", () => {
    const tool = defineTool({
      name: "search",
      input: z.object({ query: z.string() }),
      output: z.array(
        z.object({ title: z.string(), meta: z.object({ a: z.object({ b: z.number() }) }) }),
      ),
      run: () => [],
    });
    expect(toolSignature(tool)).toBe(
      "search(query: string) -> list of {title: string, meta: {a: {...}}}",
    );
  });
});
