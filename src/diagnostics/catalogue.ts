// Every user-facing message of Weft lives here, one factory per stable code.
// Codes never change meaning; a retired code is never reused.
import type { Diagnostic, RelatedInfo } from "./diagnostic.js";
import { plainRange, type Range } from "./range.js";

function error(
  code: string,
  range: Range,
  message: string,
  help?: string,
  related?: RelatedInfo[],
): Diagnostic {
  const d: Diagnostic = { code, severity: "error", message, range: plainRange(range) };
  if (help !== undefined) d.help = help;
  if (related !== undefined && related.length > 0) {
    d.related = related.map((r) => ({ message: r.message, range: plainRange(r.range) }));
  }
  return d;
}

function warning(code: string, range: Range, message: string, help?: string): Diagnostic {
  const d: Diagnostic = { code, severity: "warning", message, range: plainRange(range) };
  if (help !== undefined) d.help = help;
  return d;
}

function didYouMean(suggestion: string | undefined, prefix = ""): string | undefined {
  return suggestion === undefined ? undefined : `did you mean \`${prefix}${suggestion}\`?`;
}

export const diag = {
  // ## Syntax (P)
  unexpectedCharacter: (range: Range, char: string) =>
    error("P001", range, `unexpected character ${JSON.stringify(char)}`),
  unterminatedString: (range: Range, triple: boolean) =>
    error(
      "P002",
      range,
      triple ? "unterminated triple-quoted string" : "unterminated string",
      triple
        ? 'close it with `"""`'
        : 'a string ends on the line where it starts; use `"""..."""` for text that spans lines',
    ),
  invalidEscape: (range: Range, escape: string) =>
    error(
      "P003",
      range,
      `invalid escape sequence \`${escape}\``,
      "valid escapes: \\\\ \\\" \\' \\n \\t \\r \\$ \\u{hex}",
    ),
  syntaxError: (range: Range, message: string, help?: string) =>
    error("P004", range, message, help),
  unclosedBracket: (range: Range, open: string, close: string, opened: Range) =>
    error("P005", range, `\`${open}\` is never closed`, `add \`${close}\``, [
      { message: `\`${open}\` opened here`, range: opened },
    ]),
  unmatchedBracket: (range: Range, close: string) =>
    error(
      "P006",
      range,
      `unmatched \`${close}\``,
      "remove it, or add the opening bracket it closes",
    ),
  expectedNewline: (range: Range) =>
    error("P007", range, "expected the end of the statement", "put one statement per line"),
  invalidNumber: (range: Range, text: string) =>
    error(
      "P008",
      range,
      `invalid number \`${text}\``,
      "numbers use JSON syntax: 12, -3.5, 1e6 (no leading zeros, no trailing dot)",
    ),
  invalidInterpolation: (range: Range, detail: string) =>
    error(
      "P009",
      range,
      `invalid interpolation: ${detail}`,
      "write `${name}`, `${name.field[0]}`, or `\\$` for a literal dollar sign",
    ),
  tooDeep: (range: Range, max: number) =>
    error(
      "P011",
      range,
      `brackets nested more than ${max} deep`,
      "flatten the value, or bind parts of it to variables",
    ),
  bareExpression: (range: Range) =>
    error(
      "P010",
      range,
      "only a tool call can stand alone as a statement",
      "bind the value to a variable: `$name = ...`, or `return` it",
    ),

  // ## Names and structure (C0xx)
  redefinition: (range: Range, name: string, first: Range) =>
    error(
      "C001",
      range,
      `\`$${name}\` is already defined`,
      "variables are assigned once; choose a new name",
      [{ message: `\`$${name}\` first defined here`, range: first }],
    ),
  undefinedVariable: (range: Range, name: string, suggestion?: string) =>
    error("C002", range, `\`$${name}\` is not defined`, didYouMean(suggestion, "$")),
  usedBeforeDefinition: (range: Range, name: string, defined: Range) =>
    error(
      "C003",
      range,
      `\`$${name}\` is used before it is defined`,
      "move this statement below the definition",
      [{ message: `\`$${name}\` is defined here`, range: defined }],
    ),
  unknownTool: (range: Range, name: string, suggestion?: string) =>
    error(
      "C004",
      range,
      `unknown tool \`${name}\``,
      didYouMean(suggestion) ?? "only registered tools can be called",
    ),
  tooManyArguments: (range: Range, tool: string, max: number, given: number) =>
    error(
      "C005",
      range,
      `\`${tool}\` takes at most ${max} positional argument${max === 1 ? "" : "s"}, but ${given} were given`,
    ),
  unknownArgument: (range: Range, tool: string, name: string, suggestion?: string) =>
    error("C006", range, `\`${tool}\` has no parameter \`${name}\``, didYouMean(suggestion)),
  missingArgument: (range: Range, tool: string, names: string[]) =>
    error(
      "C007",
      range,
      `\`${tool}\` is missing required argument${names.length === 1 ? "" : "s"} ${names.map((n) => `\`${n}\``).join(", ")}`,
    ),
  duplicateArgument: (range: Range, tool: string, name: string) =>
    error("C008", range, `argument \`${name}\` of \`${tool}\` is given more than once`),
  typeMismatch: (range: Range, expected: string, found: string, where: string) =>
    error("C009", range, `${where} expects ${expected}, but this is ${found}`),
  noSuchField: (range: Range, field: string, type: string, suggestion?: string) =>
    error("C010", range, `no field \`${field}\` on ${type}`, didYouMean(suggestion)),
  notIndexable: (range: Range, type: string) =>
    error("C011", range, `cannot index into ${type}`, "only lists can be indexed with `[n]`"),
  eachOverNonList: (range: Range, type: string) =>
    error("C012", range, `\`each\` needs a list, but this is ${type}`),
  returnNotLast: (range: Range) =>
    error("C013", range, "`return` must be the last statement", "move it to the end of the plan"),
  duplicateReturn: (range: Range, first: Range) =>
    error("C014", range, "a plan has at most one `return`", undefined, [
      { message: "first `return` here", range: first },
    ]),
  unusedBinding: (range: Range, name: string) =>
    warning(
      "C015",
      range,
      `\`$${name}\` is never used`,
      "the plan has a `return`, so this result is computed and dropped",
    ),
  duplicateKey: (range: Range, key: string) =>
    error("C016", range, `duplicate key \`${key}\` in object`),
  positionalAfterNamed: (range: Range) =>
    error("C017", range, "positional argument after a named one", "put positional arguments first"),
  inputAfterStatement: (range: Range) =>
    warning(
      "C018",
      range,
      "`input` declared after other statements",
      "declare inputs at the top of the plan",
    ),
  eachVariableShadows: (range: Range, name: string) =>
    error(
      "C019",
      range,
      `the \`each\` variable \`$${name}\` shadows a plan variable`,
      "choose a name that is not used elsewhere",
    ),
  callDenied: (range: Range, reason: string) =>
    warning("C020", range, `this call will be denied: ${reason}`),

  // ## Graph (G): IR read from JSON
  invalidGraph: (range: Range, message: string) =>
    error("G001", range, `invalid plan graph: ${message}`),
  unsupportedVersion: (range: Range, version: unknown) =>
    error(
      "G002",
      range,
      `unsupported plan graph version ${JSON.stringify(version)}`,
      "this Weft reads version 1",
    ),
  danglingReference: (range: Range, from: string, to: string) =>
    error("G003", range, `node \`${from}\` refers to \`${to}\`, which does not exist`),
  cycle: (range: Range, ids: string[]) =>
    error(
      "G004",
      range,
      `the graph has a cycle: ${[...ids, ids[0]].join(" -> ")}`,
      "a plan graph must be acyclic",
    ),
  duplicateNodeId: (range: Range, id: string) =>
    error("G005", range, `duplicate node id \`${id}\``),
} as const;

export type DiagnosticFactory = keyof typeof diag;
