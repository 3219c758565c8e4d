// `weft ask "QUESTION" --tools MODULE`: answer a question with an LLM agent
// over the tools, against any OpenAI-compatible server.
// Exit: 0 answered; 1 the agent failed (no server, server error, timeout, no
// valid plan, the run failed); 2 usage (bad flags, no model, tools module);
// 130 interrupted.
import { Option, type Command } from "commander";
import { createAgent } from "../../agent/agent.js";
import type { AgentEvent, AgentMode, AskResult, LlmRole, PlanFormat } from "../../agent/types.js";
import { renderDiagnostics } from "../../diagnostics/render.js";
import type { RunEvent } from "../../runtime/types.js";
import { UsageError, type Io } from "../io.js";
import { parseMs } from "../run-flags.js";
import { addToolFlags, hasToolSource, openTools, type ToolFlags } from "../tool-flags.js";
import { outputPath, writeJsonFile } from "../output-file.js";

export interface AskFlags extends ToolFlags {
  mode?: AgentMode;
  planFormat?: PlanFormat;
  solver?: "always" | "auto";
  maxRepairs?: string;
  maxReplans?: string;
  timeout?: string;
  json?: boolean;
  trace?: string;
  showPlan?: boolean;
  verbose?: boolean;
}

export const EXIT_INTERRUPTED = 130;

export function registerAsk(program: Command, io: Io, setExit: (code: number) => void): void {
  const ask = program
    .command("ask")
    .description(
      "answer a question with an LLM agent that plans the tool calls in Weft (any OpenAI-compatible server)",
    )
    .argument("<question>", "the question, in quotes");
  addToolFlags(ask)
    .option("-m, --model <name>", "the model (default: $WEFT_MODEL, else $OPENAI_MODEL)")
    .option(
      "--base-url <url>",
      "OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (default: $OPENAI_BASE_URL)",
    )
    .option("--api-key <key>", "API key (default: $OPENAI_API_KEY; local servers need none)")
    .addOption(
      new Option(
        "--mode <mode>",
        "plan: plan, run, solve; stream: run calls while the plan streams; react / fc: the native tool-calling baselines",
      )
        .choices(["plan", "stream", "react", "fc"])
        .default("stream"),
    )
    .addOption(
      new Option("--plan-format <format>", "the plan format the model writes")
        .choices(["weft", "rewoo", "llmcompiler"])
        .default("weft"),
    )
    .addOption(
      new Option(
        "--solver <when>",
        'always: a solver call answers from the results; auto: a plan that returns the answer as a sentence ("... $ref ...") is the answer, with no solver call',
      )
        .choices(["always", "auto"])
        .default("always"),
    )
    .option("--max-repairs <n>", "corrected plans asked for after a plan with errors (default 2)")
    .option("--max-replans <n>", "new plans the solver may ask for after a run (default 1)")
    .option(
      "--timeout <ms>",
      "deadline for the whole ask, in milliseconds (also bounds each LLM request)",
    )
    .option(
      "--json",
      "print { answer, ok, plan, mode, usage, timings, toolCalls, notes, error? } as JSON",
    )
    .option("--trace <file>", "write the run's trace, the tool calls and the usage as JSON")
    .option("--show-plan", "print the plans the model wrote, and its notes, on stderr")
    .option("-v, --verbose", "print every step on stderr: LLM calls, statements, tool calls")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        '  weft ask "Which is larger, Tokyo or Paris?" --tools examples/tools.ts \\',
        "      --base-url http://localhost:11434/v1 --model qwen2.5:7b",
        '  OPENAI_API_KEY=... weft ask "..." --tools tools.ts --model gpt-4o-mini --mode plan --json',
        "",
        "Exit status: 0 answered, 1 the agent failed (no server, server error, timeout, no valid",
        "plan, a failed run), 2 usage error (bad flag, no model, tools module), 130 interrupted.",
      ].join("\n"),
    )
    .action(async (question: string, flags: AskFlags) => {
      setExit(await runAsk(question, flags, io));
    });
}

