import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Plan, StringLit, StringPart } from "../src/parser/ast.js";
import { format, formatText } from "../src/parser/format.js";
import { parse } from "../src/parser/parse.js";
import { printKey, printString } from "../src/parser/print-string.js";
import { arbPlanText } from "./arbitraries/plan.js";

// ## Helpers

/**
 * The AST without what formatting may change: ranges, single vs double quotes,
 * whether an object key was quoted, and the comment list (compared on its own).
 */
function stripRanges(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripRanges);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "range" || k === "quoted" || k === "comments") continue;
    out[k] = k === "style" && v === "single" ? "double" : stripRanges(v);
  }
  return out;
}

function parseClean(text: string): Plan {
  const { plan, diagnostics } = parse(text);
  expect(diagnostics).toEqual([]);
  return plan;
}

function fmt(text: string): string {
  const result = formatText(text);
  expect(result.diagnostics).toEqual([]);
  if (result.text === undefined) throw new Error("formatText refused a valid plan");
  return result.text;
}

const commentTexts = (plan: Plan): string[] => plan.comments.map((c) => c.text.trimEnd());

/** Everything the formatter promises about one valid input text. */
function checkFormatterLaws(text: string): string {
  const before = parseClean(text);
  const out = format(before, text);
  const after = parseClean(out);
  expect(stripRanges(after)).toEqual(stripRanges(before));
  expect(commentTexts(after)).toEqual(commentTexts(before));
  expect(format(after, out)).toBe(out);
  if (out !== "") {
    expect(out.endsWith("\n") && !out.endsWith("\n\n")).toBe(true);
    expect(out.startsWith("\n")).toBe(false);
  }
  const layout = maskTripleStrings(out, after);
  expect(layout).not.toMatch(/[ \t]$/m);
  expect(layout).not.toMatch(/\n\n\n/);
  return out;
}

/** The text with the content of every triple-quoted string removed: what layout rules apply to. */
function maskTripleStrings(source: string, plan: Plan): string {
  const ranges: [number, number][] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") {
      const node = v as Partial<StringLit>;
      if (node.kind === "String" && node.style === "triple" && node.range !== undefined) {
        ranges.push([node.range.start.offset, node.range.end.offset]);
      }
      Object.values(v).forEach(walk);
    }
  };
  walk(plan.statements);
  let out = source;
  for (const [start, end] of ranges.sort((a, b) => b[0] - a[0]))
    out = out.slice(0, start) + '""""""' + out.slice(end);
  return out;
}

const text = (value: string): StringPart => ({ kind: "Text", value, range: undefined as never });
const ref = (name: string, ...path: (string | number)[]): StringPart => ({
  kind: "Ref",
  variable: { kind: "Var", name, range: undefined as never },
  path: path.map((p) =>
    typeof p === "number"
      ? { kind: "Index", index: p, range: undefined as never }
      : { kind: "Field", name: p, range: undefined as never },
  ),
  range: undefined as never,
});
const str = (style: StringLit["style"], ...parts: StringPart[]): StringLit => ({
  kind: "String",
  style,
  parts,
  range: undefined as never,
});

// ## Hand-written plans: every construct, laid out messily
const handWritten: Record<string, string> = {
  design: `# Which is larger, and by how much?
input $cities: list = ["Tokyo", "Paris"]

$tokyo = search("population of Tokyo")
$paris = search(query: "population of Paris")
$diff  = math("$tokyo - $paris")
$pops  = each $c in $cities: search("population of $c")
$top   = $pops[0].title
return llm("Answer using: \${pops}")
`,
  inputs: `input $a
input $b:string
input $c : number=-1.5e3
input $d: boolean = true
input $e: object = {"x y": null, in: [1, 2,], 'q': {}}
input $f: any = """multi
line"""
`,
  calls: `web.search( "x" , limit=3, each: true)
$r = f(g(h($1)), [], {}, k: 'it\\'s')
$1 = a.b.c()
`,
  refs: `$x = f()
$y = $x.a[0].b[12].in
$z = each $i in $y.items: g($i.name, $x[3])
`,
  strings: `$s = f()
$t = f("a\\$b $s.x \${s.x}y \${s}[0] $s[0] \\u0041\\u{1F600} \\t \\\\ \\" ' $ $$s")
$u = f('single "quoted" \\'x\\' $s')
$v = f("""triple "one" ""two"" \\""" $s
  second line\\ttab $""")
`,
  comments: `

# leading


# second leading
$a = f(  # after open
  1,  # after one
  # before two
  2
  # dangling
) # trailing a
$b = [ # c1
  [1, 2], # c2
  {k: 1, # c3
   j: 2}
]


# at end
`,
  numbers: `$n = f(0, -0, 1e6, 2E-3, 1.5e+10, 10.0, 123456789012345678901234567890)
`,
  literals: `$l = f(true, false, null, [], {}, [[]], {a: {b: {}}})
`,
};

