// ## The agent's prompts
// Every prompt is built from the tool registry: one `toolSignature` line per
// tool, and worked examples generated from the tools' own types (each one
// checked with the tools before it is shown, so the prompt never teaches a
// plan that would not compile). The system prompts stay the same for every
// question of an agent, so servers can cache their prefix.
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { checkSource } from "../compiler/compile.js";
import { endOffset, startOffset } from "../diagnostics/range.js";
import { parse } from "../parser/parse.js";
import { toolSignature } from "../compiler/signature.js";
import { toolSet, type AnyTool, type ToolSet } from "../compiler/tool.js";
import { fieldOf, isAssignable, typeFromZod, type Type } from "../compiler/types.js";
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

// ## Evidence: the plan with each result after its line
// The solver (and a replan) reads each statement with its result right after
// it, so the plan is sent once and no binding name is repeated:
//   $pop = wiki.fact("Tokyo", "population")  → 13960000
const ARROW = "  → ";
const CUT = (n: number): string => `[cut: ${n} more chars]`;

/** Binary noise of float arithmetic (`9770.800000000001`) costs tokens and says nothing. */
const roundFloats = (_key: string, v: unknown): unknown =>
  typeof v === "number" && !Number.isInteger(v) && Number.isFinite(v)
    ? Number(v.toPrecision(15))
    : v;

