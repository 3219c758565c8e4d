// The checker: names, scopes, tool signatures and types, all in one pass over
// the plan. It never stops at the first problem: an LLM repairing a plan (or a
// person in an editor) wants every mistake at once. Where a type is unknown it
// is `any`, and the same zod schema validates the value at run time.
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { sortDiagnostics } from "../diagnostics/diagnostic.js";
import { diag } from "../diagnostics/catalogue.js";
import type { Range } from "../diagnostics/range.js";
import { rangeFrom } from "../diagnostics/range.js";
import type { z } from "zod";
import type {
  Accessor,
  Arg,
  Binding,
  Call,
  Each,
  Expr,
  InputDecl,
  ObjectEntry,
  ObjectLit,
  Plan,
  Ref,
  Return,
  Statement,
  StringPart,
  Var,
} from "../parser/ast.js";
import type { AnyTool, ToolSet } from "./tool.js";
import { toolSet } from "./tool.js";
import { suggest } from "./suggest.js";
import type { Field, Type } from "./types.js";
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

const LIST_OF_ANY = listOf(ANY);

interface LoopVariable {
  name: string;
  type: Type;
}

class Checker {
  readonly #plan: Plan;
  readonly #tools: ToolSet | undefined;
  readonly #diagnostics: Diagnostic[] = [];
  /**
   * The names defined so far. A large plan is mostly names and uses of
   * names, and lookups of strings are the checker's main cost: this is the
   * only map of them (C015's "used" is a mark on the symbol).
   */
  readonly #symbols = new Map<string, SymbolInfo>();
  /** The symbol of the name each statement defines, by statement index. */
  readonly #symbolAt: (SymbolInfo | undefined)[] = [];
  /** A copy of `#symbols`, kept from the first redefinition on (see `#setSymbol`). */
  #firsts: Map<string, SymbolInfo> | undefined;
  #index = 0;
  /**
   * The first definition of every name in the plan, later ones too. Only
   * errors need it (C002, C003), so it is built on the first one.
   */
  #allDefinitions: Map<string, Var> | undefined;
  /** C002's suggestions, by `each` variable in scope (if any), then by name. */
  readonly #variableSuggestions = new Map<string | undefined, Map<string, string | undefined>>();
  /** Names used before their definition: they count as used (C015). */
  #usedEarly: Set<string> | undefined;
  /** `each` variables, checked against every plan-level name at the end (C016). */
  readonly #loopVariables: Var[] = [];
  /** Signatures of the tools this plan calls, by name; null for an unknown tool. */
  readonly #signatures = new Map<string, Signature | null>();
  /** C004's suggestions, by unknown tool name. */
  readonly #toolSuggestions = new Map<string, string | undefined>();
  /**
   * Argument types of the calls being checked, as a stack: calls nest, and one
   * array for the whole plan beats one per call.
   */
  readonly #argTypes: Type[] = [];
  #argTop = 0;
  #loop: LoopVariable | undefined;
  #depth = 0;

  constructor(plan: Plan, tools: ToolSet | undefined) {
    this.#plan = plan;
    this.#tools = tools;
  }