describe("format: hand-written plans", () => {
  for (const [name, source] of Object.entries(handWritten)) {
    it(`keeps the AST and comments, and is idempotent: ${name}`, () => {
      checkFormatterLaws(source);
    });
  }

  it("prints the design example in canonical layout", () => {
    expect(fmt(handWritten.design!)).toMatchInlineSnapshot(`
      "# Which is larger, and by how much?
      input $cities: list = ["Tokyo", "Paris"]

      $tokyo = search("population of Tokyo")
      $paris = search(query: "population of Paris")
      $diff = math("$tokyo - $paris")
      $pops = each $c in $cities: search("population of $c")
      $top = $pops[0].title
      return llm("Answer using: $pops")
      "
    `);
  });

  it("prints inputs", () => {
    expect(fmt(handWritten.inputs!)).toMatchInlineSnapshot(`
      "input $a
      input $b: string
      input $c: number = -1.5e3
      input $d: boolean = true
      input $e: object = {"x y": null, in: [1, 2], q: {}}
      input $f: any = """multi
      line"""
      "
    `);
  });

  it("prints calls, refs, numbers and literals", () => {
    expect(
      fmt(handWritten.calls! + handWritten.refs! + handWritten.numbers! + handWritten.literals!),
    ).toMatchInlineSnapshot(`
        "web.search("x", limit: 3, each: true)
        $r = f(g(h($1)), [], {}, k: "it's")
        $1 = a.b.c()
        $x = f()
        $y = $x.a[0].b[12].in
        $z = each $i in $y.items: g($i.name, $x[3])
        $n = f(0, -0, 1e6, 2E-3, 1.5e+10, 10.0, 123456789012345678901234567890)
        $l = f(true, false, null, [], {}, [[]], {a: {b: {}}})
        "
      `);
  });

  it("prints strings with minimal escapes", () => {
    expect(fmt(handWritten.strings!)).toMatchInlineSnapshot(`
      "$s = f()
      $t = f("a\\$b $s.x \${s.x}y \${s}[0] $s[0] A😀 \\t \\\\ \\" ' $ $$s")
      $u = f("single \\"quoted\\" 'x' $s")
      $v = f("""triple "one" \\""two\\"" \\"\\"" $s
        second line\\ttab $""")
      "
    `);
  });

  it("keeps every comment in its place", () => {
    expect(fmt(handWritten.comments!)).toMatchInlineSnapshot(`
      "# leading

      # second leading
      $a = f(  # after open
        1,  # after one
        # before two
        2,
        # dangling
      )  # trailing a
      $b = [  # c1
        [1, 2],  # c2
        {
          k: 1,  # c3
          j: 2,
        },
      ]

      # at end
      "
    `);
  });
});

