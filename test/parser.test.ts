// The lexer and parser, as data tables: text -> diagnostics (acorn's
// `testFail` style) and text -> AST (ranges stripped), then exact ranges and
// properties over generated input.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type * as A from "../src/parser/ast.js";
import type { Diagnostic } from "../src/diagnostics/diagnostic.js";
import type { Range } from "../src/diagnostics/range.js";
import { KEYWORDS, isToolName } from "../src/parser/names.js";
import { parse } from "../src/parser/parse.js";

// ## Helpers

/** `1:6-1:7` */
function at(r: Range): string {
  return `${r.start.line}:${r.start.column}-${r.end.line}:${r.end.column}`;
}

/** `1:6 P001 unexpected character "@"` */
function show(d: Diagnostic): string {
  return `${d.range.start.line}:${d.range.start.column} ${d.code} ${d.message}`;
}

/** Each expected "LINE:COL CODE substring" must match the diagnostic in the same place. */
function expectDiagnostics(text: string, expected: string[]): Diagnostic[] {
  const { diagnostics } = parse(text);
  const actual = diagnostics.map(show);
  const ok =
    actual.length === expected.length &&
    expected.every((e, i) => {
      const m = /^(\d+:\d+ P\d{3})(?: (.*))?$/.exec(e);
      if (m === null) throw new Error(`bad expectation ${e}`);
      const a = actual[i] ?? "";
      return a.startsWith(`${m[1]} `) && a.includes(m[2] ?? "");
    });
  if (!ok) expect(actual).toEqual(expected); // prints a readable diff
  return diagnostics;
}

/** Drops every `range`, so that AST tables say only what was parsed. */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== "range")
        .map(([k, v]) => [k, strip(v)]),
    );
  }
  return value;
}

function statements(text: string): unknown[] {
  const { plan, diagnostics } = parse(text);
  expect(diagnostics.map(show)).toEqual([]);
  return strip(plan.statements) as unknown[];
}

function only<T extends A.Statement["kind"]>(
  text: string,
  kind: T,
): Extract<A.Statement, { kind: T }> {
  const { plan, diagnostics } = parse(text);
  expect(diagnostics.map(show)).toEqual([]);
  const s = plan.statements[0];
  if (plan.statements.length !== 1 || s?.kind !== kind) {
    throw new Error(`expected one ${kind}, got ${JSON.stringify(strip(plan.statements))}`);
  }
  return s as Extract<A.Statement, { kind: T }>;
}

function bound(text: string): A.Expr {
  const v = only(text, "Binding").value;
  if (v.kind === "Each") throw new Error("expected an expression");
  return v;
}

// AST builders, ranges left out.
const v = (name: string) => ({ kind: "Var", name });
const field = (name: string) => ({ kind: "Field", name });
const index = (i: number) => ({ kind: "Index", index: i });
const ref = (name: string, ...path: unknown[]) => ({ kind: "Ref", variable: v(name), path });
const num = (value: number, raw = String(value)) => ({ kind: "Number", value, raw });
const text = (value: string) => ({ kind: "Text", value });
const str = (...parts: unknown[]) => ({ kind: "String", style: "double", parts });
const sq = (...parts: unknown[]) => ({ kind: "String", style: "single", parts });
const tq = (...parts: unknown[]) => ({ kind: "String", style: "triple", parts });
const bool = (value: boolean) => ({ kind: "Boolean", value });
const nul = { kind: "Null" };
const list = (...items: unknown[]) => ({ kind: "List", items });
const entry = (name: string, value: unknown, quoted = false) => ({
  key: { name, quoted },
  value,
});
const obj = (...entries: unknown[]) => ({ kind: "Object", entries });
const arg = (value: unknown, name?: string) =>
  name === undefined ? { value } : { value, name: { name } };
const call = (name: string, ...args: unknown[]) => ({ kind: "Call", callee: { name }, args });
const bind = (name: string, value: unknown) => ({ kind: "Binding", target: v(name), value });
const each = (variable: string, over: unknown, body: unknown) => ({
  kind: "Each",
  variable: v(variable),
  over,
  body,
});
const stmt = (c: unknown) => ({ kind: "CallStatement", call: c });
const ret = (value: unknown) => ({ kind: "Return", value });
const input = (name: string, type?: string, def?: unknown) => ({
  kind: "Input",
  name: v(name),
  ...(type === undefined ? {} : { type: { name: type } }),
  ...(def === undefined ? {} : { default: def }),
});

// ## Syntax errors: text -> every diagnostic, in order

