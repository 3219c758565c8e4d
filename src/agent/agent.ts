// ## createAgent: a question in, an answer out
// plan / stream modes: the planner writes a Weft plan (or a ReWOO /
// LLMCompiler plan, imported), a plan with errors goes back with its
// diagnostics for repair, the plan runs over the call memo, and the solver
// answers from the evidence or asks for a new plan. In stream mode every plan
// the model writes (first, repaired or new) is dispatched statement by
// statement while it streams. react / fc run the baselines.
//
// Nothing a server, a plan or a tool does makes ask() throw: every failure is
// an AskResult with `ok: false` and an error of a stated kind.
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { compile } from "../compiler/compile.js";
import type { Json, PlanGraph } from "../compiler/ir.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { toolSet, type ToolSet } from "../compiler/tool.js";
import { errorMessage } from "../runtime/call.js";
import type { RunResult } from "../runtime/types.js";
import { runBaseline } from "./baselines.js";
import { directAnswer } from "./direct-answer.js";
import { execute, LiveDispatcher } from "./live.js";
import { LlmError, LlmSession, makeClient } from "./llm.js";
import { CallMemo } from "./memo.js";
import { evidenceText } from "./evidence.js";
import {
  parseSolverReply,
  plannerMessages,
  plannerSystemPrompt,
  repairMessages,
  replanMessages,
  solverMessages,
  type PromptOptions,
} from "./prompt.js";
import { diagnosticsText, noPlan, planFeeder, readPlan, type Written } from "./read-plan.js";
import type {
  Agent,
  AgentError,
  AgentEvent,
  AgentMode,
  AgentOptions,
  AskOptions,
  AskResult,
  LlmRole,
  PlanFormat,
  Timings,
  ToolCallRecord,
} from "./types.js";

export const DEFAULT_MAX_REPAIRS = 2;
export const DEFAULT_MAX_REPLANS = 1;
export const DEFAULT_MAX_TURNS = 12;
export const DEFAULT_MAX_EVIDENCE_CHARS = 8000;

/** Sent to the solver when it may not ask for another plan. */
export const LAST_ROUND =
  "This is the last round: no new plan can be made. Answer now from the evidence, with `Answer: ...`, even if the answer is partial or uncertain.";

export function createAgent(options: AgentOptions): Agent {
  const tools = toolSet(options.tools);
  const prompt: PromptOptions = {
    ...(options.system === undefined ? {} : { system: options.system }),
    ...(options.examples === undefined ? {} : { examples: options.examples }),
    ...(options.planFormat === undefined ? {} : { planFormat: options.planFormat }),
    ...(options.solver === undefined ? {} : { solver: options.solver }),
  };
  return {
    plannerPrompt: plannerSystemPrompt(tools, prompt),
    ask: (question, askOptions) => new Ask(options, tools, prompt, question, askOptions).run(),
  };
}

/** Why a plan loop stopped early: carried to the result as its error. */
class Stop extends Error {
  constructor(readonly error: AgentError) {
    super(error.message);
  }
}

/** A plan ready to run: its Weft text and graph. */
interface ValidPlan {
  text: string;
  graph: PlanGraph;
}

/** A stream dispatcher and the abort of its prefix runs. */
interface Live {
  dispatcher: LiveDispatcher;
  stop: AbortController;
}

/** One ask(): its clock, its LLM session, its memo and everything recorded. */
class Ask {
  readonly #o: AgentOptions;
  readonly #tools: ToolSet;
  readonly #prompt: PromptOptions;
  readonly #question: string;
  readonly #mode: AgentMode;
  readonly #format: PlanFormat;
  readonly #userSignal: AbortSignal | undefined;
  /** Aborted by the user's signal, and at the end of the ask (stops stray calls). */
  readonly #controller = new AbortController();
  readonly #t0 = performance.now();
  readonly #clock = () => performance.now() - this.#t0;
  readonly #toolCalls: ToolCallRecord[] = [];
  readonly #plans: AskResult["plans"] = [];
  readonly #notes: string[] = [];
  /** Stream dispatchers still running prefixes, with their own abort. */
  readonly #live: Live[] = [];
  #llm: LlmSession | undefined;
  #memo: CallMemo | undefined;
  #lastRun: RunResult | undefined;
  #lastGraph: PlanGraph | undefined;
  #lastPlan: string | undefined;
  #planCompleteMs: number | undefined;
  #executionMs: number | undefined;

  constructor(
    o: AgentOptions,
    tools: ToolSet,
    prompt: PromptOptions,
    question: string,
    askOptions: AskOptions | undefined,
  ) {
    this.#o = o;
    this.#tools = tools;
    this.#prompt = prompt;
    this.#question = question;
    this.#mode = o.mode ?? "stream";
    this.#format = o.planFormat ?? "weft";
    this.#userSignal = askOptions?.signal;
  }

