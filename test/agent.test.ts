// The agent end to end, through the real `openai` client against the scripted
// loopback server: every mode, streaming dispatch, repair, replanning, usage,
// and each way an ask can fail.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createAgent, LAST_ROUND } from "../src/agent/agent.js";
import { ROLE_LINE } from "../src/agent/roles.js";
import type { AgentEvent, AgentOptions } from "../src/agent/types.js";
import { defineTool, type AnyTool } from "../src/compiler/tool.js";
import {
  closeFakeOpenAIs,
  startFakeOpenAI,
  type ChatRequest,
  type FakeOpenAI,
  type Handler,
  type ScriptedReply,
} from "./support/openai-server.js";

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

/** `lookup(q)` answers `Q!` (upper case); each real call is counted; `hold` keeps a query running until released. */
function testTools() {
  const calls: string[] = [];
  const started = new Map<string, ReturnType<typeof deferred>>();
  const holds = new Map<string, Promise<unknown>>();
  const startedFor = (q: string) => {
    let d = started.get(q);
    if (d === undefined) started.set(q, (d = deferred()));
    return d;
  };
  const tools: AnyTool[] = [
    defineTool({
      name: "lookup",
      description: "looks a query up",
      input: z.object({ q: z.string() }),
      run: async ({ q }) => {
        calls.push(q);
        startedFor(q).resolve(undefined);
        await holds.get(q);
        return `${q.toUpperCase()}!`;
      },
    }),
    defineTool({
      name: "math",
      description: "adds numbers",
      input: z.object({ a: z.number(), b: z.number() }),
      run: ({ a, b }) => {
        calls.push(`math:${a}+${b}`);
        return a + b;
      },
    }),
  ];
  return { tools, calls, startedFor, holds };
}

let server: FakeOpenAI | undefined;
afterEach(closeFakeOpenAIs);

async function agentWith(
  script: Handler | (ScriptedReply | string)[],
  options: Partial<AgentOptions> & { tools: AnyTool[] },
) {
  server = await startFakeOpenAI(script);
  const events: AgentEvent[] = [];
  const agent = createAgent({
    baseURL: server.baseURL,
    apiKey: "test",
    model: "fake",
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { agent, server, events };
}

const text = (req: ChatRequest) =>
  req.messages.map((m: { content?: unknown }) => String(m.content ?? "")).join("\n");

const PLAN = '$a = lookup("x")\n$b = lookup("y")\nreturn [$a, $b]\n';

describe("agent: plan mode", () => {
  it("plans, runs, solves, with usage, timings, results, trace and events", async () => {
    const t = testTools();
    const { agent, server, events } = await agentWith(
      (req) => (req.role === "planner" ? `Thought: two lookups.\n${PLAN}` : "Answer: X and Y"),
      { tools: t.tools, mode: "plan" },
    );
    const r = await agent.ask("what are x and y?");
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.answer).toBe("X and Y");
    expect(r.mode).toBe("plan");
    expect(r.plan).toBe(PLAN);
    expect(r.notes).toContain("Thought: two lookups.");
    expect(r.results).toEqual({ a: "X!", b: "Y!", return: ["X!", "Y!"] });
    expect(r.plans).toEqual([{ role: "planner", text: PLAN, diagnostics: [] }]);
    expect(r.toolCalls.map((c) => [c.tool, c.args, c.ok])).toEqual([
      ["lookup", { q: "x" }, true],
      ["lookup", { q: "y" }, true],
    ]);
    expect(r.trace?.nodes.map((n) => n.status)).toEqual(["ok", "ok"]);
    expect(r.usage.llmCalls).toBe(2);
    expect(server.requests.map((q) => q.role)).toEqual(["planner", "solver"]);
    // Every request starts its system message with its role's line.
    for (const q of server.requests)
      expect(String(q.messages[0].content).startsWith(ROLE_LINE[q.role ?? "planner"])).toBe(true);
    // The solver saw the evidence.
    expect(text(server.requests[1] as ChatRequest)).toContain("X!");
    expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.solveMs ?? Infinity);
    expect(r.timings.firstToolStartMs).toBe(r.toolCalls[0]?.start);
    expect(r.timings.planCompleteMs).toBeLessThanOrEqual(r.timings.firstToolStartMs ?? -1);
    expect(r.timings.executionMs).toBeGreaterThanOrEqual(0);
    const types = events.map((e) => e.type);
    expect(types.filter((x) => x === "llm-start")).toHaveLength(2);
    expect(types.filter((x) => x === "statement")).toHaveLength(3);
    expect(
      events.filter((e) => e.type === "tool").map((e) => e.type === "tool" && e.event.type),
    ).toEqual(["started", "started", "finished", "finished"]);
    expect(agent.plannerPrompt.startsWith(ROLE_LINE.planner)).toBe(true);
    expect(agent.plannerPrompt).toContain("lookup");
  });

  it("sums usage over the calls, as the server reported it", async () => {
    const t = testTools();
    const { agent } = await agentWith(
      [
        { content: PLAN, usage: { prompt_tokens: 120, completion_tokens: 30 } },
        { content: "Answer: done", usage: { prompt_tokens: 200, completion_tokens: 5 } },
      ],
      { tools: t.tools, mode: "plan" },
    );
    const r = await agent.ask("q");
    expect(r.ok).toBe(true);
    expect(r.usage).toMatchObject({ llmCalls: 2, promptTokens: 320, completionTokens: 35 });
    expect(r.usage.calls.map((c) => [c.role, c.usage])).toEqual([
      ["planner", { promptTokens: 120, completionTokens: 30, source: "api" }],
      ["solver", { promptTokens: 200, completionTokens: 5, source: "api" }],
    ]);
  });
});