const failures: [string, string[]][] = [
  // P001 unexpected character: the whole statement becomes Invalid, with no cascade.
  ["$x = @", ['1:6 P001 unexpected character "@"']],
  ["$x = $", ['1:6 P001 unexpected character "$"']],
  ["$x = f(1);", ['1:10 P001 unexpected character ";"']],
  ["$x = f(1, @, 2)", ['1:11 P001 unexpected character "@"']],
  ["@$x = 1", ['1:1 P001 unexpected character "@"']],
  ["$x = f(1)\n  %\n$y = 2", ['2:3 P001 unexpected character "%"']],
  ["$x = 1 + 2", ['1:8 P001 unexpected character "+"']],

  // P002 unterminated strings, both kinds; a string ends on its line.
  ['$x = "abc', ["1:6 P002 unterminated string"]],
  ["$x = 'abc", ["1:6 P002 unterminated string"]],
  ['$x = "abc\n$y = 1', ["1:6 P002 unterminated string"]],
  ['$x = "a\\"', ["1:6 P002 unterminated string"]],
  ['$x = """abc', ["1:6 P002 unterminated triple-quoted string"]],
  ['$x = """abc\n$y = 1\n', ["1:6 P002 unterminated triple-quoted string"]],
  // The string swallowed the `)`: the unclosed `(` is not reported on top.
  ['$x = f("abc)\n$y = 1', ["1:8 P002 unterminated string"]],
  ['$x = f("""abc)\n$y = 1', ["1:8 P002 unterminated triple-quoted string"]],

  // P003 invalid escapes, each one reported where it is.
  ['$x = "\\q"', ["1:7 P003 invalid escape sequence `\\q`"]],
  ["$x = 'a\\x41'", ["1:8 P003 invalid escape sequence `\\x`"]],
  ['$x = "\\u12"', ["1:7 P003 invalid escape sequence `\\u`"]],
  ['$x = "\\u{}"', ["1:7 P003 invalid escape sequence `\\u`"]],
  ['$x = "\\u{110000}"', ["1:7 P003 invalid escape sequence `\\u`"]],
  ['$x = """a\n \\q"""', ["2:2 P003 invalid escape sequence `\\q`"]],
  ['$x = "\\a \\c"', ["1:7 P003 `\\a`", "1:10 P003 `\\c`"]],

  // P004 mismatched brackets: the closer of the wrong kind is the error.
  ["$x = f(1]", ["1:9 P004 expected ')' but found `]`"]],
  ["$x = [1, 2)", ["1:11 P004 expected ']' but found `)`"]],
  ["$x = {a: 1]", ["1:11 P004 expected '}' but found `]`"]],
  ["$x = f([1, 2)\n$y = 1", ["1:13 P004 expected ']' but found `)`"]],
  ["$x = f({a: 1)", ["1:13 P004 expected '}' but found `)`"]],

  // P005 unclosed brackets: reported at the end of the unclosed statement,
  // `related` points at the bracket (checked below). A line starting with
  // `$x =`, `input` or `return` ends the open statement.
  ["$x = f(1", ["1:9 P005 `(` is never closed"]],
  ["$x = f(1,\n  2\n\n$y = g($x)", ["2:4 P005 `(` is never closed"]],
  ["$x = f(\ninput $y", ["1:8 P005 `(` is never closed"]],
  ["$x = f(\nreturn $x", ["1:8 P005 `(` is never closed"]],
  ["$x = f(1 # comment\n", ["1:9 P005 `(` is never closed"]],
  ["$x = [1,\n  2,", ["2:5 P005 `[` is never closed"]],
  ["$x = f({a: 1\n$y = 2", ["1:13 P005 `{` is never closed"]],
  ["f(\n  g(1\n)\n$z = 1", ["3:2 P005 `(` is never closed"]],

  // P006 unmatched closers: reported and skipped, the statement still parses.
  ["$x = f(1))", ["1:10 P006 unmatched `)`"]],
  ["]\n$x = 1", ["1:1 P006 unmatched `]`"]],
  ["$x = 1 }", ["1:8 P006 unmatched `}`"]],

  // P007 more after a complete statement.
  ["$x = f(1) g(2)", ["1:11 P007 expected the end of the statement"]],
  ["$x = 1 2", ["1:8 P007 expected the end of the statement"]],
  ['return "a" "b"', ["1:12 P007 expected the end of the statement"]],
  ["$x = [1, 2].x", ["1:12 P007 expected the end of the statement"]],

  // P008 numbers follow JSON.
  ["$x = 01", ["1:6 P008 invalid number `01`"]],
  ["$x = -01", ["1:6 P008 invalid number `-01`"]],
  ["$x = 1.", ["1:6 P008 invalid number `1.`"]],
  ["$x = .5", ["1:6 P004 expected a value but found `.`"]],
  ["$x = 1e", ["1:6 P008 invalid number `1e`"]],
  ["$x = 1e+", ["1:6 P008 invalid number `1e+`"]],
  ["$x = -", ["1:6 P008 invalid number `-`"]],
  ["$x = 1e999", ["1:6 P008 invalid number `1e999`"]],
  ["$x = 2x", ["1:6 P008 invalid number `2x`"]],
  ["$x = 1.5.6", ["1:6 P008 invalid number `1.5.6`"]],
  ["$x = f(1, 0x10)", ["1:11 P008 invalid number `0x10`"]],

  // P009 bad interpolation.
  ['$x = "${a"', ["1:7 P009 invalid interpolation: expected `}`"]],
  ['$x = "${"', ["1:7 P009 invalid interpolation: expected a variable name after `${`"]],
  ['$x = "${}"', ["1:7 P009 expected a variable name"]],
  ['$x = "${1x}"', ["1:7 P009 invalid interpolation: expected `}`"]],
  ['$x = "${a.}"', ["1:7 P009 expected `}`"]],
  ['$x = "${a b}"', ["1:7 P009 expected `}`"]],

  // P010 a value alone on a line.
  ['"hello"', ["1:1 P010 only a tool call can stand alone as a statement"]],
  ["$x", ["1:1 P010"]],
  ["$x.title", ["1:1 P010"]],
  ["[1]", ["1:1 P010"]],
  ["42", ["1:1 P010"]],
  ["{a: 1}", ["1:1 P010"]],
  ["true", ["1:1 P010"]],

  // P011 nesting deeper than the parser accepts.
  [`$x = ${"[".repeat(129)}${"]".repeat(129)}`, ["1:134 P011 brackets nested more than 128 deep"]],
  [`$x = ${"f(".repeat(128)}{a: 1}${")".repeat(128)}`, ["1:262 P011"]],

  // P004 everything else.
  ["$x = search(Tokyo)", ["1:13 P004 `Tokyo` is not a value"]],
  ["search(Tokyo now)", ["1:8 P004 `Tokyo` is not a value"]],
  ["$x = f(q: Tokyo)", ["1:11 P004 `Tokyo` is not a value"]],
  ["$x = True", ["1:6 P004 `True` is not a value"]],
  ["$x = web.search", ["1:16 P004 expected '(' but found the end of the line"]],
  ["foo = 3", ["1:1 P004 a variable name starts with `$`"]],
  ["$x = (1)", ["1:6 P004 expected a value but found `(`"]],
  ["$x =", ["1:5 P004 expected a value but found the end of the line"]],
  ["return", ["1:7 P004 expected a value"]],
  ["input", ["1:6 P004 expected a variable but found the end of the line"]],
  ["input x", ["1:7 P004 expected a variable but found `x`"]],
  ["$x = f(1,,2)", ["1:10 P004 expected ')' but found `,`"]],
  ["$x = f(a 1)", ["1:8 P004 `a` is not a value"]],
  ["$x = [1 2]", ["1:9 P004 expected ']' but found `2`"]],
  ["$x = {a 1}", ["1:9 P004 expected ':' but found `1`"]],
  ["$x = {1: 2}", ["1:7 P004 expected '}' but found `1`"]],
  ["$x = each $c in $l", ["1:19 P004 expected ':' but found the end of the line"]],
  ["$x = each c in $l: f(c)", ["1:11 P004 expected a variable but found `c`"]],
  ["$x = each $c in $l: each $d in $c: f($d)", ["1:21 P004 but found `each`"]],
  ["$x = $y.0", ["1:9 P004 expected a name but found `0`"]],
  ["$x = $y[a]", ["1:9 P004 expected a number but found `a`"]],
  // input types
  ["input $x: str", ["1:11 P004 unknown input type `str`"]],
  ["input $x: List", ["1:11 P004 unknown input type `List`"]],
  ["input $x: null", ["1:11 P004 expected a name but found `null`"]],
  // input defaults are literals
  ["input $x = f()", ["1:12 P004 an input's default must be a literal value"]],
  ["input $x = $y", ["1:12 P004 an input's default must be a literal value"]],
  ['input $x = "hi $y"', ["1:12 P004 an input's default must be a literal value"]],
  ["input $x = [1, $y]", ["1:12 P004 an input's default must be a literal value"]],
  ["input $x = {a: f()}", ["1:12 P004 an input's default must be a literal value"]],
  // object keys do not interpolate
  ['$x = {"a$b": 1}', ["1:7 P004 an object key cannot interpolate"]],
  ["$x = {'${b}': 1}", ["1:7 P004 an object key cannot interpolate"]],
  // indexes are non-negative integers
  ["$x = $y[-1]", ["1:9 P004 invalid index `-1`"]],
  ["$x = $y[1.5]", ["1:9 P004 invalid index `1.5`"]],
  ["$x = $y[01]", ["1:9 P004 invalid index `01`"]],
  ["$x = $y[1e3]", ["1:9 P004 invalid index `1e3`"]],
  ["$x = $y[99999999999999999999]", ["1:9 P004 invalid index"]],
];

