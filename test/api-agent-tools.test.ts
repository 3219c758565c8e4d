// The public API added with the agent, the importers and the tool sources:
// types (expectTypeOf) and a little behaviour, through the package entry only
// (plus the scripted loopback model server of test/support for one ask).
// test/api.test.ts covers the older API and that dist/ exports every key.
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import * as weft from "../src/index.js";
import { startFakeOpenAI } from "./support/openai-server.js";
import type {
  Agent,
  AgentError,
  AgentErrorKind,
  AgentEvent,
  AgentMode,
  AgentOptions,
  AnyTool,
  AskOptions,
  AskResult,
  BuiltPlan,
  CheckedImport,
  Diagnostic,
  ExtractedLine,
  ForeignFormat,
  ImportResult,
  Json,
  LlmCallRecord,
  LlmRole,
  LlmUsage,
  McpServerConfig,
  McpTools,
  PlanFormat,
  PlanGraph,
  RunError,
  RunEvent,
  Timings,
  ToolCallRecord,
  Toolbox,
  ToolboxOptions,
  Trace,
  TraceSummary,
  Usage,
} from "../src/index.js";

/** Type assertions that must not run (a call the compiler rejects, a mutation). */
function typeOnly(_assertions: () => void): void {}

const search = weft.defineTool({
  name: "search",
  description: "Search the web",
  input: z.object({ query: z.string() }),
  output: z.array(z.string()),
  run: ({ query }) => [`result for ${query}`],
});

// ## The agent