describe("agent: stream mode", () => {
  it("starts the first tool before the planner's stream ends", async () => {
    const t = testTools();
    async function* chunks() {
      yield "Thought: look x up first.\n$a = lo";
      yield 'okup("x")\n$b = lookup("y")';
      // The rest of the plan waits until the first call has started.
      await t.startedFor("x").promise;
      yield "\nreturn [$a, $b]\n";
    }
    const { agent, events } = await agentWith(
      (req) => (req.role === "planner" ? { chunks: chunks() } : "Answer: both"),
      // An agent that waited for the whole plan would fail on this timeout instead of hanging.
      { tools: t.tools, mode: "stream", requestTimeoutMs: 5000 },
    );
    const r = await agent.ask("x and y?");
    expect(r.ok).toBe(true);
    expect(r.answer).toBe("both");
    const planner = r.usage.calls[0];
    expect(planner?.role).toBe("planner");
    expect(r.timings.firstToolStartMs).toBeLessThan(planner?.end ?? -1);
    const firstTool = events.findIndex((e) => e.type === "tool" && e.event.type === "started");
    const plannerEnd = events.findIndex((e) => e.type === "llm-end");
    expect(firstTool).toBeGreaterThanOrEqual(0);
    expect(firstTool).toBeLessThan(plannerEnd);
    expect(t.calls.sort()).toEqual(["x", "y"]);
    expect(r.results).toMatchObject({ a: "X!", b: "Y!" });
    expect(r.notes).toContain("Thought: look x up first.");
  });

  it("reuses a call dispatched before a repair: it never runs twice", async () => {
    const t = testTools();
    const broken = '$a = lookup("x")\n$b = lookup($nope)\nreturn $b\n';
    const fixed = '$a = lookup("x")\n$b = lookup("$a again")\nreturn $b\n';
    const { agent, server } = await agentWith(
      (req) => (req.role === "planner" ? broken : req.role === "repair" ? fixed : "Answer: ok"),
      { tools: t.tools, mode: "stream" },
    );
    const r = await agent.ask("q");
    expect(r.ok).toBe(true);
    expect(server.requests.map((q) => q.role)).toEqual(["planner", "repair", "solver"]);
    expect(t.calls.filter((c) => c === "x")).toHaveLength(1);
    expect(t.calls).toEqual(["x", "X! again"]);
    expect(r.toolCalls).toHaveLength(2);
    const errors = (p: { diagnostics: { severity: string; code: string }[] }) =>
      p.diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
    expect(r.plans.map((p) => [p.role, errors(p)])).toEqual([
      ["planner", ["C002"]],
      ["repair", []],
    ]);
  });
});

