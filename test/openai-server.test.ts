// The scripted server speaks the wire format of the real API: checked
// through the real `openai` client, JSON and streaming.
import OpenAI from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { afterEach, describe, expect, it } from "vitest";
import { countTokens } from "../src/agent/llm.js";
import { ROLE_LINE } from "../src/agent/roles.js";
import {
  closeFakeOpenAIs,
  startFakeOpenAI,
  tokenPieces,
  type FakeOpenAI,
  type Handler,
  type ScriptedReply,
  type ServerSpeed,
} from "./support/openai-server.js";

let server: FakeOpenAI | undefined;
afterEach(closeFakeOpenAIs);

async function start(
  script: Handler | (ScriptedReply | string)[],
  speed?: ServerSpeed,
): Promise<OpenAI> {
  server = await startFakeOpenAI(script, speed);
  return new OpenAI({ baseURL: server.baseURL, apiKey: "test", maxRetries: 0 });
}

const user = (content: string) => [{ role: "user" as const, content }];

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

const contentOf = (chunks: ChatCompletionChunk[]): string[] =>
  chunks.flatMap((c) => (c.choices[0]?.delta.content ? [c.choices[0].delta.content] : []));

describe("fake OpenAI server", () => {
  it("answers a JSON request with the message and usage", async () => {
    const client = await start(["Paris is the capital."]);
    const r = await client.chat.completions.create({ model: "m", messages: user("Capital?") });
    expect(r.choices[0]?.message.content).toBe("Paris is the capital.");
    expect(r.choices[0]?.finish_reason).toBe("stop");
    expect(r.usage?.completion_tokens).toBe(countTokens("Paris is the capital."));
    expect(r.usage?.prompt_tokens).toBeGreaterThan(countTokens("Capital?"));
    expect(server?.requests[0]?.stream).toBe(false);
  });

  it("streams token by token and sends usage last when asked", async () => {
    const text = "The answer is 42.\nDone.";
    const client = await start([text]);
    const chunks = await collect(
      await client.chat.completions.create({
        model: "m",
        messages: user("q"),
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const pieces = contentOf(chunks);
    expect(pieces.join("")).toBe(text);
    expect(pieces.length).toBe(countTokens(text));
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(countTokens(text));
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("sends no usage in a stream unless asked", async () => {
    const client = await start(["hello"]);
    const chunks = await collect(
      await client.chat.completions.create({ model: "m", messages: user("q"), stream: true }),
    );
    expect(chunks.every((c) => !c.usage)).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("streams tool calls with their arguments split across chunks", async () => {
    const args = { query: "population of France in 2020", limit: 3 };
    const client = await start([
      {
        toolCalls: [
          { name: "search", arguments: args },
          { name: "math", arguments: { expression: "2 * 3" } },
        ],
      },
    ]);
    const chunks = await collect(
      await client.chat.completions.create({ model: "m", messages: user("q"), stream: true }),
    );
    const calls = new Map<number, { id: string; name: string; args: string; parts: number }>();
    for (const c of chunks)
      for (const t of c.choices[0]?.delta.tool_calls ?? []) {
        const call = calls.get(t.index) ?? { id: "", name: "", args: "", parts: 0 };
        call.id ||= t.id ?? "";
        call.name += t.function?.name ?? "";
        if (t.function?.arguments) {
          call.args += t.function.arguments;
          call.parts++;
        }
        calls.set(t.index, call);
      }
    expect(calls.get(0)?.name).toBe("search");
    expect(JSON.parse(calls.get(0)?.args ?? "")).toEqual(args);
    expect(calls.get(0)?.parts).toBeGreaterThan(3);
    expect(calls.get(0)?.id).toMatch(/^call_/);
    expect(calls.get(1)?.name).toBe("math");
    expect(JSON.parse(calls.get(1)?.args ?? "")).toEqual({ expression: "2 * 3" });
    expect(calls.get(0)?.id).not.toBe(calls.get(1)?.id);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("answers tool calls as JSON too", async () => {
    const client = await start([{ toolCalls: [{ name: "search", arguments: { query: "x" } }] }]);
    const r = await client.chat.completions.create({ model: "m", messages: user("q") });
    const call = r.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("search");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({
      query: "x",
    });
    expect(r.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("answers an error status with an OpenAI-style body", async () => {
    const client = await start([{ status: 503, error: "overloaded" }]);
    const failure = await client.chat.completions
      .create({ model: "m", messages: user("q") })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((failure as Error).message).toContain("overloaded");
  });

  it("answers 500 when the scripted replies run out", async () => {
    const client = await start(["one"]);
    await client.chat.completions.create({ model: "m", messages: user("q") });
    await expect(
      client.chat.completions.create({ model: "m", messages: user("q") }),
    ).rejects.toThrow(/no scripted reply for request 2/);
  });

  it("hangs until the client times out", async () => {
    const client = await start([{ hang: true }]);
    const failure = await client.chat.completions
      .create({ model: "m", messages: user("q") }, { timeout: 200 })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it("sends given chunks exactly, several newlines in one chunk included", async () => {
    const chunks = [
      "a = search(q",
      'uery: "x")\n\nb = ',
      "math(expression: $a)\nreturn $b\n",
      "\n",
    ];
    const client = await start([{ chunks }]);
    const got = contentOf(
      await collect(
        await client.chat.completions.create({ model: "m", messages: user("q"), stream: true }),
      ),
    );
    expect(got).toEqual(chunks);
  });

  it("holds the stream open while an async iterable of chunks waits", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    async function* held(): AsyncIterable<string> {
      yield "first\n";
      await released;
      yield "second\n";
    }
    const client = await start([{ chunks: held() }]);
    const stream = await client.chat.completions.create({
      model: "m",
      messages: user("q"),
      stream: true,
    });
    const seen: string[] = [];
    let releasedYet = false;
    for await (const c of stream) {
      const piece = c.choices[0]?.delta.content;
      if (!piece) continue;
      seen.push(`${piece.trim()}:${releasedYet ? "after" : "before"}`);
      if (piece === "first\n") {
        releasedYet = true;
        release();
      }
    }
    expect(seen).toEqual(["first:before", "second:after"]);
  });

  it("records requests with their role, tools and index", async () => {
    const client = await start(() => "ok");
    const tools = [
      {
        type: "function" as const,
        function: { name: "search", parameters: { type: "object", properties: {} } },
      },
    ];
    await client.chat.completions.create({
      model: "m",
      messages: [
        { role: "system", content: `${ROLE_LINE.react}\nMore.` },
        { role: "user", content: "q" },
      ],
      tools,
    });
    await client.chat.completions.create({
      model: "m",
      messages: [
        { role: "system", content: ROLE_LINE.planner },
        { role: "user", content: "q" },
      ],
    });
    expect(server?.requests.map((r) => [r.index, r.role, r.tools?.length])).toEqual([
      [0, "react", 1],
      [1, "planner", undefined],
    ]);
  });

  it("counts tool definitions in the prompt tokens", async () => {
    const client = await start(() => "ok");
    const messages = user("q");
    const bare = await client.chat.completions.create({ model: "m", messages });
    const tools = [
      {
        type: "function" as const,
        function: {
          name: "search",
          description: "Search the web and return the top results",
          parameters: { type: "object", properties: { query: { type: "string" } } },
        },
      },
    ];
    const withTools = await client.chat.completions.create({ model: "m", messages, tools });
    expect(withTools.usage!.prompt_tokens - bare.usage!.prompt_tokens).toBe(
      countTokens(JSON.stringify(tools)),
    );
  });

  it("uses the scripted usage, or none", async () => {
    const client = await start([
      { content: "x", usage: { prompt_tokens: 7, completion_tokens: 9 } },
      { content: "y", usage: false },
    ]);
    const a = await client.chat.completions.create({ model: "m", messages: user("q") });
    const b = await client.chat.completions.create({ model: "m", messages: user("q") });
    expect(a.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 9, total_tokens: 16 });
    expect(b.usage).toBeUndefined();
  });

  it("drops the connection mid-stream", async () => {
    const client = await start([{ content: "one two three four five six", dropAfterChunks: 3 }]);
    const stream = await client.chat.completions.create({
      model: "m",
      messages: user("q"),
      stream: true,
    });
    await expect(collect(stream)).rejects.toThrow();
  });

  it("groups tokens per chunk and paces them by the stated speed", async () => {
    const text = "one two three four five six seven eight";
    // Fast enough for a test; only order and grouping are asserted.
    const client = await start([text], { tokensPerSecond: 2000, tokensPerChunk: 3, ttftMs: 5 });
    const pieces = contentOf(
      await collect(
        await client.chat.completions.create({ model: "m", messages: user("q"), stream: true }),
      ),
    );
    expect(pieces.join("")).toBe(text);
    expect(pieces.length).toBe(Math.ceil(countTokens(text) / 3));
  });
});

describe("tokenPieces", () => {
  it("cuts text at token boundaries without breaking characters", () => {
    for (const text of [
      "",
      "plain words",
      "emoji 🧵🪡 and ünïcödé — “quotes”",
      "日本語のテキスト",
    ]) {
      const pieces = tokenPieces(text);
      expect(pieces.map((p) => p.text).join("")).toBe(text);
      expect(pieces.every((p) => !p.text.includes("\uFFFD"))).toBe(true);
      expect(pieces.reduce((n, p) => n + p.tokens, 0)).toBe(countTokens(text));
    }
  });
});
