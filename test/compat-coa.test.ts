// Chain-of-Abstraction reasoning chains written for these tests: inline
// `[FUNC tool(args) = yN]` calls become statements, the text becomes notes.
import { describe, expect, it } from "vitest";
import { checkImported, importPlan, readPlan } from "../src/compat/index.js";
import { at, lines } from "./fixtures/compat.js";

describe("Chain-of-Abstraction import", () => {
  it("turns inline calls into statements after the line they are written on", () => {
    const r = importPlan(
      "coa",
      lines(
        'Oslo has [FUNC search("Oslo population") = y1] people and Bergen',
        "[FUNC search('Bergen population') = y2]; together [FUNC add(y1, y2) = y3].",
        "So the answer is y3.",
      ),
    );
    expect(r.text).toBe(
      lines(
        "# Oslo has y1 people and Bergen",
        '$y1 = search("Oslo population")',
        "# y2; together y3.",
        '$y2 = search("Bergen population")',
        "$y3 = add($y1, $y2)",
        "# So the answer is y3.",
      ),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r).toMatchObject({ steps: 3, complete: true });
  });

  it("interpolates a defined yN inside a quoted argument, and keeps an undefined one as text", () => {
    const built = readPlan(
      "coa",
      'A [FUNC search("capital") = y1], then [FUNC ask("is y1 in y7?", y1) = y2].',
    );
    expect(built.text.split("\n")[2]).toBe('$y2 = ask("is $y1 in y7?", $y1)');
    expect(built.edges.get("y2")).toEqual(["y1"]);
    expect(built.diagnostics).toEqual([]);
  });

  it("reports a bare reference to an undefined or later variable where it is written", () => {
    const r = importPlan("coa", 'Sum [FUNC add(y2, y9) = y1] and [FUNC search("x") = y2].');
    expect(r.diagnostics.map(at)).toEqual(["1:15 error I003", "1:19 error I002"]);
    expect(r.text).toContain('$y1 = add("y2", "y9")');
  });

  it("diagnoses a call cut off by the end of the text, and one without a result variable", () => {
    const r = importPlan(
      "coa",
      'Note [FUNC log("start")] then [FUNC search("Oslo") = y1] and [FUNC search("Ber',
    );
    expect(r.diagnostics.map(at)).toEqual(["1:6 warning I017", "1:62 error I001"]);
    expect(r.text).toBe(
      lines(
        "# Note  then y1 and",
        'log("start")',
        '$y1 = search("Oslo")',
        '# not imported (cut off): [FUNC search("Ber',
      ),
    );
    expect(r.complete).toBe(false);
  });

  it("reads unquoted arguments as one string with a warning", () => {
    const r = importPlan("coa", "The [FUNC search(Oslo tower height) = y1].");
    expect(r.text).toBe(lines("# The y1.", '$y1 = search("Oslo tower height")'));
    expect(r.diagnostics.map(at)).toEqual(["1:18 warning I006"]);
  });

  it("does not let a call without `)` swallow the calls after it on its line", () => {
    const r = importPlan(
      "coa",
      'A [FUNC math("a" = y1] and [FUNC foo bar = y2] [FUNC search("x") = y3].',
    );
    expect(r.diagnostics.map(at)).toEqual(["1:3 error I004", "1:28 error I013"]);
    expect(r.diagnostics[0]!.range.end.column).toBe(23);
    expect(r.text).toBe(
      lines('# A [FUNC math("a" = y1] and [FUNC foo bar = y2] y3.', '$y3 = search("x")'),
    );
    expect(r.steps).toBe(3);
  });

  it("keeps every dependency in the compiled graph", () => {
    const built = readPlan(
      "coa",
      "[FUNC a(1) = y1] [FUNC b(2) = y2] [FUNC c(y1) = y3] [FUNC d(y3, y2) = y4]",
    );
    const checked = checkImported(built);
    expect(checked.ok).toBe(true);
    expect(checked.graphEdges).toEqual(built.edges);
    expect(checked.graphEdges.get("y4")).toEqual(["y2", "y3"]);
  });
});
