// ## Tokens
// One ordered list, `allTokens`: earlier patterns win, so strings come before
// their unterminated forms and keywords declare `longer_alt: Identifier`.
import { createToken, Lexer, type TokenType } from "chevrotain";

export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  label: "a name",
});

function keyword(word: string): TokenType {
  return createToken({
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    label: `'${word}'`,
  });
}

export const Input = keyword("input");
export const Each = keyword("each");
export const In = keyword("in");
export const Return = keyword("return");
export const True = keyword("true");
export const False = keyword("false");
export const Null = keyword("null");

/** The keyword tokens: `names.ts` reads the reserved words from them, so there is one list. */
export const keywordTokens: readonly TokenType[] = [Input, Each, In, Return, True, False, Null];

export const Variable = createToken({
  name: "Variable",
  pattern: /\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)/,
  label: "a variable",
});

// Deliberately broad (`01`, `1.`, `1e+`, `2x`, `-`): the exact JSON number
// syntax is checked after lexing so that a malformed number gets one clear diagnostic.
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /-?[0-9](?:[eE][+-]?|\.|[0-9A-Za-z_])*|-/,
  label: "a number",
});

export const TripleString = createToken({
  name: "TripleString",
  pattern: /"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""/,
  line_breaks: true,
  label: "a string",
});
export const DoubleString = createToken({
  name: "DoubleString",
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/,
  label: "a string",
});
export const SingleString = createToken({
  name: "SingleString",
  pattern: /'(?:[^'\\\n\r]|\\[^\n\r])*'/,
  label: "a string",
});
// The unterminated forms exist only to be reported (P002).
export const UnterminatedTriple = createToken({
  name: "UnterminatedTriple",
  pattern: /"""[\s\S]*/,
  line_breaks: true,
  label: "an unterminated string",
});
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /["'](?:[^\\\n\r]|\\[^\n\r])*(?:\\)?/,
  label: "an unterminated string",
});

export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "']'" });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "'}'" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "','" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "':'" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "'='" });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "'.'" });

export const Newline = createToken({
  name: "Newline",
  pattern: /\r\n|\r|\n/,
  line_breaks: true,
  label: "end of line",
});
export const Comment = createToken({
  name: "Comment",
  pattern: /#[^\r\n]*/,
  group: "comments",
  label: "a comment",
});
export const Whitespace = createToken({
  name: "Whitespace",
  pattern: /[ \t\f\v\u00a0\ufeff]+/,
  group: Lexer.SKIPPED,
});

export const allTokens: TokenType[] = [
  Whitespace,
  Newline,
  Comment,
  TripleString,
  UnterminatedTriple,
  DoubleString,
  SingleString,
  UnterminatedString,
  Variable,
  NumberLiteral,
  ...keywordTokens,
  Identifier,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Equals,
  Dot,
];

/** Tokens that may be used where a name is expected (fields, argument and object keys). */
export const nameTokens: TokenType[] = [Identifier, ...keywordTokens];

export const planLexer = new Lexer(allTokens, {
  // Offsets are enough: LineMap works out lines and columns when asked.
  positionTracking: "onlyOffset",
  ensureOptimizations: true,
});
