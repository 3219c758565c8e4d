// ## Statements from tokens
// A newline ends a statement only at bracket depth 0. This pass drops the
// newlines inside brackets and cuts the token stream into one group per
// statement, so that each statement parses on its own: a mistake in one
// never hides the next, and a streamed plan can be cut the same way.
import type { IToken } from "chevrotain";
import { diag } from "../diagnostics/catalogue.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { LineMap } from "../diagnostics/range.js";
import * as T from "./tokens.js";

export interface StatementTokens {
  tokens: IToken[];
  /** True when the statement was cut short by an unclosed bracket (already reported). */
  truncated: boolean;
}

const closerOf = new Map<string, string>([
  ["(", ")"],
  ["[", "]"],
  ["{", "}"],
]);

function isOpener(t: IToken): boolean {
  return t.tokenType === T.LParen || t.tokenType === T.LBracket || t.tokenType === T.LBrace;
}

function isCloser(t: IToken): boolean {
  return t.tokenType === T.RParen || t.tokenType === T.RBracket || t.tokenType === T.RBrace;
}

/** A line that starts like this cannot continue an argument list: the statement above is unclosed. */
function startsStatement(tokens: IToken[], i: number): boolean {
  const t = tokens[i];
  if (t === undefined) return false;
  if (t.tokenType === T.Input || t.tokenType === T.Return) return true;
  return t.tokenType === T.Variable && tokens[i + 1]?.tokenType === T.Equals;
}

export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

export function splitStatements(
  tokens: IToken[],
  lines: LineMap,
  diagnostics: Diagnostic[],
): StatementTokens[] {
  const statements: StatementTokens[] = [];
  let current: IToken[] = [];
  let open: IToken[] = [];

  const reportUnclosed = (): void => {
    const last = current[current.length - 1];
    const at = last === undefined ? 0 : tokenEnd(last);
    for (const o of open.slice().reverse()) {
      const close = closerOf.get(o.image) ?? ")";
      diagnostics.push(
        diag.unclosedBracket(
          lines.range(at, at),
          o.image,
          close,
          lines.range(o.startOffset, tokenEnd(o)),
        ),
      );
    }
  };
  const flush = (truncated: boolean): void => {
    if (current.length > 0) statements.push({ tokens: current, truncated });
    current = [];
    open = [];
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.tokenType === T.Newline) {
      if (open.length === 0) {
        flush(false);
        continue;
      }
      let next = i + 1;
      while (tokens[next]?.tokenType === T.Newline) next++;
      if (startsStatement(tokens, next)) {
        reportUnclosed();
        flush(true);
      }
      continue;
    }
    if (isOpener(t)) {
      open.push(t);
    } else if (isCloser(t)) {
      if (open.length === 0) {
        diagnostics.push(diag.unmatchedBracket(lines.range(t.startOffset, tokenEnd(t)), t.image));
        continue;
      }
      // A closer of the wrong kind still closes the innermost bracket, so
      // that the parser reports one mismatch instead of the rest of the file.
      open.pop();
    }
    current.push(t);
  }
  if (open.length > 0) {
    reportUnclosed();
    flush(true);
  } else {
    flush(false);
  }
  return statements;
}
