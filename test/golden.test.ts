// Golden cases, one folder each: test/cases/<name>/input.plan beside
// expected.ir.json (the plan compiles) or expected.errors.txt (it does not).
// UPDATE_SNAPSHOTS=1 rewrites the expected files; FILTER=<substring> picks cases.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import { toJson } from "../src/compiler/emit/json.js";
import { validateGraph } from "../src/compiler/validate.js";
import { renderDiagnostics } from "../src/diagnostics/render.js";
import { formatText } from "../src/parser/format.js";
import tools from "./fixtures/tools.js";

const root = join(import.meta.dirname, "cases");
const update = process.env["UPDATE_SNAPSHOTS"] === "1";
const filter = process.env["FILTER"];
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && (filter === undefined || d.name.includes(filter)))
  .map((d) => d.name)
  .sort();

function expectFile(path: string, actual: string): void {
  if (update || !existsSync(path)) {
    writeFileSync(path, actual);
    return;
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}

describe("golden cases", () => {
  it("has cases", () => {
    expect(cases.length).toBeGreaterThan(filter === undefined ? 10 : 0);
  });

  for (const name of cases) {
    it(name, () => {
      const dir = join(root, name);
      const source = readFileSync(join(dir, "input.plan"), "utf8");
      const result = compile(source, { tools, source: "input.plan" });
      const irPath = join(dir, "expected.ir.json");
      const errorsPath = join(dir, "expected.errors.txt");
      if (result.graph !== undefined) {
        expect(existsSync(errorsPath), `${name}: compiles, but expected.errors.txt exists`).toBe(
          false,
        );
        expectFile(irPath, toJson(result.graph));
        expect(validateGraph(JSON.parse(toJson(result.graph))).diagnostics).toEqual([]);
        // A formatted plan compiles to the same graph, spans aside.
        const formatted = formatText(source).text;
        expect(formatted).toBeDefined();
        const again = compile(formatted ?? "", { tools, source: "input.plan" });
        expect(stripSpans(again.graph)).toEqual(stripSpans(result.graph));
      } else {
        expect(existsSync(irPath), `${name}: fails, but expected.ir.json exists`).toBe(false);
        const text = `${renderDiagnostics(result.diagnostics, source, { file: "input.plan" })}\n`;
        expectFile(errorsPath, text);
      }
    });
  }
});

function stripSpans(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === "span" ? undefined : v)));
}
