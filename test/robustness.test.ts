// No input makes the front end throw or hang: random strings, token soups and
// mutated valid plans all end as diagnostics with valid ranges (>= 10,000 cases).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "../src/compiler/compile.js";
import { toDot } from "../src/compiler/emit/dot.js";
import { toMermaid } from "../src/compiler/emit/mermaid.js";
import { validateGraph } from "../src/compiler/validate.js";
import type { Diagnostic } from "../src/diagnostics/diagnostic.js";
import { renderDiagnostics } from "../src/diagnostics/render.js";
import { formatText } from "../src/parser/format.js";
import tools from "./fixtures/tools.js";

const examplesDir = join(import.meta.dirname, "..", "examples");
const casesDir = join(import.meta.dirname, "cases");
const seeds: string[] = [
  ...readdirSync(examplesDir)
    .filter((f) => f.endsWith(".plan"))
    .map((f) => readFileSync(join(examplesDir, f), "utf8")),
  ...readdirSync(casesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => readFileSync(join(casesDir, d.name, "input.plan"), "utf8")),
];

function assertValidRanges(text: string, diagnostics: Diagnostic[]): void {
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const d of diagnostics) {
    for (const r of [d.range, ...(d.related ?? []).map((x) => x.range)]) {
      expect(r.start.offset).toBeGreaterThanOrEqual(0);
      expect(r.end.offset).toBeLessThanOrEqual(text.length);
      expect(r.start.offset).toBeLessThanOrEqual(r.end.offset);
      expect(r.start.line).toBeGreaterThanOrEqual(1);
      expect(r.end.line).toBeLessThanOrEqual(lines);
      expect(r.start.column).toBeGreaterThanOrEqual(1);
    }
    expect(d.code).toMatch(/^[PCG]\d{3}$/);
    expect(d.message.length).toBeGreaterThan(0);
  }
}

/** Runs every phase; each must return, never throw. */
function exercise(text: string): void {
  for (const withTools of [true, false]) {
    const r = compile(text, withTools ? { tools, prune: true } : {});
    assertValidRanges(text, r.diagnostics);
    expect(r.ok).toBe(!r.diagnostics.some((d) => d.severity === "error"));
    if (r.graph !== undefined) {
      expect(validateGraph(JSON.parse(JSON.stringify(r.graph))).diagnostics).toEqual([]);
      toDot(r.graph);
      toMermaid(r.graph);
    }
    renderDiagnostics(r.diagnostics, text, { file: "fuzz.plan" });
  }
  const f = formatText(text);
  if (f.text !== undefined) {
    expect(formatText(f.text).text).toBe(f.text);
  } else {
    assertValidRanges(text, f.diagnostics);
  }
}

const vocabulary = [
  "$x",
  "$y",
  "$1",
  "$items",
  "=",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  ":",
  ".",
  "\n",
  "\r\n",
  " ",
  "\t",
  "input",
  "each",
  "in",
  "return",
  "true",
  "false",
  "null",
  "search",
  "wiki.page",
  "math",
  "llm",
  "notify",
  "0",
  "-1.5e3",
  "01",
  '"a $x b"',
  "'q'",
  '"""m\nl"""',
  '"${x.f[0]}"',
  '"',
  "'",
  '"""',
  "#c",
  "\\",
  "$",
  "query:",
  "limit=",
  "@",
  "€",
  "\u0000",
  "😀",
];

const mutation = fc.oneof(
  fc.record({
    kind: fc.constant("delete" as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    kind: fc.constant("duplicate" as const),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), to: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.constantFrom(...vocabulary),
  }),
);

type Mutation =
  | { kind: "delete"; at: number; len: number }
  | { kind: "duplicate"; at: number; len: number }
  | { kind: "swap"; at: number; to: number }
  | { kind: "insert"; at: number; text: string };

function mutate(text: string, steps: Mutation[]): string {
  let s = text;
  for (const m of steps) {
    const n = Math.max(1, s.length);
    const at = m.at % n;
    if (m.kind === "delete") s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.kind === "duplicate")
      s = s.slice(0, at + m.len) + s.slice(at, at + m.len) + s.slice(at + m.len);
    else if (m.kind === "insert") s = s.slice(0, at) + m.text + s.slice(at);
    else {
      const to = m.to % n;
      const chars = [...s];
      const a = chars[at];
      const b = chars[to];
      if (a !== undefined && b !== undefined) {
        chars[at] = b;
        chars[to] = a;
      }
      s = chars.join("");
    }
  }
  return s;
}

describe("robustness", () => {
  it("has seeds", () => {
    expect(seeds.length).toBeGreaterThanOrEqual(3);
  });

  it("random strings (4,000 cases)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: "binary", maxLength: 80 })),
        exercise,
      ),
      { numRuns: 4000 },
    );
  });

  it("token soups (3,000 cases)", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...vocabulary), { maxLength: 40 }), (tokens) =>
        exercise(tokens.join("")),
      ),
      { numRuns: 3000 },
    );
  });

  it("mutated valid plans (4,000 cases)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, steps) => exercise(mutate(seed, steps)),
      ),
      { numRuns: 4000 },
    );
  });

  it("pathological inputs end quickly", () => {
    exercise("(".repeat(5000));
    exercise("[".repeat(3000) + "]".repeat(3000));
    exercise(`$x = f(${"g(".repeat(400)}1${")".repeat(400)})`);
    exercise(`$x = ${"[".repeat(500)}${"]".repeat(500)}`);
    exercise('"'.repeat(10001));
    exercise("$a = f()\n".repeat(2000) + "$a = f()\n");
    exercise(`$s = "${"$x".repeat(2000)}"`);
  });
});