/** A whole number >= 0. */
function count(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new UsageError(`${flag} expects a whole number (0 or more), got \`${text}\``);
  return Number(text);
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : v;
}

export async function runAsk(question: string, flags: AskFlags, io: Io): Promise<number> {
  if (question.trim() === "") throw new UsageError("the question is empty");
  const model = flags.model ?? env("WEFT_MODEL") ?? env("OPENAI_MODEL");
  if (model === undefined)
    throw new UsageError("no model: pass --model NAME (or set WEFT_MODEL or OPENAI_MODEL)");
  const maxRepairs = count("--max-repairs", flags.maxRepairs);
  const maxReplans = count("--max-replans", flags.maxReplans);
  const timeoutMs = parseMs("--timeout", flags.timeout);
  const tracePath =
    flags.trace === undefined ? undefined : await outputPath("--trace", flags.trace, io.cwd);
  if (!hasToolSource(flags))
    throw new UsageError("no tools: pass --tools MODULE (or --std, --mcp COMMAND)");

  // llm.complete of the standard library talks to the same server and model.
  const opened = await openTools({ ...flags, model }, io);
  try {
    return await askWith(question, flags, io, {
      model,
      tools: opened.tools,
      maxRepairs,
      maxReplans,
      timeoutMs,
      tracePath,
    });
  } finally {
    await opened.close();
  }
}

interface Parsed {
  model: string;
  tools: Awaited<ReturnType<typeof openTools>>["tools"];
  maxRepairs: number | undefined;
  maxReplans: number | undefined;
  timeoutMs: number | undefined;
  tracePath: string | undefined;
}

async function askWith(question: string, flags: AskFlags, io: Io, p: Parsed): Promise<number> {
  const json = flags.json === true;
  const verbose = flags.verbose === true;
  // Without --base-url / --api-key the agent's client reads OPENAI_BASE_URL / OPENAI_API_KEY.
  const { baseUrl: baseURL, apiKey } = flags;
  const agent = createAgent({
    model: p.model,
    tools: p.tools,
    mode: flags.mode ?? "stream",
    planFormat: flags.planFormat ?? "weft",
    solver: flags.solver ?? "always",
    ...(baseURL === undefined ? {} : { baseURL }),
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(p.maxRepairs === undefined ? {} : { maxRepairs: p.maxRepairs }),
    ...(p.maxReplans === undefined ? {} : { maxReplans: p.maxReplans }),
    ...(p.timeoutMs === undefined ? {} : { requestTimeoutMs: p.timeoutMs }),
    ...(verbose ? { onEvent: verboseLog(io) } : {}),
  });

  const controller = new AbortController();
  let interrupted = false;
  let timedOut = false;
  const stopListening = io.onInterrupt?.(() => {
    interrupted = true;
    controller.abort(new Error("interrupted"));
  });
  const timer =
    p.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new Error("timed out"));
        }, p.timeoutMs);
  let result: AskResult;
  try {
    result = await agent.ask(question, { signal: controller.signal });
  } finally {
    clearTimeout(timer);
    stopListening?.();
  }

  if (flags.showPlan === true) io.stderr(plansText(result));
  if (json) io.stdout(`${JSON.stringify(jsonReport(result, timedOut), null, 2)}\n`);
  else {
    if (result.ok) io.stdout(result.answer.endsWith("\n") ? result.answer : `${result.answer}\n`);
    // After a failure before any model call, the line would only say "0".
    if (result.ok || result.usage.llmCalls > 0) io.stderr(`weft: ${summary(result)}\n`);
  }
  if (!result.ok && !json) io.stderr(errorText(result, timedOut, p.timeoutMs, interrupted));
  if (p.tracePath !== undefined) {
    const problem = await writeJsonFile(p.tracePath, traceData(result));
    if (problem !== undefined)
      io.stderr(`weft: warning: cannot write trace ${flags.trace ?? ""}: ${problem}\n`);
  }
  if (interrupted) return EXIT_INTERRUPTED;
  return result.ok ? 0 : 1;
}