describe("agent: repair", () => {
  it("sends the diagnostics with line numbers back and runs the corrected plan", async () => {
    const t = testTools();
    const broken = '$a = lookup("x")\n$b = lokup("y")\n$c = math(1, "two")\nreturn [$a, $b, $c]\n';
    const fixed = '$a = lookup("x")\n$b = lookup("y")\n$c = math(1, 2)\nreturn [$a, $b, $c]\n';
    const { agent, server } = await agentWith(
      (req) => (req.role === "planner" ? broken : req.role === "repair" ? fixed : "Answer: fixed"),
      { tools: t.tools, mode: "plan" },
    );
    const r = await agent.ask("q");
    expect(r.ok).toBe(true);
    expect(r.answer).toBe("fixed");
    expect(r.plans.map((p) => p.diagnostics.map((d) => d.code))).toEqual([["C004", "C009"], []]);
    const repair = text(server.requests[1] as ChatRequest);
    expect(repair).toContain("plan:2:6: error[C004]");
    expect(repair).toContain('2 | $b = lokup("y")');
    expect(repair).toContain("plan:3:");
    expect(repair).toContain("error[C009]");
    expect(r.results).toMatchObject({ c: 3 });
    expect(r.plan).toBe(fixed);
  });

  it("gives up after maxRepairs with invalid-plan and the last diagnostics", async () => {
    const t = testTools();
    const { agent, server } = await agentWith(
      (req) => (req.role === "solver" ? "Answer: no" : '$a = nosuch("x")\nreturn $a\n'),
      { tools: t.tools, mode: "plan", maxRepairs: 1 },
    );
    const r = await agent.ask("q");
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("invalid-plan");
    expect(r.error?.diagnostics?.map((d) => d.code)).toEqual(["C004"]);
    expect(r.error?.message).toContain("error[C004]");
    expect(server.requests.map((q) => q.role)).toEqual(["planner", "repair"]);
    expect(t.calls).toEqual([]);
  });
});

describe("agent: replanning", () => {
  it("replans when the solver asks, with the previous plan and evidence, reusing calls", async () => {
    const t = testTools();
    const first = '$a = lookup("x")\nreturn $a\n';
    const second = '$a = lookup("x")\n$b = lookup("more")\nreturn [$a, $b]\n';
    let solves = 0;
    const { agent, server, events } = await agentWith(
      (req) => {
        if (req.role === "planner") return first;
        if (req.role === "replan") return second;
        return ++solves === 1 ? "Replan: need more" : "Answer: X and MORE";
      },
      { tools: t.tools, mode: "plan" },
    );
    const r = await agent.ask("q");
    expect(r.ok).toBe(true);
    expect(r.answer).toBe("X and MORE");
    expect(server.requests.map((q) => q.role)).toEqual(["planner", "solver", "replan", "solver"]);
    const replan = text(server.requests[2] as ChatRequest);
    expect(replan).toContain('lookup("x")');
    expect(replan).toContain("X!");
    expect(replan).toContain("need more");
    expect(t.calls).toEqual(["x", "more"]);
    expect(r.plans.map((p) => p.role)).toEqual(["planner", "replan"]);
    expect(r.plan).toBe(second);
    expect(events.filter((e) => e.type === "replan")).toEqual([
      expect.objectContaining({ reason: "need more" }),
    ]);
    // The last allowed round tells the solver it must answer.
    expect(text(server.requests[3] as ChatRequest)).toContain(LAST_ROUND);
    expect(text(server.requests[1] as ChatRequest)).not.toContain(LAST_ROUND);
  });

  it("respects maxReplans: a solver that never answers ends the ask", async () => {
    const t = testTools();
    const { agent, server } = await agentWith(
      (req) => (req.role === "solver" ? "Replan: still unsure" : PLAN),
      { tools: t.tools, mode: "stream", maxReplans: 2 },
    );
    const r = await agent.ask("q");
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("run");
    expect(r.error?.message).toContain("still unsure");
    expect(server.requests.map((q) => q.role)).toEqual([
      "planner",
      "solver",
      "replan",
      "solver",
      "replan",
      "solver",
    ]);
    expect(t.calls.sort()).toEqual(["x", "y"]);
  });

  it("answers at once with maxReplans 0", async () => {
    const t = testTools();
    const { agent, server } = await agentWith([PLAN, "Answer: fine"], {
      tools: t.tools,
      mode: "plan",
      maxReplans: 0,
    });
    const r = await agent.ask("q");
    expect(r.answer).toBe("fine");
    expect(text(server.requests[1] as ChatRequest)).toContain(LAST_ROUND);
  });
});

