// The agent's public contract: options, results, usage and timings.
import type OpenAI from "openai";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { AnyTool, ToolSet } from "../compiler/tool.js";
import type { Json } from "../compiler/ir.js";
import type { RunEvent, Trace } from "../runtime/types.js";

/**
 * - `plan`: ReWOO — one planner call, check, run, one solver call.
 * - `stream`: LLMCompiler / Chain-of-Abstraction — calls start while the planner is still writing.
 * - `react`: baseline — native tool calling, one call per turn, the whole conversation re-sent.
 * - `fc`: baseline — native parallel function calling, several calls per turn.
 */
export type AgentMode = "plan" | "stream" | "react" | "fc";

/** The plan language the model writes; the peers' formats are read by `src/compat`. */
export type PlanFormat = "weft" | "rewoo" | "llmcompiler";

/** What an LLM call was for. */
export type LlmRole = "planner" | "repair" | "solver" | "replan" | "react" | "fc";

export interface AgentOptions {
  /** An `openai` client; else one is made from `baseURL` / `apiKey` (or OPENAI_BASE_URL / OPENAI_API_KEY). */
  client?: OpenAI;
  baseURL?: string;
  apiKey?: string;
  model: string;
  tools: Iterable<AnyTool> | ToolSet;
  /** Default `stream`. */
  mode?: AgentMode;
  /** Default `weft`. */
  planFormat?: PlanFormat;
  /** Corrected plans asked for after a plan with errors (default 2). */
  maxRepairs?: number;
  /** New plans the solver may ask for after execution (default 1). */
  maxReplans?: number;
  /** Turns of the react / fc baselines before giving up (default 12). */
  maxTurns?: number;
  /**
   * When a solver call answers (plan / stream modes). `always` (default): after
   * every plan run. `auto`: the planner is told it may end with `return "<the
   * answer as a sentence with $refs>"`; when the final plan ran without an
   * error and returns such a sentence of plain values, that sentence is the
   * answer and no solver call is made. Anything else goes to the solver.
   */
  solver?: "always" | "auto";
  /** Evidence given to the solver, in characters of JSON (default 8000); longer results are cut with a note. */
  maxEvidenceChars?: number;
  /** Extra text for the planner's system prompt. */
  system?: string;
  /** Extra worked examples for the planner: a question and a plan for it. */
  examples?: { question: string; plan: string }[];
  temperature?: number;
  /** Timeout of one LLM request, in ms (default 120,000). */
  requestTimeoutMs?: number;
  /** Limits and caps for running plans (as in `run`). */
  concurrency?: number;
  callTimeoutMs?: number;
  /** Called on every step: LLM requests, plan statements, tool events. */
  onEvent?: (event: AgentEvent) => void;
}

export interface AskOptions {
  signal?: AbortSignal;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  /** `api` when the server reported usage, `tokenizer` when Weft counted it with gpt-tokenizer. */
  source: "api" | "tokenizer";
}

export interface LlmCallRecord {
  role: LlmRole;
  /**
   * For a failed request: completion tokens of what arrived before it failed;
   * prompt tokens counted with the tokenizer when the server took the
   * request (a timeout, a cancel, a cut stream), 0 when it refused it or was
   * never reached (an HTTP error status, a connection error).
   */
  usage: LlmUsage;
  /** Milliseconds since `ask` started. */
  start: number;
  /** When the first content or tool-call token arrived. */
  firstToken?: number;
  end: number;
  /** Set when the request failed: why, in one line. */
  error?: { kind: AgentErrorKind; message: string };
}

export interface Usage {
  llmCalls: number;
  promptTokens: number;
  completionTokens: number;
  calls: LlmCallRecord[];
}

export interface Timings {
  totalMs: number;
  /** From `ask` to the first tool call's start; absent when no tool ran. */
  firstToolStartMs?: number;
  /** When the (last) plan was complete: written and checked. */
  planCompleteMs?: number;
  /** Time spent with tool calls running or pending. */
  executionMs?: number;
  /** The solver's share (the last solver call). */
  solveMs?: number;
}

/** One tool call that really ran (reused calls appear once). */
export interface ToolCallRecord {
  tool: string;
  args: unknown;
  ok: boolean;
  result?: unknown;
  error?: string;
  /** Milliseconds since `ask` started. */
  start: number;
  end?: number;
}

export interface AskResult {
  /** The final answer; empty when `ok` is false. */
  answer: string;
  ok: boolean;
  /** Why it failed, when `ok` is false. */
  error?: AgentError;
  mode: AgentMode;
  /** The last plan, as Weft text (plan / stream modes). */
  plan?: string;
  /** Every plan written, in order: the first, repairs and replans. */
  plans: { role: LlmRole; text: string; diagnostics: Diagnostic[] }[];
  /** Lines of the model's reply that were reasoning, not plan (`Thought:`, prose). */
  notes: string[];
  /** The last plan's result and each binding's value, by binding name. */
  results: Record<string, Json | undefined>;
  usage: Usage;
  timings: Timings;
  /** Every tool call that ran, with timestamps. */
  toolCalls: ToolCallRecord[];
  /** The runtime trace of the last plan run (plan / stream modes). */
  trace?: Trace;
}

export type AgentErrorKind =
  | "config" // no model, no base URL or key
  | "connection" // the server cannot be reached
  | "http" // the server answered with an error status
  | "timeout" // an LLM request timed out
  | "cancelled" // the signal aborted
  | "invalid-plan" // no valid plan after every repair
  | "run" // the plan ran and failed
  | "turns"; // react / fc never answered within maxTurns

export interface AgentError {
  kind: AgentErrorKind;
  message: string;
  diagnostics?: Diagnostic[];
}

export type AgentEvent =
  | { type: "llm-start"; role: LlmRole; t: number }
  | {
      type: "llm-end";
      role: LlmRole;
      t: number;
      usage: LlmUsage;
      /** Set when the request failed (it still counts in `usage`). */
      error?: { kind: AgentErrorKind; message: string };
    }
  | { type: "statement"; text: string; line: number; t: number }
  | { type: "note"; text: string; t: number }
  | { type: "diagnostics"; diagnostics: Diagnostic[]; t: number }
  | { type: "tool"; event: RunEvent; t: number }
  | { type: "replan"; reason: string; t: number };

export interface Agent {
  ask(question: string, options?: AskOptions): Promise<AskResult>;
  /** The planner's system prompt, as sent. */
  readonly plannerPrompt: string;
}
