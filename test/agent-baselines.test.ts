// The react and fc baselines against scripted conversations: what they send
// (the whole conversation each turn, parallel_tool_calls), how they run the
// calls (one per turn, or all of a turn at once), and how failures go back
// to the model instead of crashing.
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { runBaseline, type BaselineEnv, type BaselineKind } from "../src/agent/baselines.js";
import type { LlmSession } from "../src/agent/llm.js";
import { functionTools, nameMap } from "../src/agent/tools-json.js";
import type { AgentEvent, ToolCallRecord } from "../src/agent/types.js";
import { defineTool, toolSet, type AnyTool, type ToolSet } from "../src/compiler/tool.js";
import {
  closeFakeOpenAIs,
  fakeSession,
  type FakeOpenAI,
  type Handler,
  type ScriptedReply,
} from "./support/openai-server.js";

let server: FakeOpenAI | undefined;
afterEach(closeFakeOpenAIs);

const FACTS: Record<string, number> = { "Mount Everest": 8849, K2: 8611 };

const baseTools: AnyTool[] = [
  defineTool({
    name: "wiki.fact",
    description: "One numeric fact about a Wikipedia subject",
    input: z.object({ title: z.string(), fact: z.string() }),
    output: z.number(),
    run: ({ title }) => {
      const value = FACTS[title];
      if (value === undefined) throw new Error(`no page ${title}`);
      return value;
    },
  }),
  defineTool({
    name: "math",
    input: z.object({ expression: z.string(), digits: z.number().int().default(2) }),
    output: z.number(),
    run: ({ expression }) => {
      const [a, op, b] = expression.split(" ");
      return op === "-" ? Number(a) - Number(b) : Number(a) + Number(b);
    },
  }),
];

interface Setup {
  env: BaselineEnv;
  calls: ToolCallRecord[];
  events: AgentEvent[];
}

async function setup(
  script: Handler | (ScriptedReply | string)[],
  tools: AnyTool[] = baseTools,
  extra: Partial<BaselineEnv> = {},
): Promise<Setup> {
  let t = 0;
  const clock = (): number => ++t;
  const events: AgentEvent[] = [];
  const calls: ToolCallRecord[] = [];
  let llm: LlmSession;
  ({ server, llm } = await fakeSession(script, "m", { clock, onEvent: (e) => events.push(e) }));
  const env: BaselineEnv = {
    llm,
    tools: toolSet(tools),
    maxTurns: 6,
    clock,
    toolCalls: calls,
    onEvent: (e) => events.push(e),
    ...extra,
  };
  return { env, calls, events };
}

const QUESTION = "How much taller is Mount Everest than K2?";

describe("react", () => {
  it("calls one tool per turn and re-sends the whole conversation", async () => {
    const { env, calls } = await setup([
      { toolCalls: [{ name: "wiki_fact", arguments: { title: "Mount Everest", fact: "height" } }] },
      { toolCalls: [{ name: "wiki_fact", arguments: { title: "K2", fact: "height" } }] },
      { toolCalls: [{ name: "math", arguments: { expression: "8849 - 8611" } }] },
      "238 m",
    ]);
    const result = await runBaseline("react", QUESTION, env);
    expect(result).toEqual({ ok: true, answer: "238 m" });

    const requests = server!.requests;
    expect(requests.map((r) => r.messages.length)).toEqual([2, 4, 6, 8]);
    for (const [i, r] of requests.entries()) {
      expect(r.role).toBe("react");
      expect(r.body.parallel_tool_calls).toBe(false);
      expect(r.tools?.map((t) => t.function.name)).toEqual(["wiki_fact", "math"]);
      // Each request carries every message of the one before it.
      if (i > 0)
        expect(r.messages.slice(0, requests[i - 1]!.messages.length)).toEqual(
          requests[i - 1]!.messages,
        );
    }
    const last = requests[3]!.messages;
    expect(last[1]).toEqual({ role: "user", content: QUESTION });
    expect(last.filter((m) => m.role === "tool").map((m) => m.content)).toEqual([
      "8849",
      "8611",
      "238",
    ]);
    expect(last[2].tool_calls[0].function.name).toBe("wiki_fact");
    expect(last[3].tool_call_id).toBe(last[2].tool_calls[0].id);

    expect(calls.map((c) => [c.tool, c.args, c.ok, c.result])).toEqual([
      ["wiki.fact", { title: "Mount Everest", fact: "height" }, true, 8849],
      ["wiki.fact", { title: "K2", fact: "height" }, true, 8611],
      ["math", { expression: "8849 - 8611", digits: 2 }, true, 238],
    ]);
    expect(calls.every((c) => c.end !== undefined && c.end > c.start)).toBe(true);
    expect(env.llm.usage().llmCalls).toBe(4);
  });

  it("runs only the first of several calls and tells the model", async () => {
    const { env, calls } = await setup([
      {
        toolCalls: [
          { name: "wiki_fact", arguments: { title: "Mount Everest", fact: "height" } },
          { name: "wiki_fact", arguments: { title: "K2", fact: "height" } },
        ],
      },
      "done",
    ]);
    await runBaseline("react", QUESTION, env);
    expect(calls.map((c) => c.args)).toEqual([{ title: "Mount Everest", fact: "height" }]);
    const tools = server!.requests[1]!.messages.filter((m) => m.role === "tool");
    expect(tools.map((m) => m.content)).toEqual([
      "8849",
      expect.stringContaining("call one tool at a time"),
    ]);
  });
});