describe("agent: baselines", () => {
  it("answers in react mode", async () => {
    const t = testTools();
    const { agent, server } = await agentWith(
      [{ toolCalls: [{ name: "lookup", arguments: { q: "x" } }] }, "X it is"],
      { tools: t.tools, mode: "react" },
    );
    const r = await agent.ask("q");
    expect(r.ok).toBe(true);
    expect(r.answer).toBe("X it is");
    expect(r.mode).toBe("react");
    expect(r.toolCalls.map((c) => c.args)).toEqual([{ q: "x" }]);
    expect(r.usage.llmCalls).toBe(2);
    expect(server.requests[0]?.body.parallel_tool_calls).toBe(false);
    expect(r.timings.firstToolStartMs).toBe(r.toolCalls[0]?.start);
    const call = r.toolCalls[0];
    expect(r.timings.executionMs).toBe((call?.end ?? NaN) - (call?.start ?? NaN));
  });

  it("answers in fc mode with parallel calls", async () => {
    const t = testTools();
    const { agent, server } = await agentWith(
      [
        {
          toolCalls: [
            { name: "lookup", arguments: { q: "x" } },
            { name: "lookup", arguments: { q: "y" } },
          ],
        },
        "both",
      ],
      { tools: t.tools, mode: "fc" },
    );
    const r = await agent.ask("q");
    expect(r.answer).toBe("both");
    expect(t.calls.sort()).toEqual(["x", "y"]);
    expect(server.requests[0]?.body.parallel_tool_calls).toBe(true);
  });
});