describe("syntax errors", () => {
  it.each(failures)("%j", (source, expected) => {
    expectDiagnostics(source, expected);
  });

  it("reports every syntax problem as an error with a P code", () => {
    for (const [source] of failures) {
      for (const d of parse(source).diagnostics) {
        expect(d.severity).toBe("error");
        expect(d.code).toMatch(/^P0(0[1-9]|1[01])$/);
      }
    }
  });

  it("points an unclosed bracket at the end of its statement and relates the opener", () => {
    const [d] = expectDiagnostics("$x = f(1,\n  2\n\n$y = g($x)", ["2:4 P005 `(` is never closed"]);
    expect(at(d!.range)).toBe("2:4-2:4");
    expect(d!.help).toBe("add `)`");
    expect(d!.related).toEqual([expect.objectContaining({ message: "`(` opened here" })]);
    expect(at(d!.related![0]!.range)).toBe("1:7-1:8");
  });

  it("reports several unclosed brackets once, at the innermost, with every closer in the help", () => {
    const ds = parse("$x = f({a: [1\n$y = 2").diagnostics;
    expect(ds.map((d) => [d.message, d.help, at(d.related![0]!.range)])).toEqual([
      ["`[` is never closed", "add `]})`", "1:12-1:13"],
    ]);
  });

  it("gives exact ranges for lexical errors", () => {
    const cases: [string, string][] = [
      ["$x = @", "1:6-1:7"],
      ['$x = "abc', "1:6-1:10"],
      ['$x = """a\nb', "1:6-2:2"],
      ['$x = "\\q"', "1:7-1:9"],
      ['$x = "\\u{110000}"', "1:7-1:9"],
      ["$x = 1e999", "1:6-1:11"],
      ["$x = f(1))", "1:10-1:11"],
      ['$x = "${a"', "1:7-1:10"],
      ['$x = "${"', "1:7-1:9"],
      ['"hello" # c', "1:1-1:8"],
      ["$x = search(Tokyo)", "1:13-1:18"],
      ["foo = 3", "1:1-1:4"],
      ["$x = $y[-1]", "1:9-1:11"],
      ["$x = f(1) g(2)", "1:11-1:12"],
      ["$x = f(1]", "1:9-1:10"],
    ];
    for (const [source, range] of cases) {
      expect([source, parse(source).diagnostics.map((d) => at(d.range))]).toEqual([
        source,
        [range],
      ]);
    }
  });

  it("keeps parsing after an error: every broken statement is reported", () => {
    const source = [
      "$a = @", // P001
      '$b = "x', // P002
      "$c = f(1]", // P004
      "$d = 01", // P008
      "$e = g(", // P005, ended by the next line
      "$f = h($a, $b, $c, $d, $e)",
      "return $f",
    ].join("\n");
    expectDiagnostics(source, [
      '1:6 P001 unexpected character "@"',
      "2:6 P002 unterminated string",
      "3:9 P004 expected ')' but found `]`",
      "4:6 P008 invalid number `01`",
      "5:8 P005 `(` is never closed",
    ]);
    const { plan } = parse(source);
    expect(plan.statements.map((s) => s.kind)).toEqual([
      "Invalid",
      "Invalid",
      "Invalid",
      "Invalid",
      "Invalid",
      "Binding",
      "Return",
    ]);
  });

  it("keeps the name a broken statement defines, so later uses do not cascade", () => {
    const { plan } = parse('$a = f(1]\ninput $b: str\n"bare"\n$c = g($a, $b)');
    const [a, b, bare, c] = plan.statements;
    expect(a).toMatchObject({ kind: "Invalid", defines: { kind: "Var", name: "a" } });
    expect(at(a!.range)).toBe("1:1-1:10");
    expect(at((a as A.InvalidStatement).defines!.range)).toBe("1:1-1:3");
    expect(b).toMatchObject({ kind: "Invalid", defines: { name: "b" } });
    expect(bare).toEqual({ kind: "Invalid", range: expect.anything() });
    expect(strip(c)).toEqual(bind("c", call("g", arg(ref("a")), arg(ref("b")))));
  });

  it("ends an unclosed statement at a line that starts a new one, and parses that line", () => {
    const { plan } = parse("$x = f(\n  1,\n$y = 2\ninput $z\nreturn [\n");
    expect(strip(plan.statements)).toEqual([
      { kind: "Invalid", defines: v("x") },
      bind("y", num(2)),
      input("z"),
      { kind: "Invalid" },
    ]);
  });

  it("does not end an open bracket at a line that merely starts with a variable", () => {
    // `$a` is an argument here, not a new statement: no `=` follows it.
    expect(statements("$x = f(\n  $a,\n  $b\n)")).toEqual([
      bind("x", call("f", arg(ref("a")), arg(ref("b")))),
    ]);
  });
});