  run(): CheckResult {
    const statements = this.#plan.statements;
    const count = statements.length;

    let afterInputs = false;
    let parsedFully = true;
    let firstReturn: Return | undefined;
    for (let index = 0; index < count; index++) {
      const s = statements[index];
      // Dense (a hole per statement that defines nothing would make it sparse and slow).
      this.#symbolAt.push(undefined);
      if (s === undefined) continue;
      this.#index = index;
      switch (s.kind) {
        case "Input":
          if (afterInputs)
            this.#report(diag.inputAfterStatement(keywordRange(s.range, "input".length)));
          this.#input(s);
          break;
        case "Binding":
          afterInputs = true;
          this.#binding(s);
          break;
        case "CallStatement":
          afterInputs = true;
          this.#call(s.call);
          break;
        case "Return":
          afterInputs = true;
          this.#expr(s.value);
          this.#return(s, index === count - 1, firstReturn);
          firstReturn ??= s;
          break;
        case "Invalid":
          parsedFully = false;
          // Its syntax errors are reported already; only keep its name from cascading.
          if (s.defines !== undefined) this.#setSymbol(s.defines, "invalid", ANY);
          break;
      }
    }

    for (const variable of this.#loopVariables) {
      if (this.#symbols.has(variable.name))
        this.#report(diag.eachVariableShadows(variable.range, variable.name));
    }
    // With a syntax error, a use may sit in the statement that did not parse: no unused warnings then.
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
    if (!last) this.#report(diag.returnNotLast(keywordRange(s.range, "return".length)));
    if (first !== undefined) {
      this.#report(
        diag.duplicateReturn(
          keywordRange(s.range, "return".length),
          keywordRange(first.range, "return".length),
        ),
      );
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
    const first = this.#setSymbol(variable, kind, type);
    if (first !== undefined) {
      this.#report(diag.redefinition(variable.range, variable.name, first.range));
    }
  }

  /**
   * Records the symbol of the name the current statement defines, unless an
   * earlier statement did: then returns that one's.
   */
  #setSymbol(variable: Var, kind: SymbolKind, type: Type): SymbolInfo | undefined {
    const name = variable.name;
    const symbols = this.#symbols;
    const sym: SymbolInfo = { name, kind, type, range: variable.range };
    // One lookup of the name, not two: a set that does not grow the map was a redefinition.
    const size = symbols.size;
    symbols.set(name, sym);
    if (symbols.size === size) {
      const earlier = this.#firstSymbols().get(name) as SymbolInfo;
      symbols.set(name, earlier);
      this.#symbolAt[this.#index] = earlier;
      return earlier;
    }
    UseMark.add(sym);
    this.#firsts?.set(name, sym);
    this.#symbolAt[this.#index] = sym;
    return undefined;
  }

  /** The symbols by name, as `#symbols` held them before a redefinition overwrote one. */
  #firstSymbols(): Map<string, SymbolInfo> {
    if (this.#firsts === undefined) {
      this.#firsts = new Map();
      for (const sym of this.#symbolAt) {
        if (sym !== undefined && !this.#firsts.has(sym.name)) this.#firsts.set(sym.name, sym);
      }
    }
    return this.#firsts;
  }

  #each(each: Each): Type {
    const over = this.#expr(each.over);
    let item: Type = ANY;
    if (!isAssignable(over, LIST_OF_ANY)) {
      this.#report(diag.eachOverNonList(each.over.range, describeValueType(over)));
    } else {
      item = itemType(over) ?? ANY;
    }
    const name = each.variable.name;
    this.#loopVariables.push(each.variable);
    this.#loop = { name, type: item };
    try {
      return listOf(this.#expr(each.body));
    } finally {
      this.#loop = undefined;
    }
  }

  #reportUnused(): void {
    const statements = this.#plan.statements;
    for (let index = 0; index < statements.length; index++) {
      const s = statements[index];
      if (s?.kind !== "Binding") continue;
      const sym = this.#symbolAt[index];
      // A redefinition already has its error; warn once, on the first definition.
      if (sym === undefined || UseMark.has(sym) || sym.range !== s.target.range) continue;
      if (this.#usedEarly?.has(s.target.name) === true) continue;
      this.#report(diag.unusedBinding(s.target.range, s.target.name));
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
        const parts = e.parts;
        let text = "";
        let interpolated = false;
        for (let i = 0; i < parts.length; i++) {
          const part = parts[i] as StringPart;
          if (part.kind === "Ref") {
            this.#ref(part);
            interpolated = true;
          } else if (!interpolated) text += part.value;
        }
        return interpolated ? STRING : literal(text);
      }
      case "Number":
      case "Boolean":
        return literal(e.value);
      case "Null":
        return NULL;
      case "List": {
        const items = e.items;
        const types: Type[] = [];
        for (let i = 0; i < items.length; i++) types.push(this.#expr(items[i] as Expr));
        return listOf(unionOf(types));
      }
      case "Object":
        return this.#object(e);
    }
  }