describe("agent: failures", () => {
  it("reports a server error as http", async () => {
    const t = testTools();
    const { agent, events } = await agentWith([{ status: 500, error: "model exploded" }], {
      tools: t.tools,
      mode: "plan",
    });
    const r = await agent.ask("q");
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("http");
    expect(r.error?.message).toContain("500");
    expect(r.answer).toBe("");
    // the failed request is counted, and its end is an event like any other
    expect(r.usage.llmCalls).toBe(1);
    expect(r.usage.calls[0]?.error?.kind).toBe("http");
    expect(events.filter((e) => e.type.startsWith("llm-"))).toEqual([
      expect.objectContaining({ type: "llm-start", role: "planner" }),
      expect.objectContaining({ type: "llm-end", role: "planner", error: r.error }),
    ]);
  });

  it("reports a request timeout", async () => {
    const t = testTools();
    const { agent } = await agentWith([{ hang: true }], {
      tools: t.tools,
      mode: "stream",
      requestTimeoutMs: 150,
    });
    const r = await agent.ask("q");
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("timeout");
  });

  it("reports a missing server as config", async () => {
    const saved = { url: process.env["OPENAI_BASE_URL"], key: process.env["OPENAI_API_KEY"] };
    delete process.env["OPENAI_BASE_URL"];
    delete process.env["OPENAI_API_KEY"];
    try {
      const agent = createAgent({ model: "m", tools: testTools().tools, mode: "plan" });
      const r = await agent.ask("q");
      expect(r.ok).toBe(false);
      expect(r.error?.kind).toBe("config");
    } finally {
      if (saved.url !== undefined) process.env["OPENAI_BASE_URL"] = saved.url;
      if (saved.key !== undefined) process.env["OPENAI_API_KEY"] = saved.key;
    }
  });

  it("is cancelled by its signal while a tool runs, without hanging", async () => {
    const t = testTools();
    t.holds.set("x", new Promise(() => undefined));
    const { agent } = await agentWith([PLAN, "Answer: never"], { tools: t.tools, mode: "stream" });
    const stop = new AbortController();
    const asked = agent.ask("q", { signal: stop.signal });
    await t.startedFor("x").promise;
    stop.abort();
    const r = await asked;
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("cancelled");
    expect(r.toolCalls.length).toBeGreaterThanOrEqual(1);
  });

  it("is cancelled while the planner streams", async () => {
    const t = testTools();
    const stop = new AbortController();
    async function* chunks() {
      yield '$a = lookup("x")\n';
      stop.abort();
      await new Promise(() => undefined);
    }
    const { agent } = await agentWith([{ chunks: chunks() }], { tools: t.tools, mode: "stream" });
    const r = await agent.ask("q", { signal: stop.signal });
    expect(r.error?.kind).toBe("cancelled");
  });

  it("reports a stream cut mid-plan as a connection error, with the dispatched calls stopped", async () => {
    const t = testTools();
    t.holds.set("x", new Promise(() => undefined));
    const { agent } = await agentWith(
      [{ chunks: ['$a = lookup("x")\n', '$b = lookup("y")\n', "return"], dropAfterChunks: 2 }],
      { tools: t.tools, mode: "stream" },
    );
    const r = await agent.ask("q");
    expect(r.ok).toBe(false);
    expect(r.error?.kind).toBe("connection");
    expect(t.calls).toContain("x");
  });

  it("answers from partial evidence when a tool fails", async () => {
    const t = testTools();
    const failing = defineTool({
      name: "broken",
      input: z.object({}),
      run: () => {
        throw new Error("service down");
      },
    });
    const { agent, server } = await agentWith(
      ['$a = lookup("x")\n$b = broken()\nreturn [$a, $b]\n', "Answer: only X"],
      { tools: [...t.tools, failing], mode: "plan", maxReplans: 0 },
    );
    const r = await agent.ask("q");
    expect(r.ok).toBe(true);
    expect(r.answer).toBe("only X");
    expect(text(server.requests[1] as ChatRequest)).toContain("service down");
    expect(r.toolCalls.map((c) => c.ok)).toEqual([true, false]);
  });
});

