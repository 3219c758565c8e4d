// ## parse: text -> AST + diagnostics
// Lex, cut into statements at depth-0 newlines, parse each statement on its
// own, build the AST. Never throws on any input.
import type { IRecognitionException, IToken } from "chevrotain";
import { diag } from "../diagnostics/catalogue.js";
import { sortDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import { LineMap } from "../diagnostics/range.js";
import type { Comment, Plan, Statement } from "./ast.js";
import { splitStatements, tokenEnd, type StatementTokens } from "./split.js";
import * as T from "./tokens.js";
import { AstBuilder, Malformed, parserInstance } from "./to-ast.js";

export interface ParseResult {
  plan: Plan;
  diagnostics: Diagnostic[];
}

export function parse(text: string): ParseResult {
  const lines = new LineMap(text);
  const diagnostics: Diagnostic[] = [];
  const lexed = T.planLexer.tokenize(text);

  const badOffsets: number[] = [];
  for (const e of lexed.errors) {
    const length = Math.max(1, e.length);
    diagnostics.push(
      diag.unexpectedCharacter(
        lines.range(e.offset, e.offset + length),
        text.slice(e.offset, e.offset + length),
      ),
    );
    badOffsets.push(e.offset);
  }

  const comments: Comment[] = (lexed.groups["comments"] ?? []).map((t: IToken) => ({
    text: t.image.slice(1),
    range: lines.range(t.startOffset, tokenEnd(t)),
  }));

  const builder = new AstBuilder(lines);
  const statements = splitStatements(lexed.tokens, lines, diagnostics).map((s) =>
    parseStatement(s, lines, diagnostics, badOffsets, builder),
  );

  return {
    plan: { kind: "Plan", statements, comments, range: lines.range(0, text.length) },
    diagnostics: sortDiagnostics(diagnostics),
  };
}

function invalid(tokens: IToken[], lines: LineMap): Statement {
  const first = tokens[0]!;
  const last = tokens[tokens.length - 1]!;
  const stmt: Statement = {
    kind: "Invalid",
    range: lines.range(first.startOffset, tokenEnd(last)),
  };
  const v =
    first.tokenType === T.Input ? tokens[1] : tokens[1]?.tokenType === T.Equals ? first : undefined;
  if (v?.tokenType === T.Variable) {
    stmt.defines = {
      kind: "Var",
      name: v.image.slice(1),
      range: lines.range(v.startOffset, tokenEnd(v)),
    };
  }
  return stmt;
}

function parseStatement(
  { tokens, truncated }: StatementTokens,
  lines: LineMap,
  diagnostics: Diagnostic[],
  badOffsets: number[],
  builder: AstBuilder,
): Statement {
  const first = tokens[0]!;
  const last = tokens[tokens.length - 1]!;
  if (truncated || hasBadCharacter(badOffsets, first, last, lines)) return invalid(tokens, lines);

  parserInstance.input = tokens;
  const cst = parserInstance.statement();
  const error = parserInstance.errors[0];
  if (error !== undefined || cst === undefined) {
    if (error !== undefined) diagnostics.push(syntaxDiagnostic(error, tokens, lines));
    return invalid(tokens, lines);
  }

  const local: Diagnostic[] = [];
  try {
    builder.sink = local;
    const stmt = builder.visit(cst) as Statement;
    diagnostics.push(...local);
    return local.some((d) => d.severity === "error") ? invalid(tokens, lines) : stmt;
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    diagnostics.push(...local);
    diagnostics.push(
      diag.syntaxError(lines.range(first.startOffset, tokenEnd(last)), "malformed statement"),
    );
    return invalid(tokens, lines);
  }
}

// A stray character anywhere on a statement's lines breaks that statement, even
// after its last token (`$x = @`): otherwise the parser reports a cascade.
function hasBadCharacter(
  badOffsets: number[],
  first: IToken,
  last: IToken,
  lines: LineMap,
): boolean {
  if (badOffsets.length === 0) return false;
  const from = lineStart(first.startOffset, lines);
  const end = lines.position(tokenEnd(last));
  const to = lineStart(end.offset, lines) + lines.lineText(end.line).length;
  // Lexer errors come in offset order: the first one at or after `from` decides.
  let lo = 0;
  let hi = badOffsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((badOffsets[mid] as number) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < badOffsets.length && (badOffsets[lo] as number) < to;
}

function lineStart(offset: number, lines: LineMap): number {
  return offset - (lines.position(offset).column - 1);
}

/**
 * The one diagnostic for a statement that does not parse: a targeted hint for
 * the mistakes people and LLMs make, else Chevrotain's message at its token.
 */
function syntaxDiagnostic(e: IRecognitionException, tokens: IToken[], lines: LineMap): Diagnostic {
  const first = tokens[0] as IToken;
  const last = tokens[tokens.length - 1] as IToken;
  const t = e.token;
  const atEnd = Number.isNaN(t.startOffset) || t.tokenType.name === "EOF";
  const i = atEnd ? tokens.length : tokens.indexOf(t);
  const prev = tokens[i - 1];
  if (isBareExpression(tokens)) {
    return diag.bareExpression(lines.range(first.startOffset, tokenEnd(last)));
  }
  if (first.tokenType === T.Identifier && tokens[1]?.tokenType === T.Equals) {
    return diag.syntaxError(
      lines.range(first.startOffset, tokenEnd(first)),
      `a variable name starts with \`$\``,
      `write \`$${first.image} = ...\``,
    );
  }
  if ((t.tokenType === T.LBracket || t.tokenType === T.Dot) && prev?.tokenType === T.RParen) {
    return diag.syntaxError(
      lines.range(t.startOffset, tokenEnd(t)),
      "fields and indexes apply to variables, not to calls",
      "bind the call first (`$r = tool(...)`), then write `$r[0].field`",
    );
  }
  if (e.name === "NotAllInputParsedException") {
    return diag.expectedNewline(lines.range(t.startOffset, tokenEnd(t)));
  }
  // `web.search` lacks its `(`: that is no bare word.
  if (
    e.message.startsWith("expected '('") &&
    prev?.tokenType === T.Identifier &&
    tokens[i - 2]?.tokenType !== T.Dot
  ) {
    return bareWord(prev, lines);
  }
  const at = atEnd ? tokenEnd(last) : t.startOffset;
  return diag.syntaxError(lines.range(at, atEnd ? at : tokenEnd(t)), e.message);
}

/** An unquoted word where a value belongs: LLMs write `search(Tokyo)`. */
function bareWord(t: IToken, lines: LineMap): Diagnostic {
  return diag.syntaxError(
    lines.range(t.startOffset, tokenEnd(t)),
    `\`${t.image}\` is not a value`,
    `write text in quotes ("${t.image}"), a variable with \`$\` ($${t.image}), or call a tool: ${t.image}(...)`,
  );
}

/** `"text"` or `$x` alone on a line: valid as a value, not as a statement. */
function isBareExpression(tokens: IToken[]): boolean {
  const t0 = tokens[0]?.tokenType;
  if (t0 === T.Identifier || t0 === T.Input || t0 === T.Return) return false;
  if (t0 === T.Variable && tokens[1]?.tokenType === T.Equals) return false;
  parserInstance.input = tokens;
  parserInstance.expression();
  return parserInstance.errors.length === 0;
}
