// ## The formatter: a plan in canonical layout
// One statement per line; `$x = tool(a, key: value)`; single spaces around `=`,
// after `,` and `:`; strings double-quoted (triple-quoted ones stay so);
// numbers as written. A statement longer than 100 columns breaks its
// outermost bracket first, one item per line with a trailing comma
// (format-layout.ts). Comments are never dropped; where each one goes is
// described in format-comments.ts (in short: a comment inside brackets forces
// its innermost bracket to break and stays on its item's line, or on its own
// line before the next item). Up to one blank line between statements is
// kept; the file ends with exactly one newline.
import { hasErrors, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Arg, Comment, Each, Expr, ObjectEntry, Plan, Statement } from "./ast.js";
import { placeComments, type Bracketed, type CommentPlacement } from "./format-comments.js";
import { group, item, layout, type Doc, type GroupItem } from "./format-layout.js";
import { parse } from "./parse.js";
import { printKey, printRef, printString } from "./print-string.js";

const BRACKETS: Record<Bracketed["kind"], [string, string]> = {
  Call: ["(", ")"],
  List: ["[", "]"],
  Object: ["{", "}"],
};

function commentText(c: Comment): string {
  return `#${c.text.trimEnd()}`;
}

class DocBuilder {
  readonly #placement: CommentPlacement;

  constructor(placement: CommentPlacement) {
    this.#placement = placement;
  }

  statement(s: Statement, source: string): Doc {
    switch (s.kind) {
      case "Input": {
        const parts: Doc[] = [`input $${s.name.name}`];
        if (s.type !== undefined) parts.push(`: ${s.type.name}`);
        if (s.default !== undefined) parts.push(" = ", this.expr(s.default));
        return parts;
      }
      case "Binding":
        return [
          `$${s.target.name} = `,
          s.value.kind === "Each" ? this.each(s.value) : this.expr(s.value),
        ];
      case "CallStatement":
        return this.expr(s.call);
      case "Return":
        return ["return ", this.expr(s.value)];
      case "Invalid":
        // Never reached through formatText, which refuses plans with syntax errors.
        return source.slice(s.range.start.offset, s.range.end.offset);
    }
  }

  each(e: Each): Doc {
    return [`each $${e.variable.name} in `, this.expr(e.over), ": ", this.expr(e.body)];
  }

  expr(e: Expr): Doc {
    switch (e.kind) {
      case "Call":
        return [e.callee.name, this.#bracket(e)];
      case "List":
      case "Object":
        return this.#bracket(e);
      case "Ref":
        return printRef(e);
      case "String":
        return printString(e);
      case "Number":
        return e.raw;
      case "Boolean":
        return e.value ? "true" : "false";
      case "Null":
        return "null";
    }
  }

  #arg(a: Arg): Doc {
    return a.name === undefined ? this.expr(a.value) : [`${a.name.name}: `, this.expr(a.value)];
  }

  #entry(en: ObjectEntry): Doc {
    return [`${printKey(en.key.name)}: `, this.expr(en.value)];
  }

  #bracket(node: Bracketed): Doc {
    const [open, close] = BRACKETS[node.kind];
    const docs =
      node.kind === "Call"
        ? node.args.map((a) => this.#arg(a))
        : node.kind === "List"
          ? node.items.map((i) => this.expr(i))
          : node.entries.map((en) => this.#entry(en));
    const c = this.#placement.brackets.get(node);
    const items: GroupItem[] = docs.map((d, i) => {
      const trailing = c?.trailing.get(i);
      return item(d, (c?.leading.get(i) ?? []).map(commentText), trailing && commentText(trailing));
    });
    return group(open, close, items, {
      afterOpen: c?.afterOpen && commentText(c.afterOpen),
      dangling: (c?.dangling ?? []).map(commentText),
    });
  }
}

/** Prints a parsed plan in canonical layout; `source` is the text it was parsed from. */
export function format(plan: Plan, source: string): string {
  const placement = placeComments(plan);
  const builder = new DocBuilder(placement);
  const lines: string[] = [];
  let previousEnd: number | undefined;
  for (const el of placement.elements) {
    if (previousEnd !== undefined && el.startLine - previousEnd > 1) lines.push("");
    previousEnd = el.endLine;
    if (el.kind === "comment") {
      lines.push(commentText(el.comment));
      continue;
    }
    const stmt = plan.statements[el.index]!;
    const comments = placement.statements[el.index]!;
    lines.push(...comments.inside.map(commentText));
    let text = layout(builder.statement(stmt, source));
    if (comments.trailing !== undefined) text += `  ${commentText(comments.trailing)}`;
    lines.push(text);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

export interface FormatResult {
  /** The formatted text; absent when the plan has syntax errors. */
  text?: string;
  diagnostics: Diagnostic[];
}

/** Parses and formats; refuses (no `text`) when parsing reports an error. */
export function formatText(text: string): FormatResult {
  const { plan, diagnostics } = parse(text);
  if (hasErrors(diagnostics)) return { diagnostics };
  return { text: format(plan, text), diagnostics };
}