describe("agent: peer plan formats", () => {
  it("runs a ReWOO plan in plan mode, the planner taught that format", async () => {
    const t = testTools();
    const { agent, server } = await agentWith(
      (req) =>
        req.role === "planner"
          ? "Plan: look x up\n#E1 = lookup[x]\nPlan: then more\n#E2 = lookup[#E1 more]\n"
          : "Answer: X! MORE!",
      { tools: t.tools, mode: "plan", planFormat: "rewoo" },
    );
    const r = await agent.ask("q");
    expect(r.error).toBeUndefined();
    expect(r.answer).toBe("X! MORE!");
    expect(t.calls).toEqual(["x", "X! more"]);
    expect(r.results).toMatchObject({ E1: "X!", E2: "X! MORE!" });
    expect(r.notes).toEqual(["Plan: look x up", "Plan: then more"]);
    expect(text(server.requests[0] as ChatRequest)).toContain("#E1");
  });

  it("streams an LLMCompiler plan: the first step starts before the stream ends", async () => {
    const t = testTools();
    async function* chunks() {
      yield 'Thought: x first.\n1. lookup("x")\n2. loo';
      await t.startedFor("x").promise;
      yield 'kup("$1 and y")\n3. join()<END_OF_PLAN>';
    }
    const { agent } = await agentWith(
      (req) => (req.role === "planner" ? { chunks: chunks() } : "Answer: ok"),
      { tools: t.tools, mode: "stream", planFormat: "llmcompiler", requestTimeoutMs: 5000 },
    );
    const r = await agent.ask("q");
    expect(r.error).toBeUndefined();
    expect(r.timings.firstToolStartMs).toBeLessThan(r.usage.calls[0]?.end ?? -1);
    expect(t.calls).toEqual(["x", "X! and y"]);
    expect(r.results).toMatchObject({ "1": "X!", "2": "X! AND Y!" });
  });

  it("repairs a peer-format plan from the import's diagnostics", async () => {
    const t = testTools();
    const { agent, server } = await agentWith(
      (req) =>
        req.role === "planner"
          ? '1. lookup("x")\n2. lookup($7)\n3. join()<END_OF_PLAN>'
          : req.role === "repair"
            ? '1. lookup("x")\n2. lookup("$1 more")\n3. join()<END_OF_PLAN>'
            : "Answer: ok",
      { tools: t.tools, mode: "stream", planFormat: "llmcompiler" },
    );
    const r = await agent.ask("q");
    expect(r.error).toBeUndefined();
    expect(server.requests.map((q) => q.role)).toEqual(["planner", "repair", "solver"]);
    expect(text(server.requests[1] as ChatRequest)).toMatch(/plan:2:\d+: error\[I\d+\]/);
    expect(t.calls.filter((c) => c === "x")).toHaveLength(1);
  });
});

describe("agent: solver auto (the plan may return the answer itself)", () => {
  it("answers with the plan's sentence and makes one LLM call", async () => {
    const t = testTools();
    const plan = '$a = lookup("x")\n$n = math(1, 2)\nreturn "$a and ${n} more"\n';
    const { agent, server } = await agentWith([plan], {
      tools: t.tools,
      mode: "stream",
      solver: "auto",
    });
    const r = await agent.ask("q");
    expect(r.error).toBeUndefined();
    expect(r.answer).toBe("X! and 3 more");
    expect(server.requests.map((q) => q.role)).toEqual(["planner"]);
    expect(r.usage.llmCalls).toBe(1);
    expect(r.timings.solveMs).toBeUndefined();
    // the planner was told it may do so
    expect(text(server.requests[0] as ChatRequest)).toContain("as a sentence");
  });

  it("calls the solver when the plan returns values, a bare tool result or a sentence of objects", async () => {
    const obj = defineTool({ name: "obj", input: z.object({}), run: () => ({ k: 1 }) });
    for (const plan of [
      '$a = lookup("x")\nreturn {a: $a}\n', // values
      '$a = lookup("x")\nreturn $a\n', // a tool's string, not the planner's sentence
      '$a = lookup("x")\nreturn "fixed text"\n', // no result in it
      '$a = lookup("x")\n$o = obj()\nreturn "$a and $o"\n', // an object would show as JSON
      '$a = lookup("x")\n$o = obj()\nreturn "$a and $o.missing"\n', // a hole
    ]) {
      const t = testTools();
      const { agent, server } = await agentWith([plan, "Answer: from the solver"], {
        tools: [...t.tools, obj],
        mode: "plan",
        solver: "auto",
      });
      const r = await agent.ask("q");
      expect(r.answer, plan).toBe("from the solver");
      expect(server.requests.map((q) => q.role)).toEqual(["planner", "solver"]);
      await server.close();
    }
  });

  it("leaves the default (always) unchanged: a sentence still goes to the solver", async () => {
    const t = testTools();
    const { agent, server } = await agentWith(
      ['$a = lookup("x")\nreturn "it is $a"\n', "Answer: it is X!"],
      { tools: t.tools, mode: "plan" },
    );
    const r = await agent.ask("q");
    expect(r.answer).toBe("it is X!");
    expect(server.requests.map((q) => q.role)).toEqual(["planner", "solver"]);
    expect(agent.plannerPrompt).not.toContain("as a sentence");
  });

  it("sends a failed run to the solver, which can still ask for a new plan", async () => {
    const t = testTools();
    const failing = defineTool({
      name: "broken",
      input: z.object({}),
      output: z.string(),
      run: () => {
        throw new Error("service down");
      },
    });
    const { agent, server } = await agentWith(
      (req) => {
        if (req.role === "planner") return '$b = broken()\nreturn "it is $b"\n';
        if (req.role === "replan") return '$a = lookup("x")\nreturn "it is $a"\n';
        return "Replan: broken failed";
      },
      { tools: [...t.tools, failing], mode: "stream", solver: "auto" },
    );
    const r = await agent.ask("q");
    expect(r.error).toBeUndefined();
    expect(r.answer).toBe("it is X!");
    expect(server.requests.map((q) => q.role)).toEqual(["planner", "solver", "replan"]);
    expect(text(server.requests[1] as ChatRequest)).toMatch(/→ failed: .*service down/);
  });
});

