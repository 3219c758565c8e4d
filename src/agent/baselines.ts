// The baselines Weft is measured against, on the same model and tools:
// - react: the standard loop over native tool calling, one call per turn;
// - fc: native parallel function calling, every call of a turn at once.
// Both re-send the whole conversation each turn: that is what they cost.
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { z } from "zod";
import type { AnyTool, ToolSet } from "../compiler/tool.js";
import { CallTimeout, errorMessage } from "../runtime/call.js";
import type { NodeRef, RunEvent } from "../runtime/types.js";
import { LlmError, type ChatReply, type LlmSession } from "./llm.js";
import { ROLE_LINE } from "./roles.js";
import { functionTools, nameMap, type NameMap } from "./tools-json.js";
import type { AgentError, AgentEvent, ToolCallRecord } from "./types.js";

export type BaselineKind = "react" | "fc";

export interface BaselineEnv {
  llm: LlmSession;
  tools: ToolSet;
  maxTurns: number;
  signal?: AbortSignal;
  /** Milliseconds since the ask started. */
  clock: () => number;
  /** Timeout of one tool call (else the tool's own `timeoutMs`). */
  callTimeoutMs?: number;
  /** Every tool call that really ran is pushed here when it starts. */
  toolCalls: ToolCallRecord[];
  onEvent?: (e: AgentEvent) => void;
}

export interface BaselineResult {
  ok: boolean;
  answer: string;
  error?: AgentError;
}

const INSTRUCTIONS =
  "Use the tools to look up facts and to compute; do not guess. " +
  "When you know the answer, reply with the answer only.";

export function systemPrompt(kind: BaselineKind): string {
  return `${ROLE_LINE[kind]}\n${INSTRUCTIONS}`;
}

export async function runBaseline(
  kind: BaselineKind,
  question: string,
  env: BaselineEnv,
): Promise<BaselineResult> {
  const names = nameMap(env.tools);
  const tools = functionTools(env.tools, names);
  const messages: ChatCompletionMessageParam[] = [
    { role: "system", content: systemPrompt(kind) },
    { role: "user", content: question },
  ];
  try {
    for (let turn = 0; turn < env.maxTurns; turn++) {
      const reply = await env.llm.chat({
        role: kind,
        messages,
        ...(tools.length > 0 ? { tools, parallelToolCalls: kind === "fc" } : {}),
        ...(env.signal ? { signal: env.signal } : {}),
      });
      if (reply.toolCalls.length === 0) return { ok: true, answer: reply.text.trim() };
      messages.push(assistantMessage(reply));
      const results =
        kind === "fc"
          ? await Promise.all(reply.toolCalls.map((c) => callTool(c, names, env)))
          : await oneAtATime(reply.toolCalls, names, env);
      if (env.signal?.aborted) return cancelled();
      reply.toolCalls.forEach((call, i) =>
        messages.push({ role: "tool", tool_call_id: call.id, content: results[i] ?? "" }),
      );
    }
    return {
      ok: false,
      answer: "",
      error: { kind: "turns", message: `no answer after ${env.maxTurns} turns (maxTurns)` },
    };
  } catch (e) {
    if (e instanceof LlmError)
      return { ok: false, answer: "", error: { kind: e.kind, message: e.message } };
    throw e;
  }
}

const cancelled = (): BaselineResult => ({
  ok: false,
  answer: "",
  error: { kind: "cancelled", message: "cancelled" },
});

function assistantMessage(reply: ChatReply): ChatCompletionMessageParam {
  return {
    role: "assistant",
    content: reply.text || null,
    tool_calls: reply.toolCalls.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    })),
  };
}

/** react runs the first call; every other call of the turn gets an answer saying so (the API wants one per call). */
async function oneAtATime(
  calls: ChatReply["toolCalls"],
  names: NameMap,
  env: BaselineEnv,
): Promise<string[]> {
  const [first, ...rest] = calls;
  const result = first ? await callTool(first, names, env) : "";
  return [
    result,
    ...rest.map(
      () => "Error: call one tool at a time; this call was not run. Call it again in a later turn.",
    ),
  ];
}

// ## One tool call

/** Runs one call and returns the tool message's text; failures become text the model can read. */
async function callTool(
  call: ChatReply["toolCalls"][number],
  names: NameMap,
  env: BaselineEnv,
): Promise<string> {
  const name = names.toTool.get(call.name);
  const tool = name === undefined ? undefined : env.tools.get(name);
  if (!tool)
    return `Error: there is no tool ${JSON.stringify(call.name)}; the tools are ${[...env.tools.keys()].map((n) => names.toFunction.get(n)).join(", ")}.`;
  let raw: unknown;
  try {
    raw = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
  } catch {
    return `Error: the arguments of ${call.name} are not valid JSON: ${call.arguments}`;
  }
  const parsed = tool.input.safeParse(raw);
  if (!parsed.success)
    return `Error: invalid arguments for ${call.name}:\n${z.prettifyError(parsed.error)}`;
  if (env.signal?.aborted) return "Error: cancelled";
  return execute(tool, call.id, parsed.data, env);
}

async function execute(
  tool: AnyTool,
  id: string,
  args: unknown,
  env: BaselineEnv,
): Promise<string> {
  const node: NodeRef = { id, kind: "call", tool: tool.name };
  const emit = (event: RunEvent): void => env.onEvent?.({ type: "tool", event, t: event.t });
  const record: ToolCallRecord = { tool: tool.name, args, ok: false, start: env.clock() };
  env.toolCalls.push(record);
  emit({ type: "started", node, attempt: 1, t: record.start });

  const controller = new AbortController();
  const signal = env.signal ? AbortSignal.any([env.signal, controller.signal]) : controller.signal;
  const timeoutMs = env.callTimeoutMs ?? tool.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    if (timeoutMs === undefined) return;
    timer = setTimeout(() => {
      reject(new CallTimeout(timeoutMs));
      controller.abort();
    }, timeoutMs);
  });
  const aborted = new Promise<never>((_, reject) => {
    const stop = (): void => reject(new Error("cancelled"));
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
  try {
    // Settled losers of the race must not surface as unhandled rejections.
    timeout.catch(() => undefined);
    aborted.catch(() => undefined);
    const result: unknown = await Promise.race([
      (async () => tool.run(args as never, { signal, attempt: 1, node: { id } }))(),
      timeout,
      aborted,
    ]);
    // Before the call counts as done: a result with no JSON form (a BigInt) fails it.
    const text = typeof result === "string" ? result : JSON.stringify(result ?? null);
    record.ok = true;
    record.result = result;
    record.end = env.clock();
    emit({ type: "finished", node, t: record.end, durationMs: record.end - record.start });
    return text;
  } catch (e) {
    const message = errorMessage(e);
    record.error = message;
    record.end = env.clock();
    emit({ type: "failed", node, error: message, t: record.end });
    return `Error: ${tool.name} failed: ${message}`;
  } finally {
    clearTimeout(timer);
    // Ends a tool that ignores its signal as far as we are concerned; aborting
    // our own controller also releases the listener on the ask's signal.
    controller.abort();
  }
}
