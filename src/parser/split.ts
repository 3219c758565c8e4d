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

/** Deeper nesting is refused: the parser is recursive, and no real plan nests this deep. */
export const MAX_DEPTH = 128;

export interface StatementTokens {
  tokens: IToken[];
  /** True when the statement is broken in a way already reported (unclosed bracket, unterminated string, nesting too deep). */
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
  // `input` and `return` are also fine argument and object keys (`f(input: 1)`).
  if (t.tokenType === T.Input) return tokens[i + 1]?.tokenType === T.Variable;
  if (t.tokenType === T.Return) {
    const next = tokens[i + 1]?.tokenType;
    return next !== T.Colon && next !== T.Equals;
  }
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
  // `open` and `waiting` are emptied, not replaced, between statements.
  const open: IToken[] = [];
  let tooDeep = false;
  let unterminated = false;
  // How many open brackets wait for each closer: finds a match without a scan.
  const waiting = new Map<string, number>();
  const closeInnermost = (): string | undefined => {
    const o = open.pop();
    const close = o === undefined ? undefined : closerOf.get(o.image);
    if (close !== undefined) waiting.set(close, (waiting.get(close) ?? 1) - 1);
    return close;
  };

  const reportUnclosed = (): void => {
    // An unterminated string most likely swallowed the closer: P002 says it all.
    if (unterminated) return;
    const last = current[current.length - 1];
    const at = last === undefined ? 0 : tokenEnd(last);
    // One diagnostic for the innermost bracket; its help closes them all.
    const innermost = open[open.length - 1];
    if (innermost === undefined) return;
    const closers = open
      .slice()
      .reverse()
      .map((o) => closerOf.get(o.image) ?? ")")
      .join("");
    diagnostics.push(
      diag.unclosedBracket(
        lines.range(at, at),
        innermost.image,
        closers.length > 16 ? `${closers.slice(0, 16)}…` : closers,
        lines.range(innermost.startOffset, tokenEnd(innermost)),
      ),
    );
  };
  const flush = (truncated: boolean): void => {
    if (current.length > 0)
      statements.push({ tokens: current, truncated: truncated || tooDeep || unterminated });
    current = [];
    open.length = 0;
    waiting.clear();
    tooDeep = false;
    unterminated = false;
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
    if (t.tokenType === T.UnterminatedString || t.tokenType === T.UnterminatedTriple) {
      const triple = t.tokenType === T.UnterminatedTriple;
      diagnostics.push(diag.unterminatedString(lines.range(t.startOffset, tokenEnd(t)), triple));
      unterminated = true;
    } else if (isOpener(t)) {
      open.push(t);
      const close = closerOf.get(t.image) ?? ")";
      waiting.set(close, (waiting.get(close) ?? 0) + 1);
      if (open.length === MAX_DEPTH + 1) {
        diagnostics.push(diag.tooDeep(lines.range(t.startOffset, tokenEnd(t)), MAX_DEPTH));
        tooDeep = true;
      }
    } else if (isCloser(t)) {
      if (open.length === 0) {
        diagnostics.push(diag.unmatchedBracket(lines.range(t.startOffset, tokenEnd(t)), t.image));
        continue;
      }
      // A closer of the wrong kind closes the bracket it matches if one is
      // open (`f([1, 2)`), else the innermost one, so that the parser reports
      // one mismatch instead of the rest of the file.
      if ((waiting.get(t.image) ?? 0) > 0) {
        while (closeInnermost() !== t.image);
      } else {
        closeInnermost();
      }
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
