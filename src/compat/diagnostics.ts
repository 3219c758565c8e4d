// ## Import diagnostics (I)
// What the readers of the peers' plan formats report, always at a range of the
// ORIGINAL text. Same Diagnostic shape as every other phase; the codes are
// documented in docs/import.md and never change meaning.
import type { Diagnostic, RelatedInfo } from "../diagnostics/diagnostic.js";
import { plainRange, type Range } from "../diagnostics/range.js";

function make(
  code: string,
  severity: Diagnostic["severity"],
  range: Range,
  message: string,
  help?: string,
  related?: RelatedInfo[],
): Diagnostic {
  const d: Diagnostic = { code, severity, message, range: plainRange(range) };
  if (help !== undefined) d.help = help;
  if (related !== undefined && related.length > 0) {
    d.related = related.map((r) => ({ message: r.message, range: plainRange(r.range) }));
  }
  return d;
}

/** The start of the text: where a diagnostic with no better place goes. */
export const TEXT_START: Range = Object.freeze({
  start: Object.freeze({ offset: 0, line: 1, column: 1 }),
  end: Object.freeze({ offset: 0, line: 1, column: 1 }),
});

export const importDiag = {
  /** A reader threw: a bug, reported instead of thrown (the fuzz tests keep it unreached). */
  internalError: (message: string) =>
    make("I000", "error", TEXT_START, `internal error while importing: ${message}`),
  truncatedStep: (range: Range, step: string) =>
    make(
      "I001",
      "error",
      range,
      `${step} is cut off: the text ends inside it`,
      "the step is not imported; complete it or remove it",
    ),
  unknownReference: (range: Range, ref: string) =>
    make(
      "I002",
      "error",
      range,
      `${ref} refers to no step`,
      "kept as plain text; refer to a step written above this one",
    ),
  laterReference: (range: Range, ref: string, defined: Range) =>
    make(
      "I003",
      "error",
      range,
      `${ref} is used before (or in) the step that defines it`,
      "kept as plain text; a step can only use the results of steps above it",
      [{ message: `${ref} is defined here`, range: defined }],
    ),
  unclosed: (range: Range, close: string, detail: string) =>
    make(
      "I004",
      "error",
      range,
      `this step has no closing \`${close}\`: ${detail}`,
      "the step is not imported",
    ),
  missingClose: (range: Range, close: string) =>
    make(
      "I005",
      "warning",
      range,
      `missing \`${close}\` at the end of the step`,
      "read as if it were there: the arguments before it are complete",
    ),
  unquotedArguments: (range: Range) =>
    make(
      "I006",
      "warning",
      range,
      "the arguments are not Python literals: read as one string",
      "quote the text (as LLMCompiler does when its literal_eval fails)",
    ),
  strayText: (range: Range, where: string) =>
    make("I007", "warning", range, `text ${where} is not part of a step`, "kept as a note"),
  redefinedStep: (range: Range, step: string, renamed: string, first: Range) =>
    make(
      "I008",
      "warning",
      range,
      `${step} is defined again`,
      `imported as \`$${renamed}\`; the references below it use this one, as the original would`,
      [{ message: `${step} first defined here`, range: first }],
    ),
  bracketInText: (range: Range, close: string) =>
    make(
      "I009",
      "warning",
      range,
      `unbalanced bracket inside the input: read as text; the input ends at the last \`${close}\``,
    ),
  severalCalls: (range: Range, step: string, count: number) =>
    make(
      "I010",
      "warning",
      range,
      `${step} holds ${count} tool calls`,
      "imported as a list of their results, in order",
    ),
  textAfterEnd: (range: Range, marker: string) =>
    make(
      "I011",
      "warning",
      range,
      `text after \`${marker}\` is ignored`,
      "the plan ends at the marker",
    ),
  stepAfterJoin: (range: Range) =>
    make(
      "I012",
      "warning",
      range,
      "step after `join()`",
      "imported anyway; LLMCompiler expects `join()` to be the last step",
    ),
  unreadableStep: (range: Range, step: string, expected: string) =>
    make(
      "I013",
      "error",
      range,
      `cannot read ${step}: expected ${expected}`,
      "the step is not imported",
    ),
  noSteps: (range: Range, format: string) =>
    make("I014", "error", range, `no ${format} step found`, "nothing to import"),
  invalidToolName: (range: Range, name: string) =>
    make(
      "I015",
      "error",
      range,
      `\`${name}\` is not a valid Weft tool name`,
      "rename it with the `map` option (`--map OLD=new.name`)",
    ),
  unsupportedEscape: (range: Range, escape: string) =>
    make("I016", "warning", range, `escape \`${escape}\` is kept as written`),
  noResultVariable: (range: Range) =>
    make(
      "I017",
      "warning",
      range,
      "this call has no `= yN` result variable",
      "imported as a call statement; its result cannot be referenced",
    ),
} as const;

/** Every import code, for documentation and the corpus tables. */
export const IMPORT_CODES = Object.freeze([
  "I001",
  "I002",
  "I003",
  "I004",
  "I005",
  "I006",
  "I007",
  "I008",
  "I009",
  "I010",
  "I011",
  "I012",
  "I013",
  "I014",
  "I015",
  "I016",
  "I017",
] as const);