describe("agent types", () => {
  it("createAgent takes AgentOptions and returns an Agent whose ask resolves to an AskResult", () => {
    expectTypeOf(weft.createAgent).parameter(0).toEqualTypeOf<AgentOptions>();
    expectTypeOf(weft.createAgent).returns.toEqualTypeOf<Agent>();
    expectTypeOf<Agent["ask"]>().parameters.toEqualTypeOf<
      [question: string, options?: AskOptions]
    >();
    expectTypeOf<Agent["ask"]>().returns.toEqualTypeOf<Promise<AskResult>>();
    expectTypeOf<Agent["plannerPrompt"]>().toEqualTypeOf<string>();
    expectTypeOf<AskOptions["signal"]>().toEqualTypeOf<AbortSignal | undefined>();
  });

  it("AgentOptions requires model and tools, and nothing else", () => {
    expectTypeOf<AgentOptions["model"]>().toEqualTypeOf<string>();
    expectTypeOf<{ model: string; tools: AnyTool[] }>().toExtend<AgentOptions>();
    expectTypeOf<{ model: string; tools: ReadonlyMap<string, AnyTool> }>().toExtend<AgentOptions>();
    expectTypeOf<{ tools: AnyTool[] }>().not.toExtend<AgentOptions>();
    expectTypeOf<{ model: string }>().not.toExtend<AgentOptions>();
    typeOnly(() => {
      // @ts-expect-error -- `tools` is required
      weft.createAgent({ model: "m" });
    });
  });

  it("the option unions are exactly the documented strings", () => {
    expectTypeOf<AgentMode>().toEqualTypeOf<"plan" | "stream" | "react" | "fc">();
    expectTypeOf<AgentOptions["mode"]>().toEqualTypeOf<AgentMode | undefined>();
    expectTypeOf<PlanFormat>().toEqualTypeOf<"weft" | "rewoo" | "llmcompiler">();
    expectTypeOf<AgentOptions["planFormat"]>().toEqualTypeOf<PlanFormat | undefined>();
    expectTypeOf<AgentOptions["solver"]>().toEqualTypeOf<"always" | "auto" | undefined>();
    expectTypeOf<LlmRole>().toEqualTypeOf<
      "planner" | "repair" | "solver" | "replan" | "react" | "fc"
    >();
    expectTypeOf<AgentErrorKind>().toEqualTypeOf<
      "config" | "connection" | "http" | "timeout" | "cancelled" | "invalid-plan" | "run" | "turns"
    >();
    typeOnly(() => {
      weft.createAgent({
        model: "m",
        tools: [search],
        // @ts-expect-error -- not a mode
        mode: "chain",
      });
    });
  });

  it("AskResult carries the answer, usage in numbers, timings and records", () => {
    expectTypeOf<AskResult["answer"]>().toEqualTypeOf<string>();
    expectTypeOf<AskResult["ok"]>().toEqualTypeOf<boolean>();
    expectTypeOf<AskResult["error"]>().toEqualTypeOf<AgentError | undefined>();
    expectTypeOf<AskResult["mode"]>().toEqualTypeOf<AgentMode>();
    expectTypeOf<AskResult["usage"]>().toEqualTypeOf<Usage>();
    expectTypeOf<Usage["llmCalls"]>().toEqualTypeOf<number>();
    expectTypeOf<Usage["promptTokens"]>().toEqualTypeOf<number>();
    expectTypeOf<Usage["completionTokens"]>().toEqualTypeOf<number>();
    expectTypeOf<Usage["calls"]>().toEqualTypeOf<LlmCallRecord[]>();
    expectTypeOf<LlmCallRecord["role"]>().toEqualTypeOf<LlmRole>();
    expectTypeOf<LlmCallRecord["usage"]>().toEqualTypeOf<LlmUsage>();
    expectTypeOf<LlmUsage["source"]>().toEqualTypeOf<"api" | "tokenizer">();
    expectTypeOf<AskResult["timings"]>().toEqualTypeOf<Timings>();
    expectTypeOf<Timings["totalMs"]>().toEqualTypeOf<number>();
    expectTypeOf<Timings["solveMs"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<AskResult["toolCalls"]>().toEqualTypeOf<ToolCallRecord[]>();
    expectTypeOf<ToolCallRecord["args"]>().toBeUnknown();
    expectTypeOf<AskResult["results"]>().toEqualTypeOf<Record<string, Json | undefined>>();
    expectTypeOf<AskResult["plans"][number]["diagnostics"]>().toEqualTypeOf<Diagnostic[]>();
    expectTypeOf<AskResult["trace"]>().toEqualTypeOf<Trace | undefined>();
    expectTypeOf<AgentError["kind"]>().toEqualTypeOf<AgentErrorKind>();
    expectTypeOf<AgentError["diagnostics"]>().toEqualTypeOf<Diagnostic[] | undefined>();
  });

  it("AgentEvent is a union discriminated by `type`, and narrowing works", () => {
    expectTypeOf<AgentEvent["type"]>().toEqualTypeOf<
      "llm-start" | "llm-end" | "statement" | "note" | "diagnostics" | "tool" | "replan"
    >();
    expectTypeOf<AgentEvent["t"]>().toEqualTypeOf<number>();
    const describeEvent = (e: AgentEvent): string => {
      switch (e.type) {
        case "llm-start":
          expectTypeOf(e.role).toEqualTypeOf<LlmRole>();
          return e.role;
        case "llm-end":
          expectTypeOf(e.usage).toEqualTypeOf<LlmUsage>();
          expectTypeOf(e.error).toEqualTypeOf<
            { kind: AgentErrorKind; message: string } | undefined
          >();
          return `${e.usage.promptTokens}`;
        case "statement":
          expectTypeOf(e.line).toEqualTypeOf<number>();
          return e.text;
        case "note":
          return e.text;
        case "diagnostics":
          expectTypeOf(e.diagnostics).toEqualTypeOf<Diagnostic[]>();
          return e.diagnostics[0]?.code ?? "";
        case "tool":
          expectTypeOf(e.event).toEqualTypeOf<RunEvent>();
          return e.event.type;
        case "replan":
          return e.reason;
        default:
          expectTypeOf(e).toBeNever();
          return e;
      }
    };
    expect(describeEvent({ type: "replan", reason: "need more", t: 1 })).toBe("need more");
    expect(describeEvent({ type: "statement", text: "$a = f()", line: 2, t: 0 })).toBe("$a = f()");
  });

  it("PlanExtractor and extractPlan have the documented shapes", () => {
    expectTypeOf(weft.extractPlan).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(weft.extractPlan).returns.toEqualTypeOf<{
      plan: string;
      notes: string[];
      statements: ExtractedLine[];
    }>();
    expectTypeOf<InstanceType<typeof weft.PlanExtractor>["push"]>().returns.toEqualTypeOf<
      ExtractedLine[]
    >();
  });
});

describe("agent behaviour", () => {
  // Only these decide whether a client can be made; the test must not see the machine's own.
  const ENV = ["OPENAI_BASE_URL", "OPENAI_API_KEY"] as const;
  let saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
    for (const k of ENV) delete process.env[k];
  });
  afterEach(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it("createAgent does not throw without a server; ask resolves with a config error", async () => {
    const events: AgentEvent[] = [];
    const agent = weft.createAgent({
      model: "m",
      tools: [search],
      onEvent: (e) => events.push(e),
    });
    const result = await agent.ask("What is weft?");
    expect(result.ok).toBe(false);
    expect(result.answer).toBe("");
    expect(result.mode).toBe("stream");
    expect(result.error?.kind).toBe("config");
    expect(result.error?.message).toContain("--base-url");
    expect(result.usage).toMatchObject({ llmCalls: 0, promptTokens: 0, completionTokens: 0 });
    expect(result.toolCalls).toEqual([]);
    expect(events).toEqual([]);
  });

  it("an empty model name is a config error before any request", async () => {
    const agent = weft.createAgent({
      baseURL: "http://127.0.0.1:9/v1",
      model: " ",
      tools: [search],
    });
    const result = await agent.ask("What is weft?");
    expect(result.error?.kind).toBe("config");
    expect(result.error?.message).toContain("--model");
    expect(result.usage.llmCalls).toBe(0);
  });

  it("an ask cancelled before any request resolves as cancelled and counts no call", async () => {
    // Port 9 (discard) is never reached: the signal is aborted before the first request.
    const agent = weft.createAgent({
      baseURL: "http://127.0.0.1:9/v1",
      model: "m",
      tools: [search],
      mode: "plan",
    });
    const controller = new AbortController();
    controller.abort();
    const result = await agent.ask("What is weft?", { signal: controller.signal });
    expect(result).toMatchObject({ ok: false, mode: "plan", error: { kind: "cancelled" } });
    expect(result.usage.llmCalls).toBe(0);
    expect(result.usage.calls).toEqual([]);
  });

  it("a ReWOO plan from a scripted server runs a JSON Schema tool and is answered", async () => {
    const weather = weft.jsonSchemaTool({
      name: "weather",
      inputSchema: { type: "object", properties: { city: { type: "string" } } },
      run: (args) => ({ temp: String(args["city"]).length }),
    });
    const server = await startFakeOpenAI([
      "Plan: Look up the weather.\n#E1 = weather[Oslo]\n",
      "Answer: 4 degrees",
    ]);
    try {
      const events: AgentEvent["type"][] = [];
      const agent = weft.createAgent({
        baseURL: server.baseURL,
        model: "fake",
        tools: [weather],
        mode: "plan",
        planFormat: "rewoo",
        onEvent: (e) => events.push(e.type),
      });
      const r = await agent.ask("How warm is Oslo?");
      expect(r.error).toBeUndefined();
      expect(r).toMatchObject({ ok: true, answer: "4 degrees", mode: "plan" });
      expect(r.plan).toContain('$E1 = weather("Oslo")');
      expect(r.notes).toEqual(["Plan: Look up the weather."]);
      expect(r.toolCalls).toMatchObject([{ tool: "weather", args: { city: "Oslo" }, ok: true }]);
      expect(r.results["E1"]).toEqual({ temp: 4 });
      expect(r.usage.llmCalls).toBe(2);
      expect(r.usage.calls.map((c) => c.role)).toEqual(["planner", "solver"]);
      expect(r.usage.promptTokens).toBe(
        r.usage.calls.reduce((sum, c) => sum + c.usage.promptTokens, 0),
      );
      expect(r.usage.promptTokens).toBeGreaterThan(0);
      expect(events.filter((t) => t === "llm-start")).toHaveLength(2);
      expect(events).toContain("tool");
    } finally {
      await server.close();
    }
  });

  it("the planner prompt lists each tool by its signature", () => {
    const agent = weft.createAgent({ model: "m", tools: [search] });
    expect(agent.plannerPrompt).toContain(weft.toolSignature(search));
  });

  it("extractPlan keeps the statements and turns prose into notes", () => {
    const r = weft.extractPlan('Thought: look it up.\n$a = search("weft")\nreturn $a\n');
    expect(r.plan).toBe('$a = search("weft")\nreturn $a\n');
    expect(r.notes).toEqual(["Thought: look it up."]);
    expect(r.statements.map((s) => s.line)).toEqual([2, 3]);
    const x = new weft.PlanExtractor();
    expect([...x.push("$a = sea"), ...x.push('rch("w")\nret')].map((s) => s.text)).toEqual([
      '$a = search("w")',
    ]);
  });
});