function json(value: unknown): string {
  if (value === undefined) return "(not run)";
  try {
    return JSON.stringify(value, roundFloats) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Cuts at `n` characters without splitting a surrogate pair. */
function head(s: string, n: number): string {
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

/**
 * Fits rendered values into `budget` characters. Water-filling: short values
 * whole, the long ones share what is left, each cut with an explicit
 * `[cut: N more chars]` (only the marker when the budget is tiny).
 */
function fitValues(values: string[], budget: number): string[] {
  const total = values.reduce((n, v) => n + v.length, 0);
  if (total <= budget) return values;
  let left = Math.max(0, budget);
  const share = new Map<number, number>();
  const byLength = values.map((_, i) => i).sort((a, b) => values[a]!.length - values[b]!.length);
  let count = byLength.length;
  for (const i of byLength) {
    const len = values[i]!.length;
    const fair = Math.floor(left / count);
    // A cut value also carries its marker.
    share.set(i, len <= fair ? len : Math.max(0, fair - CUT(len).length - 1));
    left -= len <= fair ? len : fair;
    count--;
  }
  return values.map((v, i) => {
    const keep = share.get(i) ?? 0;
    if (keep >= v.length) return v;
    const kept = head(v, keep);
    return `${kept === "" ? "" : `${kept} `}${CUT(v.length - kept.length)}`;
  });
}

/**
 * The plan as the solver reads it: each statement (without its comments) with
 * `  → result` after it (compact JSON, floats to 15 significant digits) — `→ failed: <why>` for a call that failed, `→ (not
 * run)` for one that never ran — and the `return` line with the plan's value
 * (unless it returns a bare `$name`, whose value is on that name's line).
 * Results the plan text does not show get a `$name  → value` line at the end.
 *
 * `maxChars` bounds the results' text (values and cut markers, not the plan
 * the model wrote): when they do not fit, the longest values are cut, each
 * to the same share, with an explicit `[cut: N more chars]`. No binding is
 * ever left out.
 */
export function evidenceText(
  plan: string,
  results: Record<string, unknown>,
  maxChars: number,
  failures: Readonly<Record<string, string>> = {},
): string {
  const keys = new Set([...Object.keys(results), ...Object.keys(failures)]);
  const lines: { text: string; key?: string }[] = [];
  const shown = new Set<string>();
  for (const s of parse(plan).plan.statements) {
    const text = plan.slice(startOffset(s.range), endOffset(s.range)).trim();
    let key: string | undefined;
    if (s.kind === "Binding" && keys.has(s.target.name)) key = s.target.name;
    else if (s.kind === "Return" && keys.has("return")) {
      const v = s.value;
      const bare = v.kind === "Ref" && v.path.length === 0 && keys.has(v.variable.name);
      key = bare ? undefined : "return";
      if (key === undefined) shown.add("return");
    }
    if (key !== undefined && shown.has(key)) key = undefined;
    if (key !== undefined) shown.add(key);
    lines.push(key === undefined ? { text } : { text, key });
  }
  const rest = [...keys].filter((k) => !shown.has(k));
  // The plan's value last, as in a plan.
  rest.sort((a, b) => Number(a === "return") - Number(b === "return"));
  for (const k of rest) lines.push({ text: k === "return" ? "return" : `$${k}`, key: k });
  if (lines.length === 0) return "(no results)";

  const valued = lines.filter((l) => l.key !== undefined);
  const values = fitValues(
    valued.map((l) =>
      Object.hasOwn(failures, l.key!) ? `failed: ${failures[l.key!]}` : json(results[l.key!]),
    ),
    maxChars,
  );
  const valueOf = new Map(valued.map((l, i) => [l, values[i]!]));
  return lines
    .map((l) => (l.key === undefined ? l.text : `${l.text}${ARROW}${valueOf.get(l)!}`))
    .join("\n");
}

// ## Worked examples from the tools' own types
interface Param {
  name: string;
  type: Type;
  optional: boolean;
}
interface ToolInfo {
  name: string;
  params: Param[];
  required: Param[];
  output: Type;
  effect: boolean;
}

function info(tool: AnyTool): ToolInfo {
  const input = typeFromZod(tool.input);
  const params: Param[] =
    input.k === "object"
      ? Object.keys(input.fields).map((name) => {
          const f = fieldOf(input, name)!;
          return { name, type: f.type, optional: f.optional };
        })
      : [];
  return {
    name: tool.name,
    params,
    required: params.filter((p) => !p.optional),
    output: tool.output === undefined ? { k: "any" } : typeFromZod(tool.output),
    effect: tool.effect === true,
  };
}

const ORDINAL = ["first", "second", "third"];

/** A literal of type `t`, in Weft syntax; `n` makes strings differ between calls. */
function literalFor(t: Type, hint: string, n: number, depth = 0): string | undefined {
  if (depth > 3) return undefined;
  switch (t.k) {
    case "string":
    case "any":
      return JSON.stringify(`${ORDINAL[n] ?? "another"} ${hint.replace(/_/g, " ")}`);
    case "number":
      return String(n + 2);
    case "boolean":
      return "true";
    case "null":
      return "null";
    case "literal":
      return JSON.stringify(t.value);
    case "list": {
      const item = literalFor(t.item, hint, n, depth + 1);
      return item === undefined ? "[]" : `[${item}]`;
    }
    case "object": {
      const fields: string[] = [];
      for (const name of Object.keys(t.fields)) {
        const f = fieldOf(t, name)!;
        if (f.optional) continue;
        const v = literalFor(f.type, name, n, depth + 1);
        if (v === undefined) return undefined;
        fields.push(`${/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : JSON.stringify(name)}: ${v}`);
      }
      return `{${fields.join(", ")}}`;
    }
    case "union":
      for (const o of t.options) {
        if (o.k === "null") continue;
        const v = literalFor(o, hint, n, depth + 1);
        if (v !== undefined) return v;
      }
      return undefined;
  }
}

/** A call of `tool` with its required parameters: `first` (an expression) for the first one, literals for the rest. */
function callOf(tool: ToolInfo, n: number, named: boolean, first?: string): string | undefined {
  const values: string[] = [];
  for (const [i, p] of tool.required.entries()) {
    const v = i === 0 && first !== undefined ? first : literalFor(p.type, p.name, n);
    if (v === undefined) return undefined;
    values.push(v);
  }
  // Positional arguments map to parameters in order: only when the required ones come first.
  const prefix = tool.required.every((p, i) => tool.params[i] === p);
  const args = values.map((v, i) => (named || !prefix ? `${tool.required[i]!.name}: ${v}` : v));
  return `${tool.name}(${args.join(", ")})`;
}

/** The shortest `.field` / `[0]` path from a value of type `from` to one that fits `want`. */
function pathTo(from: Type, want: (t: Type) => boolean): string | undefined {
  const queue: { t: Type; path: string }[] = [{ t: from, path: "" }];
  for (let i = 0; i < queue.length && i < 64; i++) {
    const { t, path } = queue[i]!;
    if (want(t)) return path;
    if (path.split(/[.[]/).length > 3) continue;
    if (t.k === "list") queue.push({ t: t.item, path: `${path}[0]` });
    else if (t.k === "object")
      for (const name of Object.keys(t.fields))
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
          queue.push({ t: fieldOf(t, name)!.type, path: `${path}.${name}` });
  }
  return undefined;
}

const fits = (want: Type) => (t: Type) => t.k !== "any" && t.k !== "union" && isAssignable(t, want);

/** Candidate Weft examples: parallel calls, a dependent call on a field, an `each`, a `return`. */
function weftCandidates(tools: ToolInfo[]): { question: string; plan: string }[] {
  const out: { question: string; plan: string }[] = [];
  const usable = tools.filter((t) => !t.effect);
  for (const a of usable) {
    for (const b of usable) {
      if (a === b && usable.length > 1) continue;
      const target = b.required[0];
      if (target === undefined) continue;
      const path = pathTo(a.output, fits(target.type));
      if (path === undefined) continue;
      const first = callOf(a, 0, false);
      const second = callOf(a, 1, true);
      const detail = callOf(b, 0, false, `$a${path}`);
      if (first === undefined || second === undefined || detail === undefined) continue;
      const lines = [
        `$a = ${first}`,
        `$b = ${second}  # runs in parallel with $a`,
        `$c = ${detail}  # waits for $a only`,
      ];
      let ret = "return {first: $c, second: $b}";
      const list = pathTo(a.output, (t) => t.k === "list");
      if (list !== undefined && list.length <= 24) {
        const item = a.output.k === "list" && list === "" ? a.output.item : itemAt(a.output, list);
        const inner = item === undefined ? undefined : pathTo(item, fits(target.type));
        const each = inner === undefined ? undefined : callOf(b, 1, false, `$x${inner}`);
        if (each !== undefined) {
          lines.push(`$all = each $x in $b${list}: ${each}`);
          ret = "return {first: $c, all: $all}";
        }
      }
      lines.push(ret);
      out.push({
        question: `(placeholder values) ${a.name} twice, then ${b.name} on the results`,
        plan: lines.join("\n"),
      });
    }
  }
  // No tool's result feeds another: independent calls alone.
  for (const a of usable) {
    const first = callOf(a, 0, false);
    const second = callOf(a, 1, true);
    if (first !== undefined && second !== undefined)
      out.push({
        question: `(placeholder values) ${a.name} twice`,
        plan: `$a = ${first}\n$b = ${second}  # runs in parallel with $a\nreturn {first: $a, second: $b}`,
      });
  }
  return out;
}

/** The item type of the list at `path` in `t`. */
function itemAt(t: Type, path: string): Type | undefined {
  let cur: Type | undefined = t;
  for (const m of path.matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\[0\]/g)) {
    if (cur === undefined) return undefined;
    if (m[1] !== undefined) cur = cur.k === "object" ? fieldOf(cur, m[1])?.type : undefined;
    else cur = cur.k === "list" ? cur.item : undefined;
  }
  return cur?.k === "list" ? cur.item : undefined;
}

/** Tools whose one required parameter takes text: what the peers' `Tool[input]` can call. */
function textTools(tools: ToolInfo[]): ToolInfo[] {
  return tools.filter(
    (t) =>
      !t.effect &&
      t.required.length === 1 &&
      t.params[0] === t.required[0] &&
      isAssignable({ k: "string" }, t.required[0]!.type),
  );
}

function rewooExample(tools: ToolInfo[]): { question: string; plan: string } | undefined {
  const text = textTools(tools);
  const a = text[0];
  if (a === undefined) return undefined;
  const b = text[1] ?? a;
  const hint = a.required[0]!.name.replace(/_/g, " ");
  return {
    question: `(placeholder values) ${a.name} twice, then ${b.name} on both results`,
    plan: [
      `Plan: Look up the first ${hint}.`,
      `#E1 = ${a.name}[first ${hint}]`,
      `Plan: Look up the second ${hint}; it does not need #E1.`,
      `#E2 = ${a.name}[second ${hint}]`,
      "Plan: Use both results.",
      `#E3 = ${b.name}[#E1 and #E2]`,
    ].join("\n"),
  };
}

function llmCompilerExample(tools: ToolInfo[]): { question: string; plan: string } | undefined {
  const text = textTools(tools);
  const a = text[0];
  if (a === undefined) return undefined;
  const b = text[1] ?? a;
  const p = a.required[0]!.name;
  const hint = p.replace(/_/g, " ");
  return {
    question: `(placeholder values) ${a.name} twice, then ${b.name} on both results`,
    plan: [
      `1. ${a.name}("first ${hint}")`,
      `2. ${a.name}(${p}="second ${hint}")`,
      "Thought: 1 and 2 are independent; 3 uses both.",
      `3. ${b.name}("$1 and $2")`,
      "4. join()<END_OF_PLAN>",
    ].join("\n"),
  };
}

const exampleCache = new WeakMap<ToolSet, Map<PlanFormat, { question: string; plan: string }[]>>();

/**
 * Worked examples that use the registered tools. Weft examples are checked
 * with the tools and dropped if they do not pass; the first that does is shown.
 */
export function generatedExamples(
  tools: ToolSet,
  format: PlanFormat = "weft",
): { question: string; plan: string }[] {
  let byFormat = exampleCache.get(tools);
  if (byFormat === undefined) exampleCache.set(tools, (byFormat = new Map()));
  const cached = byFormat.get(format);
  if (cached !== undefined) return cached;
  const infos = [...tools.values()].map(info);
  let examples: { question: string; plan: string }[];
  if (format === "rewoo") examples = [rewooExample(infos)].filter((e) => e !== undefined);
  else if (format === "llmcompiler")
    examples = [llmCompilerExample(infos)].filter((e) => e !== undefined);
  else {
    const valid = weftCandidates(infos).find((e) => checkSource(e.plan, { tools }).ok);
    examples = valid === undefined ? [] : [valid];
  }
  byFormat.set(format, examples);
  return examples;
}
