import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractPlan, PlanExtractor, type ExtractedLine } from "../src/agent/extract.js";
import { LineMap } from "../src/diagnostics/range.js";
import { splitStatements } from "../src/parser/split.js";
import * as T from "../src/parser/tokens.js";
import { planText } from "./arbitraries/plan.js";

// ## Helpers
function feed(chunks: readonly string[]): { statements: ExtractedLine[]; notes: string[] } {
  const x = new PlanExtractor();
  const statements: ExtractedLine[] = [];
  for (const c of chunks) statements.push(...x.push(c));
  statements.push(...x.end());
  return { statements, notes: [...x.notes] };
}

function cut(text: string, positions: readonly number[]): string[] {
  const cuts = [...new Set(positions.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const c of cuts) {
    chunks.push(text.slice(from, c));
    from = c;
  }
  chunks.push(text.slice(from));
  return chunks;
}

/** Token images, line breaks and comments left out: what the parser sees of a statement. */
function images(text: string): string[] {
  return T.planLexer
    .tokenize(text)
    .tokens.filter((t) => t.tokenType !== T.Newline)
    .map((t) => t.image);
}

/** The statements src/parser/split.ts cuts `text` into: first line and tokens. */
function parserStatements(text: string): { line: number; tokens: string[] }[] {
  const lines = new LineMap(text);
  return splitStatements(T.planLexer.tokenize(text).tokens, lines, []).map((s) => ({
    line: lines.position(s.tokens[0]!.startOffset).line,
    tokens: s.tokens.filter((t) => t.tokenType !== T.Newline).map((t) => t.image),
  }));
}

const lineBreaks = (text: string): number => new LineMap(text).position(text.length).line - 1;

// ## Examples
describe("PlanExtractor", () => {
  it("reads a bare plan, one statement per line, with 1-based lines", () => {
    const { plan, notes, statements } = extractPlan(
      '$a = search("Tokyo")\n\n$b = wiki.page($a[0].title)\nreturn $b.summary\n',
    );
    expect(statements).toEqual([
      { text: '$a = search("Tokyo")', line: 1 },
      { text: "$b = wiki.page($a[0].title)", line: 3 },
      { text: "return $b.summary", line: 4 },
    ]);
    expect(plan).toBe('$a = search("Tokyo")\n$b = wiki.page($a[0].title)\nreturn $b.summary\n');
    expect(notes).toEqual([]);
  });

  it("keeps Thought:, Plan:, Reasoning:, numbered and bulleted prose as notes", () => {
    const reply = [
      "Thought: I need both populations.",
      "Plan: look them up in parallel, then subtract.",
      "1. Search for Tokyo",
      "- fetch Paris",
      "* subtract",
      "$a = wiki.fact('Tokyo', 'population')",
      "Reasoning: the lookups are independent (they run at once).",
      "$b = wiki.fact('Paris', 'population')",
      'return math("$a - $b")',
      "That's the plan!",
    ].join("\n");
    const { statements, notes } = extractPlan(reply);
    expect(statements.map((s) => s.line)).toEqual([6, 8, 9]);
    expect(notes).toEqual([
      "Thought: I need both populations.",
      "Plan: look them up in parallel, then subtract.",
      "1. Search for Tokyo",
      "- fetch Paris",
      "* subtract",
      "Reasoning: the lookups are independent (they run at once).",
      "That's the plan!",
    ]);
  });

  it("takes only the fenced part once a fence opens; text after it is notes", () => {
    const reply = [
      "Here is the plan:",
      "```weft",
      '$a = search("Tokyo")',
      "return $a",
      "```",
      "This calls search(", // prose: the fence closed
      '$b = search("never run")',
      "```",
      'search("nor this")',
      "```",
    ].join("\n");
    const { statements, notes } = extractPlan(reply);
    expect(statements).toEqual([
      { text: '$a = search("Tokyo")', line: 3 },
      { text: "return $a", line: 4 },
    ]);
    expect(notes).toEqual([
      "Here is the plan:",
      "This calls search(",
      '$b = search("never run")',
      'search("nor this")',
    ]);
  });

  it("accepts fences without a tag and an unclosed fence", () => {
    expect(extractPlan("```\n$a = f(1)\n```").statements).toEqual([{ text: "$a = f(1)", line: 2 }]);
    expect(extractPlan("```plan\n$a = f(1)\nreturn $a").statements).toHaveLength(2);
  });

  it("tells statement starts from prose by their first tokens", () => {
    const { statements, notes } = extractPlan(
      [
        'I\'ll call search("x") first.', // a word, then `'`
        "search the web (twice)", // a word, then a word
        "$x is the result", // a variable, no `=`
        "$ 5 dollars",
        "return: the value", // `return:` is a key, not a statement
        "Answer (short): yes", // looks like a call: a statement
        "`$a = f()`",
        "each(1)", // keywords cannot name tools
        "input $q",
        "input: none",
        "wiki . page ('x')",
        "$1 = f()",
        "return",
        "# a comment line",
      ].join("\n"),
    );
    expect(statements.map((s) => s.text)).toEqual([
      "Answer (short): yes",
      "input $q",
      "wiki . page ('x')",
      "$1 = f()",
      "return",
    ]);
    expect(notes).toEqual([
      'I\'ll call search("x") first.',
      "search the web (twice)",
      "$x is the result",
      "$ 5 dollars",
      "return: the value",
      "`$a = f()`",
      "each(1)",
      "input: none",
      "# a comment line",
    ]);
  });

  it("continues a statement inside brackets and triple-quoted strings", () => {
    const reply = [
      "$hits = search(",
      '  query: "a # not a comment, ) not a closer",',
      '  # a comment with ( and "',
      "  limit: 3,",
      ")",
      '$t = text.words("""one',
      "two",
      "$x = not a statement",
      '"" ) still text"""',
      ")", // closes text.words(
      "return $t",
      ")", // a stray closer at depth 0 starts no statement: a note
    ].join("\n");
    const { statements, notes } = extractPlan(reply);
    expect(statements.map((s) => s.line)).toEqual([1, 6, 11]);
    expect(statements.map((s) => ({ line: s.line, tokens: images(s.text) }))).toEqual(
      parserStatements(reply.slice(0, reply.lastIndexOf("\n"))),
    );
    expect(notes).toEqual([")"]);
    expect(statements[0]!.text).toBe(reply.split("\n").slice(0, 5).join("\n"));
    expect(statements[1]!.text).toContain("$x = not a statement");
  });

  it("cuts an unclosed statement where the next statement starts, as the parser does", () => {
    const reply = '$a = search("Tokyo"\n\n  # note\n$b = wiki.page("Paris")\nreturn [$a, $b]\n';
    const { statements } = extractPlan(reply);
    expect(statements.map((s) => [s.line, images(s.text)])).toEqual(
      parserStatements(reply).map((s) => [s.line, s.tokens]),
    );
    expect(statements.map((s) => s.line)).toEqual([1, 4, 5]);
    // `return:` is an argument name, not a new statement
    expect(extractPlan("$a = f(\nreturn: 1)\n").statements).toHaveLength(1);
    // a fence inside an open bracket ends the statement and the plan
    expect(extractPlan("```\n$a = f(\n```\n$b = g()\n")).toEqual({
      plan: "$a = f(\n",
      notes: ["$b = g()"],
      statements: [{ text: "$a = f(", line: 2 }],
    });
  });

  it("emits a statement the moment its line break arrives, not before", () => {
    const x = new PlanExtractor();
    expect(x.push('$a = search("Tok')).toEqual([]);
    expect(x.push('yo")')).toEqual([]);
    expect(x.push("\n$b = f(\n")).toEqual([{ text: '$a = search("Tokyo")', line: 1 }]);
    expect(x.push("  1,\n")).toEqual([]);
    expect(x.push(")")).toEqual([]);
    expect(x.push("\r")).toEqual([{ text: "$b = f(\n  1,\n)", line: 2 }]);
    expect(x.push("\nreturn $b")).toEqual([]);
    expect(x.end()).toEqual([{ text: "return $b", line: 5 }]);
    expect(x.end()).toEqual([]);
    expect(() => x.push("more")).toThrow(/after end/);
  });

  it("loses nothing when one chunk carries several line breaks (LLMCompiler's bug)", () => {
    const x = new PlanExtractor();
    expect(x.push("$a = f(1)\n\n$b = g(2)\n$c = h(3)\n\nreturn [$a, $b, $c]\n")).toEqual([
      { text: "$a = f(1)", line: 1 },
      { text: "$b = g(2)", line: 3 },
      { text: "$c = h(3)", line: 4 },
      { text: "return [$a, $b, $c]", line: 6 },
    ]);
  });

  it("counts a \\r\\n split across chunks as one line break", () => {
    expect(feed(["$a = f(1)\r", "\n$b = g(\r", "\n2)\r", "\r\nreturn $b\r\n"]).statements).toEqual([
      { text: "$a = f(1)", line: 1 },
      { text: "$b = g(\r\n2)", line: 2 },
      { text: "return $b", line: 5 },
    ]);
    // a lone \r is a line break too
    expect(extractPlan("$a = f(1)\r$b = g(2)\rreturn $b").statements.map((s) => s.line)).toEqual([
      1, 2, 3,
    ]);
  });

  it("gives the same result for every split of a tricky reply into two or three chunks", () => {
    const reply = [
      "Thought: it's tricky (really)",
      "```weft",
      "input $city: string = 'Tokyo'",
      '$a = search("C# \\"tutorials\\"", limit: 2)  # trailing comment',
      "$b = text.join([",
      '  """line one\r\n""""',
      '  , \'x#y\', "", """"""',
      "], separator: '\\\\')",
      "wiki.page($a[0].title)",
      "$c = f({k: [1, (2)]})",
      'return "$b and ${a}"',
      "```",
      "Notes after.",
    ].join("\r\n");
    const whole = feed([reply]);
    expect(whole.statements.map((s) => s.line)).toEqual([3, 4, 5, 10, 11, 12]);
    expect(whole.notes).toEqual(["Thought: it's tricky (really)", "Notes after."]);
    for (let i = 0; i <= reply.length; i++) {
      expect(feed([reply.slice(0, i), reply.slice(i)])).toEqual(whole);
      const j = Math.floor((i + reply.length) / 2);
      expect(feed([reply.slice(0, i), reply.slice(i, j), reply.slice(j)])).toEqual(whole);
    }
    expect(feed([...reply])).toEqual(whole);
  });

  it("stays linear: a long reply read one character at a time", () => {
    const arg = "x".repeat(50_000);
    const line = `$a = f("${arg}", [${"1, ".repeat(20_000)}])\n`;
    const reply = `Thought: ${"y".repeat(50_000)}\n${line}${"$b".repeat(30_000)}\n`;
    const x = new PlanExtractor();
    const out: ExtractedLine[] = [];
    for (const c of reply) out.push(...x.push(c));
    out.push(...x.end());
    expect(out).toEqual([{ text: line.trim(), line: 2 }]);
    expect(x.notes).toHaveLength(2);
  });
});

// ## Properties
const PROSE = [
  "Thought: I need the populations of both cities.",
  "Plan: look up each city, then compute the difference.",
  "Reasoning: the two lookups are independent (they can run in parallel).",
  "Here is the plan:",
  "1. Search for the city",
  "2) compute the answer",
  "- fetch the page",
  "* combine the results",
  "Let's do it!",
  'I\'ll call search("x") first.',
  "",
  "   ",
  "Note: this uses `wiki.page` and [brackets.",
  'The answer is "unknown (for now',
  "It's {done",
  "return: the value",
  "Final Answer: 42",
  "$ 5 dollars",
  "$x is the result",
  "``not a fence",
];
/** Lines after the closing fence: notes even when they look like plan. */
const AFTER_FENCE = [...PROSE, '$b = search("x")', "search(1)", "return 1", "input $x", "# c"];

interface Part {
  kind: "prose" | "plan";
  text: string;
}

const arbReply = fc
  .record({
    parts: fc.array(
      fc.oneof(
        fc
          .array(fc.constantFrom(...PROSE), { minLength: 1, maxLength: 3 })
          .map((ls): Part => ({ kind: "prose", text: ls.join("\n") })),
        planText({ maxStatements: 5 }).map((text): Part => ({ kind: "plan", text })),
      ),
      { minLength: 1, maxLength: 4 },
    ),
    fence: fc.constantFrom("", "```", "```weft", "```plan", "  ```"),
    after: fc.array(fc.constantFrom(...AFTER_FENCE), { maxLength: 3 }),
    newline: fc.constantFrom("\n", "\r\n"),
  })
  .map(({ parts, fence, after, newline }) => {
    let reply = "";
    let lines = 0;
    const expected: { line: number; tokens: string[] }[] = [];
    const add = (text: string): void => {
      const t = /(\r\n|\r|\n)$/.test(text) ? text : text + newline;
      reply += t;
      lines += lineBreaks(t);
    };
    if (fence !== "") add("Sure, here it is." + newline + fence);
    for (const p of parts) {
      if (p.kind === "plan")
        for (const s of parserStatements(p.text)) expected.push({ ...s, line: s.line + lines });
      add(p.kind === "prose" ? p.text.replaceAll("\n", newline) : p.text);
    }
    if (fence !== "") {
      add("```");
      for (const a of after) add(a);
    }
    return { reply, expected };
  });

const arbCuts = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.nat(), { maxLength: 24 }) },
  { weight: 1, arbitrary: fc.constant("each character" as const) },
);

describe("PlanExtractor properties", () => {
  it("cuts statements exactly where the parser does, with the reply's line numbers", () => {
    fc.assert(
      fc.property(arbReply, ({ reply, expected }) => {
        const { statements } = feed([reply]);
        expect(statements.map((s) => ({ line: s.line, tokens: images(s.text) }))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("any split into chunks gives the same statements and notes as the whole reply", () => {
    fc.assert(
      fc.property(arbReply, arbCuts, ({ reply }, cuts) => {
        const chunks = cuts === "each character" ? [...reply] : cut(reply, cuts);
        expect(feed(chunks)).toEqual(feed([reply]));
      }),
      { numRuns: 400 },
    );
  });

  it("a bare generated plan loses no statement and doubles none", () => {
    fc.assert(
      fc.property(planText(), fc.array(fc.nat(), { maxLength: 12 }), (text, cuts) => {
        const { statements } = feed(cut(text, cuts));
        expect(statements.map((s) => ({ line: s.line, tokens: images(s.text) }))).toEqual(
          parserStatements(text),
        );
      }),
      { numRuns: 300 },
    );
  });
});
