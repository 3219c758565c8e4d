// The checker: names, scopes, tool signatures and types, all in one pass over
// the plan. It never stops at the first problem: an LLM repairing a plan (or a
// person in an editor) wants every mistake at once. Where a type is unknown it
// is `any`, and the same zod schema validates the value at run time.
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { sortDiagnostics } from "../diagnostics/diagnostic.js";
import { diag } from "../diagnostics/catalogue.js";
import type { Range } from "../diagnostics/range.js";
import { rangeFrom } from "../diagnostics/range.js";
import type {
  Arg,
  Binding,
  Call,
  Each,
  Expr,
  InputDecl,
  ObjectLit,
  Plan,
  Ref,
  Return,
  Statement,
  Var,
} from "../parser/ast.js";
import type { AnyTool, ToolSet } from "./tool.js";
import { toolSet } from "./tool.js";
import { suggest } from "./suggest.js";
import type { Type } from "./types.js";
import {
  ANY,
  NULL,
  STRING,
  describeValueType,
  fieldOf,
  isAssignable,
  isOptionalKey,
  listOf,
  literal,
  objectOf,
  typeFromInputType,
  typeFromZod,
  typeToString,
  unionOf,
} from "./types.js";

export type SymbolKind = "input" | "call" | "each" | "value" | "invalid";

/** A plan-level variable (an `each` loop variable is not one). */
export interface SymbolInfo {
  name: string;
  kind: SymbolKind;
  type: Type;
  /** The defining `$name`. */
  range: Range;
}

export interface CheckOptions {
  /** Without tools, tool names, arity and argument types are not checked. */
  tools?: ToolSet | Iterable<AnyTool>;
}

export interface CheckResult {
  diagnostics: Diagnostic[];
  /** First definition of each plan-level variable, in definition order. */
  symbols: Map<string, SymbolInfo>;
}

export function check(plan: Plan, options: CheckOptions = {}): CheckResult {
  const tools = options.tools === undefined ? undefined : toolSet(options.tools);
  return new Checker(plan, tools).run();
}

/** Expression nesting past which the checker stops looking (the parser's own limit is lower). */
const MAX_NESTING = 1000;

interface LoopVariable {
  name: string;
  type: Type;
}

type Access = { ok: true; type: Type } | { ok: false; error: Diagnostic };

class Checker {
  readonly #plan: Plan;
  readonly #tools: ToolSet | undefined;
  readonly #diagnostics: Diagnostic[] = [];
  readonly #symbols = new Map<string, SymbolInfo>();
  /** Every statement that defines each name, in order: tells "later" (C003) from "never" (C002). */
  readonly #definitions = new Map<string, { index: number; variable: Var }[]>();
  /** Plan-level names referenced anywhere, for C015. */
  readonly #used = new Set<string>();
  #index = 0;
  #loop: LoopVariable | undefined;
  #depth = 0;

  constructor(plan: Plan, tools: ToolSet | undefined) {
    this.#plan = plan;
    this.#tools = tools;
  }

