// ## Direct answers (solver "auto")
// With `solver: "auto"` a plan that ends by returning its answer as a
// sentence is the answer, and the solver call is saved. The rule is strict
// on purpose: a sentence with JSON or a hole in it needs a solver.
import type { RunResult } from "../runtime/types.js";
import { parse } from "../parser/parse.js";
/**
 * The answer a plan returned itself, or undefined when the solver must answer.
 * The rule, read from the plan's AST and results: the run had no error; the
 * last statement is `return` of a string literal that interpolates at least
 * one `$ref`; and every interpolated value is a string, a number or a boolean
 * (an object, a list, null or a missing value would put JSON or a hole into
 * the sentence: that needs a solver). A bare `return $x`, even of a string a
 * tool made, is a tool result, not the planner's answer: it goes to the solver.
 */
export function directAnswer(
  planText: string,
  result: Pick<RunResult, "ok" | "value" | "errors">,
  values: Record<string, unknown>,
): string | undefined {
  if (!result.ok || result.errors.length > 0 || typeof result.value !== "string") return undefined;
  const last = parse(planText).plan.statements.at(-1);
  if (last?.kind !== "Return" || last.value.kind !== "String") return undefined;
  const refs = last.value.parts.filter((p) => p.kind === "Ref");
  if (refs.length === 0) return undefined;
  for (const ref of refs) {
    if (!Object.hasOwn(values, ref.variable.name)) return undefined;
    let v: unknown = values[ref.variable.name];
    for (const step of ref.path) {
      if (v === null || typeof v !== "object") return undefined;
      v =
        step.kind === "Field"
          ? (v as Record<string, unknown>)[step.name]
          : (v as unknown[])[step.index];
    }
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") return undefined;
  }
  const answer = result.value.trim();
  return answer === "" ? undefined : answer;
}
