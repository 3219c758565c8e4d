// ## The import contract (the agent calls it for planFormat rewoo / llmcompiler)
import type { Diagnostic } from "../diagnostics/diagnostic.js";

export type ForeignFormat = "rewoo" | "llmcompiler" | "coa";

export interface ImportOptions {
  /** Renames tools: `{ Wikipedia: "wiki.search" }`. */
  map?: Record<string, string>;
}

export interface ImportResult {
  /** Weft plan text (canonical, passes weft check with the right tools), notes as `#` comments. */
  text: string;
  /** Ranges in the ORIGINAL text: truncated step, missing `)`, undefined reference... */
  diagnostics: Diagnostic[];
  /** `Plan:` / `Thought:` text. */
  notes: string[];
  /** Steps read (imported or diagnosed). */
  steps: number;
  /** Saw the format's end (`join()` / `<END_OF_PLAN>`) or, for rewoo / coa, ended cleanly. */
  complete: boolean;
}
