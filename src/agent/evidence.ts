// ## Evidence: the plan with each result after its line
// What the solver (and a replan) reads of a run. Tool results appear here as
// data after each plan line, never as plan text: the evidence is only sent
// to the model, never parsed as a plan.
import { endOffset, startOffset } from "../diagnostics/range.js";
import { parse } from "../parser/parse.js";

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
