// ## The statement grammar
// Pure grammar, no semantics: the CST becomes an AST in `to-ast.ts`.
// Rules are class fields, so a misspelt rule name is a compile error.
import {
  CstParser,
  type CstNode,
  type IOrAlt,
  type IParserErrorMessageProvider,
  type TokenType,
} from "chevrotain";
import * as T from "./tokens.js";

const ruleDescriptions: Record<string, string> = {
  statement: "a statement (`$name = ...`, `input`, `return` or a tool call)",
  expression: "a value (a call, a `$variable`, a string, a number, a list or an object)",
  argument: "an argument",
  name: "a name",
  entry: "an object entry (`key: value`)",
  literal: "a value",
  inputType: "a type",
  binding: "a value",
  eachExpr: "a value",
  returnStmt: "a value",
  callStmt: "a tool call",
};

function describe(t: TokenType): string {
  return typeof t.LABEL === "string" ? t.LABEL : t.name;
}

function found(image: string, type: TokenType): string {
  if (type.name === "EOF") return "the end of the line";
  return `\`${image}\``;
}

/** Messages that read like a person wrote them: "expected ')' but found `x`". */
export const errorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${describe(expected)} but found ${found(actual.image, actual.tokenType)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${found(firstRedundant.image, firstRedundant.tokenType)} after the end of the statement`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    const first = actual[0];
    const what = ruleDescriptions[ruleName] ?? ruleName;
    return `expected ${what} but found ${first ? found(first.image, first.tokenType) : "the end of the line"}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    const first = actual[0];
    const what = ruleDescriptions[ruleName] ?? ruleName;
    return `expected ${what} but found ${first ? found(first.image, first.tokenType) : "the end of the line"}`;
  },
};

export class PlanParser extends CstParser {
  // Alternatives built once and reused: a fresh array of closures on every
  // OR is the largest avoidable cost in Chevrotain (its performance guide).
  #statementAlts: IOrAlt<unknown>[] | undefined;
  #bindingAlts: IOrAlt<unknown>[] | undefined;
  #expressionAlts: IOrAlt<unknown>[] | undefined;
  #literalAlts: IOrAlt<unknown>[] | undefined;
  #namedArgAlts: IOrAlt<unknown>[] | undefined;
  #refStepAlts: IOrAlt<unknown>[] | undefined;
  #entryKeyAlts: IOrAlt<unknown>[] | undefined;
  #nameAlts: IOrAlt<unknown>[] | undefined;

  constructor() {
    super(T.allTokens, {
      // Chevrotain's recovery works inside one statement; across statements
      // the splitter isolates them (see split.ts), so a statement with a
      // syntax error becomes an Invalid node, reported once at its first
      // error, and the next line parses afresh.
      recoveryEnabled: true,
      // No CST locations: the AST builder takes ranges from tokens (less garbage).
      nodeLocationTracking: "none",
      errorMessageProvider: errorMessages,
      maxLookahead: 3,
    });
    this.performSelfAnalysis();
  }

  statement = this.RULE("statement", () => {
    this.OR(
      (this.#statementAlts ??= [
        { ALT: () => this.SUBRULE(this.inputDecl) },
        { ALT: () => this.SUBRULE(this.returnStmt) },
        { ALT: () => this.SUBRULE(this.binding) },
        { ALT: () => this.SUBRULE(this.callStmt) },
      ]),
    );
  });

  inputDecl = this.RULE("inputDecl", () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Variable, { LABEL: "variable" });
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.CONSUME(T.Identifier, { LABEL: "type" });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression, { LABEL: "default" });
    });
  });

  returnStmt = this.RULE("returnStmt", () => {
    this.CONSUME(T.Return);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  binding = this.RULE("binding", () => {
    this.CONSUME(T.Variable, { LABEL: "target" });
    this.CONSUME(T.Equals);
    this.OR(
      (this.#bindingAlts ??= [
        { ALT: () => this.SUBRULE(this.eachExpr, { LABEL: "each" }) },
        { ALT: () => this.SUBRULE(this.expression, { LABEL: "value" }) },
      ]),
    );
  });

  eachExpr = this.RULE("eachExpr", () => {
    this.CONSUME(T.Each);
    this.CONSUME(T.Variable, { LABEL: "variable" });
    this.CONSUME(T.In);
    this.SUBRULE(this.expression, { LABEL: "over" });
    this.CONSUME(T.Colon);
    this.SUBRULE2(this.expression, { LABEL: "body" });
  });

  callStmt = this.RULE("callStmt", () => {
    this.SUBRULE(this.call);
  });

  expression = this.RULE("expression", () => {
    this.OR(
      (this.#expressionAlts ??= [
        { ALT: () => this.SUBRULE(this.call) },
        { ALT: () => this.SUBRULE(this.reference) },
        { ALT: () => this.SUBRULE(this.list) },
        { ALT: () => this.SUBRULE(this.object) },
        { ALT: () => this.SUBRULE(this.literal) },
      ]),
    );
  });

  literal = this.RULE("literal", () => {
    this.OR(
      (this.#literalAlts ??= [
        { ALT: () => this.CONSUME(T.DoubleString) },
        { ALT: () => this.CONSUME(T.SingleString) },
        { ALT: () => this.CONSUME(T.TripleString) },
        { ALT: () => this.CONSUME(T.NumberLiteral) },
        { ALT: () => this.CONSUME(T.True) },
        { ALT: () => this.CONSUME(T.False) },
        { ALT: () => this.CONSUME(T.Null) },
      ]),
    );
  });

  call = this.RULE("call", () => {
    this.CONSUME(T.Identifier, { LABEL: "callee" });
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Identifier, { LABEL: "callee" });
    });
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.argument, { LABEL: "args" });
      this.MANY2(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.argument, { LABEL: "args" });
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RParen);
  });

  argument = this.RULE("argument", () => {
    this.OPTION(() => {
      this.SUBRULE(this.name, { LABEL: "key" });
      this.OR(
        (this.#namedArgAlts ??= [
          { ALT: () => this.CONSUME(T.Colon) },
          { ALT: () => this.CONSUME(T.Equals) },
        ]),
      );
    });
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  reference = this.RULE("reference", () => {
    this.CONSUME(T.Variable);
    this.MANY(() => {
      this.OR(
        (this.#refStepAlts ??= [
          {
            ALT: () => {
              this.CONSUME(T.Dot);
              this.SUBRULE(this.name, { LABEL: "field" });
            },
          },
          {
            ALT: () => {
              this.CONSUME(T.LBracket);
              this.CONSUME(T.NumberLiteral, { LABEL: "index" });
              this.CONSUME(T.RBracket);
            },
          },
        ]),
      );
    });
  });

  list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: "items" });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.expression, { LABEL: "items" });
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  object = this.RULE("object", () => {
    this.CONSUME(T.LBrace);
    this.OPTION(() => {
      this.SUBRULE(this.entry, { LABEL: "entries" });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.entry, { LABEL: "entries" });
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  entry = this.RULE("entry", () => {
    this.OR(
      (this.#entryKeyAlts ??= [
        { ALT: () => this.SUBRULE(this.name, { LABEL: "key" }) },
        { ALT: () => this.CONSUME(T.DoubleString, { LABEL: "key" }) },
        { ALT: () => this.CONSUME(T.SingleString, { LABEL: "key" }) },
      ]),
    );
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  name = this.RULE("name", () => {
    this.OR((this.#nameAlts ??= T.nameTokens.map((t) => ({ ALT: () => this.CONSUME(t) }))));
  });
}

export type { CstNode };
