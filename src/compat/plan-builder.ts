// ## From steps read out of a peer's plan to canonical Weft text
// Every reader turns its format into the same small model (statements whose
// values are text with references, literals, lists and calls; notes in
// between), and this builder prints it as Weft and formats it. Each statement
// keeps the ranges it came from in the ORIGINAL text, so diagnostics about the
// Weft text can be pointed back at the peer's plan (see check.ts).
import { sortDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Range } from "../diagnostics/range.js";
import type { Ref, StringLit, StringPart } from "../parser/ast.js";
import { formatText } from "../parser/format.js";
import { printKey, printString } from "../parser/print-string.js";
import { TEXT_START } from "./diagnostics.js";

/** Text and references: a Weft string with interpolation. */
export type Part = string | { ref: string };

export type Value =
  | { kind: "text"; parts: Part[] }
  | { kind: "ref"; name: string }
  | { kind: "number"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "null" }
  | { kind: "list"; items: Value[] }
  | { kind: "object"; entries: [string, Value][] }
  | { kind: "call"; tool: string; args: Arg[] };

export interface Arg {
  name?: string;
  value: Value;
  /** Where the argument was written in the original text. */
  range: Range;
}

/** Where one Weft statement came from in the original text. */
export interface Origin {
  /** The whole step. */
  range: Range;
  /** The tool name, when the step is one call. */
  tool?: Range;
  /** Each argument of that call, in order. */
  args: Range[];
}

export interface Statement {
  /** The Weft variable without `$`; absent for a call statement. */
  binding?: string;
  value: Value;
  origin: Origin;
}

type Item = { kind: "comment"; text: string } | { kind: "statement"; statement: Statement };

/** The result every reader builds: the contract's ImportResult plus the statements' origins. */
export interface BuiltPlan {
  text: string;
  diagnostics: Diagnostic[];
  notes: string[];
  steps: number;
  complete: boolean;
  /** One per Weft statement of `text`, in order. */
  origins: Origin[];
  /** Each step's dependencies in the original (the Weft names of the steps it uses). */
  edges: Map<string, string[]>;
}

// ## Printing values
// Strings go through the formatter's own printer, so every `$`, `"` and `\` of
// the original text is escaped exactly as much as the parser needs.

function stringLiteral(parts: readonly Part[]): StringLit {
  const out: StringPart[] = parts.map((p): StringPart => {
    if (typeof p === "string") return { kind: "Text", value: p, range: TEXT_START };
    const ref: Ref = {
      kind: "Ref",
      variable: { kind: "Var", name: p.ref, range: TEXT_START },
      path: [],
      range: TEXT_START,
    };
    return ref;
  });
  return { kind: "String", style: "double", parts: out, range: TEXT_START };
}

function printArgs(args: readonly Arg[]): string {
  return args
    .map((a) => (a.name === undefined ? "" : `${printKey(a.name)}: `) + printValue(a.value))
    .join(", ");
}

function printValue(v: Value): string {
  switch (v.kind) {
    case "text":
      return printString(stringLiteral(v.parts));
    case "ref":
      return `$${v.name}`;
    case "number":
      return Number.isFinite(v.value) ? JSON.stringify(v.value) : "null";
    case "bool":
      return v.value ? "true" : "false";
    case "null":
      return "null";
    case "list":
      return `[${v.items.map(printValue).join(", ")}]`;
    case "object":
      return `{${v.entries.map(([k, x]) => `${printKey(k)}: ${printValue(x)}`).join(", ")}}`;
    case "call":
      return `${v.tool}(${printArgs(v.args)})`;
  }
}

/** A note as one comment line: line breaks would end the comment early. */
function commentLine(text: string): string {
  const flat = text.replace(/[\r\n]+/g, " ").trimEnd();
  return flat === "" ? "#" : `# ${flat}`;
}

// ## The builder

export class PlanBuilder {
  readonly #items: Item[] = [];
  readonly notes: string[] = [];
  readonly diagnostics: Diagnostic[] = [];
  readonly edges = new Map<string, string[]>();
  steps = 0;

  /** Reasoning text (`Plan:`, `Thought:`): a note and a comment. */
  note(text: string): void {
    this.notes.push(text);
    this.#items.push({ kind: "comment", text });
  }

  /** A comment only (a step that was not imported, a marker). */
  comment(text: string): void {
    this.#items.push({ kind: "comment", text });
  }

  statement(s: Statement): void {
    this.#items.push({ kind: "statement", statement: s });
  }

  report(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  build(complete: boolean): BuiltPlan {
    const lines: string[] = [];
    const origins: Origin[] = [];
    for (const item of this.#items) {
      if (item.kind === "comment") {
        for (const line of item.text.split(/\r\n|\r|\n/)) lines.push(commentLine(line));
        continue;
      }
      const { binding, value, origin } = item.statement;
      lines.push(binding === undefined ? printValue(value) : `$${binding} = ${printValue(value)}`);
      origins.push(origin);
    }
    sortDiagnostics(this.diagnostics);
    const raw = lines.length === 0 ? "" : `${lines.join("\n")}\n`;
    // The text is generated, so it always parses; the fallback only guards
    // the contract (the caller still gets a plan and its diagnostics).
    const formatted = formatText(raw).text ?? raw;
    return {
      text: formatted,
      diagnostics: this.diagnostics,
      notes: this.notes,
      steps: this.steps,
      complete,
      origins,
      edges: this.edges,
    };
  }
}
