// LLMCompiler plans written for these tests in the planner's format (not copied
// from the corpus): exact Weft text, diagnostics with line:column.
import { describe, expect, it } from "vitest";
import { llmCompilerTools as tools } from "../scripts/corpus.js";
import { checkImported, importPlan, readPlan } from "../src/compat/index.js";
import { at, lines } from "./fixtures/compat.js";

describe("LLMCompiler import", () => {
  it("reads steps, Thought: lines, join() and <END_OF_PLAN>", () => {
    const r = importPlan(
      "llmcompiler",
      lines(
        "Thought: I need both heights.",
        '1. search("Matterhorn")',
        "2. search('Mont Blanc')",
        '3. math("difference in height", ["$1", "$2"])',
        "Thought: Done.",
        "4. join()<END_OF_PLAN>",
      ),
    );
    expect(r.text).toBe(
      lines(
        "# Thought: I need both heights.",
        '$1 = search("Matterhorn")',
        '$2 = search("Mont Blanc")',
        '$3 = math("difference in height", [$1, $2])',
        "# Thought: Done.",
        "# 4. join(): end of the plan; the joiner reads every result",
      ),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.notes).toEqual(["Thought: I need both heights.", "Thought: Done."]);
    expect(r).toMatchObject({ steps: 4, complete: true });
  });

  it("reads $N and ${N} inside strings as interpolation", () => {
    const r = readPlan(
      "llmcompiler",
      lines('1. search("a")', '2. search("b")', '3. math("${1}0 + $2 costs \\$")'),
    );
    expect(r.text.split("\n")[2]).toBe('$3 = math("${1}0 + $2 costs \\\\$")');
    expect(r.edges.get("3")).toEqual(["1", "2"]);
    expect(r.diagnostics).toEqual([]);
  });

  it("reads Python literals: quotes, escapes, numbers, True/False/None, lists, tuples, dicts, keywords", () => {
    const r = importPlan(
      "llmcompiler",
      lines(
        '1. search("x")',
        "2. f('it\\'s\\t\\x41\\u00e9', -1.5e3, True, False, None, [1, (2,), (3)], {'k': '$1'}, n=2)",
      ),
    );
    expect(r.text.split("\n")[1]).toBe(
      '$2 = f("it\'s\\tAé", -1500, true, false, null, [1, [2], 3], {k: $1}, n: 2)',
    );
    expect(r.diagnostics).toEqual([]);
  });

  it("reads arguments spread over lines, numbers at a line start included", () => {
    const r = importPlan("llmcompiler", lines("1. f([", "  1.5,", "  2.0])", "2. g($1)"));
    expect(r.text).toBe(lines("$1 = f([1.5, 2])", "$2 = g($1)"));
    expect(r.diagnostics).toEqual([]);
  });

  it("imports a step whose `)` is missing when the next line starts a step, warning at the line end", () => {
    const r = importPlan(
      "llmcompiler",
      lines('1. search("Oslo")', '2. math("population doubled?", ["$1"]', '3. search("Bergen")'),
    );
    expect(r.text).toBe(
      lines(
        '$1 = search("Oslo")',
        '$2 = math("population doubled?", [$1])',
        '$3 = search("Bergen")',
      ),
    );
    expect(r.diagnostics.map(at)).toEqual(["2:38 warning I005"]);
  });

  it("diagnoses an ambiguous missing `)` at its line, and a cut-off last step", () => {
    const r = importPlan(
      "llmcompiler",
      lines('1. search("Oslo")', "2. search(Oslo and", '3. math("x", ["$1"]') + '4. search("Ber',
    );
    expect(r.diagnostics.map(at)).toEqual([
      "2:1 error I004",
      "3:20 warning I005",
      "4:1 error I001",
    ]);
    expect(r.text).toBe(
      lines(
        '$1 = search("Oslo")',
        "# not imported: 2. search(Oslo and",
        '$3 = math("x", [$1])',
        '# not imported (cut off): 4. search("Ber',
      ),
    );
    // Step 3's `)` is missing too, and is recovered because step 4 starts a new line.
    expect(
      importPlan("llmcompiler", lines('1. search("a"', '2. search("b")')).diagnostics.map(at),
    ).toEqual(["1:14 warning I005"]);
    expect(r).toMatchObject({ steps: 4, complete: false });
  });

  it("reads unquoted arguments as one string, as LLMCompiler does when literal_eval fails", () => {
    const r = importPlan(
      "llmcompiler",
      lines('1. search("Heat")', "2. search(The Godfather Part II)", "3. search(sequel of $1)"),
    );
    expect(r.text).toBe(
      lines(
        '$1 = search("Heat")',
        '$2 = search("The Godfather Part II")',
        '$3 = search("sequel of $1")',
      ),
    );
    expect(r.diagnostics.map(at)).toEqual(["2:11 warning I006", "3:11 warning I006"]);
  });

  it("reads lists nested beyond any plan's depth as one string instead of overflowing", () => {
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    const r = importPlan("llmcompiler", lines(`1. search(${deep})`));
    expect(r.diagnostics.map(at)).toEqual(["1:11 warning I006"]);
    expect(r.steps).toBe(1);
  });

  it("reports undefined and later references where they are written, even after escapes", () => {
    const r = importPlan(
      "llmcompiler",
      lines('1. math("\\t\\u00e9 $2 and ${9}")', '2. search("x")'),
    );
    expect(r.diagnostics.map(at)).toEqual(["1:19 error I003", "1:26 error I002"]);
    expect(r.text.split("\n")[0]).toBe('$1 = math("\\té \\$2 and \\${9}")');
  });

  it("ends the plan at ###, warns about what follows and about steps after join()", () => {
    const r = importPlan(
      "llmcompiler",
      lines(
        '1. search("a")',
        "2. join()",
        '3. search("b")',
        "###",
        "Question: the next example",
        '1. search("c")',
      ),
    );
    expect(r.diagnostics.map(at)).toEqual(["3:1 warning I012", "5:1 warning I011"]);
    expect(r.text).toBe(
      lines(
        '$1 = search("a")',
        "# 2. join(): end of the plan; the joiner reads every result",
        '$3 = search("b")',
      ),
    );
    expect(r.complete).toBe(true);
  });

  it("keeps question lines as notes and compiles against the tools with every dependency", () => {
    const source = lines(
      "Question: Which is taller?",
      "Options:",
      "Matterhorn",
      '1. search("Matterhorn")',
      '2. search("Eiger")',
      '3. math("taller of the two", ["$1", "$2"])',
      '4. math("$3 in feet")',
      "5. join()<END_OF_PLAN>",
    );
    const built = readPlan("llmcompiler", source);
    expect(built.notes).toEqual(["Question: Which is taller?", "Options:", "Matterhorn"]);
    const checked = checkImported(built, { tools });
    expect(checked.diagnostics).toEqual([]);
    expect(checked.graphEdges).toEqual(
      new Map([
        ["1", []],
        ["2", []],
        ["3", ["1", "2"]],
        ["4", ["3"]],
      ]),
    );
  });

  it("renames tools with map and points checker errors at the original argument", () => {
    const built = readPlan("llmcompiler", lines("1. lookup(42)"), { map: { lookup: "search" } });
    expect(built.text).toBe("$1 = search(42)\n");
    const checked = checkImported(built, { tools });
    expect(checked.diagnostics.map(at)).toEqual(["1:11 error C009"]);
  });
});