describe("agent: notes", () => {
  /** Event kinds in order, notes with their text, up to the planner's llm-end. */
  const untilPlannerEnd = (events: AgentEvent[]) => {
    const out: string[] = [];
    for (const e of events) {
      if (e.type === "note") out.push(`note ${e.text}`);
      else if (e.type === "statement") out.push(`statement ${e.line}`);
      else if (e.type === "llm-end") {
        out.push("llm-end");
        break;
      }
    }
    return out;
  };

  it.each(["stream", "plan"] as const)(
    "reach onEvent as each line completes, in %s mode",
    async (mode) => {
      const t = testTools();
      const { agent, events } = await agentWith(
        (req) =>
          req.role === "planner"
            ? {
                chunks: [
                  "Thought: first x.\n$a = look",
                  'up("x")\nThought: then',
                  ' y.\n$b = lookup("y")\nreturn [$a, $b]\n',
                ],
              }
            : "Answer: ok",
        { tools: t.tools, mode },
      );
      const r = await agent.ask("q");
      expect(r.error).toBeUndefined();
      expect(r.notes).toEqual(["Thought: first x.", "Thought: then y."]);
      const order = untilPlannerEnd(events);
      // Each note before the end of the reply, and in stream mode between the statements around it.
      expect(order.filter((x) => x.startsWith("note"))).toEqual([
        "note Thought: first x.",
        "note Thought: then y.",
      ]);
      expect(order.at(-1)).toBe("llm-end");
      if (mode === "stream")
        expect(order.slice(0, 4)).toEqual([
          "note Thought: first x.",
          "statement 2",
          "note Thought: then y.",
          "statement 4",
        ]);
    },
  );

  it("reach onEvent as each line completes in a peer format", async () => {
    const t = testTools();
    const { agent, events } = await agentWith(
      (req) =>
        req.role === "planner"
          ? { chunks: ["Plan: look x up\n", "#E1 = lookup[x]\n", "Plan: done\n"] }
          : "Answer: X!",
      { tools: t.tools, mode: "plan", planFormat: "rewoo" },
    );
    const r = await agent.ask("q");
    expect(r.error).toBeUndefined();
    expect(untilPlannerEnd(events)).toEqual(["note Plan: look x up", "note Plan: done", "llm-end"]);
    expect(events.filter((e) => e.type === "note")).toHaveLength(2);
  });
});