// ## The AST of every construct

const asts: [string, unknown[]][] = [
  // statements
  ["input $x", [input("x")]],
  ["input $x: string", [input("x", "string")]],
  ["input $x: list = [1]", [input("x", "list", list(num(1)))]],
  [
    'input $a: number = -2.5\ninput $b: boolean = false\ninput $c: object = {k: "v"}\ninput $d: any = null',
    [
      input("a", "number", num(-2.5)),
      input("b", "boolean", bool(false)),
      input("c", "object", obj(entry("k", str(text("v"))))),
      input("d", "any", nul),
    ],
  ],
  ['input $e = "plain"', [input("e", undefined, str(text("plain")))]],
  ["$x = f()", [bind("x", call("f"))]],
  ["$1 = f()\n$2 = g($1)", [bind("1", call("f")), bind("2", call("g", arg(ref("1"))))]],
  ["$snake_case_2 = f()", [bind("snake_case_2", call("f"))]],
  ["f()", [stmt(call("f"))]],
  ["report.write(1)", [stmt(call("report.write", arg(num(1))))]],
  ["return $x", [ret(ref("x"))]],
  ['return "done"', [ret(str(text("done")))]],
  ["return f(1)", [ret(call("f", arg(num(1))))]],
  ["$x = $y", [bind("x", ref("y"))]],
  ["$x = 1", [bind("x", num(1))]],
  // calls
  ["$x = web.search.v2()", [bind("x", call("web.search.v2"))]],
  [
    '$x = f(1, "a", q: 2, r=3)',
    [bind("x", call("f", arg(num(1)), arg(str(text("a"))), arg(num(2), "q"), arg(num(3), "r")))],
  ],
  ["$x = f(1,)", [bind("x", call("f", arg(num(1))))]],
  ["$x = f(a: 1,)", [bind("x", call("f", arg(num(1), "a")))]],
  [
    "$x = f(in: 1, each=2, return: 3, true: 4, input: 5, null: 6, false: 7)",
    [
      bind(
        "x",
        call(
          "f",
          arg(num(1), "in"),
          arg(num(2), "each"),
          arg(num(3), "return"),
          arg(num(4), "true"),
          arg(num(5), "input"),
          arg(num(6), "null"),
          arg(num(7), "false"),
        ),
      ),
    ],
  ],
  // positional after named parses; the checker reports it (C017)
  ["$x = f(a: 1, 2)", [bind("x", call("f", arg(num(1), "a"), arg(num(2))))]],
  [
    "f(g(h()), k: a.b($x))",
    [stmt(call("f", arg(call("g", arg(call("h")))), arg(call("a.b", arg(ref("x"))), "k")))],
  ],
  [
    "$x = f(\n  1,\n\n  q: [\n    2,\n  ],\n)",
    [bind("x", call("f", arg(num(1)), arg(list(num(2)), "q")))],
  ],
  // references
  ["$x = $r.title", [bind("x", ref("r", field("title")))]],
  ["$x = $r[0]", [bind("x", ref("r", index(0)))]],
  [
    "$x = $r[10].a.b[2][3]",
    [bind("x", ref("r", index(10), field("a"), field("b"), index(2), index(3)))],
  ],
  ["$x = $r.in.each.null", [bind("x", ref("r", field("in"), field("each"), field("null")))]],
  ["$x = $1.title", [bind("x", ref("1", field("title")))]],
  ["$x = $r . a [ 0 ]", [bind("x", ref("r", field("a"), index(0)))]],
  // each
  ["$x = each $c in $l: f($c)", [bind("x", each("c", ref("l"), call("f", arg(ref("c")))))]],
  [
    '$x = each $p in $pages: "${p.title}!"',
    [bind("x", each("p", ref("pages"), str(ref("p", field("title")), text("!"))))],
  ],
  ["$x = each $p in [1, 2]: $p", [bind("x", each("p", list(num(1), num(2)), ref("p")))]],
  ["$x = each $p in g(): $p.a", [bind("x", each("p", call("g"), ref("p", field("a"))))]],
  // values
  [
    "$x = true\n$y = false\n$z = null",
    [bind("x", bool(true)), bind("y", bool(false)), bind("z", nul)],
  ],
  ["$x = []", [bind("x", list())]],
  ["$x = [1, [2, []], {}]", [bind("x", list(num(1), list(num(2), list()), obj()))]],
  ["$x = [1, 2,]", [bind("x", list(num(1), num(2)))]],
  [
    "$x = {a: 1, \"b c\": 2, 'd': 3, in: 4, return: 5,}",
    [
      bind(
        "x",
        obj(
          entry("a", num(1)),
          entry("b c", num(2), true),
          entry("d", num(3), true),
          entry("in", num(4)),
          entry("return", num(5)),
        ),
      ),
    ],
  ],
  ['$x = {"": 1, "\\n": 2}', [bind("x", obj(entry("", num(1), true), entry("\n", num(2), true)))]],
  [
    '$x = {a: $y.b, c: f(), d: [true], e: {f: "g $y"}}',
    [
      bind(
        "x",
        obj(
          entry("a", ref("y", field("b"))),
          entry("c", call("f")),
          entry("d", list(bool(true))),
          entry("e", obj(entry("f", str(text("g "), ref("y"))))),
        ),
      ),
    ],
  ],
  // comments, blank lines, line endings
  ['$x = "a # b" # c', [bind("x", str(text("a # b")))]],
  ["# only\n# comments\n", []],
  ["", []],
  ["\n\n  \n\t\n", []],
  ["\n\n$x = 1\n\n\n$y = 2\n\n", [bind("x", num(1)), bind("y", num(2))]],
  ["$x = f(1, # first\n  2) # second", [bind("x", call("f", arg(num(1)), arg(num(2))))]],
  ["$x = 1\r\n$y = 2\r\n", [bind("x", num(1)), bind("y", num(2))]],
  ["$x = 1\r$y = 2", [bind("x", num(1)), bind("y", num(2))]],
  ["\ufeff$x = 1", [bind("x", num(1))]],
  ["  $x\t=  f( 1 )  ", [bind("x", call("f", arg(num(1))))]],
];

