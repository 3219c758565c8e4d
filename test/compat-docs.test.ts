// Keeps docs/import.md true to the readers: each example imports to the Weft
// plan shown after it, and every import diagnostic code is documented.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IMPORT_CODES, importPlan, type ForeignFormat } from "../src/compat/index.js";

const doc = readFileSync(join(import.meta.dirname, "..", "docs", "import.md"), "utf8");

const examples = [
  ...doc.matchAll(/^```(rewoo|llmcompiler|coa)\n([\s\S]*?)^```\n\n```plan\n([\s\S]*?)^```$/gm),
].map((m) => ({ format: m[1] as ForeignFormat, source: m[2]!, weft: m[3]! }));

describe("docs/import.md", () => {
  it("has an example for each format", () => {
    expect(examples.map((e) => e.format).sort()).toEqual(["coa", "llmcompiler", "rewoo"]);
  });

  it.each(examples)("the $format example imports to the plan shown", ({ format, source, weft }) => {
    const r = importPlan(format, source);
    expect(r.diagnostics).toEqual([]);
    expect(r.text).toBe(weft);
  });

  it("documents every import diagnostic code", () => {
    for (const code of ["I000", ...IMPORT_CODES])
      expect(doc).toMatch(new RegExp(`^\\| ${code} `, "m"));
  });
});