  get #signal(): AbortSignal {
    return this.#controller.signal;
  }

  #emit(event: AgentEvent): void {
    try {
      this.#o.onEvent?.(event);
    } catch {
      // A listener's bug must not stop the ask.
    }
  }

  async run(): Promise<AskResult> {
    const user = this.#userSignal;
    const onAbort = () => this.#controller.abort(user?.reason);
    if (user?.aborted === true) onAbort();
    else user?.addEventListener("abort", onAbort, { once: true });
    let outcome: { answer: string } | { error: AgentError };
    try {
      outcome = await this.#work();
    } catch (e) {
      outcome = { error: asAgentError(e) };
    } finally {
      user?.removeEventListener("abort", onAbort);
    }
    // Whatever still runs is not wanted any more; every prefix run is waited for.
    this.#controller.abort();
    await this.#settleLive();
    if (user?.aborted === true) outcome = { error: { kind: "cancelled", message: "cancelled" } };
    return this.#result(outcome);
  }

  async #work(): Promise<{ answer: string } | { error: AgentError }> {
    const o = this.#o;
    if (typeof o.model !== "string" || o.model.trim() === "")
      throw new LlmError(
        "config",
        "no model: pass --model NAME (or set WEFT_MODEL / OPENAI_MODEL)",
      );
    const llm = new LlmSession(makeClient(o), o.model, {
      clock: this.#clock,
      onEvent: (e) => this.#emit(e),
      ...(o.temperature === undefined ? {} : { temperature: o.temperature }),
      ...(o.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: o.requestTimeoutMs }),
    });
    this.#llm = llm;
    if (this.#mode === "react" || this.#mode === "fc") {
      const r = await runBaseline(this.#mode, this.#question, {
        llm,
        tools: this.#tools,
        maxTurns: o.maxTurns ?? DEFAULT_MAX_TURNS,
        signal: this.#signal,
        clock: this.#clock,
        toolCalls: this.#toolCalls,
        onEvent: (e) => this.#emit(e),
        ...(o.callTimeoutMs === undefined ? {} : { callTimeoutMs: o.callTimeoutMs }),
      });
      return r.ok ? { answer: r.answer } : { error: r.error ?? unknownError() };
    }
    this.#memo = new CallMemo(this.#tools, {
      clock: this.#clock,
      signal: this.#signal,
      records: this.#toolCalls,
      onEvent: (event) => this.#emit({ type: "tool", event, t: event.t }),
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    });
    return this.#planAndSolve();
  }

  // ## Plan, run, solve, replan

  async #planAndSolve(): Promise<{ answer: string } | { error: AgentError }> {
    const maxReplans = this.#o.maxReplans ?? DEFAULT_MAX_REPLANS;
    let role: LlmRole = "planner";
    let messages = plannerMessages(this.#question, this.#tools, this.#prompt);
    for (let round = 0; ; round++) {
      const firstCall = this.#toolCalls.length;
      const plan = await this.#writeValidPlan(role, messages);
      this.#planCompleteMs = this.#clock();
      const runStart = this.#clock();
      const running = execute(plan.graph, this.#runOptions());
      // The plans before this one (a broken plan, before its repair) still run
      // prefixes that hold calls, some of them in places under the caps. Once
      // this run has joined the calls it can use (one turn of the event loop:
      // the runtime dispatches on microtasks), the rest is not wanted: left
      // running, a call no plan needs could hold the last place under a cap
      // that this run waits for, for ever.
      await new Promise((resolve) => setImmediate(resolve));
      this.#stopLive(this.#live.at(-1));
      const result = await running;
      this.#lastRun = result;
      this.#lastGraph = plan.graph;
      // The dispatchers' prefixes now hold only calls the plan did not need.
      this.#stopLive();
      const runEnd = this.#clock();
      const firstStart = this.#toolCalls[firstCall]?.start ?? runStart;
      this.#executionMs = (this.#executionMs ?? 0) + (runEnd - Math.min(firstStart, runStart));
      this.#checkCancelled();

      const { values, failures } = this.#bindingResults(plan.graph, result);
      if (this.#o.solver === "auto") {
        const answer = directAnswer(plan.text, result, values);
        if (answer !== undefined) return { answer };
      }
      const evidence = evidenceText(
        plan.text,
        values,
        this.#o.maxEvidenceChars ?? DEFAULT_MAX_EVIDENCE_CHARS,
        failures,
      );
      const last = round >= maxReplans;
      const solver = solverMessages(this.#question, evidence);
      if (last) solver.push({ role: "user", content: LAST_ROUND });
      const reply = await this.#chat("solver", solver);
      const decision = parseSolverReply(reply);
      if (decision.kind === "answer") return { answer: decision.answer };
      if (last)
        return {
          error: {
            kind: "run",
            message: `the solver did not answer after ${round} new plan${round === 1 ? "" : "s"} (maxReplans ${maxReplans}): ${decision.reason}`,
          },
        };
      this.#emit({ type: "replan", reason: decision.reason, t: this.#clock() });
      // A new plan tries the calls that failed again; everything else is reused.
      this.#memo?.forgetFailures();
      role = "replan";
      messages = replanMessages(
        this.#question,
        this.#tools,
        { evidence, reason: decision.reason },
        this.#prompt,
      );
    }
  }

  /** The planner's plan, repaired until it compiles (or `invalid-plan`). */
  async #writeValidPlan(role: LlmRole, messages: ChatCompletionMessageParam[]): Promise<ValidPlan> {
    const maxRepairs = this.#o.maxRepairs ?? DEFAULT_MAX_REPAIRS;
    for (let repairs = 0; ; repairs++) {
      const written = await this.#writePlan(role, messages);
      const compiled = compile(written.text, { tools: this.#tools });
      // A reply of prose only compiles as an empty plan: it is a plan to repair, not an answer.
      if (written.statements.length === 0) compiled.diagnostics.push(noPlan());
      const diagnostics = [...written.importDiagnostics, ...compiled.diagnostics];
      this.#plans.push({ role, text: written.text, diagnostics });
      this.#lastPlan = written.text;
      if (diagnostics.length > 0)
        this.#emit({ type: "diagnostics", diagnostics, t: this.#clock() });
      if (!hasErrors(diagnostics) && compiled.graph !== undefined)
        return { text: written.text, graph: compiled.graph };
      const report = diagnosticsText(written, compiled.diagnostics);
      if (repairs >= maxRepairs)
        throw new Stop({
          kind: "invalid-plan",
          message: `no valid plan after ${repairs} repair${repairs === 1 ? "" : "s"} (maxRepairs ${maxRepairs}):\n${report}`,
          diagnostics,
        });
      this.#memo?.forgetFailures();
      role = "repair";
      messages = repairMessages(this.#question, this.#tools, written.source, report, this.#prompt);
    }
  }

  // ## Writing a plan: one LLM call, streamed into the dispatcher in stream mode

  async #writePlan(role: LlmRole, messages: ChatCompletionMessageParam[]): Promise<Written> {
    const live = this.#mode === "stream" ? this.#newDispatcher() : undefined;
    let notesSent = 0;
    // Each note reaches onEvent when its line is complete, not at the end of the reply.
    const onNotes = (notes: readonly string[]) => {
      for (; notesSent < notes.length; notesSent++)
        this.#emit({ type: "note", text: notes[notesSent] as string, t: this.#clock() });
    };
    const feed = planFeeder(this.#format, live, onNotes);
    const reply = await this.#chat(role, messages, feed.push);
    try {
      feed.end();
    } catch {
      // As for each delta (see `guarded`): a dispatch bug loses dispatching, not the reply.
    }
    const written = readPlan(this.#format, reply);
    this.#notes.push(...written.notes);
    onNotes(written.notes);
    if (live === undefined)
      for (const s of written.statements)
        this.#emit({ type: "statement", text: s.text, line: s.line, t: this.#clock() });
    return written;
  }

  #newDispatcher(): LiveDispatcher {
    const stop = new AbortController();
    const dispatcher = new LiveDispatcher({
      ...this.#runOptions(),
      signal: AbortSignal.any([this.#signal, stop.signal]),
      compileTools: this.#tools,
      onStatement: (s) => {
        this.#emit({ type: "statement", text: s.text, line: s.line, t: this.#clock() });
        if (s.dropped !== undefined)
          this.#emit({ type: "diagnostics", diagnostics: s.dropped, t: this.#clock() });
      },
    });
    this.#live.push({ dispatcher, stop });
    return dispatcher;
  }

  /** Lets go of the prefix runs: calls a plan run joined keep running, the rest stop. */
  #stopLive(keep?: Live): void {
    for (const live of this.#live) if (live !== keep) live.stop.abort();
  }

  async #settleLive(): Promise<void> {
    this.#stopLive();
    await Promise.all(this.#live.map(({ dispatcher }) => dispatcher.settle()));
  }

  // ## Helpers

  /** One LLM call, streamed when `onText` reads the reply as it comes. */
  async #chat(
    role: LlmRole,
    messages: ChatCompletionMessageParam[],
    onText?: (delta: string) => void,
  ): Promise<string> {
    this.#checkCancelled();
    const llm = this.#llm as LlmSession;
    const reply = await llm.chat({
      role,
      messages,
      stream: onText !== undefined,
      signal: this.#signal,
      ...(onText === undefined ? {} : { onText: guarded(onText) }),
    });
    return reply.text;
  }

  #runOptions() {
    const o = this.#o;
    const memo = this.#memo as CallMemo;
    return {
      tools: (graph: PlanGraph) => memo.forPlan(graph),
      signal: this.#signal,
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
      ...(o.callTimeoutMs === undefined ? {} : { callTimeoutMs: o.callTimeoutMs }),
    };
  }

  #checkCancelled(): void {
    if (this.#signal.aborted) throw new Stop({ kind: "cancelled", message: "cancelled" });
  }

  /** Each call binding's result, the failed ones' errors, and the plan's result as `return`. */
  #bindingResults(
    graph: PlanGraph,
    result: RunResult,
  ): { values: Record<string, unknown>; failures: Record<string, string> } {
    const values: Record<string, unknown> = {};
    const failures: Record<string, string> = {};
    const failed = new Map<string, string>();
    for (const e of result.errors) if (e.node !== undefined) failed.set(e.node.id, e.message);
    for (const node of graph.nodes) {
      if (node.binding === undefined) continue;
      if (Object.hasOwn(result.results, node.id)) values[node.binding] = result.results[node.id];
      else if (failed.has(node.id)) failures[node.binding] = failed.get(node.id)!;
      else values[node.binding] = undefined;
    }
    if (result.value !== undefined && !Object.hasOwn(values, "return"))
      values["return"] = result.value;
    return { values, failures };
  }

  #result(outcome: { answer: string } | { error: AgentError }): AskResult {
    const llm = this.#llm;
    const usage = llm?.usage() ?? { llmCalls: 0, promptTokens: 0, completionTokens: 0, calls: [] };
    const timings: Timings = { totalMs: this.#clock() };
    const firstTool = this.#memo?.firstStart ?? this.#toolCalls[0]?.start;
    if (firstTool !== undefined) timings.firstToolStartMs = firstTool;
    if (this.#planCompleteMs !== undefined) timings.planCompleteMs = this.#planCompleteMs;
    const executionMs = this.#executionMs ?? busyMs(this.#toolCalls);
    if (executionMs !== undefined) timings.executionMs = executionMs;
    const solver = usage.calls.filter((c) => c.role === "solver").at(-1);
    if (solver !== undefined) timings.solveMs = solver.end - solver.start;
    const result: AskResult = {
      answer: "answer" in outcome ? outcome.answer : "",
      ok: "answer" in outcome,
      mode: this.#mode,
      plans: this.#plans,
      notes: this.#notes,
      results: this.#results(),
      usage,
      timings,
      toolCalls: this.#toolCalls,
    };
    if ("error" in outcome) result.error = outcome.error;
    if (this.#lastPlan !== undefined) result.plan = this.#lastPlan;
    if (this.#lastRun !== undefined) result.trace = this.#lastRun.trace;
    return result;
  }

  /** The last run's results by binding name, and its value as `return`. */
  #results(): Record<string, Json | undefined> {
    const out: Record<string, Json | undefined> = {};
    const run = this.#lastRun;
    const graph = this.#lastGraph;
    if (run === undefined || graph === undefined) return out;
    for (const node of graph.nodes)
      if (node.binding !== undefined) out[node.binding] = run.results[node.id] as Json | undefined;
    if (!Object.hasOwn(out, "return")) out["return"] = run.value;
    return out;
  }
}

/** An onText that cannot break the stream: a dispatch bug loses dispatching, not the reply. */
function guarded(f: (delta: string) => void): (delta: string) => void {
  let broken = false;
  return (delta) => {
    if (broken) return;
    try {
      f(delta);
    } catch {
      broken = true;
    }
  };
}

/** How long at least one call was running (the baselines have no plan run to time). */
function busyMs(calls: readonly ToolCallRecord[]): number | undefined {
  if (calls.length === 0) return undefined;
  const spans = calls.map((c) => [c.start, c.end ?? c.start] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [from, to] = spans[0] as readonly [number, number];
  for (const [start, end] of spans) {
    if (start > to) {
      total += to - from;
      from = start;
    }
    to = Math.max(to, end);
  }
  return total + (to - from);
}

function asAgentError(e: unknown): AgentError {
  if (e instanceof Stop) return e.error;
  if (e instanceof LlmError) return { kind: e.kind, message: e.message };
  return { kind: "run", message: `internal error: ${errorMessage(e)}` };
}

function unknownError(): AgentError {
  return { kind: "run", message: "failed without a reason" };
}
