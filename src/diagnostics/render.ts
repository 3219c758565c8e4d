// ## Printing diagnostics
// Text: `file:line:col: error[CODE]: message`, the source line with carets
// under the range, then `help:` and related locations. JSON: the data as is.
import pc from "picocolors";
import type { Diagnostic } from "./diagnostic.js";
import { LineMap, type Range } from "./range.js";

export interface RenderOptions {
  /** File name shown in the location; `<input>` when absent. */
  file?: string;
  color?: boolean;
}

type Paint = (s: string) => string;

function where(file: string, r: Range): string {
  return `${file}:${r.start.line}:${r.start.column}`;
}

function snippet(lines: LineMap, r: Range, paint: Paint, dim: Paint): string[] {
  if (r.start.line < 1 || r.start.line > lines.lineCount) return [];
  const text = lines.lineText(r.start.line).replace(/\t/g, " ");
  const num = String(r.start.line);
  const gutter = " ".repeat(num.length);
  const from = Math.max(1, r.start.column);
  const to = r.end.line === r.start.line ? Math.max(r.end.column, from + 1) : text.length + 2;
  const width = Math.max(1, Math.min(to, text.length + 2) - from);
  return [
    `${dim(`${num} |`)} ${text}`,
    `${dim(`${gutter} |`)} ${" ".repeat(from - 1)}${paint("^".repeat(width))}`,
  ];
}

export function renderDiagnostic(
  d: Diagnostic,
  source: string | LineMap,
  options: RenderOptions = {},
): string {
  const lines = typeof source === "string" ? new LineMap(source) : source;
  const file = options.file ?? "<input>";
  const color = options.color ?? false;
  const c = pc.createColors(color);
  const paint: Paint = d.severity === "error" ? c.red : c.yellow;
  const head = `${c.bold(where(file, d.range))}: ${paint(c.bold(`${d.severity}[${d.code}]`))}: ${c.bold(d.message)}`;
  const out = [head, ...snippet(lines, d.range, paint, c.dim)];
  if (d.help !== undefined) out.push(`  ${c.cyan("help")}: ${d.help}`);
  for (const r of d.related ?? [])
    out.push(`  ${c.dim("note")}: ${where(file, r.range)}: ${r.message}`);
  return out.join("\n");
}

export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  source: string,
  options: RenderOptions = {},
): string {
  const lines = new LineMap(source);
  return diagnostics.map((d) => renderDiagnostic(d, lines, options)).join("\n\n");
}

/** One-line summary: "2 errors, 1 warning". */
export function summarize(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const part = (n: number, w: string): string => `${n} ${w}${n === 1 ? "" : "s"}`;
  return [part(errors, "error"), part(warnings, "warning")].join(", ");
}