// ## Output
function seconds(ms: number | undefined): string {
  return ms === undefined ? "-" : `${(ms / 1000).toFixed(2)} s`;
}

/** `stream mode: 2 LLM calls, 812 prompt + 96 completion tokens, 4 tool calls; 1.20 s, first tool at 0.31 s` */
function summary(r: AskResult): string {
  const u = r.usage;
  const calls = r.toolCalls.length;
  const parts = [
    `${r.mode} mode: ${u.llmCalls} LLM call${u.llmCalls === 1 ? "" : "s"}, ${u.promptTokens} prompt + ${u.completionTokens} completion tokens, ${calls} tool call${calls === 1 ? "" : "s"}`,
    `${seconds(r.timings.totalMs)} total`,
  ];
  if (r.timings.firstToolStartMs !== undefined)
    parts.push(`first tool at ${seconds(r.timings.firstToolStartMs)}`);
  return parts.join("; ");
}

function errorText(
  r: AskResult,
  timedOut: boolean,
  timeoutMs: number | undefined,
  interrupted: boolean,
): string {
  if (interrupted) return "weft: interrupted\n";
  if (timedOut) return `weft: timed out after ${timeoutMs ?? 0} ms (--timeout)\n`;
  const error = r.error ?? { kind: "run", message: "the agent gave no answer" };
  const [first, ...rest] = error.message.split("\n");
  let text = `weft: ${first ?? error.kind}\n`;
  if (error.kind === "invalid-plan") {
    // The last plan's diagnostics, as the model saw them.
    if (rest.some((l) => l.trim() !== "")) text += `${rest.join("\n").trimEnd()}\n`;
    else if (error.diagnostics !== undefined && error.diagnostics.length > 0)
      text += `${renderDiagnostics(error.diagnostics, r.plan ?? "", { file: "plan", color: false })}\n`;
  }
  return text;
}

const ROLE_TITLE: Record<LlmRole, string> = {
  planner: "plan",
  repair: "repaired plan",
  replan: "new plan",
  solver: "solver",
  react: "react",
  fc: "fc",
};

function plansText(r: AskResult): string {
  const out: string[] = [];
  r.plans.forEach((p, i) => {
    const errors = p.diagnostics.filter((d) => d.severity === "error").length;
    out.push(
      `--- ${ROLE_TITLE[p.role]} ${i + 1}${errors > 0 ? ` (${errors} error${errors === 1 ? "" : "s"})` : ""}`,
    );
    out.push(p.text.trimEnd());
  });
  if (r.notes.length > 0) out.push("--- notes", ...r.notes);
  if (out.length === 0) return "";
  return `${out.join("\n")}\n`;
}

function jsonReport(r: AskResult, timedOut: boolean): Record<string, unknown> {
  return {
    answer: r.answer,
    ok: r.ok,
    plan: r.plan ?? null,
    plans: r.plans.map((p) => ({ role: p.role, text: p.text, diagnostics: p.diagnostics })),
    mode: r.mode,
    usage: {
      llmCalls: r.usage.llmCalls,
      promptTokens: r.usage.promptTokens,
      completionTokens: r.usage.completionTokens,
      calls: r.usage.calls,
    },
    timings: r.timings,
    toolCalls: r.toolCalls,
    notes: r.notes,
    ...(r.error === undefined
      ? {}
      : {
          error: timedOut ? { kind: "timeout", message: "the ask timed out (--timeout)" } : r.error,
        }),
  };
}

function traceData(r: AskResult): unknown {
  return { trace: r.trace ?? null, toolCalls: r.toolCalls, usage: r.usage, timings: r.timings };
}