// ## The importers

const REWOO = `Plan: Look up the river.
#E1 = Wikipedia[River Sava]
Plan: Ask which capital lies on it.
#E2 = LLM[Which capital lies on the River Sava? Given context: #E1]
`;

describe("importer types", () => {
  it("importPlan returns an ImportResult; readPlan a BuiltPlan; checkImported a CheckedImport", () => {
    expectTypeOf(weft.importPlan).parameter(0).toEqualTypeOf<ForeignFormat>();
    expectTypeOf<ForeignFormat>().toEqualTypeOf<"rewoo" | "llmcompiler" | "coa">();
    expectTypeOf(weft.importPlan).returns.toEqualTypeOf<ImportResult>();
    expectTypeOf<ImportResult>().toEqualTypeOf<{
      text: string;
      diagnostics: Diagnostic[];
      notes: string[];
      steps: number;
      complete: boolean;
    }>();
    expectTypeOf(weft.readPlan).returns.toEqualTypeOf<BuiltPlan>();
    expectTypeOf<BuiltPlan>().toExtend<ImportResult>();
    expectTypeOf(weft.checkImported).parameter(0).toEqualTypeOf<BuiltPlan>();
    expectTypeOf(weft.checkImported).returns.toEqualTypeOf<CheckedImport>();
    expectTypeOf<CheckedImport["graph"]>().toEqualTypeOf<PlanGraph | undefined>();
  });

  it("FOREIGN_FORMATS and IMPORT_CODES are read-only", () => {
    expectTypeOf(weft.FOREIGN_FORMATS).toEqualTypeOf<readonly ForeignFormat[]>();
    expectTypeOf(weft.IMPORT_CODES).toExtend<readonly `I${string}`[]>();
    typeOnly(() => {
      // @ts-expect-error -- readonly
      weft.FOREIGN_FORMATS.push("rewoo");
      // @ts-expect-error -- readonly
      weft.IMPORT_CODES.pop();
    });
  });
});

