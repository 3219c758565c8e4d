import type { Range } from "./range.js";

export type Severity = "error" | "warning";

/** Extra locations that explain a diagnostic (where a name was first defined, say). */
export interface RelatedInfo {
  message: string;
  range: Range;
}

/**
 * The one diagnostic type, shared by every phase. Codes are stable and
 * phase-prefixed: `P` syntax, `C` checker, `G` graph (IR), `W` CLI.
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  range: Range;
  help?: string;
  related?: RelatedInfo[];
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Orders diagnostics by position, then code, so output is stable. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      a.range.start.offset - b.range.start.offset ||
      a.range.end.offset - b.range.end.offset ||
      a.code.localeCompare(b.code),
  );
}