  #object(e: ObjectLit): Type {
    // No prototype, as `objectOf` makes them: `constructor` or `__proto__` are ordinary keys.
    const fields = Object.create(null) as Record<string, Field>;
    const entries = e.entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as ObjectEntry;
      const type = this.#expr(entry.value);
      const key = entry.key.name;
      if (fields[key] !== undefined) this.#report(diag.duplicateKey(entry.key.range, key));
      else fields[key] = { type, optional: false };
    }
    return { k: "object", fields, open: false };
  }

  #ref(ref: Ref): Type {
    const variable = ref.variable;
    const name = variable.name;
    let type: Type;
    const loop = this.#loop;
    if (loop !== undefined && loop.name === name) {
      type = loop.type;
    } else {
      const sym = this.#symbols.get(name);
      if (sym === undefined) {
        this.#unresolved(variable);
        return ANY;
      }
      UseMark.set(sym);
      type = sym.type;
    }
    const path = ref.path;
    for (let i = 0; i < path.length; i++) {
      const accessor = path[i] as Accessor;
      const next = accessor.kind === "Field" ? fieldType(type, accessor.name) : itemType(type);
      if (next === undefined) {
        // One error per path: what follows a bad accessor is unknown, not wrong.
        this.#report(accessError(type, accessor));
        return ANY;
      }
      type = next;
    }
    return type;
  }

  #unresolved(variable: Var): void {
    const name = variable.name;
    const all = (this.#allDefinitions ??= allDefinitions(this.#plan.statements));
    // No statement checked so far defines it: if one does at all, it comes later.
    const later = all.get(name);
    if (later !== undefined) {
      (this.#usedEarly ??= new Set()).add(name);
      this.#report(diag.usedBeforeDefinition(variable.range, name, later.range));
      return;
    }
    this.#report(diag.undefinedVariable(variable.range, name, this.#suggestVariable(name, all)));
  }

  /**
   * The defined name closest to an undefined one. A plan with many uses of
   * missing names would otherwise compare each with every name: the answer
   * depends only on the name and the enclosing `each` variable.
   */
  #suggestVariable(name: string, all: Map<string, Var>): string | undefined {
    const loop = this.#loop?.name;
    let byName = this.#variableSuggestions.get(loop);
    if (byName === undefined) {
      byName = new Map();
      this.#variableSuggestions.set(loop, byName);
    }
    if (byName.has(name)) return byName.get(name);
    const candidates = [...all.keys()];
    if (loop !== undefined) candidates.push(loop);
    const suggestion = suggest(name, candidates);
    byName.set(name, suggestion);
    return suggestion;
  }

  // ## Calls

  #call(call: Call): Type {
    const args = call.args;
    const count = args.length;
    const argTypes = this.#argTypes;
    const base = this.#argTop;
    this.#argTop = base + count;
    let named = false;
    let misplaced = false;
    /** Positional arguments come first: they are `args[0 .. positional)`. */
    let positional = 0;
    for (let i = 0; i < count; i++) {
      const arg = args[i] as Arg;
      argTypes[base + i] = this.#expr(arg.value);
      if (arg.name !== undefined) named = true;
      else if (named) {
        this.#report(diag.positionalAfterNamed(arg.range));
        misplaced = true;
      } else positional++;
    }
    // Nothing below checks an expression: the slots stay valid until the next call.
    this.#argTop = base;
    if (this.#tools === undefined) return ANY;

    const toolName = call.callee.name;
    const sig = this.#signature(toolName);
    if (sig === null) {
      this.#report(
        diag.unknownTool(call.callee.range, toolName, this.#suggestTool(toolName, this.#tools)),
      );
      return ANY;
    }
    const keys = sig.keys;
    const arity = keys.length;
    if (positional > arity) {
      this.#report(
        diag.tooManyArguments(
          rangeFrom((args[arity] as Arg).range, (args[positional - 1] as Arg).range),
          toolName,
          arity,
          positional,
        ),
      );
    }

    // Parameter `j` is given when `j < filled` or `sig.givenIn[j] === stamp`.
    const stamp = ++callStamp;
    const filled = Math.min(positional, arity);
    for (let i = 0; i < count; i++) {
      const arg = args[i] as Arg;
      let param: number;
      if (arg.name === undefined) {
        if (i >= positional || i >= arity) continue;
        param = i;
      } else {
        const key = arg.name.name;
        const found = sig.params.get(key);
        if (found === undefined) {
          this.#report(diag.unknownArgument(arg.name.range, toolName, key, suggest(key, keys)));
          continue;
        }
        if (found < filled || sig.givenIn[found] === stamp) {
          this.#report(diag.duplicateArgument(arg.name.range, toolName, key));
          continue;
        }
        sig.givenIn[found] = stamp;
        param = found;
      }
      const expected = parameterType(sig, param);
      const type = argTypes[base + i] ?? ANY;
      if (!isAssignable(type, expected)) {
        this.#report(
          diag.typeMismatch(
            arg.value.range,
            typeToString(expected),
            describeValueType(type),
            `argument \`${sig.names[param] ?? ""}\` of \`${toolName}\``,
          ),
        );
      }
    }

    const tool = this.#tools.get(toolName);
    if (tool?.precheck !== undefined) this.#precheck(tool, call, sig, positional, base);

    // A misplaced positional was probably meant for a parameter: do not also call it missing.
    if (!misplaced) {
      let missing: string[] | undefined;
      for (let j = positional; j < arity; j++) {
        if (sig.givenIn[j] === stamp || !isRequired(sig, j)) continue;
        (missing ??= []).push(keys[j] as string);
      }
      if (missing !== undefined)
        this.#report(diag.missingArgument(call.callee.range, toolName, missing));
    }
    return (sig.output ??= sig.outputSchema === undefined ? ANY : typeFromZod(sig.outputSchema));
  }

  /**
   * Asks the tool whether the call will be refused at run time (a denied
   * capability), given the arguments that are literals. The argument slots
   * from {@link #call} are still valid here.
   */
  #precheck(tool: AnyTool, call: Call, sig: Signature, positional: number, base: number): void {
    const literals: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const args = call.args;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as Arg;
      const name =
        arg.name === undefined ? (i < positional ? sig.keys[i] : undefined) : arg.name.name;
      const type = this.#argTypes[base + i];
      if (name !== undefined && sig.params.has(name) && type?.k === "literal")
        literals[name] = type.value;
    }
    let reason: unknown;
    try {
      reason = tool.precheck?.(literals);
    } catch {
      return; // A broken precheck must not break checking: the run reports what is wrong.
    }
    if (typeof reason === "string" && reason !== "")
      this.#report(diag.callDenied(call.range, reason));
  }

  #suggestTool(toolName: string, tools: ToolSet): string | undefined {
    if (this.#toolSuggestions.has(toolName)) return this.#toolSuggestions.get(toolName);
    const suggestion = suggest(toolName, tools.keys());
    this.#toolSuggestions.set(toolName, suggestion);
    return suggestion;
  }

  #signature(toolName: string): Signature | null {
    let sig = this.#signatures.get(toolName);
    if (sig === undefined) {
      const tool = this.#tools?.get(toolName);
      sig = tool === undefined ? null : signatureOf(tool);
      this.#signatures.set(toolName, sig);
    }
    return sig;
  }
}