describe("the AST of every construct", () => {
  it.each(asts)("%j", (source, expected) => {
    expect(statements(source)).toEqual(expected);
  });

  it("reads numbers as JSON numbers and keeps their spelling", () => {
    const cases: [string, number][] = [
      ["0", 0],
      ["-0", -0],
      ["7", 7],
      ["-12", -12],
      ["3.25", 3.25],
      ["-0.5", -0.5],
      ["1e6", 1e6],
      ["1E6", 1e6],
      ["2.5e-3", 2.5e-3],
      ["-1.5e+3", -1500],
      ["9007199254740993", 9007199254740992],
    ];
    for (const [raw, value] of cases) {
      expect(bound(`$x = ${raw}`)).toEqual({ ...num(value, raw), range: expect.anything() });
    }
  });

  it("keeps every comment with its text and range, none from inside strings", () => {
    const { plan } = parse('# head\n$x = "# not"  # tail\n  #\n');
    expect(plan.comments.map((c) => [c.text, at(c.range)])).toEqual([
      [" head", "1:1-1:7"],
      [" tail", "2:15-2:21"],
      ["", "3:3-3:4"],
    ]);
  });

  it("gives the plan the range of the whole text", () => {
    expect(at(parse("$x = 1\n\n").plan.range)).toBe("1:1-3:1");
    expect(at(parse("").plan.range)).toBe("1:1-1:1");
  });
});

