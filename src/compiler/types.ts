// The checker's view of values: a small structural type language, read from
// zod schemas. It only has to answer "could this value possibly fit?"; what it
// cannot describe becomes `any` and is left to runtime validation by the same
// zod schema.
import type { z } from "zod";
import type { InputType } from "../parser/ast.js";

export type LiteralValue = string | number | boolean | null;

export interface Field {
  type: Type;
  /** The key may be left out (zod `optional`, `default`, ...). */
  optional: boolean;
}

export type Type =
  | { k: "any" }
  | { k: "string" }
  | { k: "number" }
  | { k: "boolean" }
  | { k: "null" }
  | { k: "literal"; value: LiteralValue }
  | { k: "list"; item: Type }
  /** `open`: keys beyond `fields` may exist (loose, passthrough, catchall, record). */
  | { k: "object"; fields: Record<string, Field>; open: boolean }
  | { k: "union"; options: Type[] };

export type ObjectType = Extract<Type, { k: "object" }>;

export const ANY: Type = { k: "any" };
export const STRING: Type = { k: "string" };
export const NUMBER: Type = { k: "number" };
export const BOOLEAN: Type = { k: "boolean" };
export const NULL: Type = { k: "null" };

export function literal(value: LiteralValue): Type {
  return { k: "literal", value };
}

export function listOf(item: Type): Type {
  return { k: "list", item };
}

/**
 * An object type. Field records have no prototype so that keys such as
 * `constructor` or `__proto__` are ordinary fields.
 */
export function objectOf(fields: Iterable<[string, Field]>, open: boolean): ObjectType {
  const record = Object.create(null) as Record<string, Field>;
  for (const [name, field] of fields) record[name] = field;
  return { k: "object", fields: record, open };
}

export function fieldOf(t: ObjectType, name: string): Field | undefined {
  return Object.hasOwn(t.fields, name) ? t.fields[name] : undefined;
}

/** Past this many options a union of literals is widened to their base types. */
const MAX_LITERAL_OPTIONS = 16;

/** A normalised union: flattened, deduplicated, `any` absorbs everything, one option is itself. */
export function unionOf(types: Iterable<Type>): Type {
  const options = new UnionOptions();
  for (const t of types) if (!options.add(t)) return ANY;
  const list = options.list;
  if (list.length === 0) return ANY;
  if (list.length === 1) return list[0] ?? ANY;
  // Without literals to widen there is nothing left to merge (and recursing would never end).
  if (list.length > MAX_LITERAL_OPTIONS && list.some((t) => t.k === "literal")) {
    return unionOf(list.map(widen));
  }
  return { k: "union", options: list };
}

/** Up to this many options are deduplicated by comparing them: most unions are small. */
const SMALL_UNION = 8;

/**
 * The options of a union being built. Two types are the same when their JSON
 * is; literals and base types are compared without writing it out.
 */
class UnionOptions {
  readonly list: Type[] = [];
  /** The JSON of the options, by index, where it was needed. */
  readonly #json: (string | undefined)[] = [];
  /** The JSON of every option, once there are too many to compare one by one. */
  #seen: Set<string> | undefined;

