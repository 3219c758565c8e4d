// ## The agent's prompts
// Every prompt is built from the tool registry: one `toolSignature` line per
// tool, and worked examples generated from the tools' own types (each one
// checked with the tools before it is shown, so the prompt never teaches a
// plan that would not compile). The system prompts stay the same for every
// question of an agent, so servers can cache their prefix.
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { toolSignature } from "../compiler/signature.js";
import { toolSet, type AnyTool, type ToolSet } from "../compiler/tool.js";
import { generatedExamples } from "./examples.js";
import { ROLE_LINE } from "./roles.js";
import type { LlmRole, PlanFormat } from "./types.js";

/** `always`: a solver call answers from the results; `auto`: a plan may return the answer itself. */
export type SolverPolicy = "always" | "auto";

export interface PromptOptions {
  /** Extra text appended to the planner's system prompt. */
  system?: string;
  /** Worked examples shown instead of the generated ones (written in `planFormat`). */
  examples?: { question: string; plan: string }[];
  planFormat?: PlanFormat;
  /** Default `always`; `auto` teaches the Weft planner to return the answer as a sentence when it can. */
  solver?: SolverPolicy;
}

// ## The language, as the planner needs it
// Each construct is taught once, in the fewest words a model needs: this text
// is re-read on every planner request, so every line of it costs on every ask.
const WEFT_RUNS = `Weft checks your plan and runs it: each call starts as soon as its inputs exist, so independent calls run in parallel. You do not see the results.`;

const WEFT_LANGUAGE = `- One statement per line: \`$name = tool(arguments)\`; inside ( ) [ ] { } it may span lines. Bind each name once.
- Arguments by position or by name: \`tool("x", limit: 3)\`. Parameters marked \`?\` may be left out.
- Values are JSON: "text", 42, true, null, [1, 2], {key: "value"}.
- \`$name\` is a result of a line above; select from it: \`$hits[0].title\`.
- Strings interpolate references: "$page.title has \${count} words" (\\$ is a dollar sign).
- \`$all = each $x in $list: tool($x.field)\` calls the tool per item, in parallel, giving a list.
- Calls nest: \`tool(other($a))\`. A call alone on a line runs for its effect. \`#\` starts a comment.

Rules: write only the plan (no prose, no code fences). Call only the tools listed, with their parameter names and types. Never invent a result or work out in your head what a tool can compute. Do not chain calls that do not depend on each other.`;

/** How the plan ends: what the solver gets, or (solver "auto") the answer itself. */
function weftReturn(solver: SolverPolicy): string {
  return solver === "auto"
    ? `End with \`return\`. When the answer can be written from the results without judgement, return it as a sentence: \`return "The total is $total km."\`; it is the answer and no solver runs. Otherwise return the values the answer needs: \`return {a: $a, b: $b}\`; a solver answers from them.`
    : `End with \`return\` and the values the answer needs: \`return {a: $a, b: $b}\`. A solver answers from them.`;
}

const REWOO_LANGUAGE = `Write the plan in the ReWOO format (not in Weft): for each step, a \`Plan:\` line saying what it is for, then the step on its own line: \`#E<n> = Tool[input]\`.
- The input is plain text, without quotes; it is the tool's first argument (the other parameters keep their defaults).
- \`#E<k>\` inside an input stands for the result of an earlier step k.
- Steps run as soon as their inputs exist: steps that do not need each other run in parallel.
- Use only the tools listed above. Write only the plan.`;

const LLMCOMPILER_LANGUAGE = `Write the plan in the LLMCompiler format (not in Weft): numbered steps, one per line: \`1. tool(arguments)\`.
- Arguments are Python literals ("text", 3, True, None, [..], {..}), positional or \`name=value\`.
- \`$k\` is the result of step k, as an argument or inside a string: \`tool("about $1")\`.
- Steps run as soon as their inputs exist: steps that do not need each other run in parallel.
- A \`Thought:\` line may explain the next step.
- Use only the tools listed above. The last step is \`<n>. join()<END_OF_PLAN>\`.`;

// ## Planner
/** The tools, one signature line each. */
export function toolLines(tools: ToolSet): string {
  return [...tools.values()].map(toolSignature).join("\n");
}

function systemPrompt(role: LlmRole, tools: ToolSet, o: PromptOptions): string {
  const format = o.planFormat ?? "weft";
  const parts = [ROLE_LINE[role]];
  if (format !== "weft")
    parts.push("This time, write the plan in another format, described below.");
  parts.push(`Tools:\n${toolLines(tools)}`);
  if (format === "weft")
    parts.push(`${WEFT_RUNS}\n${WEFT_LANGUAGE}\n${weftReturn(o.solver ?? "always")}`);
  else parts.push(format === "rewoo" ? REWOO_LANGUAGE : LLMCOMPILER_LANGUAGE);
  const examples = o.examples ?? generatedExamples(tools, format);
  if (examples.length > 0) parts.push(examples.map(exampleText).join("\n\n"));
  if (o.system !== undefined && o.system.trim() !== "") parts.push(o.system.trim());
  return parts.join("\n\n");
}

function exampleText(e: { question: string; plan: string }): string {
  return `Example. Question: ${e.question}\n${e.plan.trim()}`;
}

