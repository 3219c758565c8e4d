// The only module that talks to the `openai` package: one chat completion at
// a time, streamed or not, with usage from the API or counted with
// gpt-tokenizer, timings from the ask's clock, and every failure turned into
// an LlmError with a one-line message that names the server.
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParams,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { countTokens as tokenize } from "gpt-tokenizer";
import type {
  AgentErrorKind,
  AgentEvent,
  AgentOptions,
  LlmCallRecord,
  LlmRole,
  LlmUsage,
  Usage,
} from "./types.js";

const DEFAULT_TIMEOUT_MS = 120_000;
/** Sent as the key to local servers that want none (the client insists on one). */
const PLACEHOLDER_KEY = "not-needed";

export class LlmError extends Error {
  constructor(
    readonly kind: AgentErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "LlmError";
  }
}

// ## Client

export function makeClient(
  o: Pick<AgentOptions, "client" | "baseURL" | "apiKey" | "requestTimeoutMs">,
): OpenAI {
  if (o.client) return o.client;
  const baseURL = o.baseURL ?? env("OPENAI_BASE_URL");
  const apiKey = o.apiKey ?? env("OPENAI_API_KEY");
  if (!baseURL && !apiKey)
    throw new LlmError(
      "config",
      "no model server: pass --base-url URL (or set OPENAI_BASE_URL) and --api-key / OPENAI_API_KEY",
    );
  return new OpenAI({
    ...(baseURL ? { baseURL } : {}),
    apiKey: apiKey ?? PLACEHOLDER_KEY,
    // The agent decides what to retry (repairs, replans); a silent retry would skew usage.
    maxRetries: 0,
    timeout: o.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
}

function env(name: string): string | undefined {
  const value = process.env[name];
  return value ? value : undefined;
}

// ## Token counting

export function countTokens(text: string): number {
  return text ? tokenize(text) : 0;
}

/** Per-message framing tokens of the chat template (`<|start|>role ... <|end|>`). */
const MESSAGE_OVERHEAD = 3;
/** The tokens that open the assistant's reply. */
const REPLY_PRIMING = 3;

/**
 * Prompt tokens of a request as a chat server counts them: each message's
 * role, text and tool calls with the template's framing, plus the tool
 * definitions (servers render them into the prompt too).
 */
export function countPromptTokens(
  messages: readonly unknown[],
  tools?: readonly unknown[],
): number {
  let n = REPLY_PRIMING;
  for (const m of messages as Record<string, unknown>[]) {
    n += MESSAGE_OVERHEAD + countTokens(String(m["role"] ?? ""));
    n += countTokens(textOf(m["content"]));
    if (typeof m["name"] === "string") n += countTokens(m["name"]);
    if (Array.isArray(m["tool_calls"]))
      for (const call of m["tool_calls"] as { function?: { name?: string; arguments?: string } }[])
        n += countTokens(call.function?.name ?? "") + countTokens(call.function?.arguments ?? "");
  }
  if (tools && tools.length > 0) n += countTokens(JSON.stringify(tools));
  return n;
}

/** A reply's completion tokens, counted: its text and its tool calls' names and arguments. */
function countCompletionTokens(
  text: string,
  toolCalls: Iterable<{ name: string; arguments: string }>,
): number {
  let n = countTokens(text);
  for (const c of toolCalls) n += countTokens(c.name) + countTokens(c.arguments);
  return n;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((part: unknown) =>
        part && typeof part === "object" && "text" in part ? String(part.text) : "",
      )
      .join("");
  return "";
}

// ## Session

export interface ChatOptions {
  role: LlmRole;
  messages: ChatCompletionMessageParam[];
  tools?: ChatCompletionTool[];
  /** Sent only with tools. */
  parallelToolCalls?: boolean;
  /** Default true. */
  stream?: boolean;
  /** Content deltas exactly as they arrive. */
  onText?: (delta: string) => void;
  signal?: AbortSignal;
}

export interface ChatReply {
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string | null;
  record: LlmCallRecord;
}

export interface LlmSessionOptions {
  temperature?: number;
  /** Milliseconds since the ask started. */
  clock: () => number;
  onEvent?: (e: AgentEvent) => void;
  /**
   * A request fails when the server is silent this long: before the reply
   * starts, or between two chunks of a stream (default: the client's timeout).
   */
  requestTimeoutMs?: number;
}

/** One per ask: makes the LLM calls and keeps a record of each. */
export class LlmSession {
  private readonly calls: LlmCallRecord[] = [];

  constructor(
    private readonly client: OpenAI,
    private readonly model: string,
    private readonly opts: LlmSessionOptions,
  ) {}

  usage(): Usage {
    return {
      llmCalls: this.calls.length,
      promptTokens: this.calls.reduce((n, c) => n + c.usage.promptTokens, 0),
      completionTokens: this.calls.reduce((n, c) => n + c.usage.completionTokens, 0),
      calls: [...this.calls],
    };
  }

  async chat(o: ChatOptions): Promise<ChatReply> {
    const { clock, onEvent } = this.opts;
    // A request never sent is not a call: no events, nothing counted.
    if (o.signal?.aborted) throw new LlmError("cancelled", "cancelled");
    const start = clock();
    onEvent?.({ type: "llm-start", role: o.role, t: start });

    // One controller for the caller's signal and the silence timer, so that
    // a stream that stops mid-reply fails too (the client's own timeout only
    // covers the wait for the response headers).
    const timeoutMs = this.opts.requestTimeoutMs ?? this.client.timeout ?? DEFAULT_TIMEOUT_MS;
    const controller = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
    };
    const cancel = (): void => controller.abort();
    o.signal?.addEventListener("abort", cancel, { once: true });
    arm();

    const stream = o.stream ?? true;
    const params = {
      model: this.model,
      messages: o.messages,
      ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
      ...(o.tools && o.tools.length > 0
        ? {
            tools: o.tools,
            ...(o.parallelToolCalls !== undefined
              ? { parallel_tool_calls: o.parallelToolCalls }
              : {}),
          }
        : {}),
    };
    const progress: Progress = { responded: false, text: "", toolCalls: new Map() };
    try {
      const reply = stream
        ? await this.streamed(params, o, controller.signal, arm, progress)
        : await this.whole(params, controller.signal, progress);
      const usage: LlmUsage = reply.usage ?? {
        promptTokens: countPromptTokens(o.messages, o.tools),
        completionTokens: countCompletionTokens(reply.text, reply.toolCalls),
        source: "tokenizer",
      };
      const end = clock();
      const record: LlmCallRecord = {
        role: o.role,
        usage,
        start,
        ...(reply.firstToken !== undefined ? { firstToken: reply.firstToken } : {}),
        end,
      };
      this.calls.push(record);
      onEvent?.({ type: "llm-end", role: o.role, t: end, usage });
      return {
        text: reply.text,
        toolCalls: reply.toolCalls,
        finishReason: reply.finishReason,
        record,
      };
    } catch (e) {
      const error =
        e instanceof LlmError
          ? e
          : this.explain(e, { cancelled: o.signal?.aborted === true, timedOut, timeoutMs });
      this.failed(o, start, progress, error);
      throw error;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", cancel);
    }
  }

  /**
   * A failed request still counts as a call, with what it is known to have
   * cost: the completion tokens that arrived, and the prompt tokens (counted
   * with the tokenizer) unless the server refused the request with an error
   * status or was never reached — a server that timed out, was cancelled or
   * cut its stream had taken the prompt.
   */
  private failed(o: ChatOptions, start: number, progress: Progress, error: LlmError): void {
    const refused = error.kind === "http" || (error.kind === "connection" && !progress.responded);
    const usage: LlmUsage = {
      promptTokens: refused ? 0 : countPromptTokens(o.messages, o.tools),
      completionTokens: countCompletionTokens(progress.text, progress.toolCalls.values()),
      source: "tokenizer",
    };
    const end = this.opts.clock();
    const failure = { kind: error.kind, message: error.message };
    const record: LlmCallRecord = {
      role: o.role,
      usage,
      start,
      ...(progress.firstToken !== undefined ? { firstToken: progress.firstToken } : {}),
      end,
      error: failure,
    };
    this.calls.push(record);
    this.opts.onEvent?.({ type: "llm-end", role: o.role, t: end, usage, error: failure });
  }

  // ## Streamed and whole replies

  private async streamed(
    params: Omit<ChatCompletionCreateParams, "stream">,
    o: ChatOptions,
    signal: AbortSignal,
    alive: () => void,
    progress: Progress,
  ): Promise<Reply> {
    const stream = await this.client.chat.completions.create(
      { ...params, stream: true, stream_options: { include_usage: true } },
      { signal },
    );
    progress.responded = true;
    let finishReason: string | null = null;
    let usage: LlmUsage | undefined;
    const calls = progress.toolCalls;
    for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      alive();
      if (chunk.usage) usage = fromApi(chunk.usage);
      const choice = chunk.choices[0];
      if (!choice) continue;
      const delta = choice.delta;
      if (delta?.content) {
        progress.firstToken ??= this.opts.clock();
        progress.text += delta.content;
        o.onText?.(delta.content);
      }
      for (const part of delta?.tool_calls ?? []) {
        progress.firstToken ??= this.opts.clock();
        const call = calls.get(part.index) ?? { id: "", name: "", arguments: "" };
        if (part.id) call.id = part.id;
        if (part.function?.name) call.name += part.function.name;
        if (part.function?.arguments) call.arguments += part.function.arguments;
        calls.set(part.index, call);
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    // The client's stream ends quietly when aborted: a cut reply is a failure, not an answer.
    if (signal.aborted) throw new APIUserAbortError();
    const toolCalls = [...calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({ ...c, id: c.id || `call_${index}` }));
    return {
      text: progress.text,
      toolCalls,
      finishReason,
      usage,
      firstToken: progress.firstToken,
    };
  }

  private async whole(
    params: Omit<ChatCompletionCreateParams, "stream">,
    signal: AbortSignal,
    progress: Progress,
  ): Promise<Reply> {
    const completion = await this.client.chat.completions.create(
      { ...params, stream: false },
      { signal },
    );
    progress.responded = true;
    const firstToken = this.opts.clock();
    const choice = completion.choices[0];
    const toolCalls = (choice?.message.tool_calls ?? []).flatMap((c, i) =>
      c.type === "function"
        ? [{ id: c.id || `call_${i}`, name: c.function.name, arguments: c.function.arguments }]
        : [],
    );
    return {
      text: choice?.message.content ?? "",
      toolCalls,
      finishReason: choice?.finish_reason ?? null,
      usage: completion.usage ? fromApi(completion.usage) : undefined,
      firstToken,
    };
  }

  // ## Errors

  private explain(
    e: unknown,
    why: { cancelled: boolean; timedOut: boolean; timeoutMs: number },
  ): LlmError {
    const url = this.client.baseURL;
    if (why.cancelled) return new LlmError("cancelled", "cancelled");
    if (why.timedOut || e instanceof APIConnectionTimeoutError)
      return new LlmError(
        "timeout",
        `the model server at ${url} did not answer within ${why.timeoutMs} ms`,
      );
    if (e instanceof APIUserAbortError) return new LlmError("cancelled", "cancelled");
    if (e instanceof APIError && e.status !== undefined) {
      const detail = errorMessage(e.error) ?? e.message.replace(/^\d+\s*/, "");
      return new LlmError(
        "http",
        `the model server at ${url} answered ${e.status}${detail ? `: ${oneLine(detail)}` : ""}`,
      );
    }
    if (e instanceof APIConnectionError)
      return new LlmError("connection", `cannot reach the model server at ${url}: ${cause(e)}`);
    // A stream cut mid-reply surfaces as a plain error from the body reader.
    return new LlmError(
      "connection",
      `the connection to the model server at ${url} broke: ${cause(e)}`,
    );
  }
}

/** What a request got before it ended: kept when it fails, to count what it cost. */
interface Progress {
  /** The server answered with a success status (the stream began). */
  responded: boolean;
  text: string;
  toolCalls: Map<number, { id: string; name: string; arguments: string }>;
  firstToken?: number;
}

interface Reply {
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string | null;
  usage: LlmUsage | undefined;
  firstToken: number | undefined;
}

function fromApi(u: { prompt_tokens: number; completion_tokens: number }): LlmUsage {
  return { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, source: "api" };
}

function errorMessage(body: unknown): string | undefined {
  if (!body || typeof body !== "object") return undefined;
  const message = (body as { message?: unknown }).message;
  return typeof message === "string" ? message : undefined;
}

/** The innermost reason of a network error: `ECONNREFUSED`, `terminated`... */
function cause(e: unknown): string {
  let reason = e instanceof Error ? e.message : String(e);
  let at: unknown = e;
  for (let depth = 0; depth < 5 && at instanceof Error; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string") reason = code;
    else if (at.message && at !== e) reason = at.message;
    at = at.cause;
  }
  return oneLine(reason);
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