  /** False when `t` is or holds `any`: the union is `any`. */
  add(t: Type): boolean {
    if (t.k === "any") return false;
    if (t.k === "union") {
      for (const option of t.options) if (!this.add(option)) return false;
      return true;
    }
    if (this.#seen !== undefined) {
      const json = JSON.stringify(t);
      if (!this.#seen.has(json)) {
        this.#seen.add(json);
        this.list.push(t);
      }
      return true;
    }
    const list = this.list;
    let json: string | undefined;
    for (let i = 0; i < list.length; i++) {
      const option = list[i] as Type;
      if (option === t) return true;
      // Types of different kinds never have the same JSON.
      if (option.k !== t.k) continue;
      if (t.k === "literal") {
        if (option.k === "literal" && jsonValue(option.value) === jsonValue(t.value)) return true;
      } else if (isBaseType(t)) {
        return true;
      } else {
        json ??= JSON.stringify(t);
        if ((this.#json[i] ??= JSON.stringify(option)) === json) return true;
      }
    }
    list.push(t);
    this.#json.push(json);
    if (list.length > SMALL_UNION) {
      this.#seen = new Set(list.map((o, i) => this.#json[i] ?? JSON.stringify(o)));
    }
    return true;
  }
}

/** A type that is only its kind: `string`, `number`, `boolean`, `null`. */
function isBaseType(t: Type): boolean {
  return t.k === "string" || t.k === "number" || t.k === "boolean" || t.k === "null";
}

/** A literal value as JSON writes it: `NaN` and `Infinity` are `null` (and `-0 === 0`). */
function jsonValue(v: LiteralValue): LiteralValue {
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

/** The base type of a literal (`"a"` -> string); other types unchanged. */
export function widen(t: Type): Type {
  if (t.k !== "literal") return t;
  if (t.value === null) return NULL;
  switch (typeof t.value) {
    case "string":
      return STRING;
    case "number":
      return NUMBER;
    default:
      return BOOLEAN;
  }
}

// ## From zod

/** Deeper schemas than this are not worth describing statically; also keeps the stack safe. */
const MAX_DEPTH = 64;

const cache = new WeakMap<object, Type>();

/**
 * The type of the values a zod 4 schema accepts. Anything this language cannot
 * describe (transforms, pipes, lazy, dates, intersections, ...) is `any`.
 */
export function typeFromZod(schema: z.core.$ZodType): Type {
  if (typeof schema !== "object" || schema === null) return ANY;
  const cached = cache.get(schema);
  if (cached !== undefined) return cached;
  const t = convert(schema, new Set(), 0);
  cache.set(schema, t);
  return t;
}

/** True when an object key of this schema may be left out (zod parses `{}` without it). */
export function isOptionalKey(schema: z.core.$ZodType): boolean {
  return internals(schema)?.optin !== undefined;
}

interface LooseInternals {
  def: { type: string; [key: string]: unknown };
  optin?: unknown;
}

// Schemas come from the host; a zod 3 or foreign object must not make the checker throw.
function internals(schema: unknown): LooseInternals | undefined {
  if (typeof schema !== "object" || schema === null) return undefined;
  const zod = (schema as { _zod?: unknown })._zod;
  if (typeof zod !== "object" || zod === null) return undefined;
  const def = (zod as { def?: unknown }).def;
  if (typeof def !== "object" || def === null) return undefined;
  if (typeof (def as { type?: unknown }).type !== "string") return undefined;
  return zod as LooseInternals;
}

function convert(schema: unknown, active: Set<unknown>, depth: number): Type {
  const zod = internals(schema);
  // A schema already being converted is recursive (getter-based shapes): stop there.
  if (zod === undefined || depth > MAX_DEPTH || active.has(schema)) return ANY;
  active.add(schema);
  try {
    return convertDef(zod.def, active, depth + 1);
  } finally {
    active.delete(schema);
  }
}

function convertDef(def: LooseInternals["def"], active: Set<unknown>, depth: number): Type {
  const inner = (s: unknown) => convert(s, active, depth);
  switch (def.type) {
    case "string":
    case "template_literal":
      return def.coerce === true ? ANY : STRING;
    case "number":
    case "nan":
      return def.coerce === true ? ANY : NUMBER;
    case "boolean":
      return def.coerce === true ? ANY : BOOLEAN;
    case "null":
      return NULL;
    case "literal":
      return literalsType(Array.isArray(def.values) ? def.values : []);
    case "enum":
      return literalsType(isRecord(def.entries) ? Object.values(def.entries) : []);
    case "array":
      return listOf(inner(def.element));
    case "tuple": {
      const items = Array.isArray(def.items) ? def.items.map(inner) : [];
      if (def.rest !== undefined && def.rest !== null) items.push(inner(def.rest));
      return listOf(unionOf(items));
    }
    case "object":
      return objectFromShape(def, inner);
    case "record":
      return objectOf([], true);
    case "union":
      return unionOf(Array.isArray(def.options) ? def.options.map(inner) : []);
    case "nullable":
      return unionOf([inner(def.innerType), NULL]);
    case "optional":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      return inner(def.innerType);
    default:
      return ANY;
  }
}

function objectFromShape(def: LooseInternals["def"], inner: (s: unknown) => Type): Type {
  const shape = isRecord(def.shape) ? def.shape : {};
  const fields: [string, Field][] = [];
  for (const name of Object.keys(shape)) {
    const schema = shape[name];
    fields.push([name, { type: inner(schema), optional: internals(schema)?.optin !== undefined }]);
  }
  // Plain `z.object` strips unknown keys and `strictObject` rejects them: both closed.
  const catchall = internals(def.catchall);
  const open = catchall !== undefined && catchall.def.type !== "never";
  return objectOf(fields, open);
}

function literalsType(values: unknown[]): Type {
  const options: Type[] = [];
  for (const v of values) {
    if (v === undefined) continue;
    if (v === null || typeof v === "string" || typeof v === "boolean" || typeof v === "number") {
      options.push(literal(v));
    } else return ANY; // bigint, symbol: not JSON
  }
  return unionOf(options);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ## From the plan

/** The type an `input $x: T` declaration promises. */
export function typeFromInputType(t: InputType | undefined): Type {
  switch (t) {
    case "string":
      return STRING;
    case "number":
      return NUMBER;
    case "boolean":
      return BOOLEAN;
    case "list":
      return listOf(ANY);
    case "object":
      return objectOf([], true);
    default:
      return ANY;
  }
}

/** The type of a JSON value (strings, numbers and booleans as literals). */
export function typeOfLiteral(value: unknown): Type {
  return literalType(value, 0);
}

function literalType(value: unknown, depth: number): Type {
  if (value === null) return NULL;
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return literal(value);
    case "object":
      break;
    default:
      return ANY;
  }
  if (depth > MAX_DEPTH) return ANY;
  if (Array.isArray(value)) {
    return listOf(unionOf(value.map((v: unknown) => literalType(v, depth + 1))));
  }
  const entries = Object.entries(value as object).map(([k, v]): [string, Field] => [
    k,
    { type: literalType(v, depth + 1), optional: false },
  ]);
  return objectOf(entries, false);
}

// ## Printing

/** How a type reads in a message: `string`, `list of string`, `object {title, url}`, `"a" | "b"`. */
export function typeToString(t: Type): string {
  switch (t.k) {
    case "literal":
      return JSON.stringify(t.value);
    case "list": {
      const item = typeToString(t.item);
      return `list of ${t.item.k === "union" ? `(${item})` : item}`;
    }
    case "object": {
      const names = Object.keys(t.fields);
      if (t.open) return names.length === 0 ? "object" : `object {${names.join(", ")}, ...}`;
      return `object {${names.join(", ")}}`;
    }
    case "union":
      return t.options.map(typeToString).join(" | ");
    default:
      return t.k;
  }
}

/** Like {@link typeToString}, but literals inside lists and objects read as their base type. */
export function describeValueType(t: Type): string {
  return t.k === "literal" ? typeToString(t) : typeToString(widenDeep(t, 0));
}

function widenDeep(t: Type, depth: number): Type {
  if (depth > MAX_DEPTH) return ANY;
  switch (t.k) {
    case "literal":
      return widen(t);
    case "list":
      return listOf(widenDeep(t.item, depth + 1));
    case "union":
      return unionOf(t.options.map((o) => widenDeep(o, depth + 1)));
    default:
      return t;
  }
}

// ## Assignability

/**
 * False only when a value of type `from` can never be accepted where `to` is
 * expected. Anything uncertain (`any`, a union with one fitting option, an
 * open object that might carry a missing key) is accepted.
 */
export function isAssignable(from: Type, to: Type): boolean {
  return assignable(from, to, 0);
}

function assignable(from: Type, to: Type, depth: number): boolean {
  if (from.k === "any" || to.k === "any" || depth > MAX_DEPTH) return true;
  const next = depth + 1;
  if (from.k === "union") {
    return from.options.length === 0 || from.options.some((o) => assignable(o, to, next));
  }
  if (to.k === "union") return to.options.some((o) => assignable(from, o, next));
  switch (to.k) {
    case "literal":
      if (from.k === "literal") return from.value === to.value;
      return from.k === widen(to).k;
    case "string":
    case "number":
    case "boolean":
    case "null":
      return widen(from).k === to.k;
    case "list":
      return from.k === "list" && assignable(from.item, to.item, next);
    case "object":
      return from.k === "object" && objectAssignable(from, to, next);
  }
}

function objectAssignable(from: ObjectType, to: ObjectType, depth: number): boolean {
  for (const name of Object.keys(to.fields)) {
    const want = fieldOf(to, name);
    const have = fieldOf(from, name);
    if (want === undefined) continue;
    if (have === undefined) {
      if (!want.optional && !from.open) return false;
    } else if (!assignable(have.type, want.type, depth)) return false;
  }
  return true;
}