// ## Messy inputs, exact outputs
describe("format: layout", () => {
  it("normalises spacing, quotes, named arguments and trailing commas", () => {
    expect(fmt("$x=f( $a,'b' ,k = 1,j:[ 1,2, ],)\n   $y   =   each $c in $x :g( $c )\n"))
      .toMatchInlineSnapshot(`
      "$x = f($a, "b", k: 1, j: [1, 2])
      $y = each $c in $x: g($c)
      "
    `);
  });

  it("keeps at most one blank line, none at the start, one newline at the end", () => {
    expect(fmt("\n\n\n$a = f()\n\n\n\n$b = g()\n$c = h()\n\n\n")).toMatchInlineSnapshot(`
      "$a = f()

      $b = g()
      $c = h()
      "
    `);
    expect(fmt("$a = f()")).toBe("$a = f()\n");
    expect(fmt("$a = f()\r\n\r\n$b = g()\r\n")).toBe("$a = f()\n\n$b = g()\n");
  });

  it("prints an empty plan as nothing, and a plan of comments as its comments", () => {
    expect(fmt("")).toBe("");
    expect(fmt("\n \n\t\n")).toBe("");
    expect(fmt("\n# one   \n\n\n#two\n\n")).toBe("# one\n\n#two\n");
  });

  it("keeps a statement of exactly 100 columns on one line and breaks one of 101", () => {
    const fits = `$x = f("${"a".repeat(90)}")`;
    expect(fits).toHaveLength(100);
    expect(fmt(fits)).toBe(`${fits}\n`);
    const long = `$x = f("${"a".repeat(91)}")`;
    expect(fmt(long)).toBe(`$x = f(\n  "${"a".repeat(91)}",\n)\n`);
  });

  it("breaks the outermost bracket first and keeps inner ones flat when they fit", () => {
    const source = `$report = llm.summarize(search("first query about the topic", limit: 10), search("second query", limit: 5), style: {tone: "neutral", length: [100, 200]})`;
    expect(fmt(source)).toMatchInlineSnapshot(`
      "$report = llm.summarize(
        search("first query about the topic", limit: 10),
        search("second query", limit: 5),
        style: {tone: "neutral", length: [100, 200]},
      )
      "
    `);
  });

  it("breaks inner brackets when their line is still too long", () => {
    const source = `$x = f(g("${"a".repeat(50)}", "${"b".repeat(50)}"), [1, 2])`;
    expect(fmt(source)).toMatchInlineSnapshot(`
      "$x = f(
        g(
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        ),
        [1, 2],
      )
      "
    `);
  });

  it("breaks the body of an each before its list", () => {
    const source = `$pops = each $city in ["Tokyo", "Paris", "Lagos"]: search("population of $city in the year 2024", limit: 3)`;
    expect(fmt(source)).toMatchInlineSnapshot(`
      "$pops = each $city in ["Tokyo", "Paris", "Lagos"]: search(
        "population of $city in the year 2024",
        limit: 3,
      )
      "
    `);
  });

  it("does not indent triple-quoted string content", () => {
    const source = `$x = f(g(a: """first line\n  second "line" here"""), "${"z".repeat(80)}")`;
    expect(fmt(source)).toMatchInlineSnapshot(`
      "$x = f(
        g(a: """first line
        second "line" here"""),
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
      )
      "
    `);
  });

  it("prints object keys bare when they are names, else quoted", () => {
    expect(
      fmt(`$o = f({"a": 1, 'in': 2, "x y": 3, "1a": 4, "": 5, "\\$x": 6, "a$": 7, _z9: 8})`),
    ).toBe(`$o = f({a: 1, in: 2, "x y": 3, "1a": 4, "": 5, "\\$x": 6, "a$": 7, _z9: 8})\n`);
  });
});

describe("format: keywords as names inside broken brackets", () => {
  // The parser's recovery rule ends an open statement only at `input $var`, or
  // at `return` not followed by `:` or `=`, so these keys survive line breaks.
  it("re-parses a broken call whose named arguments are `input` and `return`", () => {
    checkFormatterLaws(`$x = f(input: "${"a".repeat(100)}", return: 1)`);
  });
});

describe("format: comments inside statements", () => {
  it("forces the enclosing brackets to break and keeps a comment on its item's line", () => {
    expect(fmt("$x = f(a(1), [2, 3 # three\n], 4)\n")).toMatchInlineSnapshot(`
      "$x = f(
        a(1),
        [
          2,
          3,  # three
        ],
        4,
      )
      "
    `);
  });

  it("keeps a comment after an opening bracket, before an item, and before a closing bracket", () => {
    expect(fmt("$x = {  # open\n  # before a\n  a: 1\n  # end\n}\n$y = [\n# alone\n]\n"))
      .toMatchInlineSnapshot(`
      "$x = {  # open
        # before a
        a: 1,
        # end
      }
      $y = [
        # alone
      ]
      "
    `);
  });

  it("moves a comment inside an item (not in a deeper bracket) to before that item", () => {
    // `$y` then a line break then `.field` is one reference: the comment sits inside it.
    const source = "$y = g()\n$x = f(1,\n  $y # inside\n  .field)\n";
    const out = checkFormatterLaws(source);
    expect(out).toMatchInlineSnapshot(`
      "$y = g()
      $x = f(
        1,
        # inside
        $y.field,
      )
      "
    `);
  });

  it("keeps the trailing comment of a multi-line statement on its last line", () => {
    expect(fmt('$x = f("""a\nb""")  # after\n')).toBe('$x = f("""a\nb""")  # after\n');
  });
});