/** The first definition of each name, in order. */
function allDefinitions(statements: readonly Statement[]): Map<string, Var> {
  const all = new Map<string, Var>();
  for (const s of statements) {
    const variable = s === undefined ? undefined : definedVariable(s);
    if (variable !== undefined && !all.has(variable.name)) all.set(variable.name, variable);
  }
  return all;
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

/** The range of the keyword (`return`, `input`) that starts a statement. */
function keywordRange(statement: Range, length: number): Range {
  const { start } = statement;
  const end = { offset: start.offset + length, line: start.line, column: start.column + length };
  return end.offset <= statement.end.offset ? { start, end } : statement;
}

// ## Marking names as used

/** A base class whose constructor hands back the object it is given. */
class Identity {
  constructor(o: object) {
    return o as Identity;
  }
}

/**
 * Whether a plan-level name is referenced (C015), kept as a private field on
 * its SymbolInfo: the symbols go to the caller as plain data, so a visible
 * property is out, and a second map of names (or a set of used ones) made the
 * checker a quarter slower on large plans. Extending a constructor that
 * returns its argument is how a class puts a private field on an existing
 * object.
 */
class UseMark extends Identity {
  #used = false;

  static add(o: object): void {
    new UseMark(o);
  }

  static set(o: object): void {
    (o as UseMark).#used = true;
  }

  static has(o: object): boolean {
    return (o as UseMark).#used;
  }
}

// ## Tool signatures

/** What the checker needs of a tool, worked out once and shared by every call of every check. */
interface Signature {
  /** The schemas it was read from: a host may swap a tool's schemas between checks. */
  inputSchema: unknown;
  outputSchema: z.core.$ZodType | undefined;
  shape: Record<string, unknown>;
  /** The parameters, in order: what positional arguments fill. */
  keys: string[];
  /** Every name an argument may have: `keys`, then any other own keys of the shape. */
  names: string[];
  /** Index into `names` by name. */
  params: Map<string, number>;
  /** Types of the parameters, by index into `names`, read when first needed. */
  types: (Type | undefined)[];
  required: (boolean | undefined)[];
  /** The call (its stamp) that last gave each parameter: no per-call set of given names. */
  givenIn: number[];
  output: Type | undefined;
}

const signatures = new WeakMap<object, Signature>();

/** Unique per call check, so `Signature.givenIn` never needs clearing. */
let callStamp = 0;

function signatureOf(tool: AnyTool): Signature {
  const cacheable = (typeof tool === "object" || typeof tool === "function") && tool !== null;
  const cached = cacheable ? signatures.get(tool) : undefined;
  if (
    cached !== undefined &&
    cached.inputSchema === tool.input &&
    cached.outputSchema === tool.output
  ) {
    return cached;
  }
  const shape = inputShape(tool);
  const keys = Object.keys(shape);
  // Any own key names a parameter (`Object.hasOwn`), though only enumerable ones are filled
  // by position or required.
  const enumerable = new Set(keys);
  const names = [...keys];
  for (const name of Object.getOwnPropertyNames(shape)) if (!enumerable.has(name)) names.push(name);
  const params = new Map<string, number>();
  names.forEach((name, i) => params.set(name, i));
  const sig: Signature = {
    inputSchema: tool.input,
    outputSchema: tool.output,
    shape,
    keys,
    names,
    params,
    types: [],
    required: [],
    givenIn: names.map(() => 0),
    output: undefined,
  };
  if (cacheable) signatures.set(tool, sig);
  return sig;
}

/** The parameter schemas of a tool; a host that passed no zod object gets no parameters. */
function inputShape(tool: AnyTool): Record<string, unknown> {
  const shape: unknown = (tool.input as { shape?: unknown } | undefined)?.shape;
  return typeof shape === "object" && shape !== null ? (shape as Record<string, unknown>) : {};
}

function parameterType(sig: Signature, param: number): Type {
  return (sig.types[param] ??= typeFromZod(sig.shape[sig.names[param] as string] as never));
}

function isRequired(sig: Signature, param: number): boolean {
  return (sig.required[param] ??= !isOptionalKey(sig.shape[sig.names[param] as string] as never));
}

// ## Access along a reference path

/** The type of `.name` on a value of type `t`; undefined when no such value can have it. */
function fieldType(t: Type, name: string): Type | undefined {
  switch (t.k) {
    case "any":
      return ANY;
    case "object": {
      const field = fieldOf(t, name);
      if (field !== undefined) return field.type;
      return t.open ? ANY : undefined;
    }
    case "union": {
      let found: Type[] | undefined;
      for (const option of t.options) {
        const type = fieldType(option, name);
        if (type !== undefined) (found ??= []).push(type);
      }
      return found === undefined ? undefined : unionOf(found);
    }
    default:
      return undefined;
  }
}

/** The type of `[n]` on a value of type `t`; undefined when it cannot be indexed. */
function itemType(t: Type): Type | undefined {
  switch (t.k) {
    case "any":
      return ANY;
    case "list":
      return t.item;
    case "union": {
      let items: Type[] | undefined;
      for (const option of t.options) {
        const type = itemType(option);
        if (type !== undefined) (items ??= []).push(type);
      }
      return items === undefined ? undefined : unionOf(items);
    }
    default:
      return undefined;
  }
}

/** The error for an accessor that {@link fieldType} or {@link itemType} refused. */
function accessError(t: Type, accessor: Accessor): Diagnostic {
  if (accessor.kind === "Index") return diag.notIndexable(accessor.range, typeToString(t));
  const fields: string[] = [];
  if (t.k === "object") fields.push(...Object.keys(t.fields));
  else if (t.k === "union") {
    for (const option of t.options)
      if (option.k === "object") fields.push(...Object.keys(option.fields));
  }
  const name = accessor.name;
  return diag.noSuchField(accessor.range, name, typeToString(t), suggest(name, fields));
}
