// A scripted, loopback OpenAI-compatible server: POST /v1/chat/completions,
// as JSON or as SSE streaming, in the wire format of the real API, so that
// tests and the agent bench go through the real `openai` client. Each request
// is answered by a script (a handler, or a list of replies in order); a speed
// model (time to first token, prompt processing, tokens per second) lets the
// bench stand in for a model server of a stated speed.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { decode, encode } from "gpt-tokenizer";
import {
  countPromptTokens,
  countTokens,
  LlmSession,
  makeClient,
  type LlmSessionOptions,
} from "../../src/agent/llm.js";
import { roleOf } from "../../src/agent/roles.js";
import type { LlmRole } from "../../src/agent/types.js";

// ## The script

export interface ChatRequest {
  /** The parsed JSON body, as sent. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  messages: any[];
  stream: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  tools?: any[];
  /** `roleOf(messages)`: which of the agent's prompts this is. */
  role?: LlmRole;
  /** 0-based count of requests, in arrival order. */
  index: number;
}

export interface ScriptedReply {
  /** The assistant's text. */
  content?: string;
  /** Tool calls; arguments are JSON-encoded by the server (a string is sent as is). */
  toolCalls?: { name: string; arguments: unknown }[];
  /**
   * The exact stream chunks of the content (instead of one token per chunk).
   * An async iterable holds the stream open until it yields or ends.
   */
  chunks?: string[] | AsyncIterable<string>;
  /** Default: counted with gpt-tokenizer; `false` omits usage. */
  usage?: { prompt_tokens: number; completion_tokens: number } | false;
  /** Answer with this HTTP status and an OpenAI-style error body. */
  status?: number;
  error?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (for client timeouts). */
  hang?: boolean;
  /** Destroy the socket after this many SSE events. */
  dropAfterChunks?: number;
}

export type Handler = (
  req: ChatRequest,
) => ScriptedReply | string | Promise<ScriptedReply | string>;

/** The model speed the server imitates; without one, it answers at once. */
export interface ServerSpeed {
  /** Time to first token, before prompt processing (ms). */
  ttftMs?: number;
  /** Output tokens per second. */
  tokensPerSecond?: number;
  /** Prompt tokens processed per second before the first token. */
  prefillTokensPerSecond?: number;
  /** Tokens per SSE event (default 1). */
  tokensPerChunk?: number;
}

export interface FakeOpenAI {
  /** `http://127.0.0.1:PORT/v1` */
  baseURL: string;
  /** Every request received, in order. */
  requests: ChatRequest[];
  close(): Promise<void>;
}

// ## The server