// ## Strings
describe("printString", () => {
  it("escapes a `$` only where it would start an interpolation", () => {
    expect(printString(str("double", text("$a $_ $1 ${ $ $- $.a end$")))).toBe(
      '"\\$a \\$_ \\$1 \\${ $ $- $.a end$"',
    );
  });

  it("needs no escape for a `$` that ends the text before a reference", () => {
    expect(printString(str("double", text("cost: $"), ref("price")))).toBe('"cost: $$price"');
    const out = printString(str("double", text("$"), ref("a"), text("b")));
    expect(out).toBe('"$${a}b"');
    const reparsed = parseClean(`$v = f(${out})`).statements[0];
    expect(
      reparsed?.kind === "Binding" &&
        reparsed.value.kind === "Call" &&
        stripRanges(reparsed.value.args[0]?.value),
    ).toEqual(stripRanges(str("double", text("$"), ref("a"), text("b"))));
  });

  it("uses the short reference form unless the next character would extend it", () => {
    expect(
      printString(
        str("double", ref("a", "b", 0), text(" "), ref("c"), text("-"), ref("d"), ref("e")),
      ),
    ).toBe('"$a.b[0] $c-$d$e"');
    expect(
      printString(
        str(
          "double",
          ref("a"),
          text("x"),
          ref("b"),
          text(".x"),
          ref("c"),
          text("[0]"),
          ref("d"),
          text("_"),
        ),
      ),
    ).toBe('"${a}x${b}.x${c}[0]${d}_"');
    expect(
      printString(
        str(
          "double",
          ref("1"),
          text("2"),
          ref("a"),
          text(". "),
          ref("b"),
          text("[x]"),
          ref("c"),
          text("{"),
        ),
      ),
    ).toBe('"${1}2$a. $b[x]$c{"');
  });

  it("escapes backslashes, quotes and control characters, and prints the rest as is", () => {
    expect(
      printString(str("single", text("a\\b\"c'd\n\t\r\u0000\u001b\u007f\u0085é😀\ud800"))),
    ).toBe('"a\\\\b\\"c\'d\\n\\t\\r\\u{0}\\u{1b}\\u{7f}\\u{85}é😀\\u{d800}"');
  });

  it("keeps a triple-quoted string triple-quoted, with line breaks and lone quotes as they are", () => {
    expect(printString(str("triple", text('say "hi"\n\tthen ""two"" and """three"""')))).toBe(
      '"""say "hi"\n\\tthen \\""two\\"" and \\"\\""three\\"\\"\\""""',
    );
    // A space ending a line is escaped so that no editor can strip it.
    expect(printString(str("triple", text("a  \nb \n")))).toBe('"""a \\u{20}\nb\\u{20}\n"""');
    expect(printString(str("triple", text('ends with "'), ref("x"), text('"')))).toBe(
      '"""ends with "$x\\""""',
    );
    expect(printString(str("triple", text('"starts'), text("\r\n")))).toBe('""""starts\\r\n"""');
  });

  it("prints keys bare only when they are names", () => {
    expect([
      printKey("a_1"),
      printKey("each"),
      printKey("1a"),
      printKey("a-b"),
      printKey(""),
    ]).toEqual(["a_1", "each", '"1a"', '"a-b"', '""']);
  });
});

// ## Refusal and invalid statements
describe("formatText on broken plans", () => {
  it("refuses to format a plan with a syntax error and returns the diagnostics", () => {
    const result = formatText('$a = f(1)\n$b = g("unterminated)\n');
    expect(result.text).toBeUndefined();
    expect(
      result.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column}`),
    ).toEqual(["P002 2:8"]);
  });

  it("prints an Invalid statement as its source text when format is called directly", () => {
    const source = "$a   =   f( 1 )\n$b = = g(2)  # kept\n$c=h()\n";
    const { plan, diagnostics } = parse(source);
    expect(diagnostics.map((d) => d.code)).toEqual(["P004"]);
    expect(plan.statements.map((s) => s.kind)).toEqual(["Binding", "Invalid", "Binding"]);
    expect(format(plan, source)).toBe("$a = f(1)\n$b = = g(2)  # kept\n$c = h()\n");
  });
});

// ## Properties over generated plans
describe("format: properties", () => {
  it("round-trips generated plans: same AST, same comments, idempotent", () => {
    fc.assert(
      fc.property(arbPlanText, (source) => {
        checkFormatterLaws(source);
      }),
      { numRuns: 1000 },
    );
  });

  it("is idempotent through formatText", () => {
    fc.assert(
      fc.property(arbPlanText, (source) => {
        const once = fmt(source);
        expect(fmt(once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});