// ## Strings

const strings: [string, unknown][] = [
  ['"plain"', str(text("plain"))],
  ['""', str()],
  ["'single'", sq(text("single"))],
  ["'it\"s'", sq(text('it"s'))],
  ['"it\'s"', str(text("it's"))],
  ['"""triple"""', tq(text("triple"))],
  ['"""say "hi" and ""twice"""', tq(text('say "hi" and ""twice'))],
  ['"""line 1\nline 2"""', tq(text("line 1\nline 2"))],
  ['"""\n  indented\n"""', tq(text("\n  indented\n"))],
  ['"""crlf\r\nlines\rend"""', tq(text("crlf\nlines\nend"))],
  // escapes
  ['"\\\\ \\" \\\' \\/"', str(text("\\ \" ' /"))],
  ['"\\n\\t\\r\\b\\f"', str(text("\n\t\r\b\f"))],
  ['"\\u00e9\\u00E9"', str(text("éé"))],
  ['"\\u{1F600} \\u{e9} \\u{10FFFF}"', str(text("😀 é \u{10ffff}"))],
  ['"\\uD83D\\uDE00"', str(text("😀"))],
  ["'\\u0041\\$x'", sq(text("A$x"))],
  ['"""\\"""\\n"""', tq(text('"""\n'))],
  // interpolation: short form
  ['"$x"', str(ref("x"))],
  ['"a $x b"', str(text("a "), ref("x"), text(" b"))],
  ['"$x.f"', str(ref("x", field("f")))],
  ['"$x[0]"', str(ref("x", index(0)))],
  ['"$x.a[1].b_2"', str(ref("x", field("a"), index(1), field("b_2")))],
  ['"$x$y"', str(ref("x"), ref("y"))],
  ['"$1 and $23"', str(ref("1"), text(" and "), ref("23"))],
  ['"costs $5"', str(text("costs "), ref("5"))],
  ['"costs \\$5"', str(text("costs $5"))],
  ['"$x."', str(ref("x"), text("."))],
  ['"$x.1"', str(ref("x"), text(".1"))],
  ['"$x. end"', str(ref("x"), text(". end"))],
  ['"$x[a]"', str(ref("x"), text("[a]"))],
  ['"$x[0"', str(ref("x"), text("[0"))],
  ['"$x[]"', str(ref("x"), text("[]"))],
  ['"$x[-1]"', str(ref("x"), text("[-1]"))],
  ['"$"', str(text("$"))],
  ['"$ 5"', str(text("$ 5"))],
  ['"a$-b"', str(text("a$-b"))],
  ['"$$x"', str(text("$"), ref("x"))],
  ['"\\$x"', str(text("$x"))],
  ['"$x-$y"', str(ref("x"), text("-"), ref("y"))],
  // interpolation: braced form
  ['"${x}"', str(ref("x"))],
  ['"${x.f[0]}"', str(ref("x", field("f"), index(0)))],
  ['"${x}y"', str(ref("x"), text("y"))],
  ['"${x}.f"', str(ref("x"), text(".f"))],
  ['"${1}"', str(ref("1"))],
  ['"\\${x}"', str(text("${x}"))],
  ["'$x ${y.z}'", sq(ref("x"), text(" "), ref("y", field("z")))],
  [
    '"""\n$x.a\n${y[2]}\n"""',
    tq(text("\n"), ref("x", field("a")), text("\n"), ref("y", index(2)), text("\n")),
  ],
  ['"a # b"', str(text("a # b"))],
];