export async function startFakeOpenAI(
  script: Handler | (ScriptedReply | string)[],
  speed: ServerSpeed = {},
): Promise<FakeOpenAI> {
  const requests: ChatRequest[] = [];
  const sockets = new Set<Socket>();
  const handler: Handler = Array.isArray(script)
    ? (req) =>
        script[req.index] ?? {
          status: 500,
          error: `fake server: no scripted reply for request ${req.index + 1} (${script.length} scripted)`,
        }
    : script;

  const server = createServer((req, res) => {
    void serve(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, `fake server: ${String(e)}`);
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      sendError(res, 404, `fake server: no route ${req.method ?? "?"} ${req.url ?? "?"}`);
      return;
    }
    const raw = await readBody(req);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      sendError(res, 400, "fake server: the body is not JSON");
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const messages: any[] = Array.isArray(body.messages) ? body.messages : [];
    const request: ChatRequest = {
      body,
      messages,
      stream: body.stream === true,
      tools: Array.isArray(body.tools) ? body.tools : undefined,
      role: roleOf(messages),
      index: requests.length,
    };
    requests.push(request);

    // Stop writing (and waiting) when the client goes away: a timeout or an abort.
    const gone = new AbortController();
    res.on("close", () => gone.abort());

    const scripted = await handler(request);
    const reply: ScriptedReply = typeof scripted === "string" ? { content: scripted } : scripted;
    if (reply.hang) return; // the socket stays open until the client gives up or close()
    if (reply.delayMs) await pause(reply.delayMs, gone.signal);
    if (gone.signal.aborted) return;
    if (reply.status !== undefined && reply.status >= 400) {
      sendError(res, reply.status, reply.error ?? `fake server: status ${reply.status}`);
      return;
    }
    const promptTokens = countPromptTokens(messages, request.tools);
    const preamble = (speed.ttftMs ?? 0) + prefillMs(promptTokens, speed);
    if (request.stream) await streamReply(res, body, reply, promptTokens, preamble, gone.signal);
    else await jsonReply(res, body, reply, promptTokens, preamble, gone.signal);
  }

  // ## JSON replies

  async function jsonReply(
    res: ServerResponse,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    body: any,
    reply: ScriptedReply,
    promptTokens: number,
    preamble: number,
    signal: AbortSignal,
  ): Promise<void> {
    const content = reply.content ?? (Array.isArray(reply.chunks) ? reply.chunks.join("") : "");
    const calls = toolCallsOf(reply);
    const completionTokens = completionTokensOf(content, calls);
    const writing = speed.tokensPerSecond ? (completionTokens / speed.tokensPerSecond) * 1000 : 0;
    await pause(preamble + writing, signal);
    if (signal.aborted) return;
    const message: Record<string, unknown> = { role: "assistant", content: content || null };
    if (calls.length > 0)
      message["tool_calls"] = calls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments },
      }));
    const json: Record<string, unknown> = {
      id: "chatcmpl-fake",
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? "fake",
      choices: [
        {
          index: 0,
          message,
          finish_reason: calls.length > 0 ? "tool_calls" : "stop",
          logprobs: null,
        },
      ],
    };
    const usage = usageOf(reply, promptTokens, completionTokens);
    if (usage) json["usage"] = usage;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(json));
  }

  // ## SSE streaming

  async function streamReply(
    res: ServerResponse,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    body: any,
    reply: ScriptedReply,
    promptTokens: number,
    preamble: number,
    signal: AbortSignal,
  ): Promise<void> {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    res.flushHeaders();
    const includeUsage = body.stream_options?.include_usage === true;
    const base = {
      id: "chatcmpl-fake",
      object: "chat.completion.chunk",
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? "fake",
    };
    let events = 0;
    /** Writes one SSE event; false once the socket is gone or dropped on purpose. */
    const send = (payload: unknown): boolean => {
      if (signal.aborted || res.destroyed) return false;
      events++;
      if (reply.dropAfterChunks !== undefined && events >= reply.dropAfterChunks) {
        // Cut once this event reached the client, as a broken connection would.
        res.write(`data: ${JSON.stringify(payload)}\n\n`, () => res.destroy());
        return false;
      }
      res.write(`data: ${JSON.stringify(payload)}\n\n`);
      return true;
    };
    const chunk = (delta: unknown, finish: string | null = null): unknown => ({
      ...base,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...(includeUsage ? { usage: null } : {}),
    });

    await pause(preamble, signal);
    // Every token is due at a fixed time from the first one: no drift from
    // timer lateness, however many chunks there are.
    const t0 = Date.now();
    let token = 0;
    const paced = async (tokens: number): Promise<void> => {
      token += tokens;
      if (!speed.tokensPerSecond) return;
      const due = t0 + ((token - 1) / speed.tokensPerSecond) * 1000;
      await pause(due - Date.now(), signal);
    };

    if (!send(chunk({ role: "assistant", content: "" }))) return;
    let content = "";
    if (reply.chunks && !Array.isArray(reply.chunks)) {
      for await (const piece of reply.chunks) {
        content += piece;
        if (!send(chunk({ content: piece }))) return;
      }
    } else {
      const pieces = Array.isArray(reply.chunks)
        ? reply.chunks.map((p) => ({ text: p, tokens: Math.max(1, countTokens(p)) }))
        : tokenPieces(reply.content ?? "", speed.tokensPerChunk ?? 1);
      for (const piece of pieces) {
        await paced(piece.tokens);
        content += piece.text;
        if (!send(chunk({ content: piece.text }))) return;
      }
    }
    const calls = toolCallsOf(reply);
    for (const [index, call] of calls.entries()) {
      await paced(1);
      const head = {
        index,
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: "" },
      };
      if (!send(chunk({ tool_calls: [head] }))) return;
      for (const piece of tokenPieces(call.arguments, speed.tokensPerChunk ?? 1)) {
        await paced(piece.tokens);
        if (!send(chunk({ tool_calls: [{ index, function: { arguments: piece.text } }] }))) return;
      }
    }
    if (!send(chunk({}, calls.length > 0 ? "tool_calls" : "stop"))) return;
    const usage = usageOf(reply, promptTokens, completionTokensOf(content, calls));
    if (includeUsage && usage && !send({ ...base, choices: [], usage })) return;
    if (signal.aborted || res.destroyed) return;
    res.end("data: [DONE]\n\n");
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeOpenAI = {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        running.delete(fake);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  running.add(fake);
  return fake;
}

