import fc from "fast-check";
import { encode } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import exampleTools from "../examples/tools.js";
import {
  evidenceText,
  generatedExamples,
  numberedPlan,
  parseSolverReply,
  plannerMessages,
  plannerSystemPrompt,
  repairMessages,
  replanMessages,
  solverMessages,
} from "../src/agent/prompt.js";
import { ROLE_LINE, roleOf } from "../src/agent/roles.js";
import { importPlan } from "../src/compat/index.js";
import { checkSource } from "../src/compiler/compile.js";
import { toolSignature } from "../src/compiler/signature.js";
import { defineTool, toolSet, type AnyTool } from "../src/compiler/tool.js";

// ## Registries of many shapes, to generate examples from
const noop = (): never => {
  throw new Error("not run in these tests");
};
const registries: Record<string, AnyTool[]> = {
  examples: exampleTools,
  objects: [
    defineTool({
      name: "crm.lookup",
      input: z.object({ customer: z.object({ id: z.number(), region: z.string().optional() }) }),
      output: z.object({ orders: z.array(z.object({ sku: z.string(), qty: z.number() })) }),
      run: noop,
    }),
    defineTool({
      name: "stock.level",
      input: z.object({ warehouse: z.string().default("main"), sku: z.string() }),
      output: z.number(),
      run: noop,
    }),
  ],
  untyped: [
    defineTool({ name: "fetch", input: z.object({ url: z.string() }), run: noop }),
    defineTool({ name: "summarize", input: z.object({ text: z.string() }), run: noop }),
  ],
  numbers: [
    defineTool({
      name: "add",
      input: z.object({ a: z.number(), b: z.number() }),
      output: z.number(),
      run: noop,
    }),
    defineTool({
      name: "mode",
      input: z.object({ kind: z.enum(["fast", "slow"]), flag: z.boolean() }),
      output: z.union([z.literal("ok"), z.null()]),
      run: noop,
    }),
  ],
  effectsOnly: [
    defineTool({
      name: "mail.send",
      input: z.object({ to: z.string() }),
      output: z.null(),
      effect: true,
      run: noop,
    }),
  ],
  none: [],
};

/** The example plans in a prompt: the lines after each `Example.` header, up to a blank line. */
function examplePlans(prompt: string): string[] {
  return [...prompt.matchAll(/^Example\. Question: .*\n((?:.+\n?)+)/gm)].map((m) => m[1]!.trim());
}

