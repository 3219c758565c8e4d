// ## Worked examples from the tools' own types
// The planner is shown a short plan over the registered tools, built from
// their input and output types, so a model sees the shapes it will really
// use. Weft examples are checked with the tools first: the prompt never
// teaches a plan that would not compile.
import { checkSource } from "../compiler/compile.js";
import type { AnyTool, ToolSet } from "../compiler/tool.js";
import { fieldOf, isAssignable, typeFromZod, type Type } from "../compiler/types.js";
import { printKey } from "../parser/print-string.js";
import type { PlanFormat } from "./types.js";

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
        fields.push(`${printKey(name)}: ${v}`);
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