describe("strings", () => {
  it.each(strings)("%s", (literal, expected) => {
    expect(strip(bound(`$s = ${literal}`))).toEqual(expected);
  });

  it("gives each part its source range", () => {
    const s = bound('$s = "ab $x.title! ${y[0]}"') as A.StringLit;
    expect(at(s.range)).toBe("1:6-1:28");
    expect(s.parts.map((p) => [p.kind, at(p.range)])).toEqual([
      ["Text", "1:7-1:10"],
      ["Ref", "1:10-1:18"],
      ["Text", "1:18-1:20"],
      ["Ref", "1:20-1:27"],
    ]);
    const [, short, , braced] = s.parts as [A.TextPart, A.Ref, A.TextPart, A.Ref];
    expect(at(short.variable.range)).toBe("1:10-1:12");
    expect(short.path.map((p) => at(p.range))).toEqual(["1:12-1:18"]);
    expect(at(braced.variable.range)).toBe("1:20-1:23");
    expect(braced.path.map((p) => at(p.range))).toEqual(["1:23-1:26"]);
  });

  it("points inside a triple-quoted string that spans lines", () => {
    const s = bound('$s = """one\r\n  $x.a\r\nthree"""') as A.StringLit;
    expect(at(s.range)).toBe("1:6-3:9");
    expect(s.parts.map((p) => [p.kind, at(p.range)])).toEqual([
      ["Text", "1:9-2:3"],
      ["Ref", "2:3-2:7"],
      ["Text", "2:7-3:6"],
    ]);
    expect(strip(s.parts)).toEqual([text("one\n  "), ref("x", field("a")), text("\nthree")]);
  });
});

// ## Exact ranges