describe("planner prompt", () => {
  it("starts with the planner's role line and lists every tool's signature line", () => {
    const prompt = plannerSystemPrompt(exampleTools);
    expect(prompt.startsWith(`${ROLE_LINE.planner}\n`)).toBe(true);
    for (const t of exampleTools) expect(prompt).toContain(`\n${toolSignature(t)}\n`);
    const messages = plannerMessages("How big is Tokyo?", exampleTools);
    expect(roleOf(messages)).toBe("planner");
    expect(messages[1]).toEqual({ role: "user", content: "Question: How big is Tokyo?" });
  });

  it("teaches the language: bindings, arguments, references, interpolation, each, return", () => {
    const prompt = plannerSystemPrompt(exampleTools);
    for (const piece of [
      "$name = tool(arguments)",
      'tool("x", limit: 3)',
      "$hits[0].title",
      "${count}",
      "each $x in $list: tool($x.field)",
      "return {a: $a, b: $b}",
      "One statement per line",
      "Call only the tools listed",
      "no prose",
      "End with `return`",
    ])
      expect(prompt).toContain(piece);
  });

  it("stays compact", () => {
    const sizes = (["weft", "rewoo", "llmcompiler"] as const).map((planFormat) => {
      const tokens = encode(plannerSystemPrompt(exampleTools, { planFormat })).length;
      return [planFormat, tokens] as const;
    });
    console.log(`planner prompt tokens (examples/tools.ts): ${JSON.stringify(sizes)}`);
    for (const [, tokens] of sizes) expect(tokens).toBeLessThan(1_500);
  });

  it("shows the user's examples instead of generated ones, and appends the user's system text", () => {
    const examples = [
      { question: "Population of Tokyo?", plan: 'return wiki.fact("Tokyo", "population")' },
      {
        question: "Words in the Paris article?",
        plan: '$p = wiki.page("Paris")\nreturn text.words($p.summary)',
      },
    ];
    const prompt = plannerSystemPrompt(exampleTools, { examples, system: "Answer in French." });
    expect(examplePlans(prompt)).toEqual(examples.map((e) => e.plan));
    expect(prompt).toContain("Example. Question: Population of Tokyo?\n");
    expect(prompt.endsWith("\n\nAnswer in French.")).toBe(true);
    expect(prompt).not.toContain("placeholder");
  });

  it.each(Object.keys(registries))(
    "teaches only plans that pass checkSource (%s tools)",
    (name) => {
      const tools = registries[name]!;
      const prompt = plannerSystemPrompt(tools);
      const plans = examplePlans(prompt);
      for (const plan of plans) {
        const checked = checkSource(plan, { tools });
        expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      }
      // Every registry with a tool that is not an effect gets a worked example.
      const usable = tools.some((t) => t.effect !== true);
      expect(plans.length).toBe(usable ? 1 : 0);
    },
  );

  it("builds the example from the registry: parallel calls, a field of a result, each, return", () => {
    expect(generatedExamples(toolSet(exampleTools))[0]!.plan).toMatchInlineSnapshot(`
      "$a = search("first query")  # $a and $b do not depend on each other: they run in parallel
      $b = search(query: "second query")
      $c = wiki.page($a[0].title)  # waits for $a only
      $all = each $x in $b: wiki.page($x.title)
      return {first: $c, all: $all}"
    `);
  });

  it.each(["rewoo", "llmcompiler"] as const)(
    "teaches the %s format with the same tool lines",
    (planFormat) => {
      const prompt = plannerSystemPrompt(exampleTools, { planFormat });
      expect(prompt.startsWith(ROLE_LINE.planner)).toBe(true);
      for (const t of exampleTools) expect(prompt).toContain(toolSignature(t));
      expect(prompt).toContain(
        planFormat === "rewoo" ? "#E<n> = Tool[input]" : "join()<END_OF_PLAN>",
      );
      expect(prompt).not.toContain("each $x in");
      const plans = examplePlans(prompt);
      expect(plans).toHaveLength(1);
      for (const plan of plans) {
        const imported = importPlan(planFormat, plan);
        expect(imported.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        expect(imported.steps).toBeGreaterThanOrEqual(3);
        const checked = checkSource(imported.text, { tools: exampleTools });
        expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      }
    },
  );
});

describe("repair, replan and solver prompts", () => {
  it("repair shows the plan with line numbers and the diagnostics, and asks for the whole plan", () => {
    const plan = '$a = search("Tokyo")\n$b = wiki.pag($a[0].title)\nreturn $b\n';
    const messages = repairMessages(
      "Q?",
      exampleTools,
      plan,
      "error C005 at 2:6: unknown tool `wiki.pag`",
    );
    expect(roleOf(messages)).toBe("repair");
    expect(messages[0]!.content).toContain(toolSignature(exampleTools[1]!));
    const user = messages[1]!.content as string;
    expect(user).toContain("Question: Q?");
    expect(user).toContain(
      '1 | $a = search("Tokyo")\n2 | $b = wiki.pag($a[0].title)\n3 | return $b',
    );
    expect(user).toContain("unknown tool `wiki.pag`");
    expect(user).toContain("whole corrected plan");
    expect(numberedPlan("a\r\nb\rc")).toBe("1 | a\n2 | b\n3 | c");
    expect(numberedPlan(Array(10).fill("x").join("\n")).split("\n")[0]).toBe(" 1 | x");
    // in a peer format, the repair teaches that format
    const rewoo = repairMessages("Q?", exampleTools, "#E1 = x[", "I003", { planFormat: "rewoo" });
    expect(rewoo[0]!.content).toContain("ReWOO");
  });

  it("replan shows the previous plan, its evidence and the reason", () => {
    const messages = replanMessages("Q?", exampleTools, {
      plan: '$a = search("Tokio")',
      evidence: "$a = []",
      reason: "the search found nothing; the city is spelled Tokyo",
    });
    expect(roleOf(messages)).toBe("replan");
    const user = messages[1]!.content as string;
    expect(user).toContain('$a = search("Tokio")');
    expect(user).toContain("$a = []");
    expect(user).toContain("spelled Tokyo");
  });

  it("solver gets the question, the plan and the evidence, and the two reply forms", () => {
    const messages = solverMessages("Q?", "$a = f()\n", "$a = 1");
    expect(roleOf(messages)).toBe("solver");
    expect(messages[0]!.content).toContain("Answer: <the answer>");
    expect(messages[0]!.content).toContain("Replan: <what is missing and why>");
    expect(messages[1]!.content).toBe("Question: Q?\n\nPlan:\n$a = f()\n\nEvidence:\n$a = 1");
  });
});

describe("parseSolverReply", () => {
  it.each([
    ["Answer: 42", "42"],
    ["answer:42", "42"],
    ["ANSWER : Tokyo", "Tokyo"],
    ["**Answer:** Paris (France)", "Paris (France)"],
    ["**Answer**: f(x) = 2 (approx.) and (more)", "f(x) = 2 (approx.) and (more)"],
    ["### Final Answer: Tokyo (by 11.9 million)", "Tokyo (by 11.9 million)"],
    ["> Answer - yes", "yes"],
    ["- Answer: `42`", "42"],
    ["Thought: the evidence says 3 (three).\nAnswer: 3 (three)", "3 (three)"],
    ["Answer: 1\nOn second thought...\nAnswer: 2 (final)", "2 (final)"],
    ["Answer:\n\nTokyo (Japan)", "Tokyo (Japan)"],
    [
      "Answer: The populations:\n- Tokyo: 14M\n- Paris: 2M\n\nHope this helps.",
      "The populations:\n- Tokyo: 14M\n- Paris: 2M",
    ],
    ["Tokyo is larger (by far).", "Tokyo is larger (by far)."],
    ["  **Just bold**  ", "Just bold"],
    ["The answer: is in the text", "The answer: is in the text"],
  ])("%j -> answer %j", (reply, answer) => {
    expect(parseSolverReply(reply)).toEqual({ kind: "answer", answer });
  });

  it.each([
    [
      "Replan: the search for Tokio (sic) found nothing",
      "the search for Tokio (sic) found nothing",
    ],
    ["Thought: hmm.\n**Replan:** $b failed", "$b failed"],
    ["Answer: maybe 3\nActually no.\nreplan: need the area of Paris", "need the area of Paris"],
  ])("%j -> replan %j", (reply, reason) => {
    expect(parseSolverReply(reply)).toEqual({ kind: "replan", reason });
  });
});

describe("evidenceText", () => {
  it("lists every binding in plan order, the return value last, as compact JSON", () => {
    const plan = '$b = search("x")\n$a = wiki.page($b[0].title)\nreturn $a.title\n';
    const text = evidenceText(
      plan,
      { return: "T", a: { title: "T" }, b: [{ title: "T" }], extra: undefined },
      1000,
    );
    expect(text).toBe(
      '$b = [{"title":"T"}]\n$a = {"title":"T"}\n$extra = (no value: the call did not run)\nreturn = "T"',
    );
    expect(evidenceText("", {}, 100)).toBe("(no results)");
  });

  it("cuts the longest values to fit, saying how much was cut, and never drops a binding", () => {
    const long = "x".repeat(5000);
    const text = evidenceText("", { short: 1, long, other: "y".repeat(300) }, 400);
    expect(text.length).toBeLessThanOrEqual(400);
    const lines = text.split("\n");
    expect(lines[0]).toBe("$short = 1");
    expect(lines[1]).toMatch(/^\$long = "x+ \[cut: \d+ more chars\]$/);
    expect(lines[2]).toMatch(/^\$other = "y+ \[cut: \d+ more chars\]$/);
    for (const line of lines.slice(1)) {
      const m = /= (.*) \[cut: (\d+) more chars\]$/.exec(line)!;
      expect(m[1]!.length + Number(m[2])).toBe(line.startsWith("$long") ? 5002 : 302);
    }
    // far too small: still one line per binding, each saying it was cut
    const tiny = evidenceText("", { a: long, b: long }, 10).split("\n");
    expect(tiny).toEqual(["$a = [cut: 5002 more chars]", "$b = [cut: 5002 more chars]"]);
  });

  it("never splits a surrogate pair", () => {
    const text = evidenceText("", { a: "😀".repeat(100) }, 40);
    expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it("fits any results into maxChars, losing no binding and miscounting no cut", () => {
    const value = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.array(fc.integer(), { maxLength: 100 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 50 })),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/).filter((k) => k !== "return"),
          value,
          { minKeys: 1, maxKeys: 8 },
        ),
        fc.nat({ max: 3000 }),
        (results, extra) => {
          const keys = Object.keys(results);
          const floor = keys.reduce((n, k) => n + k.length + 4 + 30, 0);
          const max = floor + extra;
          const text = evidenceText("", results, max);
          expect(text.length).toBeLessThanOrEqual(max);
          const lines = text.split("\n");
          expect(lines.map((l) => l.slice(1, l.indexOf(" = ")))).toEqual(keys);
          for (const [i, line] of lines.entries()) {
            const full = JSON.stringify(results[keys[i]!]) ?? "(no value: the call did not run)";
            const body = line.slice(line.indexOf(" = ") + 3);
            const m = /^([\s\S]*) \[cut: (\d+) more chars\]$/.exec(body);
            if (m === null) expect(body).toBe(full);
            else {
              expect(full.startsWith(m[1]!)).toBe(true);
              expect(m[1]!.length + Number(m[2])).toBe(full.length);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
