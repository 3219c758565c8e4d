// ## parse: text -> AST + diagnostics
// Lex, cut into statements at depth-0 newlines, parse each statement on its
// own, build the AST. Never throws on any input.
import type { IToken } from "chevrotain";
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
  const lexicallyBroken =
    truncated ||
    (badOffsets.length > 0 &&
      badOffsets.some((o) => o >= lineStart(first.startOffset, lines) && o < lineEnd(last, lines)));
  if (lexicallyBroken) return invalid(tokens, lines);

  parserInstance.input = tokens;
  const cst = parserInstance.statement();
  const errors = parserInstance.errors;
  if (errors.length > 0 || cst === undefined) {
    const e = errors[0];
    if (e !== undefined) {
      if (isBareExpression(tokens)) {
        diagnostics.push(diag.bareExpression(lines.range(first.startOffset, tokenEnd(last))));
      } else {
        const t = e.token;
        const prev =
          tokens[tokens.indexOf(t) - 1] ?? (t.tokenType.name === "EOF" ? last : undefined);
        if (first.tokenType === T.Identifier && tokens[1]?.tokenType === T.Equals) {
          diagnostics.push(
            diag.syntaxError(
              lines.range(first.startOffset, tokenEnd(first)),
              `a variable name starts with \`$\``,
              `write \`$${first.image} = ...\``,
            ),
          );
          return invalid(tokens, lines);
        }
        if ((t.tokenType === T.LBracket || t.tokenType === T.Dot) && prev?.tokenType === T.RParen) {
          diagnostics.push(
            diag.syntaxError(
              lines.range(t.startOffset, tokenEnd(t)),
              "fields and indexes apply to variables, not to calls",
              "bind the call first (`$r = tool(...)`), then write `$r[0].field`",
            ),
          );
          return invalid(tokens, lines);
        }
        if (e.name === "NotAllInputParsedException") {
          diagnostics.push(diag.expectedNewline(lines.range(t.startOffset, tokenEnd(t))));
          return invalid(tokens, lines);
        }
        const beforePrev = prev === undefined ? undefined : tokens[tokens.indexOf(prev) - 1];
        if (
          e.message.startsWith("expected '('") &&
          prev?.tokenType === T.Identifier &&
          beforePrev?.tokenType !== T.Dot // `web.search` lacks its `(`, it is no bare word
        ) {
          diagnostics.push(bareWord(prev, lines));
          return invalid(tokens, lines);
        }
        const at =
          Number.isNaN(t.startOffset) || t.tokenType.name === "EOF"
            ? tokenEnd(last)
            : t.startOffset;
        const end = Number.isNaN(t.startOffset) || t.tokenType.name === "EOF" ? at : tokenEnd(t);
        diagnostics.push(diag.syntaxError(lines.range(at, end), e.message));
      }
    }
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
function lineStart(offset: number, lines: LineMap): number {
  return offset - (lines.position(offset).column - 1);
}

function lineEnd(last: IToken, lines: LineMap): number {
  const end = lines.position(tokenEnd(last));
  return lineStart(end.offset, lines) + lines.lineText(end.line).length;
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