describe("importer behaviour", () => {
  it("a ReWOO plan imports to the Weft text of docs/import.md", () => {
    const r = weft.importPlan("rewoo", REWOO);
    expect(r).toEqual({
      text: [
        "# Plan: Look up the river.",
        '$E1 = Wikipedia("River Sava")',
        "# Plan: Ask which capital lies on it.",
        '$E2 = LLM("Which capital lies on the River Sava? Given context: $E1")',
        "",
      ].join("\n"),
      diagnostics: [],
      notes: ["Plan: Look up the river.", "Plan: Ask which capital lies on it."],
      steps: 2,
      complete: true,
    });
    expect(weft.parse(r.text).diagnostics).toEqual([]);
    expect(weft.FOREIGN_FORMATS).toEqual(["rewoo", "llmcompiler", "coa"]);
    expect(weft.IMPORT_CODES).toContain("I001");
  });

  it("with a tool map and tools, the import checks, and a checker error points at the original", () => {
    const wiki = weft.jsonSchemaTool({
      name: "wiki.search",
      inputSchema: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
      outputSchema: { type: "string" },
    });
    const llm = weft.jsonSchemaTool({
      name: "LLM",
      inputSchema: { type: "object", properties: { prompt: { type: "string" } } },
    });
    const built = weft.readPlan("rewoo", REWOO, { map: { Wikipedia: "wiki.search" } });
    expect(built.text).toContain('$E1 = wiki.search("River Sava")');
    expect(built.edges.get("E2")).toEqual(["E1"]);
    const checked = weft.checkImported(built, { tools: [wiki, llm] });
    expect(checked.diagnostics).toEqual([]);
    expect(checked.ok).toBe(true);
    expect(checked.graph?.nodes.map((n) => n.kind)).toEqual(["call", "call"]);
    expect(checked.graphEdges.get("E2")).toEqual(["E1"]);

    // Without the map, `Wikipedia` is unknown: the error is at line 2 of the ReWOO text.
    const unmapped = weft.checkImported(weft.readPlan("rewoo", REWOO), { tools: [wiki, llm] });
    expect(unmapped.ok).toBe(false);
    expect(unmapped.diagnostics[0]).toMatchObject({ code: "C004", severity: "error" });
    expect(unmapped.diagnostics[0]?.range.start.line).toBe(2);
  });

  it("never throws on a broken plan: a cut-off step is a diagnostic", () => {
    const r = weft.importPlan("rewoo", "#E1 = Wikipedia[River");
    expect(r.complete).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toContain("I001");
  });
});

