// The LLM session against the scripted server, through the real client:
// usage (from the API or counted), streamed text and tool calls, timings from
// the injected clock, events, and every failure as a one-line LlmError.
import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { afterEach, describe, expect, it } from "vitest";
import {
  countPromptTokens,
  countTokens,
  LlmError,
  LlmSession,
  makeClient,
  type ChatOptions,
} from "../src/agent/llm.js";
import { ROLE_LINE } from "../src/agent/roles.js";
import type { AgentEvent } from "../src/agent/types.js";
import {
  closeFakeOpenAIs,
  fakeSession,
  startFakeOpenAI,
  type FakeOpenAI,
  type Handler,
  type ScriptedReply,
} from "./support/openai-server.js";

let server: FakeOpenAI | undefined;
afterEach(closeFakeOpenAIs);

/** A clock that ticks once per reading: deterministic, strictly increasing. */
function tickingClock(): () => number {
  let t = 0;
  return () => ++t;
}

async function session(
  script: Handler | (ScriptedReply | string)[],
  opts: { events?: AgentEvent[]; requestTimeoutMs?: number; temperature?: number } = {},
): Promise<LlmSession> {
  let llm: LlmSession;
  ({ server, llm } = await fakeSession(script, "fake-model", {
    clock: tickingClock(),
    onEvent: (e) => opts.events?.push(e),
    ...(opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
  }));
  return llm;
}

const messages: ChatCompletionMessageParam[] = [
  { role: "system", content: ROLE_LINE.planner },
  { role: "user", content: "How tall is the Eiffel tower?" },
];
const ask = (extra: Partial<ChatOptions> = {}): ChatOptions => ({
  role: "planner",
  messages,
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<LlmError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LlmError);
  return e as LlmError;
}

describe("LlmSession.chat", () => {
  it("streams text with usage from the API and records the call", async () => {
    const llm = await session(['a = search(query: "Eiffel")\nreturn $a\n']);
    const reply = await llm.chat(ask());
    expect(reply.text).toBe('a = search(query: "Eiffel")\nreturn $a\n');
    expect(reply.finishReason).toBe("stop");
    expect(reply.record.usage.source).toBe("api");
    expect(reply.record.usage.completionTokens).toBe(countTokens(reply.text));
    expect(reply.record.usage.promptTokens).toBe(countPromptTokens(messages));
    const { start, firstToken, end } = reply.record;
    expect(start).toBeLessThan(firstToken!);
    expect(firstToken).toBeLessThan(end);
    expect(server?.requests[0]?.body).toMatchObject({
      model: "fake-model",
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("counts usage with the tokenizer when the server omits it", async () => {
    const llm = await session([{ content: "Answer: 330 m", usage: false }]);
    const reply = await llm.chat(ask());
    // The same count the server would have reported.
    expect(reply.record.usage).toEqual({
      promptTokens: countPromptTokens(messages),
      completionTokens: countTokens("Answer: 330 m"),
      source: "tokenizer",
    });
  });

  it("gives onText the deltas exactly as they arrive", async () => {
    const chunks = ["a = sea", 'rch(query: "x")\n\nb = math(', 'expression: "1+1")\nreturn $b'];
    const llm = await session([{ chunks }]);
    const deltas: string[] = [];
    const reply = await llm.chat(ask({ onText: (d) => deltas.push(d) }));
    expect(deltas).toEqual(chunks);
    expect(deltas.join("")).toBe(reply.text);
  });

  it("assembles tool calls from streamed fragments", async () => {
    const llm = await session([
      {
        toolCalls: [
          { name: "wiki_fact", arguments: { title: "Eiffel Tower", fact: "height in metres" } },
          { name: "math", arguments: { expression: "330 * 3.28" } },
        ],
      },
    ]);
    const reply = await llm.chat(ask({ role: "fc" }));
    expect(reply.finishReason).toBe("tool_calls");
    expect(reply.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
      ["wiki_fact", { title: "Eiffel Tower", fact: "height in metres" }],
      ["math", { expression: "330 * 3.28" }],
    ]);
    expect(new Set(reply.toolCalls.map((c) => c.id)).size).toBe(2);
    expect(reply.record.firstToken).toBeDefined();
  });

  it("reads a JSON reply when not streaming", async () => {
    const llm = await session([
      { toolCalls: [{ name: "math", arguments: { expression: "2+2" } }], usage: false },
    ]);
    const reply = await llm.chat(ask({ stream: false }));
    expect(reply.toolCalls).toMatchObject([{ name: "math", arguments: '{"expression":"2+2"}' }]);
    expect(reply.record.usage.source).toBe("tokenizer");
    expect(reply.record.usage.completionTokens).toBe(
      countTokens("math") + countTokens('{"expression":"2+2"}'),
    );
    expect(server?.requests[0]?.stream).toBe(false);
  });

  it("sends tools, parallel_tool_calls and temperature only when given", async () => {
    const llm = await session(() => "ok", { temperature: 0 });
    const tools = [
      {
        type: "function" as const,
        function: { name: "math", parameters: { type: "object", properties: {} } },
      },
    ];
    await llm.chat(ask({ role: "react", tools, parallelToolCalls: false }));
    await llm.chat(ask());
    expect(server?.requests[0]?.body).toMatchObject({
      tools,
      parallel_tool_calls: false,
      temperature: 0,
    });
    expect(server?.requests[1]?.body.tools).toBeUndefined();
    expect(server?.requests[1]?.body.parallel_tool_calls).toBeUndefined();
  });

  it("emits llm-start and llm-end and totals the usage", async () => {
    const events: AgentEvent[] = [];
    const llm = await session(["one", "two words"], { events });
    const first = await llm.chat(ask());
    const second = await llm.chat(ask({ role: "solver" }));
    expect(events.map((e) => `${e.type}:${"role" in e ? e.role : ""}`)).toEqual([
      "llm-start:planner",
      "llm-end:planner",
      "llm-start:solver",
      "llm-end:solver",
    ]);
    expect(events[1]).toMatchObject({ t: first.record.end, usage: first.record.usage });
    const usage = llm.usage();
    expect(usage.llmCalls).toBe(2);
    expect(usage.calls).toEqual([first.record, second.record]);
    expect(usage.promptTokens).toBe(
      first.record.usage.promptTokens + second.record.usage.promptTokens,
    );
    expect(usage.completionTokens).toBe(countTokens("one") + countTokens("two words"));
  });
});

describe("LlmSession errors", () => {
  it("names the URL when the server cannot be reached", async () => {
    const closed = await startFakeOpenAI([]);
    await closed.close();
    const llm = new LlmSession(makeClient({ baseURL: closed.baseURL }), "m", {
      clock: tickingClock(),
    });
    const e = await failure(llm.chat(ask()));
    expect(e.kind).toBe("connection");
    expect(e.message).toContain(closed.baseURL);
    expect(e.message).toContain("ECONNREFUSED");
    expect(e.message).not.toContain("\n");
    // a failed request is a call; a server never reached took no prompt
    expect(llm.usage()).toMatchObject({ llmCalls: 1, promptTokens: 0, completionTokens: 0 });
    expect(llm.usage().calls[0]?.error).toEqual({ kind: "connection", message: e.message });
  });

  it("reports an error status with the server's message", async () => {
    const llm = await session([{ status: 500, error: "the GPU caught fire" }]);
    const e = await failure(llm.chat(ask()));
    expect(e.kind).toBe("http");
    expect(e.message).toBe(
      `the model server at ${server?.baseURL} answered 500: the GPU caught fire`,
    );
  });

  it("times out when the server never answers", async () => {
    const llm = await session([{ hang: true }], { requestTimeoutMs: 150 });
    const e = await failure(llm.chat(ask()));
    expect(e.kind).toBe("timeout");
    expect(e.message).toContain("150 ms");
  });

  it("times out when a stream stops mid-reply", async () => {
    async function* stalls(): AsyncIterable<string> {
      yield "a = search(";
      await new Promise(() => undefined);
    }
    const llm = await session([{ chunks: stalls() }], { requestTimeoutMs: 150 });
    const e = await failure(llm.chat(ask()));
    expect(e.kind).toBe("timeout");
  });

  it("reports a connection cut mid-stream", async () => {
    const llm = await session([{ content: "one two three four five six", dropAfterChunks: 3 }]);
    const e = await failure(llm.chat(ask()));
    expect(e.kind).toBe("connection");
    expect(e.message).toContain(server!.baseURL);
  });

  it("is cancelled by an aborted signal, before or during the request", async () => {
    const llm = await session([{ hang: true }, { hang: true }]);
    const before = new AbortController();
    before.abort();
    expect((await failure(llm.chat(ask({ signal: before.signal })))).kind).toBe("cancelled");

    const during = new AbortController();
    const pending = llm.chat(ask({ signal: during.signal }));
    // Abort once the server has the request (it hangs): no timing involved.
    while (server!.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    during.abort();
    const e = await failure(pending);
    expect(e).toMatchObject({ kind: "cancelled", message: "cancelled" });
  });

  it("is cancelled mid-stream, not answered with the text so far", async () => {
    async function* stalls(): AsyncIterable<string> {
      yield "a = search(";
      await new Promise(() => undefined);
    }
    const llm = await session([{ chunks: stalls() }]);
    const controller = new AbortController();
    const e = await failure(
      llm.chat(ask({ signal: controller.signal, onText: () => controller.abort() })),
    );
    expect(e.kind).toBe("cancelled");
  });
});

describe("LlmSession: a failed request is counted and ends its events", () => {
  const prompt = () => countPromptTokens(messages);

  it("counts a refused request (error status) as a call without tokens", async () => {
    const events: AgentEvent[] = [];
    const llm = await session([{ status: 503, error: "busy" }], { events });
    const e = await failure(llm.chat(ask()));
    expect(events.map((x) => x.type)).toEqual(["llm-start", "llm-end"]);
    expect(events[1]).toMatchObject({
      role: "planner",
      usage: { promptTokens: 0, completionTokens: 0, source: "tokenizer" },
      error: { kind: "http", message: e.message },
    });
    expect(llm.usage()).toMatchObject({ llmCalls: 1, promptTokens: 0 });
  });

  it("counts the prompt of a request that timed out, and the text that arrived before", async () => {
    async function* stalls(): AsyncIterable<string> {
      yield "a = search(";
      await new Promise(() => undefined);
    }
    const events: AgentEvent[] = [];
    const llm = await session([{ hang: true }, { chunks: stalls() }], {
      events,
      requestTimeoutMs: 150,
    });
    await failure(llm.chat(ask()));
    await failure(llm.chat(ask()));
    const [silent, cut] = llm.usage().calls;
    expect(silent).toMatchObject({
      usage: { promptTokens: prompt(), completionTokens: 0 },
      error: { kind: "timeout" },
    });
    expect(cut).toMatchObject({
      usage: { promptTokens: prompt(), completionTokens: countTokens("a = search(") },
      error: { kind: "timeout" },
    });
    expect(cut?.firstToken).toBeDefined();
    expect(llm.usage()).toMatchObject({ llmCalls: 2, promptTokens: 2 * prompt() });
    expect(events.filter((x) => x.type === "llm-end")).toHaveLength(2);
  });

  it("counts a stream cut mid-reply, and makes no call of a request cancelled before it was sent", async () => {
    const events: AgentEvent[] = [];
    const llm = await session([{ content: "one two three four five six", dropAfterChunks: 3 }], {
      events,
    });
    const before = new AbortController();
    before.abort();
    await failure(llm.chat(ask({ signal: before.signal })));
    expect(events).toEqual([]);
    expect(llm.usage().llmCalls).toBe(0);
    const e = await failure(llm.chat(ask()));
    expect(e.kind).toBe("connection");
    const [call] = llm.usage().calls;
    expect(call?.usage.promptTokens).toBe(prompt());
    expect(call?.usage.completionTokens).toBeGreaterThan(0);
    expect(call?.error?.kind).toBe("connection");
  });
});

describe("makeClient", () => {
  const saved = { base: process.env["OPENAI_BASE_URL"], key: process.env["OPENAI_API_KEY"] };
  afterEach(() => {
    for (const [name, value] of [
      ["OPENAI_BASE_URL", saved.base],
      ["OPENAI_API_KEY", saved.key],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  it("asks for a server when there is neither a URL nor a key", () => {
    delete process.env["OPENAI_BASE_URL"];
    delete process.env["OPENAI_API_KEY"];
    expect(() => makeClient({})).toThrow(LlmError);
    expect(() => makeClient({})).toThrow(/--base-url/);
  });

  it("reads OPENAI_BASE_URL and OPENAI_API_KEY and never retries", () => {
    process.env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1";
    process.env["OPENAI_API_KEY"] = "sk-env";
    const client = makeClient({ requestTimeoutMs: 1234 });
    expect(client.baseURL).toBe("http://127.0.0.1:9/v1");
    expect(client.apiKey).toBe("sk-env");
    expect(client.maxRetries).toBe(0);
    expect(client.timeout).toBe(1234);
  });

  it("uses a placeholder key for a local server, and a given client as is", () => {
    delete process.env["OPENAI_API_KEY"];
    const client = makeClient({ baseURL: "http://localhost:8080/v1" });
    expect(client.apiKey).toBeTruthy();
    const own = new OpenAI({ apiKey: "x", baseURL: "http://localhost:1/v1" });
    expect(makeClient({ client: own, baseURL: "http://elsewhere/v1" })).toBe(own);
  });
});