// ## --verbose
function clip(text: string, n = 120): string {
  const one = text.replace(/\s*\n\s*/g, " ");
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/**
 * How a call reads in the log: its statement, when the call is the whole
 * statement (`$a = wiki.fact("Tokyo", "population")`); else the tool and
 * the plan line it sits on (a nested call, an `each` element).
 */
function callText(n: RunEvent["node"], statements: ReadonlyMap<number, string>): string {
  const text = n.line === undefined ? undefined : statements.get(n.line);
  if (text !== undefined && n.binding !== undefined && n.parent === undefined) {
    const head = new RegExp(
      `^\\$${n.binding}\\s*=\\s*${n.tool?.replace(/\./g, "\\.") ?? ""}\\s*\\(`,
    );
    if (head.test(text)) return clip(text, 80);
  }
  const where = n.line === undefined ? "" : ` (line ${n.line})`;
  const index = n.index === undefined ? "" : `[${n.index}]`;
  return `${n.binding === undefined ? "" : `$${n.binding}${index} = `}${n.tool ?? n.id}(...)${where}`;
}

function toolLine(e: RunEvent, statements: ReadonlyMap<number, string>): string {
  const what = callText(e.node, statements);
  switch (e.type) {
    case "started":
      return `tool started   ${what}`;
    case "finished":
      return `tool finished  ${what} in ${e.durationMs.toFixed(1)}ms`;
    case "failed":
      return `tool failed    ${what}: ${clip(e.error)}`;
    case "retrying":
      return `tool retrying  ${what} (attempt ${e.attempt}): ${clip(e.error)}`;
    case "skipped":
      return `tool skipped   ${what}: ${e.reason}`;
    case "cancelled":
      return `tool cancelled ${what}`;
    case "queued":
      return `tool queued    ${what}`;
  }
}

/**
 * The -v printer. Statements are numbered by their line in the plan (what
 * --show-plan prints, what the diagnostics and the repair prompt count), not
 * by their line in the model's reply, which also holds prose and fences.
 */
function verboseLog(io: Io): (e: AgentEvent) => void {
  let planLine = 1;
  let statements = new Map<number, string>();
  return (e) => {
    if (e.type === "llm-start" && PLAN_ROLES.has(e.role)) {
      planLine = 1;
      statements = new Map();
    }
    if (e.type === "statement") statements.set(planLine, e.text);
    io.stderr(`${eventLine(e, planLine, statements)}\n`);
    if (e.type === "statement") planLine += e.text.split("\n").length;
  };
}

const PLAN_ROLES: ReadonlySet<LlmRole> = new Set(["planner", "repair", "replan"]);

export function eventLine(
  e: AgentEvent,
  planLine?: number,
  statements: ReadonlyMap<number, string> = new Map(),
): string {
  const at = `[${e.t.toFixed(1).padStart(8)}ms]`;
  let line: string;
  switch (e.type) {
    case "llm-start":
      line = `llm ${e.role} request`;
      break;
    case "llm-end":
      line =
        e.error === undefined
          ? `llm ${e.role} done: ${e.usage.promptTokens} prompt + ${e.usage.completionTokens} completion tokens (${e.usage.source === "api" ? "from the server" : "counted"})`
          : `llm ${e.role} failed (${e.error.kind}): ${e.usage.promptTokens} prompt + ${e.usage.completionTokens} completion tokens counted`;
      break;
    case "statement":
      line = `plan line ${planLine ?? e.line}: ${clip(e.text)}`;
      break;
    case "note":
      line = `note: ${clip(e.text)}`;
      break;
    case "diagnostics":
      // An importer's (I...) diagnostics point into the peer-format reply, the rest into the Weft plan.
      line = `diagnostics: ${e.diagnostics.map((d) => `${d.code} ${d.code.startsWith("I") ? "reply" : "plan"} line ${d.range.start.line}: ${d.message}`).join("; ")}`;
      break;
    case "tool":
      line = toolLine(e.event, statements);
      break;
    case "replan":
      line = `replan: ${clip(e.reason)}`;
      break;
  }
  return `weft: ${at} ${line}`;
}
