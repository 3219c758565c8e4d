// Keeps docs/language.md true to the parser: every ```plan block parses
// cleanly, every ```plan-error block produces the syntax codes its comments
// name, every syntax example in the diagnostics tables produces its code, and
// every code of the catalogue is documented.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "../src/parser/parse.js";

const root = join(import.meta.dirname, "..");
const doc = readFileSync(join(root, "docs/language.md"), "utf8");
const catalogue = readFileSync(join(root, "src/diagnostics/catalogue.ts"), "utf8");

function line(index: number): number {
  return doc.slice(0, index).split("\n").length;
}

const blocks = [...doc.matchAll(/^```(plan|plan-error)\n([\s\S]*?)^```$/gm)].map((m) => ({
  kind: m[1]!,
  code: m[2]!,
  name: `line ${line(m.index)}`,
}));

const syntaxRows = [...doc.matchAll(/^\| (P\d{3}) +\|[^|\n]*\| `([^`\n]+)` +\|$/gm)].map((m) => ({
  code: m[1]!,
  example: m[2]!,
}));

function codesOf(text: string): string[] {
  return parse(text).diagnostics.map((d) => d.code);
}

describe("docs/language.md", () => {
  it("has examples", () => {
    expect(blocks.filter((b) => b.kind === "plan").length).toBeGreaterThan(10);
    expect(blocks.some((b) => b.kind === "plan-error")).toBe(true);
    expect(syntaxRows.length).toBeGreaterThanOrEqual(10);
  });

  it.each(blocks.filter((b) => b.kind === "plan"))("```plan at $name parses cleanly", (b) => {
    const { diagnostics } = parse(b.code);
    expect(
      diagnostics.map((d) => `${d.range.start.line}:${d.range.start.column} ${d.message}`),
    ).toEqual([]);
  });

  it.each(blocks.filter((b) => b.kind === "plan-error"))(
    "```plan-error at $name reports the syntax codes it names",
    (b) => {
      const named = [...b.code.matchAll(/# (P\d{3})/g)].map((m) => m[1]);
      expect(codesOf(b.code)).toEqual(named);
    },
  );

  it.each(syntaxRows)("$code example `$example`", ({ code, example }) => {
    expect(codesOf(example)).toContain(code);
  });

  it("documents every diagnostic code of the catalogue", () => {
    const codes = [...catalogue.matchAll(/"([PCGW]\d{3})"/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(30);
    const missing = codes.filter((c) => !new RegExp(`^\\| ${c} +\\|`, "m").test(doc));
    expect(missing).toEqual([]);
  });
});