  run(): CheckResult {
    const statements = this.#plan.statements;
    statements.forEach((s, index) => {
      const variable = definedVariable(s);
      if (variable === undefined) return;
      const list = this.#definitions.get(variable.name) ?? [];
      list.push({ index, variable });
      this.#definitions.set(variable.name, list);
    });

    let afterInputs = false;
    let firstReturn: Return | undefined;
    statements.forEach((s, index) => {
      this.#index = index;
      switch (s.kind) {
        case "Input":
          if (afterInputs)
            this.#report(diag.inputAfterStatement(keywordRange(s.range, "input".length)));
          this.#input(s);
          return;
        case "Binding":
          afterInputs = true;
          this.#binding(s);
          return;
        case "CallStatement":
          afterInputs = true;
          this.#call(s.call);
          return;
        case "Return":
          afterInputs = true;
          this.#expr(s.value);
          this.#return(s, index === statements.length - 1, firstReturn);
          firstReturn ??= s;
          return;
        case "Invalid":
          // Its syntax errors are reported already; only keep its name from cascading.
          if (s.defines !== undefined && !this.#symbols.has(s.defines.name)) {
            this.#symbols.set(s.defines.name, symbol(s.defines, "invalid", ANY));
          }
          return;
      }
    });

    // With a syntax error, a use may sit in the statement that did not parse: no unused warnings then.
    const parsedFully = statements.every((s) => s.kind !== "Invalid");
    if (firstReturn !== undefined && parsedFully) this.#reportUnused();
    return { diagnostics: sortDiagnostics(this.#diagnostics), symbols: this.#symbols };
  }

  #report(d: Diagnostic): void {
    this.#diagnostics.push(d);
  }

  // ## Statements

  #input(s: InputDecl): void {
    const declared = typeFromInputType(s.type?.name);
    if (s.default !== undefined) {
      const found = this.#expr(s.default);
      if (s.type !== undefined && !isAssignable(found, declared)) {
        this.#report(
          diag.typeMismatch(
            s.default.range,
            typeToString(declared),
            describeValueType(found),
            `input \`$${s.name.name}\``,
          ),
        );
      }
    }
    this.#define(s.name, "input", declared);
  }

  #return(s: Return, last: boolean, first: Return | undefined): void {
    const keyword = keywordRange(s.range, "return".length);
    if (!last) this.#report(diag.returnNotLast(keyword));
    if (first !== undefined) {
      this.#report(diag.duplicateReturn(keyword, keywordRange(first.range, "return".length)));
    }
  }

  #binding(s: Binding): void {
    const value = s.value;
    if (value.kind === "Each") {
      this.#define(s.target, "each", this.#each(value));
    } else {
      this.#define(s.target, value.kind === "Call" ? "call" : "value", this.#expr(value));
    }
  }

  #define(variable: Var, kind: SymbolKind, type: Type): void {
    const first = this.#symbols.get(variable.name);
    if (first !== undefined) {
      this.#report(diag.redefinition(variable.range, variable.name, first.range));
      return;
    }
    this.#symbols.set(variable.name, symbol(variable, kind, type));
  }

  #each(each: Each): Type {
    const over = this.#expr(each.over);
    let item: Type = ANY;
    if (!isAssignable(over, listOf(ANY))) {
      this.#report(diag.eachOverNonList(each.over.range, describeValueType(over)));
    } else {
      const access = indexInto(over, each.over.range);
      if (access.ok) item = access.type;
    }
    const name = each.variable.name;
    if (this.#definitions.has(name))
      this.#report(diag.eachVariableShadows(each.variable.range, name));
    this.#loop = { name, type: item };
    try {
      return listOf(this.#expr(each.body));
    } finally {
      this.#loop = undefined;
    }
  }

  #reportUnused(): void {
    for (const s of this.#plan.statements) {
      if (s.kind !== "Binding") continue;
      const name = s.target.name;
      // A redefinition already has its error; warn once, on the first definition.
      if (this.#used.has(name) || this.#symbols.get(name)?.range !== s.target.range) continue;
      this.#report(diag.unusedBinding(s.target.range, name));
    }
  }

  // ## Expressions

  #expr(e: Expr): Type {
    // Deeper than any parsed plan can be: a hand-built AST must not overflow the stack.
    if (this.#depth >= MAX_NESTING) return ANY;
    this.#depth++;
    try {
      return this.#exprAt(e);
    } finally {
      this.#depth--;
    }
  }

  #exprAt(e: Expr): Type {
    switch (e.kind) {
      case "Call":
        return this.#call(e);
      case "Ref":
        return this.#ref(e);
      case "String": {
        let text = "";
        let interpolated = false;
        for (const part of e.parts) {
          if (part.kind === "Ref") {
            this.#ref(part);
            interpolated = true;
          } else text += part.value;
        }
        return interpolated ? STRING : literal(text);
      }
      case "Number":
      case "Boolean":
        return literal(e.value);
      case "Null":
        return NULL;
      case "List":
        return listOf(unionOf(e.items.map((item) => this.#expr(item))));
      case "Object":
        return this.#object(e);
    }
  }

  #object(e: ObjectLit): Type {
    const fields = new Map<string, { type: Type; optional: boolean }>();
    for (const entry of e.entries) {
      const type = this.#expr(entry.value);
      if (fields.has(entry.key.name))
        this.#report(diag.duplicateKey(entry.key.range, entry.key.name));
      else fields.set(entry.key.name, { type, optional: false });
    }
    return objectOf(fields, false);
  }

  #ref(ref: Ref): Type {
    const name = ref.variable.name;
    let type: Type;
    if (this.#loop?.name === name) {
      type = this.#loop.type;
    } else {
      this.#used.add(name);
      const sym = this.#symbols.get(name);
      if (sym === undefined) {
        this.#unresolved(ref.variable);
        return ANY;
      }
      type = sym.type;
    }
    for (const accessor of ref.path) {
      const access =
        accessor.kind === "Field"
          ? fieldAccess(type, accessor.name, accessor.range)
          : indexInto(type, accessor.range);
      if (!access.ok) {
        // One error per path: what follows a bad accessor is unknown, not wrong.
        this.#report(access.error);
        return ANY;
      }
      type = access.type;
    }
    return type;
  }

  #unresolved(variable: Var): void {
    const name = variable.name;
    const later = this.#definitions.get(name)?.find((d) => d.index >= this.#index);
    if (later !== undefined) {
      this.#report(diag.usedBeforeDefinition(variable.range, name, later.variable.range));
      return;
    }
    const candidates = [...this.#definitions.keys()];
    if (this.#loop !== undefined) candidates.push(this.#loop.name);
    this.#report(diag.undefinedVariable(variable.range, name, suggest(name, candidates)));
  }

  // ## Calls

  #call(call: Call): Type {
    let named = false;
    let misplaced = false;
    const positional: Arg[] = [];
    const types = new Map<Arg, Type>();
    for (const arg of call.args) {
      types.set(arg, this.#expr(arg.value));
      if (arg.name !== undefined) named = true;
      else if (named) {
        this.#report(diag.positionalAfterNamed(arg.range));
        misplaced = true;
      } else positional.push(arg);
    }
    if (this.#tools === undefined) return ANY;

    const toolName = call.callee.name;
    const tool = this.#tools.get(toolName);
    if (tool === undefined) {
      this.#report(
        diag.unknownTool(call.callee.range, toolName, suggest(toolName, this.#tools.keys())),
      );
      return ANY;
    }
    const shape = inputShape(tool);
    const keys = Object.keys(shape);
    const given = new Map<string, Arg>();

    positional.forEach((arg, i) => {
      const key = keys[i];
      if (key !== undefined) given.set(key, arg);
    });
    const extra = positional.slice(keys.length);
    const firstExtra = extra[0];
    const lastExtra = extra[extra.length - 1];
    if (firstExtra !== undefined && lastExtra !== undefined) {
      this.#report(
        diag.tooManyArguments(
          rangeFrom(firstExtra.range, lastExtra.range),
          toolName,
          keys.length,
          positional.length,
        ),
      );
    }

    for (const arg of call.args) {
      if (arg.name === undefined) continue;
      const key = arg.name.name;
      if (!Object.hasOwn(shape, key)) {
        this.#report(diag.unknownArgument(arg.name.range, toolName, key, suggest(key, keys)));
      } else if (given.has(key)) {
        this.#report(diag.duplicateArgument(arg.name.range, toolName, key));
      } else given.set(key, arg);
    }

    for (const [key, arg] of given) {
      const expected = typeFromZod(shape[key] as never);
      const found = types.get(arg) ?? ANY;
      if (!isAssignable(found, expected)) {
        this.#report(
          diag.typeMismatch(
            arg.value.range,
            typeToString(expected),
            describeValueType(found),
            `argument \`${key}\` of \`${toolName}\``,
          ),
        );
      }
    }

    // A misplaced positional was probably meant for a parameter: do not also call it missing.
    if (!misplaced) {
      const missing = keys.filter((k) => !given.has(k) && !isOptionalKey(shape[k] as never));
      if (missing.length > 0)
        this.#report(diag.missingArgument(call.callee.range, toolName, missing));
    }
    return tool.output === undefined ? ANY : typeFromZod(tool.output);
  }
}

function definedVariable(s: Statement): Var | undefined {
  switch (s.kind) {
    case "Input":
      return s.name;
    case "Binding":
      return s.target;
    case "Invalid":
      return s.defines;
    default:
      return undefined;
  }
}

function symbol(variable: Var, kind: SymbolKind, type: Type): SymbolInfo {
  return { name: variable.name, kind, type, range: variable.range };
}

/** The parameter schemas of a tool; a host that passed no zod object gets no parameters. */
function inputShape(tool: AnyTool): Record<string, unknown> {
  const shape: unknown = (tool.input as { shape?: unknown } | undefined)?.shape;
  return typeof shape === "object" && shape !== null ? (shape as Record<string, unknown>) : {};
}

/** The range of the keyword (`return`, `input`) that starts a statement. */
function keywordRange(statement: Range, length: number): Range {
  const { start } = statement;
  const end = { offset: start.offset + length, line: start.line, column: start.column + length };
  return end.offset <= statement.end.offset ? { start, end } : statement;
}

// ## Access along a reference path

function fieldAccess(t: Type, name: string, range: Range): Access {
  switch (t.k) {
    case "any":
      return { ok: true, type: ANY };
    case "object": {
      const field = fieldOf(t, name);
      if (field !== undefined) return { ok: true, type: field.type };
      if (t.open) return { ok: true, type: ANY };
      return noField(t, name, range, Object.keys(t.fields));
    }
    case "union": {
      const found: Type[] = [];
      const fields: string[] = [];
      for (const option of t.options) {
        const access = fieldAccess(option, name, range);
        if (access.ok) found.push(access.type);
        if (option.k === "object") fields.push(...Object.keys(option.fields));
      }
      return found.length > 0
        ? { ok: true, type: unionOf(found) }
        : noField(t, name, range, fields);
    }
    default:
      return noField(t, name, range, []);
  }
}

function noField(t: Type, name: string, range: Range, fields: string[]): Access {
  return {
    ok: false,
    error: diag.noSuchField(range, name, typeToString(t), suggest(name, fields)),
  };
}

function indexInto(t: Type, range: Range): Access {
  switch (t.k) {
    case "any":
      return { ok: true, type: ANY };
    case "list":
      return { ok: true, type: t.item };
    case "union": {
      const items: Type[] = [];
      for (const option of t.options) {
        const access = indexInto(option, range);
        if (access.ok) items.push(access.type);
      }
      if (items.length > 0) return { ok: true, type: unionOf(items) };
      break;
    }
  }
  return { ok: false, error: diag.notIndexable(range, typeToString(t)) };
}
