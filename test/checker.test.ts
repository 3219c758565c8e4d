import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { check } from "../src/compiler/check.js";
import { suggest } from "../src/compiler/suggest.js";
import { defineTool, type AnyTool } from "../src/compiler/tool.js";
import { typeToString } from "../src/compiler/types.js";
import type { Diagnostic } from "../src/diagnostics/diagnostic.js";
import type { Expr, Plan } from "../src/parser/ast.js";
import { parse } from "../src/parser/parse.js";

// ## Test tools

const Hit = z.object({ title: z.string(), url: z.string() });

const tools: AnyTool[] = [
  defineTool({
    name: "search",
    input: z.object({ query: z.string() }),
    output: z.array(Hit),
    run: () => [],
  }),
  defineTool({
    name: "math",
    input: z.object({ expr: z.string() }),
    output: z.number(),
    run: () => 0,
  }),
  defineTool({
    name: "fetch",
    input: z.object({ url: z.string(), timeout: z.number().optional() }),
    output: z.string(),
    run: () => "",
  }),
  defineTool({
    name: "llm",
    input: z.object({ prompt: z.string() }),
    output: z.string(),
    run: () => "",
  }),
  defineTool({
    name: "web.search",
    input: z.object({ query: z.string(), limit: z.int().default(5) }),
    output: z.object({ hits: z.array(z.string()), total: z.number() }),
    run: () => ({ hits: [], total: 0 }),
  }),
  defineTool({
    name: "sort",
    input: z.object({ items: z.array(z.unknown()), order: z.enum(["asc", "desc"]).optional() }),
    output: z.array(z.unknown()),
    run: () => [],
  }),
  defineTool({
    name: "profile",
    input: z.object({ id: z.string() }),
    output: z
      .object({ name: z.string(), city: z.string().nullable(), tags: z.array(z.string()) })
      .nullable(),
    run: () => null,
  }),
  defineTool({
    name: "raw",
    input: z.object({ url: z.string() }),
    output: z.looseObject({ status: z.number() }),
    run: () => ({ status: 200 }),
  }),
  defineTool({
    name: "notify",
    input: z.object({ message: z.string() }),
    run: () => undefined,
  }),
];

// ## Helpers