describe("fc", () => {
  it("runs the calls of a turn concurrently", async () => {
    // Each tool waits until both have started: only a concurrent run finishes.
    const arrived: string[] = [];
    let open!: () => void;
    const barrier = new Promise<void>((r) => (open = r));
    const meet = (name: string) => async (): Promise<string> => {
      arrived.push(name);
      if (arrived.length === 2) open();
      await barrier;
      return `${name} ok`;
    };
    const tools = [
      defineTool({ name: "left", input: z.object({}), run: meet("left") }),
      defineTool({ name: "right", input: z.object({}), run: meet("right") }),
    ];
    const { env, calls } = await setup(
      [
        {
          toolCalls: [
            { name: "left", arguments: {} },
            { name: "right", arguments: {} },
          ],
        },
        "both",
      ],
      tools,
    );
    const result = await runBaseline("fc", "go", env);
    expect(result).toEqual({ ok: true, answer: "both" });
    expect(server!.requests[0]!.body.parallel_tool_calls).toBe(true);
    expect(server!.requests[0]!.role).toBe("fc");
    const toolMessages = server!.requests[1]!.messages.filter((m) => m.role === "tool");
    expect(toolMessages.map((m) => m.content)).toEqual(["left ok", "right ok"]);
    expect(calls.map((c) => c.tool).sort()).toEqual(["left", "right"]);
  });

  it("emits started and finished tool events", async () => {
    const { env, events } = await setup([
      { toolCalls: [{ name: "math", arguments: { expression: "1 + 2" } }] },
      "3",
    ]);
    await runBaseline("fc", "1+2?", env);
    const tool = events.flatMap((e) => (e.type === "tool" ? [e.event.type] : []));
    expect(tool).toEqual(["started", "finished"]);
    expect(events.filter((e) => e.type === "llm-end")).toHaveLength(2);
  });
});

describe("failures go back to the model", () => {
  it.each<BaselineKind>(["react", "fc"])(
    "bad arguments, unknown tools and tool errors (%s)",
    async (kind) => {
      const turns: (ScriptedReply | string)[] = [
        { toolCalls: [{ name: "wiki_fact", arguments: "{not json" }] },
        { toolCalls: [{ name: "wiki_fact", arguments: { title: 5 } }] },
        { toolCalls: [{ name: "browse", arguments: {} }] },
        { toolCalls: [{ name: "wiki_fact", arguments: { title: "Atlantis", fact: "height" } }] },
        "I could not find it.",
      ];
      const { env, calls } = await setup(turns);
      const result = await runBaseline(kind, QUESTION, env);
      expect(result).toEqual({ ok: true, answer: "I could not find it." });
      const replies = server!.requests[4]!.messages.filter((m) => m.role === "tool").map(
        (m) => m.content,
      );
      expect(replies[0]).toMatch(/^Error: the arguments of wiki_fact are not valid JSON/);
      expect(replies[1]).toMatch(/^Error: invalid arguments for wiki_fact:/);
      expect(replies[1]).toContain("title");
      expect(replies[2]).toMatch(
        /^Error: there is no tool "browse"; the tools are wiki_fact, math/,
      );
      expect(replies[3]).toBe("Error: wiki.fact failed: no page Atlantis");
      // Only the call with valid arguments ran.
      expect(calls).toMatchObject([{ tool: "wiki.fact", ok: false, error: "no page Atlantis" }]);
    },
  );

  it("a call over its timeout becomes an error message", async () => {
    const slow = defineTool({
      name: "slow",
      input: z.object({}),
      run: (_args, { signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new Error("stopped"))),
        ),
    });
    const { env, calls } = await setup(
      [{ toolCalls: [{ name: "slow", arguments: {} }] }, "gave up"],
      [slow],
      {
        callTimeoutMs: 20,
      },
    );
    expect(await runBaseline("react", "q", env)).toEqual({ ok: true, answer: "gave up" });
    expect(server!.requests[1]!.messages.at(-1).content).toBe(
      "Error: slow failed: timed out after 20 ms",
    );
    expect(calls[0]?.ok).toBe(false);
  });
});

