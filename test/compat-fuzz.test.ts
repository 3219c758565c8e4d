// The readers never throw and never drop a step silently: arbitrary strings and
// mutated plans of each format all end as Weft text that parses, every step
// header either a statement or a diagnostic, every dependency kept.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readCoa } from "../src/compat/coa.js";
import { checkImported, type BuiltPlan, type ForeignFormat } from "../src/compat/index.js";
import { readLlmCompiler } from "../src/compat/llmcompiler.js";
import { readRewoo } from "../src/compat/rewoo.js";
import { hasErrors } from "../src/diagnostics/diagnostic.js";
import { parse } from "../src/parser/parse.js";

/** `FUZZ_SCALE=20` runs twenty times as many cases (the default stays fast for CI). */
const scale = Number(process.env["FUZZ_SCALE"] ?? 1);

const readers: Record<ForeignFormat, (text: string) => BuiltPlan> = {
  rewoo: (t) => readRewoo(t),
  llmcompiler: (t) => readLlmCompiler(t),
  coa: (t) => readCoa(t),
};

/** Where a step starts, in each format. */
const HEADER: Record<ForeignFormat, RegExp> = {
  rewoo: /^[ \t]*#E\d+[ \t]*[=:]/gm,
  llmcompiler: /^[ \t]*\d+[ \t]*\./gm,
  coa: /\[FUNC\b/g,
};

/** Codes that stand for a step read but not imported. */
const NOT_IMPORTED = new Set(["I001", "I004", "I013", "I015"]);

function headers(format: ForeignFormat, text: string): number {
  const lines = text.split(/\r\n|\r|\n/);
  switch (format) {
    case "rewoo":
      return lines.filter(
        (l) =>
          /^[ \t]*#E\d+[ \t]*[=:]/.test(l) ||
          (/^[ \t]*Plan[ \t]*\d*[ \t]*:/i.test(l) &&
            /#E\d+[ \t]*[=:][ \t]*[A-Za-z_][\w.]*[ \t]*\[/.test(l)),
      ).length;
    case "llmcompiler":
      return -1; // steps inside a multi-line argument or after the end are not counted by line
    case "coa":
      return -1; // a `[FUNC` inside another call's quoted argument is text
  }
}

function assertSound(format: ForeignFormat, text: string): void {
  const built = readers[format](text);
  // The Weft text always parses.
  const parsed = parse(built.text);
  expect(hasErrors(parsed.diagnostics), built.text).toBe(false);
  expect(parsed.plan.statements.length).toBe(built.origins.length);
  // Ranges are inside the original text.
  for (const d of built.diagnostics) {
    expect(d.range.start.offset).toBeGreaterThanOrEqual(0);
    expect(d.range.end.offset).toBeLessThanOrEqual(text.length);
    expect(d.range.start.offset).toBeLessThanOrEqual(d.range.end.offset);
  }
  // Every step read is a statement, a step diagnosed as not imported, or a join().
  const joins = built.text.match(/^# \d+\. join\(\): end of the plan/gm)?.length ?? 0;
  const notImported = built.diagnostics.filter((d) => NOT_IMPORTED.has(d.code)).length;
  expect(built.origins.length + notImported + joins).toBe(built.steps);
  const expected = headers(format, text);
  if (expected >= 0) expect(built.steps).toBe(expected);
  // Every step header of the text lies in a step imported, in a diagnostic's
  // range or has one on its line, or is LLMCompiler's join(): nothing is
  // dropped without a word.
  const covered = (r: { start: { offset: number }; end: { offset: number } }, o: number) =>
    r.start.offset <= o && (o < r.end.offset || o === r.start.offset);
  for (const m of text.matchAll(HEADER[format])) {
    const o = m.index + m[0].length - m[0].trimStart().length;
    if (format === "llmcompiler" && /^\s*\d+\s*\.\s*join\s*\(/.test(text.slice(m.index))) continue;
    const lineEnd = text.slice(o).search(/[\r\n]|$/) + o;
    const ok =
      built.origins.some((x) => covered(x.range, o)) ||
      built.diagnostics.some(
        (d) =>
          covered(d.range, o) || (d.range.start.offset >= o && d.range.start.offset <= lineEnd),
      );
    expect(ok, `step at offset ${o} of ${JSON.stringify(text)}`).toBe(true);
  }
  // The compiled graph keeps exactly the original's dependencies.
  const checked = checkImported(built);
  if (checked.graph !== undefined) {
    for (const [step, deps] of built.edges) expect(checked.graphEdges.get(step)).toEqual(deps);
  }
}

// ## Plausible plans, then mutated

const word = fc.constantFrom("Oslo", "river", "a]b", "[x]", "$5", '"q"', "\\", "it's", "é", "{y}");
const text = fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(" "));

const rewooPlan = fc
  .array(fc.tuple(fc.constantFrom("Wikipedia", "LLM"), text, fc.nat(12), fc.boolean()), {
    minLength: 1,
    maxLength: 12,
  })
  .map((steps) =>
    steps
      .map(([tool, t, ref, colon], i) =>
        [`Plan: step ${i + 1}`, `#E${i + 1}${colon ? ":" : " ="} ${tool}[${t} #E${ref}]`].join(
          "\n",
        ),
      )
      .join("\n"),
  );

const llmcPlan = fc
  .array(fc.tuple(fc.constantFrom("search", "math"), text, fc.nat(8), fc.boolean()), {
    minLength: 1,
    maxLength: 8,
  })
  .map((steps) =>
    [
      ...steps.map(([tool, t, ref, list], i) =>
        list
          ? `${i + 1}. ${tool}(${JSON.stringify(t)}, ["$${ref}"])`
          : `${i + 1}. ${tool}('${t.replace(/'/g, "\\'")} \${${ref}}')`,
      ),
      "Thought: done",
      `${steps.length + 1}. join()<END_OF_PLAN>`,
    ].join("\n"),
  );

const coaPlan = fc
  .array(fc.tuple(fc.constantFrom("search", "add"), text, fc.nat(6)), {
    minLength: 1,
    maxLength: 6,
  })
  .map((steps) =>
    steps
      .map(
        ([tool, t, ref], i) => `so ${t} [FUNC ${tool}(${JSON.stringify(t)}, y${ref}) = y${i + 1}]`,
      )
      .join(" and\n"),
  );

const noise = fc.constantFrom(
  "[",
  "]",
  "(",
  ")",
  "#E",
  "#E1",
  "#E10 = ",
  "\n",
  "\r\n",
  "$",
  "${",
  '"',
  "'",
  "\\",
  "Plan:",
  "3. ",
  "join()",
  "<END_OF_PLAN>",
  "###",
  "[FUNC ",
  " = y1]",
);

/** Deletes, inserts or cuts at random places. */
function mutated(plan: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(
      plan,
      fc.array(fc.tuple(fc.nat(), fc.nat(6), fc.oneof(noise, fc.string({ maxLength: 3 }))), {
        maxLength: 4,
      }),
      fc.option(fc.nat()),
    )
    .map(([p, edits, cut]) => {
      let s = p;
      for (const [at, del, ins] of edits) {
        const i = s.length === 0 ? 0 : at % (s.length + 1);
        s = s.slice(0, i) + ins + s.slice(i + del);
      }
      return cut === null ? s : s.slice(0, cut % (s.length + 1));
    });
}

const plans: Record<ForeignFormat, fc.Arbitrary<string>> = {
  rewoo: rewooPlan,
  llmcompiler: llmcPlan,
  coa: coaPlan,
};

describe.each(["rewoo", "llmcompiler", "coa"] as const)("%s reader robustness", (format) => {
  it("never throws on arbitrary text, and its output parses", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (s) => assertSound(format, s)),
      { numRuns: 300 * scale },
    );
  });

  it("accounts for every step of plausible plans, mutated or cut off", () => {
    fc.assert(
      fc.property(mutated(plans[format]), (s) => assertSound(format, s)),
      { numRuns: 400 * scale },
    );
  });

  it("imports well-formed plans without errors", () => {
    fc.assert(
      fc.property(plans[format], (s) => {
        const built = readers[format](s);
        // Only references to missing or later steps may be errors in generated plans.
        const codes = built.diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
        expect(
          codes.every((c) => c === "I002" || c === "I003"),
          JSON.stringify(codes),
        ).toBe(true);
        expect(built.complete).toBe(true);
      }),
      { numRuns: 200 * scale },
    );
  });
});

// ## Streaming: the agent imports the reply so far, line by line

/** The statements of a Weft text, as printed. */
function statements(text: string): string[] {
  const { plan } = parse(text);
  return plan.statements.map((s) => text.slice(s.range.start.offset, s.range.end.offset));
}

describe.each(["rewoo", "llmcompiler"] as const)("%s import of a growing reply", (format) => {
  it("never changes or removes a statement imported from complete lines", () => {
    fc.assert(
      fc.property(mutated(plans[format]), (s) => {
        const final = statements(readers[format](s).text);
        for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) {
          const prefix = statements(readers[format](s.slice(0, i + 1)).text);
          expect(final.slice(0, prefix.length)).toEqual(prefix);
        }
      }),
      { numRuns: 150 * scale },
    );
  });
});
