// ReWOO plans written for these tests in the planner's format (not copied from
// the corpus): each construct's exact Weft text and diagnostics with line:column.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { rewooTools as tools } from "../scripts/corpus.js";
import { checkImported, importPlan, readPlan } from "../src/compat/index.js";
import { checkSource } from "../src/compiler/compile.js";
import { defineTool } from "../src/compiler/tool.js";
import { run } from "../src/runtime/run.js";
import { at, lines } from "./fixtures/compat.js";
import { parse } from "../src/parser/parse.js";

describe("ReWOO import", () => {
  it("keeps Plan: lines as notes and turns #E references into Weft references", () => {
    const r = importPlan(
      "rewoo",
      lines(
        "Plan: Look up the river.",
        "#E1 = Wikipedia[River Sava]",
        "Plan: Ask which capital lies on it.",
        "#E2 = LLM[Which capital lies on the River Sava? Given context: #E1]",
      ),
    );
    expect(r.text).toBe(
      lines(
        "# Plan: Look up the river.",
        '$E1 = Wikipedia("River Sava")',
        "# Plan: Ask which capital lies on it.",
        '$E2 = LLM("Which capital lies on the River Sava? Given context: $E1")',
      ),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.notes).toEqual(["Plan: Look up the river.", "Plan: Ask which capital lies on it."]);
    expect(r).toMatchObject({ steps: 2, complete: true });
    // Exactly the contract's fields (the agent relies on this shape).
    expect(Object.keys(r).sort()).toEqual(["complete", "diagnostics", "notes", "steps", "text"]);
    expect(checkSource(r.text, { tools }).ok).toBe(true);
  });

  it("reads #E10 and above without confusing #E1 inside #E10", () => {
    const steps = Array.from({ length: 11 }, (_, i) => `#E${i + 1} = Wikipedia[page ${i + 1}]`);
    const r = readPlan("rewoo", lines(...steps, "#E12 = LLM[#E1 vs #E10 vs #E11, not #E1x]"));
    expect(r.text.split("\n")[10]).toBe('$E11 = Wikipedia("page 11")');
    expect(r.text.split("\n")[11]).toBe('$E12 = LLM("$E1 vs $E10 vs $E11, not ${E1}x")');
    expect(r.diagnostics).toEqual([]);
    expect(r.edges.get("E12")).toEqual(["E1", "E10", "E11"]);
  });

  it("matches nested brackets, and reads an unbalanced `]` in the text up to the line's last `]`", () => {
    const r = importPlan(
      "rewoo",
      lines(
        "#E1 = Wikipedia[List [A] of rivers]",
        "#E2 = LLM[Is item [0] of #E1 in [#E1]?]",
        "#E3 = LLM[Compare a] with b: #E2]",
      ),
    );
    expect(r.text).toBe(
      lines(
        '$E1 = Wikipedia("List [A] of rivers")',
        '$E2 = LLM("Is item [0] of $E1 in [$E1]?")',
        '$E3 = LLM("Compare a] with b: $E2")',
      ),
    );
    expect(r.diagnostics.map(at)).toEqual(["3:20 warning I009"]);
  });

  it("reads Gentopia's `#E1: Tool[...]` and two steps under one Plan:", () => {
    const r = importPlan(
      "rewoo",
      lines("Plan: Look both up.", "#E1: Wikipedia[Sava]", "#E2: Wikipedia[Drava]"),
    );
    expect(r.text).toBe(
      lines("# Plan: Look both up.", '$E1 = Wikipedia("Sava")', '$E2 = Wikipedia("Drava")'),
    );
    expect(r.diagnostics).toEqual([]);
  });

  it("places diagnostics at indented step headers", () => {
    const r = importPlan("rewoo", "  #E1 = Wikipedia[a]\n  #E1 = LLM[#E1]\n   #E3 = LLM[");
    expect(r.diagnostics.map(at)).toEqual(["2:3 warning I008", "3:4 error I001"]);
    expect(r.text).toBe(
      lines('$E1 = Wikipedia("a")', "$E1_2 = LLM($E1)", "# not imported (cut off): #E3 = LLM["),
    );
  });

  it("passes an input that is exactly #Ek as the reference itself", () => {
    const r = importPlan("rewoo", lines("#E1 = Wikipedia[Sava]", "#E2 = LLM[ #E1 ]"));
    expect(r.text).toBe(lines('$E1 = Wikipedia("Sava")', "$E2 = LLM($E1)"));
  });

  it("escapes $, quotes and backslashes so the text round-trips exactly", () => {
    const input = 'Cost "$5" or ${x} at C:\\tmp\\n, see #E1$';
    const r = importPlan("rewoo", lines("#E1 = Wikipedia[Sava]", `#E2 = LLM[${input}]`));
    expect(r.text).toBe(
      lines(
        '$E1 = Wikipedia("Sava")',
        String.raw`$E2 = LLM("Cost \"\$5\" or \${x} at C:\\tmp\\n, see $E1$")`,
      ),
    );
    const value = parse(r.text).plan.statements[1];
    expect(value?.kind === "Binding" && value.value.kind === "Call").toBe(true);
  });

  it("diagnoses a step cut off by the end of the text at its line and column, and keeps the others", () => {
    const r = importPlan(
      "rewoo",
      lines(
        "Plan: Look up both.",
        "#E1 = Wikipedia[Sava]",
        "#E2 = Wikipedia[Drava]",
        "Plan: Compare them.",
      ) + "#E3 = LLM[",
    );
    expect(r.diagnostics.map(at)).toEqual(["5:1 error I001"]);
    expect(r.diagnostics[0]!.message).toBe("step #E3 is cut off: the text ends inside it");
    expect(r.diagnostics[0]!.range.end).toMatchObject({ line: 5, column: 11 });
    expect(r.text).toBe(
      lines(
        "# Plan: Look up both.",
        '$E1 = Wikipedia("Sava")',
        '$E2 = Wikipedia("Drava")',
        "# Plan: Compare them.",
        "# not imported (cut off): #E3 = LLM[",
      ),
    );
    expect(r).toMatchObject({ steps: 3, complete: false });
  });

  it("reports a reference to an undefined or later step where it is written, and keeps it as text", () => {
    const r = importPlan("rewoo", lines("#E1 = LLM[Use #E2 and #E7]", "#E2 = Wikipedia[Sava]"));
    expect(r.diagnostics.map(at)).toEqual(["1:15 error I003", "1:23 error I002"]);
    expect(r.diagnostics[0]!.related?.[0]?.range.start).toMatchObject({ line: 2, column: 1 });
    expect(r.text).toBe(lines('$E1 = LLM("Use #E2 and #E7")', '$E2 = Wikipedia("Sava")'));
  });

  it("keeps question text spilled into the output as a note, with a warning", () => {
    const r = importPlan(
      "rewoo",
      lines("in the film Heat?", "Plan: Look it up.", "#E1 = Wikipedia[Heat (1995 film)]"),
    );
    expect(r.diagnostics.map(at)).toEqual(["1:1 warning I007"]);
    expect(r.notes[0]).toBe("in the film Heat?");
    expect(r.text.startsWith("# in the film Heat?\n")).toBe(true);
  });

  it("reads `Tool[a] and Tool[b]` in one step as a list of both calls", () => {
    const r = readPlan(
      "rewoo",
      lines("#E1 = Wikipedia[Sava], Wikipedia[Drava]", "#E2 = LLM[Longer: #E1]"),
    );
    expect(r.text).toBe(
      lines('$E1 = [Wikipedia("Sava"), Wikipedia("Drava")]', '$E2 = LLM("Longer: $E1")'),
    );
    expect(r.diagnostics.map(at)).toEqual(["1:1 warning I010"]);
    const checked = checkImported(r, { tools });
    expect(checked.ok).toBe(true); // warnings only
    expect(checked.graph?.nodes.map((n) => (n.kind === "call" ? n.tool : n.kind))).toEqual([
      "Wikipedia",
      "Wikipedia",
      "LLM",
    ]);
    expect(checked.graphEdges.get("E2")).toEqual(["E1"]);
  });

  it("imports a step whose `]` is missing when the next step starts, with a warning at the line end", () => {
    const r = importPlan("rewoo", lines("#E1 = Wikipedia[Sava", "#E2 = LLM[Summarise #E1]"));
    expect(r.text).toBe(lines('$E1 = Wikipedia("Sava")', '$E2 = LLM("Summarise $E1")'));
    expect(r.diagnostics.map(at)).toEqual(["1:21 warning I005"]);
  });

  it("renames a step defined twice, and later references follow the newest one", () => {
    const r = importPlan(
      "rewoo",
      lines("#E1 = Wikipedia[Sava]", "#E1 = Wikipedia[Drava]", "#E2 = LLM[#E1]"),
    );
    expect(r.text).toBe(
      lines('$E1 = Wikipedia("Sava")', '$E1_2 = Wikipedia("Drava")', "$E2 = LLM($E1_2)"),
    );
    expect(r.diagnostics.map(at)).toEqual(["2:1 warning I008"]);
  });

  it("renames tools with the map option, and diagnoses a name Weft cannot write", () => {
    const r = importPlan("rewoo", lines("#E1 = Wikipedia[Sava]", "#E2 = Web Search[Sava]"), {
      map: { Wikipedia: "wiki.search" },
    });
    expect(r.text).toBe(
      lines('$E1 = wiki.search("Sava")', "# not imported: #E2 = Web Search[Sava]"),
    );
    expect(r.diagnostics.map(at)).toEqual(["2:7 error I015"]);
  });

  it("diagnoses a line that starts a step but has no Tool[input], and text with no step at all", () => {
    expect(
      importPlan("rewoo", lines("#E1 = just words", "#E2 = LLM[x]")).diagnostics.map(at),
    ).toEqual(["1:1 error I013"]);
    expect(importPlan("rewoo", "Plan: nothing else").diagnostics.map(at)).toEqual([
      "1:1 error I014",
    ]);
  });

  it("moves checker diagnostics to the original text: an unknown tool points at its name", () => {
    const source = lines("Plan: x", "#E1 = Wikipedia[Sava]", "#E2 = Google[#E1]");
    const checked = checkImported(readPlan("rewoo", source), { tools });
    expect(checked.diagnostics.map(at)).toEqual(["3:7 error C004"]);
    expect(checked.diagnostics[0]!.range.end.column).toBe(13);
  });

  it("keeps every dependency of the original in the compiled graph", () => {
    const source = lines(
      "#E1 = Wikipedia[Sava]",
      "#E2 = Wikipedia[Drava]",
      "#E3 = LLM[Compare #E1 and #E2]",
      "#E4 = LLM[#E3]",
      "#E5 = LLM[#E1 again, and #E4]",
    );
    const built = readPlan("rewoo", source);
    const checked = checkImported(built, { tools });
    expect(checked.ok).toBe(true);
    // The original's edges, read independently of the importer.
    const original = new Map(
      source
        .trim()
        .split("\n")
        .map((l) => {
          const [head, body] = l.split(" = ");
          const refs = [...new Set([...body!.matchAll(/#(E\d+)/g)].map((m) => m[1]!))].sort();
          return [head!.slice(1), refs] as const;
        }),
    );
    expect(checked.graphEdges).toEqual(original);
  });

  it("runs the imported plan on Weft's scheduler: independent steps are in flight together", async () => {
    const source = lines(
      "Plan: Look up both.",
      "#E1 = Wikipedia[Sava]",
      "#E2 = Wikipedia[Drava]",
      "Plan: Compare.",
      "#E3 = LLM[Longer of: #E1 / #E2]",
    );
    // Each lookup finishes only once both have started: a sequential worker would hang.
    let started = 0;
    let release!: () => void;
    const bothStarted = new Promise<void>((r) => (release = r));
    const runTools = [
      defineTool({
        name: "Wikipedia",
        input: z.object({ query: z.string() }),
        output: z.string(),
        run: async ({ query }) => {
          if (++started === 2) release();
          await bothStarted;
          return `${query} page`;
        },
      }),
      defineTool({
        name: "LLM",
        input: z.object({ prompt: z.string() }),
        output: z.string(),
        run: ({ prompt }) => `answer to ${prompt}`,
      }),
    ];
    const r = await run(importPlan("rewoo", source).text, { tools: runTools });
    expect(r.ok).toBe(true);
    expect(r.value).toEqual({
      E1: "Sava page",
      E2: "Drava page",
      E3: "answer to Longer of: Sava page / Drava page",
    });
  });

  it("round-trips any input text: decoded Weft string parts give back the original", () => {
    const unit = fc.oneof(
      fc.string({ unit: "binary", maxLength: 6 }),
      fc.constantFrom("#E1", "#E10", "#E", "$", "${", "}", "\\", '"', "'", "#", " ", "\t", "$E1"),
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 12 }), (pieces) => {
        const input = pieces.join("").replace(/[\r\n[\]]/g, "");
        fc.pre(!/^\s*#E\d+\s*$/.test(input)); // exactly one reference is a reference
        const r = importPlan("rewoo", `#E1 = Wikipedia[a]\n#E2 = LLM[${input}]`);
        const stmt = parse(r.text).plan.statements[1];
        if (stmt?.kind !== "Binding" || stmt.value.kind !== "Call") throw new Error(r.text);
        const arg = stmt.value.args[0]!.value;
        if (arg.kind !== "String") throw new Error(r.text);
        const back = arg.parts.map((p) => (p.kind === "Text" ? p.value : `#${p.variable.name}`));
        expect(back.join("")).toBe(input);
      }),
      { numRuns: 400 },
    );
  });
});