describe("ranges", () => {
  it("covers a binding, its variable and a field accessor with its dot", () => {
    const b = only("$title = $r[0].title # note", "Binding");
    expect(at(b.range)).toBe("1:1-1:21");
    expect(at(b.target.range)).toBe("1:1-1:7");
    const r = b.value as A.Ref;
    expect(at(r.range)).toBe("1:10-1:21");
    expect(at(r.variable.range)).toBe("1:10-1:12");
    expect(r.path.map((p) => [p.kind, at(p.range)])).toEqual([
      ["Index", "1:12-1:15"],
      ["Field", "1:15-1:21"],
    ]);
  });

  it("covers calls, callees, arguments and names", () => {
    const c = only("web.search(q: 1, 2)", "CallStatement");
    expect(at(c.range)).toBe("1:1-1:20");
    expect(at(c.call.callee.range)).toBe("1:1-1:11");
    expect(c.call.args.map((a) => at(a.range))).toEqual(["1:12-1:16", "1:18-1:19"]);
    expect(at(c.call.args[0]!.name!.range)).toBe("1:12-1:13");
  });

  it("covers input declarations, types and defaults", () => {
    const d = only('input $x: string = "a"', "Input");
    expect(at(d.range)).toBe("1:1-1:23");
    expect(at(d.name.range)).toBe("1:7-1:9");
    expect(at(d.type!.range)).toBe("1:11-1:17");
    expect(at(d.default!.range)).toBe("1:20-1:23");
  });

  it("covers each, object entries and keys", () => {
    const b = only("$x = each $c in $l: {k: $c, 'q': 1}", "Binding");
    const e = b.value as A.Each;
    expect(at(e.range)).toBe("1:6-1:36");
    expect(at(e.variable.range)).toBe("1:11-1:13");
    const o = e.body as A.ObjectLit;
    expect(o.entries.map((en) => [at(en.range), at(en.key.range)])).toEqual([
      ["1:22-1:27", "1:22-1:23"],
      ["1:29-1:35", "1:29-1:32"],
    ]);
  });

  it("spans lines with CRLF endings", () => {
    const source = '$x = f(\r\n  "a",\r\n  k: """x\r\ny"""\r\n)\r\n$y = 1';
    const { plan, diagnostics } = parse(source);
    expect(diagnostics).toEqual([]);
    const [x, y] = plan.statements as [A.Binding, A.Binding];
    expect(at(x.range)).toBe("1:1-5:2");
    const c = x.value as A.Call;
    expect(c.args.map((a) => at(a.range))).toEqual(["2:3-2:6", "3:3-4:5"]);
    expect(strip(c.args[1]!.value)).toEqual(tq(text("x\ny")));
    expect(at(y.range)).toBe("6:1-6:7");
    expect(x.range.end.offset).toBe(source.indexOf(")") + 1);
  });
});

// ## Properties

describe("properties", () => {
  const planChars = fc.constantFrom(
    ...'$x = f(a, b: 1) [0] {k: \'v\'} "s ${y.z}" """ # \n \r\n \\ . - 1e 0 @ ; each in return input true null'.split(
      "",
    ),
    "$x",
    "each",
    "input",
    "return",
    '"""',
    "\n",
  );

  it("never throws, and every range lies inside the text", () => {
    fc.assert(
      fc.property(
        fc.array(planChars, { maxLength: 60 }).map((a) => a.join("")),
        (source) => {
          const { plan, diagnostics } = parse(source);
          for (const d of diagnostics) {
            expect(d.range.start.offset).toBeGreaterThanOrEqual(0);
            expect(d.range.end.offset).toBeLessThanOrEqual(source.length);
            expect(d.range.start.offset).toBeLessThanOrEqual(d.range.end.offset);
            expect(d.code).toMatch(/^P0/);
          }
          for (const s of plan.statements) {
            expect(s.range.end.offset).toBeLessThanOrEqual(source.length);
          }
          // An Invalid statement always comes with a diagnostic.
          if (plan.statements.some((s) => s.kind === "Invalid")) {
            expect(diagnostics.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("stays linear on 100 000 nested or mismatched brackets", () => {
    const n = 100_000;
    for (const source of [
      `$x = ${"[".repeat(n)}${"]".repeat(n)}`,
      `$x = ${"[".repeat(n)}${")".repeat(n)}`,
      `$x = ${"[(".repeat(n / 2)}${"]".repeat(n)}`,
    ]) {
      const { plan, diagnostics } = parse(source);
      expect(diagnostics[0]?.code).toBe("P011");
      expect(plan.statements.map((st) => st.kind)).toEqual(["Invalid"]);
    }
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (source) => {
        expect(() => parse(source)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });

  it("reads every JSON number as JavaScript does", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const raw = JSON.stringify(n);
        expect(bound(`$x = ${raw}`)).toMatchObject({ kind: "Number", value: JSON.parse(raw) });
      }),
    );
  });

  it("decodes every JSON-escaped string back to its value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (value) => {
        const literal = JSON.stringify(value).replaceAll("$", "\\$");
        const s = bound(`$s = ${literal}`) as A.StringLit;
        expect(s.parts.map((p) => (p.kind === "Text" ? p.value : "?")).join("")).toBe(value);
      }),
    );
  });
});

// ## Reserved words

describe("keywords", () => {
  it("are the words the lexer reads as keywords, and cannot name a tool", () => {
    expect([...KEYWORDS].sort()).toEqual([
      "each",
      "false",
      "in",
      "input",
      "null",
      "return",
      "true",
    ]);
    for (const word of KEYWORDS) {
      expect(isToolName(word)).toBe(false);
      expect(isToolName(`web.${word}`)).toBe(false);
      expect(isToolName(`${word}s`)).toBe(true);
    }
  });
});