describe("a result with no JSON form", () => {
  it("fails the call (one failed event, no finished) and tells the model", async () => {
    const big = defineTool({ name: "big", input: z.object({}), run: () => 10n });
    const { env, calls, events } = await setup(
      [{ toolCalls: [{ name: "big", arguments: {} }] }, "ok"],
      [big],
    );
    expect(await runBaseline("react", "q", env)).toEqual({ ok: true, answer: "ok" });
    expect(server!.requests[1]!.messages.at(-1).content).toMatch(/^Error: big failed: .*BigInt/);
    expect(calls[0]?.ok).toBe(false);
    const kinds = events.flatMap((e) => (e.type === "tool" ? [e.event.type] : []));
    expect(kinds).toEqual(["started", "failed"]);
  });
});

describe("ending without an answer", () => {
  it("gives up after maxTurns", async () => {
    const { env } = await setup(
      () => ({ toolCalls: [{ name: "math", arguments: { expression: "1 + 1" } }] }),
      baseTools,
      {
        maxTurns: 3,
      },
    );
    const result = await runBaseline("react", "loop", env);
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({
      kind: "turns",
      message: expect.stringContaining("3 turns"),
    });
    expect(server!.requests).toHaveLength(3);
  });

  it("reports a server error with its kind", async () => {
    const { env } = await setup([{ status: 500, error: "down" }]);
    const result = await runBaseline("fc", "q", env);
    expect(result).toMatchObject({ ok: false, answer: "", error: { kind: "http" } });
    expect(result.error?.message).toContain("down");
  });

  it("stops when the signal aborts during a tool call", async () => {
    const controller = new AbortController();
    const stuck = defineTool({
      name: "stuck",
      input: z.object({}),
      run: (_args, { signal }) => {
        controller.abort();
        return new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(new Error("stopped"))),
        );
      },
    });
    const { env } = await setup(
      [{ toolCalls: [{ name: "stuck", arguments: {} }] }, "never"],
      [stuck],
      {
        signal: controller.signal,
      },
    );
    const result = await runBaseline("fc", "q", env);
    expect(result).toEqual({
      ok: false,
      answer: "",
      error: { kind: "cancelled", message: "cancelled" },
    });
    expect(server!.requests).toHaveLength(1);
  });

  it("is cancelled while waiting for the model", async () => {
    const controller = new AbortController();
    const { env } = await setup(
      () => {
        controller.abort();
        return { hang: true };
      },
      baseTools,
      { signal: controller.signal },
    );
    const result = await runBaseline("react", "q", env);
    expect(result.error?.kind).toBe("cancelled");
  });
});

describe("function tools", () => {
  it("turns zod inputs into JSON Schema parameters with API-safe names", () => {
    const tools: ToolSet = toolSet(baseTools);
    const [fact, math] = functionTools(tools);
    expect(fact).toEqual({
      type: "function",
      function: {
        name: "wiki_fact",
        description: "One numeric fact about a Wikipedia subject",
        parameters: {
          type: "object",
          properties: { title: { type: "string" }, fact: { type: "string" } },
          required: ["title", "fact"],
        },
      },
    });
    // A defaulted field is optional for the caller; no safe-integer noise.
    expect(math?.type === "function" && math.function.parameters).toEqual({
      type: "object",
      properties: { expression: { type: "string" }, digits: { type: "integer", default: 2 } },
      required: ["expression"],
    });
  });

  it("maps names both ways without collisions", () => {
    const noop = (name: string): AnyTool =>
      defineTool({ name, input: z.object({}), run: () => null });
    const names = nameMap(toolSet(["wiki.page", "wiki_page", "a b", "a_b", "a:b"].map(noop)));
    expect(Object.fromEntries(names.toFunction)).toEqual({
      wiki_page: "wiki_page",
      a_b: "a_b",
      "wiki.page": "wiki_page_2",
      "a b": "a_b_2",
      "a:b": "a_b_3",
    });
    for (const [tool, wire] of names.toFunction) {
      expect(names.toTool.get(wire)).toBe(tool);
      expect(wire).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    }
  });
});
