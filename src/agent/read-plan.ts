// ## Reading the planner's reply as a plan
// The model writes Weft (with fences, prose and `Thought:` lines around it)
// or a peer format (ReWOO, LLMCompiler) imported to Weft. The reply is read
// twice: as it streams, to dispatch statements and to pass on notes as their
// lines complete, and whole at the end, for the plan that is checked and run.
// Only the model's reply is ever read as plan text: tool results never reach
// these functions.
import { importPlan } from "../compat/index.js";
import { diag } from "../diagnostics/catalogue.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import { extractPlan, PlanExtractor, type ExtractedLine } from "./extract.js";
import type { PlanFormat } from "./types.js";

export interface Written {
  /** The Weft plan. */
  text: string;
  /** What the model wrote, as the repair prompt shows it: the Weft plan, or the peer-format reply. */
  source: string;
  notes: string[];
  statements: ExtractedLine[];
  /** Problems found while importing a peer format (ranges in `source`). */
  importDiagnostics: Diagnostic[];
}

/** The model's whole reply as a Weft plan, with notes and (for peer formats) the import's diagnostics. */
export function readPlan(format: PlanFormat, reply: string): Written {
  if (format === "weft") {
    const { plan, notes, statements } = extractPlan(reply);
    return { text: plan, source: plan, notes, statements, importDiagnostics: [] };
  }
  const imported = importPlan(format, reply);
  const { plan, statements } = extractPlan(imported.text);
  return {
    text: plan,
    source: reply,
    notes: imported.notes,
    statements,
    importDiagnostics: imported.diagnostics,
  };
}

/** Where a streamed plan's statements go (the live dispatcher). */
export interface StatementSink {
  /** Statements that completed, after the ones already pushed. */
  push(statements: readonly ExtractedLine[]): void;
  /** The whole statement list as now known (a peer format re-imported from the start). */
  update(statements: readonly ExtractedLine[]): void;
}

/**
 * Reads a streamed reply as it arrives: Weft statements as they complete (or
 * a peer format re-imported line by line) go to `sink` when there is one,
 * and the notes so far to `onNotes` (all of them each time: the caller sends
 * the new ones).
 */
export function planFeeder(
  format: PlanFormat,
  sink: StatementSink | undefined,
  onNotes: (notes: readonly string[]) => void,
): { push: (delta: string) => void; end: () => void } {
  if (format === "weft") {
    const extractor = new PlanExtractor();
    // Notes first: a `Thought:` line comes before the statements it is about.
    const take = (statements: ExtractedLine[]) => {
      onNotes(extractor.notes);
      sink?.push(statements);
    };
    return { push: (delta) => take(extractor.push(delta)), end: () => take(extractor.end()) };
  }
  let text = "";
  const take = (upTo: string) => {
    const imported = importPlan(format, upTo);
    onNotes(imported.notes);
    sink?.update(extractPlan(imported.text).statements);
  };
  return {
    push: (delta) => {
      text += delta;
      if (!delta.includes("\n")) return;
      // Only whole lines: a step cut mid-line would read as truncated.
      take(text.slice(0, text.lastIndexOf("\n") + 1));
    },
    end: () => take(text),
  };
}

/** The error that a reply of prose only gets: an empty plan would compile and run as the answer. */
export function noPlan(): Diagnostic {
  const at = { offset: 0, line: 1, column: 1 };
  return diag.syntaxError(
    { start: at, end: at },
    "the reply has no plan",
    "write the plan as Weft statements, one per line (no numbers, bullets or backquotes before them), ending with `return`",
  );
}

/** The diagnostics as text with line numbers and the offending lines, no colour. */
export function diagnosticsText(written: Written, compileDiagnostics: Diagnostic[]): string {
  const parts: string[] = [];
  if (written.importDiagnostics.length > 0)
    parts.push(
      renderDiagnostics(written.importDiagnostics, written.source, { file: "plan", color: false }),
    );
  if (compileDiagnostics.length > 0)
    parts.push(
      renderDiagnostics(compileDiagnostics, written.text, {
        file: written.source === written.text ? "plan" : "plan.weft",
        color: false,
      }),
    );
  return parts.join("\n\n");
}