// ## Tools from the ecosystem

describe("tool source types", () => {
  it("toolSignature, stdTools, jsonSchemaTool and the zod converters", () => {
    expectTypeOf(weft.toolSignature).parameter(0).toEqualTypeOf<AnyTool>();
    expectTypeOf(weft.toolSignature).returns.toEqualTypeOf<string>();
    expectTypeOf(weft.stdTools).returns.toEqualTypeOf<AnyTool[]>();
    expectTypeOf(weft.stdTools).parameter(0).toEqualTypeOf<weft.StdOptions | undefined>();
    expectTypeOf(weft.jsonSchemaTool).returns.toEqualTypeOf<AnyTool>();
    expectTypeOf(weft.zodFromJsonSchema).returns.toEqualTypeOf<z.ZodType>();
    expectTypeOf(weft.inputFromJsonSchema).returns.toEqualTypeOf<z.ZodObject>();
    expectTypeOf<weft.JsonSchema>().toEqualTypeOf<Record<string, unknown> | boolean>();
    typeOnly(() => {
      // @ts-expect-error -- a JSON Schema tool needs a name
      weft.jsonSchemaTool({ inputSchema: { type: "object" } });
    });
    // The tool options of ToolDefinition (`pure`, `timeoutMs`...) are accepted beside the schema.
    expectTypeOf({
      type: "function" as const,
      function: { name: "get-weather", parameters: { type: "object" } },
      pure: true,
      timeoutMs: 1000,
    }).toExtend<weft.FunctionToolDefinition>();
  });

  it("openToolbox takes ToolboxOptions and resolves to a Toolbox", () => {
    expectTypeOf(weft.openToolbox).parameter(0).toEqualTypeOf<ToolboxOptions>();
    expectTypeOf(weft.openToolbox).returns.toEqualTypeOf<Promise<Toolbox>>();
    expectTypeOf<Toolbox["tools"]>().toEqualTypeOf<AnyTool[]>();
    expectTypeOf<Toolbox["close"]>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<ToolboxOptions["std"]>().toEqualTypeOf<boolean | weft.StdOptions | undefined>();
    expectTypeOf<ToolboxOptions["mcp"]>().toEqualTypeOf<
      readonly (string | McpServerConfig)[] | undefined
    >();
    expectTypeOf<weft.ToolboxError>().toExtend<Error>();
  });

  it("MCP: connectMcp, withMcp, parseMcpSpec and the server", () => {
    expectTypeOf(weft.connectMcp).returns.toEqualTypeOf<Promise<McpTools>>();
    expectTypeOf(weft.parseMcpSpec).returns.toEqualTypeOf<McpServerConfig>();
    // withMcp passes its callback's result through.
    expectTypeOf(weft.withMcp<number>)
      .parameter(1)
      .toEqualTypeOf<(tools: AnyTool[]) => Promise<number>>();
    expectTypeOf(weft.withMcp<number>).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf<weft.McpServerError>().toExtend<Error>();
    expectTypeOf(weft.createWeftMcpServer).parameter(0).toEqualTypeOf<weft.WeftMcpServerOptions>();
    expectTypeOf(weft.createWeftMcpServer).returns.toHaveProperty("connect");
    expectTypeOf(weft.summarizeTrace).parameter(0).toEqualTypeOf<Trace>();
    expectTypeOf(weft.summarizeTrace).returns.toEqualTypeOf<TraceSummary>();
  });

  it("RunError names the plan input it is about", () => {
    expectTypeOf<RunError["input"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<{ kind: "input"; message: string }>().toExtend<RunError>();
  });
});

describe("tool source behaviour", () => {
  const weather = weft.jsonSchemaTool({
    name: "weather",
    description: "Today's weather in a city",
    inputSchema: {
      type: "object",
      properties: { city: { type: "string" }, days: { type: "integer" } },
      required: ["city"],
    },
    outputSchema: { type: "object", properties: { temp: { type: "number" } } },
    run: (args) => ({ temp: String(args["city"]).length }),
  });

  it("a JSON Schema tool has a Weft signature and checks plans", () => {
    expect(weft.toolSignature(weather)).toBe(
      "weather(city: string, days?: number) -> {temp?: number, ...}  # Today's weather in a city",
    );
    expect(weft.check('$w = weather("Oslo")\nreturn $w.temp\n', { tools: [weather] })).toEqual(
      expect.objectContaining({ ok: true, diagnostics: [] }),
    );
    const bad = weft.check("$w = weather(42)\n", { tools: [weather] });
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics[0]?.severity).toBe("error");
    const unknownArg = weft.check('$w = weather("Oslo", town: "x")\n', { tools: [weather] });
    expect(unknownArg.ok).toBe(false);
  });

  it("a JSON Schema tool runs with its arguments by the schema's names", async () => {
    const r = await weft.run('$w = weather("Oslo")\nreturn $w.temp\n', { tools: [weather] });
    expect(r.errors).toEqual([]);
    expect(r.value).toBe(4);
    expect(weft.summarizeTrace(r.trace)).toMatchObject({ calls: 1, failed: 0 });
  });

  it("an OpenAI function definition gets a plan name; a malformed one is a TypeError", () => {
    const fn = weft.jsonSchemaTool({
      type: "function",
      function: {
        name: "get-weather",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
    });
    expect(fn.name).toBe("get_weather");
    expect(() =>
      weft.jsonSchemaTool({ name: "bad name", inputSchema: { type: "object" } }),
    ).toThrow(TypeError);
  });

  it("zodFromJsonSchema and inputFromJsonSchema make zod schemas", () => {
    expect(weft.zodFromJsonSchema({ type: "integer" }).safeParse(3).success).toBe(true);
    expect(weft.zodFromJsonSchema({ type: "integer" }).safeParse("3").success).toBe(false);
    const input = weft.inputFromJsonSchema({
      type: "object",
      properties: { q: { type: "string" } },
      required: ["q"],
    });
    expect(Object.keys(input.shape)).toEqual(["q"]);
    expect(input.safeParse({}).success).toBe(false);
  });

  it("stdTools are tools with Weft signatures", () => {
    const std = weft.stdTools();
    const names = std.map((t) => t.name);
    expect(names).toContain("math.eval");
    expect(new Set(names).size).toBe(names.length);
    for (const t of std) expect(weft.toolSignature(t)).toMatch(new RegExp(`^${t.name}\\(`));
  });

  it("openToolbox merges sources and reports a name two of them define", async () => {
    const box = await weft.openToolbox({ tools: [search], std: true });
    try {
      const names = box.tools.map((t) => t.name);
      expect(names).toContain("search");
      expect(names).toContain("math.eval");
    } finally {
      await box.close();
      await box.close();
    }
    const clash = weft.defineTool({
      name: "math.eval",
      input: z.object({ expr: z.string() }),
      run: () => 0,
    });
    await expect(weft.openToolbox({ tools: [clash], std: true })).rejects.toBeInstanceOf(
      weft.ToolboxError,
    );
  });

  it("parseMcpSpec reads a name and a command line; a bad spec is an McpServerError", () => {
    expect(weft.parseMcpSpec('fs=node server.mjs "/tmp/my dir"')).toMatchObject({
      name: "fs",
      command: "node",
      args: ["server.mjs", "/tmp/my dir"],
    });
    expect(() => weft.parseMcpSpec("")).toThrow(weft.McpServerError);
  });

  it("RunError.input names a missing plan input", async () => {
    const r = await weft.run("input $city: string\n$w = weather($city)\nreturn $w\n", {
      tools: [weather],
    });
    expect(r.ok).toBe(false);
    expect(r.errors[0]).toMatchObject({ kind: "input", input: "city" });
  });
});