/** An LLM session through the real client, on a new scripted server. */
export async function fakeSession(
  script: Handler | (ScriptedReply | string)[],
  model: string,
  options: LlmSessionOptions,
): Promise<{ server: FakeOpenAI; llm: LlmSession }> {
  const server = await startFakeOpenAI(script);
  const llm = new LlmSession(
    makeClient({ baseURL: server.baseURL, apiKey: "test" }),
    model,
    options,
  );
  return { server, llm };
}

/** The servers started and not yet closed. */
const running = new Set<FakeOpenAI>();

/** Closes every server still running: a test file's `afterEach(closeFakeOpenAIs)`. */
export async function closeFakeOpenAIs(): Promise<void> {
  await Promise.all([...running].map((fake) => fake.close()));
}

// ## Helpers

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (b: Buffer) => parts.push(b));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function sendError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(
    JSON.stringify({
      error: {
        message,
        type: status >= 500 ? "server_error" : "invalid_request_error",
        param: null,
        code: null,
      },
    }),
  );
}

/** Resolves after `ms`, or at once when the client went away. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}

function prefillMs(promptTokens: number, speed: ServerSpeed): number {
  return speed.prefillTokensPerSecond ? (promptTokens / speed.prefillTokensPerSecond) * 1000 : 0;
}

interface WireCall {
  id: string;
  name: string;
  arguments: string;
}

let callIds = 0;
function toolCallsOf(reply: ScriptedReply): WireCall[] {
  return (reply.toolCalls ?? []).map((c) => ({
    id: `call_${++callIds}`,
    name: c.name,
    arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments ?? {}),
  }));
}

function completionTokensOf(content: string, calls: WireCall[]): number {
  return (
    countTokens(content) +
    calls.reduce((n, c) => n + countTokens(c.name) + countTokens(c.arguments), 0)
  );
}

function usageOf(
  reply: ScriptedReply,
  promptTokens: number,
  completionTokens: number,
): { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined {
  if (reply.usage === false) return undefined;
  const u = reply.usage ?? { prompt_tokens: promptTokens, completion_tokens: completionTokens };
  return { ...u, total_tokens: u.prompt_tokens + u.completion_tokens };
}

/**
 * The text cut at token boundaries, `perChunk` tokens a piece. A token that
 * ends inside a multi-byte character is joined with the next one, so every
 * piece is valid text and the pieces concatenate to the text.
 */
export function tokenPieces(text: string, perChunk = 1): { text: string; tokens: number }[] {
  const tokens = encode(text);
  const pieces: { text: string; tokens: number }[] = [];
  let start = 0;
  while (start < tokens.length) {
    let end = Math.min(tokens.length, start + Math.max(1, perChunk));
    let piece = decode(tokens.slice(start, end));
    while (piece.endsWith("\uFFFD") && end < tokens.length)
      piece = decode(tokens.slice(start, ++end));
    pieces.push({ text: piece, tokens: end - start });
    start = end;
  }
  if (pieces.map((p) => p.text).join("") !== text) return [{ text, tokens: tokens.length }];
  return pieces;
}