describe("agent: a reply without a plan", () => {
  it("is a plan to repair, not an empty plan run as the answer", async () => {
    const t = testTools();
    const { agent, server } = await agentWith(
      (req) =>
        req.role === "planner"
          ? "I cannot help with that."
          : req.role === "repair"
            ? PLAN
            : "Answer: X and Y",
      { tools: t.tools, mode: "stream" },
    );
    const r = await agent.ask("q");
    expect(r.error).toBeUndefined();
    expect(r.plans.map((p) => p.role)).toEqual(["planner", "repair"]);
    expect(r.plans[0]?.diagnostics.map((d) => d.message)).toEqual(["the reply has no plan"]);
    expect(text(server.requests[1] as ChatRequest)).toContain("the reply has no plan");
    expect(t.calls).toEqual(["x", "y"]);
  });
});

/**
 * `lookup(q)` answers `q!` at once, except `lookup("held")`, which ends only
 * when aborted; each call's query and signal are kept.
 */
function heldLookup() {
  const signals = new Map<string, AbortSignal>();
  const started: string[] = [];
  const tools: AnyTool[] = [
    defineTool({
      name: "lookup",
      input: z.object({ q: z.string() }),
      run: ({ q }, ctx) => {
        started.push(q);
        signals.set(q, ctx.signal);
        if (q !== "held") return `${q}!`;
        return new Promise((_, reject) =>
          ctx.signal.addEventListener("abort", () => reject(new Error("stopped"))),
        );
      },
    }),
  ];
  return { tools, signals, started };
}

/** The first plan dispatches the held call, then breaks; the repaired plan does not need it. */
const HELD_THEN_REPAIRED: Handler = (req) =>
  req.role === "planner"
    ? '$a = lookup("held")\n$b = nope(1)\nreturn [$a, $b]\n'
    : req.role === "repair"
      ? '$a = lookup("x")\nreturn $a\n'
      : "Answer: x!";

describe("agent: after ask() returns", () => {
  it("has stopped every call no plan needs and starts no more", async () => {
    const { tools, signals, started } = heldLookup();
    const { agent } = await agentWith(HELD_THEN_REPAIRED, { tools, mode: "stream" });
    const r = await agent.ask("q");
    expect(r.answer).toBe("x!");
    expect(signals.get("held")?.aborted).toBe(true);
    const count = started.length;
    for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
    expect(started).toHaveLength(count);
    expect(r.toolCalls.find((c) => c.args && (c.args as { q: string }).q === "held")?.ok).toBe(
      false,
    );
  });
});

describe("agent: caps across a repair", () => {
  it("stops a call only the broken plan needed, so it does not hold the last place under the cap", async () => {
    // Before the fix, the repaired plan waited for its place for ever.
    const { tools } = heldLookup();
    const { agent } = await agentWith(HELD_THEN_REPAIRED, {
      tools,
      mode: "stream",
      concurrency: 1,
    });
    const r = await agent.ask("q");
    expect(r.error).toBeUndefined();
    expect(r.answer).toBe("x!");
    expect(r.toolCalls.map((c) => [(c.args as { q: string }).q, c.ok])).toEqual([
      ["held", false],
      ["x", true],
    ]);
  });

  it("still reuses the broken plan's calls the repaired plan has, under a cap", async () => {
    const t = testTools();
    const { agent } = await agentWith(
      (req) =>
        req.role === "planner"
          ? '$a = lookup("x")\n$b = lookup("y")\n$c = nope($a)\nreturn $c\n'
          : req.role === "repair"
            ? '$a = lookup("x")\n$b = lookup("y")\nreturn [$a, $b]\n'
            : "Answer: ok",
      { tools: t.tools, mode: "stream", concurrency: 1 },
    );
    const r = await agent.ask("q");
    expect(r.error).toBeUndefined();
    expect(t.calls).toEqual(["x", "y"]);
  });
});