/** The planner's system prompt: it starts with `ROLE_LINE.planner`. */
export function plannerSystemPrompt(
  tools: ToolSet | Iterable<AnyTool>,
  o: PromptOptions = {},
): string {
  return systemPrompt("planner", toolSet(tools), o);
}

export function plannerMessages(
  question: string,
  tools: ToolSet | Iterable<AnyTool>,
  o: PromptOptions = {},
): ChatCompletionMessageParam[] {
  return [
    { role: "system", content: plannerSystemPrompt(tools, o) },
    { role: "user", content: `Question: ${question}` },
  ];
}

/** A plan with its line numbers, as diagnostics refer to them. */
export function numberedPlan(plan: string): string {
  const lines = plan.replace(/(\r\n|\r|\n)$/, "").split(/\r\n|\r|\n/);
  const width = String(lines.length).length;
  return lines.map((l, i) => `${String(i + 1).padStart(width)} | ${l}`).join("\n");
}

/** Asks for the whole plan again, corrected: the plan with line numbers and the diagnostics. */
export function repairMessages(
  question: string,
  tools: ToolSet | Iterable<AnyTool>,
  plan: string,
  diagnosticsText: string,
  o: PromptOptions = {},
): ChatCompletionMessageParam[] {
  return [
    { role: "system", content: systemPrompt("repair", toolSet(tools), o) },
    {
      role: "user",
      content: [
        `Question: ${question}`,
        `Your plan (with line numbers):\n${numberedPlan(plan)}`,
        `It has errors:\n${diagnosticsText.trim()}`,
        "Write the whole corrected plan (without line numbers), and nothing else.",
      ].join("\n\n"),
    },
  ];
}

/** A new plan after the solver found the results not enough: the previous plan, its results and why. */
export function replanMessages(
  question: string,
  tools: ToolSet | Iterable<AnyTool>,
  previous: { evidence: string; reason: string },
  o: PromptOptions = {},
): ChatCompletionMessageParam[] {
  return [
    { role: "system", content: systemPrompt("replan", toolSet(tools), o) },
    {
      role: "user",
      content: [
        `Question: ${question}`,
        `${RESULTS_HEADER}\n${previous.evidence.trim()}`,
        `Why this does not answer the question: ${previous.reason.trim()}`,
        "Write a new plan that gets what is missing. You may use the values above as literals; a call repeated exactly as before is not run again.",
      ].join("\n\n"),
    },
  ];
}

// ## Solver
const SOLVER = `Reply with one line: \`Answer: <the answer>\`, short and direct.
If the results cannot answer the question (a call failed, a value is missing or beside the point), reply \`Replan: <what is missing>\` instead.`;

/** The header of the plan-with-results text in the solver and replan prompts. */
const RESULTS_HEADER = "The plan that ran, each result after its line (→):";

/** The solver's request: the question and the plan with its results (`evidenceText`). */
export function solverMessages(question: string, evidence: string): ChatCompletionMessageParam[] {
  return [
    { role: "system", content: `${ROLE_LINE.solver}\n${SOLVER}` },
    { role: "user", content: `Question: ${question}\n\n${RESULTS_HEADER}\n${evidence.trim()}` },
  ];
}

export type SolverDecision =
  { kind: "answer"; answer: string } | { kind: "replan"; reason: string };

// A label line, with whatever markdown models put around it:
// `Answer: x`, `**Answer:** x`, `### Final Answer: x`, `> Replan - x`, `- **Answer**: x`.
const LABEL = /^[\s>#*_`-]*(final answer|answer|replan)[\s*_`]*(?::|：|-(?=\s))[\s*_]*(.*)$/i;

/**
 * The solver's decision: the last `Answer:` or `Replan:` line wins; a label
 * with nothing after it takes the next lines; the answer runs on to the end
 * of its paragraph (a list, say). Bare text is the answer. Parentheses are
 * answer text, never a delimiter.
 */
export function parseSolverReply(text: string): SolverDecision {
  const lines = text.split(/\r\n|\r|\n/);
  let at = -1;
  let match: RegExpExecArray | null = null;
  for (let i = lines.length - 1; i >= 0 && at === -1; i--) {
    const m = LABEL.exec(lines[i]!);
    if (m !== null) {
      at = i;
      match = m;
    }
  }
  if (match === null) return { kind: "answer", answer: unwrap(text) };
  const body: string[] = [match[2]!];
  // The label alone on its line: the answer is the next paragraph.
  let i = at + 1;
  if (match[2]!.trim() === "") while (i < lines.length && lines[i]!.trim() === "") i++;
  for (; i < lines.length && lines[i]!.trim() !== ""; i++) body.push(lines[i]!);
  const value = unwrap(body.join("\n"));
  return match[1]!.toLowerCase() === "replan"
    ? { kind: "replan", reason: value }
    : { kind: "answer", answer: value };
}

/** Trims whitespace, and bold / code markers wrapped around the whole text. */
function unwrap(text: string): string {
  let s = text.trim();
  for (;;) {
    const m = /^(\*\*|__|`)([\s\S]*)\1$/.exec(s);
    if (m === null || m[2]!.trim() === "") return s;
    s = m[2]!.trim();
  }
}