function checked(text: string, withTools = true): Diagnostic[] {
  const parsed = parse(text);
  // The checker cases are meant to be syntactically valid: a syntax error would hide the point.
  expect(parsed.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return check(parsed.plan, withTools ? { tools } : {}).diagnostics;
}

const at = (d: Diagnostic) => `${d.range.start.line}:${d.range.start.column} ${d.code}`;
const spans = (d: Diagnostic) =>
  `${d.range.start.line}:${d.range.start.column}-${d.range.end.line}:${d.range.end.column} ${d.code}`;

function lines(...ls: string[]): string {
  return ls.join("\n");
}

// ## Plans that must check cleanly

const valid: [string, string][] = [
  [
    "the design example",
    lines(
      `input $cities: list = ["Tokyo", "Paris"]`,
      `$tokyo = search("population of Tokyo")`,
      `$paris = search(query: "population of Paris")`,
      `$diff  = math("$tokyo - $paris")`,
      `$pops  = each $c in $cities: search("population of $c")`,
      `$top   = $pops[0][0].title`,
      `return llm("Answer using: \${pops} $top $diff")`,
    ),
  ],
  [
    "named arguments with `=`, optional and defaulted parameters left out",
    lines(
      `$page = fetch(url="https://example.com")`,
      `$slow = fetch("https://example.com", timeout: 30)`,
      `$web = web.search("weft")`,
      `$more = web.search(query: "weft", limit: 20)`,
      `$first = $web.hits[2]`,
      `$sorted = sort($web.hits, order: "desc")`,
    ),
  ],
  [
    "open objects allow any field",
    lines(`$r = raw("u")`, `$s = $r.anything.deep[3]`, `$t = math("$r.status")`),
  ],
  [
    "fields through a nullable object",
    lines(`$p = profile("id")`, `$n = llm($p.name)`, `$c = fetch($p.city)`, `$t = llm($p.tags[0])`),
  ],
  [
    "typed inputs feed typed parameters",
    lines(
      `input $n: number = 3`,
      `input $s: string`,
      `input $o: object`,
      `input $anything`,
      `$x = $o.any.thing`,
      `$y = fetch($s, timeout: $n)`,
      `$z = fetch($anything.url, timeout: $anything)`,
    ),
  ],
  ["a tool without an output schema gives any", lines(`$x = notify("hi")`, `$y = $x.whatever[0]`)],
  [
    "the each variable is typed by the list's items",
    lines(
      `$hits = search("x")`,
      `$pages = each $h in $hits: fetch($h.url, timeout: 5)`,
      `$titles = each $t in $pages: llm($t)`,
    ),
  ],
  [
    "nested calls, lists and objects as arguments",
    lines(`$x = llm(fetch(llm("a")))`, `$y = sort([1, "two", {a: [$x]}])`),
  ],
  ["call statements and a return", lines(`notify("start")`, `$a = math("1")`, `return $a`)],
  ["numeric variable names", lines(`$1 = search("a")`, `$2 = llm($1[0].title)`, `return $2`)],
  [
    "each variable names may repeat across statements",
    lines(`$a = each $i in [1]: $i`, `$b = each $i in [2]: $i`),
  ],
];

describe("valid plans", () => {
  it.each(valid)("%s", (_name, text) => {
    expect(checked(text).map(at)).toEqual([]);
  });

  it("without tools, tool names, arity and argument types are not checked", () => {
    expect(checked(`$x = whatever(1, 2, 3, z: 4)\n$y = math(42, nope: true)`, false)).toEqual([]);
  });
});

// ## One row per mistake: plan text -> "line:col CODE"

const invalid: [string, string, string[]][] = [
  ["C001 redefinition", lines(`$a = 1`, `$a = 2`), ["2:1 C001"]],
  ["C001 redefining an input", lines(`input $a`, `$a = 1`), ["2:1 C001"]],
  ["C002 undefined variable", `$a = $nope`, ["1:6 C002"]],
  ["C002 inside a list and an object", `$a = [1, {k: $nope}]`, ["1:14 C002"]],
  ["C002 in an interpolation", `$a = llm("hi \${who}")`, ["1:14 C002"]],
  [
    "C002 the each variable outside its body",
    lines(`$x = each $i in [1]: $i`, `$y = $i`),
    ["2:6 C002"],
  ],
  ["C003 used before definition", lines(`$a = $b`, `$b = 1`), ["1:6 C003"]],
  ["C003 used in its own definition", `$x = llm($x)`, ["1:10 C003"]],
  ["C003 in the list of an each", `$x = each $i in $x: $i`, ["1:17 C003"]],
  ["C004 unknown tool", `$a = serch("x")`, ["1:6 C004"]],
  ["C004 unknown nested tool", `$a = llm(summarize("x"))`, ["1:10 C004"]],
  ["C005 too many arguments", `$a = search("x", "y", "z")`, ["1:18 C005"]],
  ["C006 unknown named argument", `$a = fetch("u", time: 3)`, ["1:17 C006"]],
  ["C006 and C007 together", `$a = search(q: "x")`, ["1:6 C007", "1:13 C006"]],
  ["C007 missing argument", `$a = fetch(timeout: 3)`, ["1:6 C007"]],
  ["C007 no arguments at all", `$a = llm()`, ["1:6 C007"]],
  ["C008 positional and named", `$a = search("x", query: "y")`, ["1:18 C008"]],
  ["C008 named twice", `$a = fetch(url: "a", url: "b")`, ["1:22 C008"]],
  ["C009 literal of the wrong type", `$a = math(42)`, ["1:11 C009"]],
  ["C009 named argument", `$a = fetch("u", timeout: "soon")`, ["1:26 C009"]],
  [
    "C009 a reference typed by an output schema",
    lines(`$n = math("1")`, `$a = llm($n)`),
    ["2:10 C009"],
  ],
  ["C009 a nested call's output", `$a = math(math("1"))`, ["1:11 C009"]],
  ["C009 a value outside an enum", `$a = sort([], order: "up")`, ["1:22 C009"]],
  ["C009 a list where a string is expected", `$a = llm(["a", "b"])`, ["1:10 C009"]],
  ["C009 an each item of the wrong type", `$a = each $i in [1, 2]: llm($i)`, ["1:29 C009"]],
  [
    "C009 a field typed by an output schema",
    lines(`$w = web.search("q")`, `$a = llm($w.total)`),
    ["2:10 C009"],
  ],
  ["C009 an input default", `input $n: number = "x"`, ["1:20 C009"]],
  ["C009 a list input default", `input $l: list = {a: 1}`, ["1:18 C009"]],
  ["C010 misspelt field", lines(`$r = search("x")`, `$t = $r[0].titel`), ["2:11 C010"]],
  ["C010 field on a list", lines(`$r = search("x")`, `$t = $r.title`), ["2:8 C010"]],
  ["C010 field on a string", lines(`$s = llm("x")`, `$t = $s.length`), ["2:8 C010"]],
  ["C010 field on a literal value", lines(`$s = 3`, `$t = $s.x`), ["2:8 C010"]],
  ["C010 field on a closed object literal", lines(`$o = {a: 1}`, `$t = $o.b`), ["2:8 C010"]],
  ["C010 field on a nullable object", lines(`$p = profile("x")`, `$t = $p.age`), ["2:8 C010"]],
  [
    "C010 inside an interpolation",
    lines(`$r = search("x")`, `$t = llm("first: \${r[0].titel}")`),
    ["2:24 C010"],
  ],
  [
    "C010 on the each variable",
    lines(`$r = search("x")`, `$t = each $h in $r: $h.name`),
    ["2:23 C010"],
  ],
  ["C010 only the first bad accessor", lines(`$n = math("1")`, `$t = $n.a.b[0].c`), ["2:8 C010"]],
  ["C011 index into a number", lines(`$n = math("1")`, `$t = $n[0]`), ["2:8 C011"]],
  ["C011 index into an object", lines(`$p = profile("x")`, `$t = $p[0]`), ["2:8 C011"]],
  ["C011 index into a string", lines(`$s = "text"`, `$t = $s[1]`), ["2:8 C011"]],
  [
    "C012 each over a number",
    lines(`$n = math("1")`, `$x = each $i in $n: llm("$i")`),
    ["2:17 C012"],
  ],
  ["C012 each over a string literal", `$x = each $i in "abc": $i`, ["1:17 C012"]],
  [
    "C012 each over an object",
    lines(`$w = web.search("q")`, `$x = each $i in $w: $i`),
    ["2:17 C012"],
  ],
  ["C013 return not last", lines(`return 1`, `notify("x")`), ["1:1 C013"]],
  ["C014 second return", lines(`return 1`, `return 2`), ["1:1 C013", "2:1 C014"]],
  ["C015 unused binding", lines(`$a = search("x")`, `$b = llm("y")`, `return $b`), ["1:1 C015"]],
  [
    "C015 unused each and value bindings",
    lines(`$a = each $i in [1]: $i`, `$v = 2`, `return 1`),
    ["1:1 C015", "2:1 C015"],
  ],
  ["C016 duplicate key", `$o = {a: 1, b: 2, a: 3}`, ["1:19 C016"]],
  ["C016 duplicate quoted key", `$o = {"a b": 1, 'a b': 2}`, ["1:17 C016"]],
  ["C017 positional after named", `$a = fetch(url: "x", 3)`, ["1:22 C017"]],
  ["C018 input after a statement", lines(`$a = 1`, `input $b`), ["2:1 C018"]],
  [
    "C018 input after a return",
    lines(`input $a`, `return $a`, `input $b`),
    ["2:1 C013", "3:1 C018"],
  ],
  ["C019 each variable shadows", lines(`$c = [1]`, `$x = each $c in $c: $c`), ["2:11 C019"]],
  ["C019 shadowing a later variable", lines(`$x = each $c in [1]: $c`, `$c = 2`), ["1:11 C019"]],
];

describe("one row per mistake", () => {
  it.each(invalid)("%s", (_name, text, expected) => {
    expect(checked(text).map(at)).toEqual(expected);
  });

  it("covers every checker code", () => {
    const covered = new Set(
      invalid.flatMap(([, , expected]) => expected.map((e) => e.split(" ")[1])),
    );
    const all = Array.from({ length: 19 }, (_, i) => `C${String(i + 1).padStart(3, "0")}`);
    expect(all.filter((c) => !covered.has(c))).toEqual([]);
  });

  it("C017 is checked even without tools", () => {
    expect(checked(`$a = anything(k: 1, 2, 3)`, false).map(at)).toEqual(["1:21 C017", "1:24 C017"]);
  });

  it("checks names, scopes, objects and returns without tools", () => {
    const text = lines(`$a = $b`, `$o = {k: 1, k: 2}`, `$a = f()`, `return 1`, `$b = 2`);
    expect(checked(text, false).map(at)).toEqual([
      "1:1 C015",
      "1:6 C003",
      "2:1 C015",
      "2:13 C016",
      "3:1 C001",
      "4:1 C013",
    ]);
  });
});

// ## Everything in one pass

describe("all problems in one pass", () => {
  it("reports every mistake of a plan, in source order", () => {
    const text = lines(
      `$r = serch("cats")`,
      `$a = $undefined`,
      `$b = math(42)`,
      `$c = fetch(timeout: 3)`,
      `$b = llm("again")`,
      `$d = $r.anything`,
      `return [$a, $b.size, $c, $d]`,
    );
    expect(checked(text).map(at)).toEqual([
      "1:6 C004",
      "2:6 C002",
      "3:11 C009",
      "4:6 C007",
      "5:1 C001",
      "7:15 C010",
    ]);
  });
});

// ## Ranges, messages and help

function only(text: string): Diagnostic {
  const ds = checked(text);
  expect(ds).toHaveLength(1);
  return ds[0]!;
}

describe("diagnostic details", () => {
  it("C001 points at the first definition", () => {
    const d = only(lines(`input $a`, `$a = 1`));
    expect(d.message).toBe("`$a` is already defined");
    expect(d.related?.map((r) => spans({ ...d, range: r.range }))).toEqual(["1:7-1:9 C001"]);
  });

  it("C002 suggests a defined name or the each variable", () => {
    expect(only(lines(`$cities = [1]`, `$x = $citys`)).help).toBe("did you mean `$cities`?");
    expect(only(`$x = each $item in [1]: $iten`).help).toBe("did you mean `$item`?");
    expect(only(`$x = $zzz`).help).toBeUndefined();
  });

  it("C002 suggests the same for the same name, with the each variable only in its body", () => {
    const text = lines(
      `$cities = [1]`,
      `$a = each $item in $cities: llm($itm)`,
      `$b = llm($itm)`,
      `$c = each $item in $cities: llm($itm)`,
      `$d = [$citys, $citys]`,
    );
    const ds = checked(text).filter((d) => d.code === "C002");
    expect(ds.map((d) => `${at(d)} ${d.help}`)).toEqual([
      "2:33 C002 did you mean `$item`?",
      "3:10 C002 undefined",
      "4:33 C002 did you mean `$item`?",
      "5:7 C002 did you mean `$cities`?",
      "5:15 C002 did you mean `$cities`?",
    ]);
  });

  it("C003 points at the later definition", () => {
    const d = only(lines(`$a = $b`, `$b = 1`));
    expect(spans(d)).toBe("1:6-1:8 C003");
    expect(d.related?.[0]?.range.start).toMatchObject({ line: 2, column: 1 });
  });

  it("C004 suggests a registered tool, including a dotted one", () => {
    expect(only(`$a = serch("x")`).help).toBe("did you mean `search`?");
    expect(only(`$a = web.serch("x")`).help).toBe("did you mean `web.search`?");
    expect(only(`$a = translate("x")`).help).toBe("only registered tools can be called");
    expect(spans(only(`$a = web.serch("x")`))).toBe("1:6-1:15 C004");
  });

  it("C005 spans the extra arguments", () => {
    const d = only(`$a = search("x", "y", "z")`);
    expect(spans(d)).toBe("1:18-1:26 C005");
    expect(d.message).toBe("`search` takes at most 1 positional argument, but 3 were given");
  });

  it("C006 suggests a parameter", () => {
    const d = only(`$a = fetch("u", timout: 3)`);
    expect(spans(d)).toBe("1:17-1:23 C006");
    expect(d.help).toBe("did you mean `timeout`?");
  });

  it("C007 names every missing argument on the callee", () => {
    const text = `$a = web.search(limit: 3)`;
    expect(spans(only(text))).toBe("1:6-1:16 C007");
    expect(only(text).message).toBe("`web.search` is missing required argument `query`");
  });

  it("C009 says what was expected and what was found", () => {
    expect(only(`$a = math(42)`).message).toBe(
      "argument `expr` of `math` expects string, but this is 42",
    );
    expect(only(`$a = llm(["a", "b"])`).message).toBe(
      "argument `prompt` of `llm` expects string, but this is list of string",
    );
    expect(only(`$a = sort([], order: "up")`).message).toBe(
      'argument `order` of `sort` expects "asc" | "desc", but this is "up"',
    );
    expect(only(lines(`$r = search("x")`, `$a = llm($r)`)).message).toBe(
      "argument `prompt` of `llm` expects string, but this is list of object {title, url}",
    );
    expect(only(`input $n: number = "x"`).message).toBe(
      'input `$n` expects number, but this is "x"',
    );
  });

  it("C010 is on the accessor and suggests a field", () => {
    const d = only(lines(`$r = search("x")`, `$t = $r[0].titel`));
    expect(spans(d)).toBe("2:11-2:17 C010");
    expect(d.message).toBe("no field `titel` on object {title, url}");
    expect(d.help).toBe("did you mean `title`?");
    expect(only(lines(`$r = search("x")`, `$t = $r.title`)).message).toBe(
      "no field `title` on list of object {title, url}",
    );
  });

  it("C011 and C012 name the type", () => {
    expect(only(lines(`$n = math("1")`, `$t = $n[0]`)).message).toBe("cannot index into number");
    expect(only(`$x = each $i in {a: 1}: $i`).message).toBe(
      "`each` needs a list, but this is object {a}",
    );
  });

  it("C013 and C014 point at the `return` keyword", () => {
    const ds = checked(lines(`return 1`, `return 2`));
    expect(ds.map(spans)).toEqual(["1:1-1:7 C013", "2:1-2:7 C014"]);
    expect(ds[1]?.related?.[0]?.range.start.line).toBe(1);
  });

  it("C015 and C018 are warnings", () => {
    const ds = checked(lines(`$a = 1`, `input $b`, `return $b`));
    expect(ds.map((d) => `${d.code} ${d.severity}`)).toEqual(["C015 warning", "C018 warning"]);
    expect(ds.map(spans)).toEqual(["1:1-1:3 C015", "2:1-2:6 C018"]);
  });

  it("C015 is not reported for inputs, call statements or referenced bindings", () => {
    const text = lines(
      `input $x`,
      `notify("a")`,
      `$a = math("1")`,
      `$b = each $i in [1]: $a`,
      `return $b`,
    );
    expect(checked(text)).toEqual([]);
  });
});

describe("suggest", () => {
  it.each([
    ["serch", ["search", "math"], "search"],
    ["Search", ["search"], "search"],
    ["search", ["math", "web.search"], "web.search"],
    ["citys", ["cities", "city_list"], "cities"],
    ["a", ["b", "c"], undefined],
    ["totally", ["search", "math"], undefined],
    ["x", [], undefined],
  ] as [string, string[], string | undefined][])(
    "%s among %j -> %s",
    (name, candidates, expected) => {
      expect(suggest(name, candidates)).toBe(expected);
    },
  );
});

// ## Statements that did not parse

describe("invalid statements", () => {
  it("define their name so later uses do not cascade", () => {
    const parsed = parse(lines(`$a = search("x"`, `$b = llm($a)`, `return $b`));
    expect(parsed.diagnostics.map((d) => d.code)).toContain("P005");
    expect(check(parsed.plan, { tools }).diagnostics).toEqual([]);
  });

  it("silence unused warnings, since the use may be in the broken line", () => {
    const parsed = parse(lines(`$a = math("1")`, `$b = llm("$a"`, `return 2`));
    expect(parsed.diagnostics.map((d) => d.code)).toContain("P005");
    expect(check(parsed.plan, { tools }).diagnostics).toEqual([]);
  });

  it("still let other statements be checked", () => {
    const parsed = parse(lines(`$a = )`, `$b = math(42)`, `$c = $a.x`));
    expect(parsed.diagnostics.length).toBeGreaterThan(0);
    expect(check(parsed.plan, { tools }).diagnostics.map(at)).toEqual(["2:11 C009"]);
  });
});

// ## Symbols

describe("symbols", () => {
  it("records every plan-level variable with its kind and type", () => {
    const text = lines(
      `input $topic: string`,
      `$hits = search($topic)`,
      `$pages = each $h in $hits: fetch($h.url)`,
      `$top = $hits[0].title`,
      `$lit = "plain"`,
      `$msg = "about $topic"`,
    );
    const { symbols } = check(parse(text).plan, { tools });
    const summary = [...symbols.values()].map(
      (s) =>
        `${s.name} ${s.kind} ${typeToString(s.type)} ${s.range.start.line}:${s.range.start.column}`,
    );
    expect(summary).toEqual([
      "topic input string 1:7",
      "hits call list of object {title, url} 2:1",
      "pages each list of string 3:1",
      "top value string 4:1",
      'lit value "plain" 5:1',
      "msg value string 6:1",
    ]);
  });

  it("types calls as any without tools", () => {
    const { symbols } = check(parse(`$a = search("x")`).plan);
    expect(symbols.get("a")?.type).toEqual({ k: "any" });
  });
});

// ## Robustness

describe("robustness", () => {
  it("never throws on arbitrary text", () => {
    const alphabet = fc.constantFrom(
      ...`$ab1 =()[]{}.,:"'\n#`.split(""),
      "each ",
      " in ",
      "input ",
      "return ",
      "search",
      "web.search",
      "math",
      "$a",
      "$b",
      "${a}",
      "0",
      "-1.5",
      "true",
      "null",
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => {
        const { plan } = parse(parts.join(""));
        const result = check(plan, { tools });
        expect(Array.isArray(result.diagnostics)).toBe(true);
        check(plan);
      }),
      { numRuns: 500 },
    );
  });

  it("does not overflow the stack on a hand-built, absurdly deep AST", () => {
    const range = parse("1").plan.range;
    let value: Expr = { kind: "Number", value: 1, raw: "1", range };
    for (let i = 0; i < 20_000; i++) value = { kind: "List", items: [value], range };
    const target = { kind: "Var" as const, name: "x", range };
    const plan: Plan = {
      kind: "Plan",
      statements: [{ kind: "Binding", target, value, range }],
      comments: [],
      range,
    };
    expect(check(plan, { tools }).diagnostics).toEqual([]);
  });

  it("keeps a list of many different lists as a union (no endless widening)", () => {
    const items = Array.from({ length: 20 }, (_, i) => `[${i}]`).join(", ");
    const { diagnostics, symbols } = check(parse(`$x = [${items}]`).plan, { tools });
    expect(diagnostics).toEqual([]);
    const type = symbols.get("x")?.type;
    expect(type?.k === "list" && type.item.k === "union" && type.item.options.length).toBe(20);
  });

  it("reads a tool's schemas again when they change between checks", () => {
    const tool: AnyTool = {
      name: "t",
      input: z.object({ a: z.string() }),
      output: z.number(),
      run: () => 0,
    };
    const plan = parse(`$x = t(b: 1)
$y = $x.f`).plan;
    expect(check(plan, { tools: [tool] }).diagnostics.map(at)).toEqual([
      "1:6 C007",
      "1:8 C006",
      "2:8 C010",
    ]);
    tool.input = z.object({ b: z.number() });
    tool.output = z.object({ f: z.string() });
    expect(check(plan, { tools: [tool] }).diagnostics.map(at)).toEqual([]);
  });

  it("counts a name used before its definition as used", () => {
    const ds = checked(lines(`$a = llm($b)`, `$b = llm("x")`, `return $a`), true);
    expect(ds.map(at)).toEqual(["1:10 C003"]);
  });

  it("accepts tools whose schemas are not zod objects", () => {
    const odd = {
      name: "odd",
      input: {} as never,
      output: "nonsense" as never,
      run: () => null,
    } satisfies AnyTool;
    const ds = check(parse(`$a = odd(1)\n$b = $a.x`).plan, { tools: [odd] }).diagnostics;
    expect(ds.map(at)).toEqual(["1:10 C005"]);
  });
});
