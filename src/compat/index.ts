// ## Importing the peers' plan formats
// `importPlan(format, text)` reads a ReWOO, LLMCompiler or Chain-of-Abstraction
// plan and returns Weft plan text, with every problem as a diagnostic at its
// place in the ORIGINAL text. It never throws and never drops a step
// silently: each step is either a statement of the Weft text or the subject
// of a diagnostic. docs/import.md describes the mapping.
import { importDiag } from "./diagnostics.js";
import type { BuiltPlan } from "./plan-builder.js";
import { readCoa } from "./coa.js";
import { readLlmCompiler } from "./llmcompiler.js";
import { readRewoo } from "./rewoo.js";
import type { ForeignFormat, ImportOptions, ImportResult } from "./types.js";

export type { ForeignFormat, ImportOptions, ImportResult } from "./types.js";
export { checkImported, type CheckedImport, type CheckImportOptions } from "./check.js";
export { importDiag, IMPORT_CODES } from "./diagnostics.js";
export type { BuiltPlan, Origin } from "./plan-builder.js";

export const FOREIGN_FORMATS: readonly ForeignFormat[] = Object.freeze([
  "rewoo",
  "llmcompiler",
  "coa",
] as const);

const readers: Record<ForeignFormat, (text: string, options: ImportOptions) => BuiltPlan> = {
  rewoo: readRewoo,
  llmcompiler: readLlmCompiler,
  coa: readCoa,
};

/**
 * Reads a plan with its source map (the original range of each Weft
 * statement) and the original's dependency edges. Like importPlan, never throws.
 */
export function readPlan(
  format: ForeignFormat,
  source: string,
  options: ImportOptions = {},
): BuiltPlan {
  try {
    return readers[format](source, options);
  } catch (e) {
    // A reader bug must not take the caller down; the fuzz tests keep this unreached.
    const d = importDiag.internalError(e instanceof Error ? e.message : String(e));
    return {
      text: "",
      diagnostics: [d],
      notes: [],
      steps: 0,
      complete: false,
      origins: [],
      edges: new Map(),
    };
  }
}

export function importPlan(
  format: ForeignFormat,
  source: string,
  options?: ImportOptions,
): ImportResult {
  const { text, diagnostics, notes, steps, complete } = readPlan(format, source, options);
  return { text, diagnostics, notes, steps, complete };
}
