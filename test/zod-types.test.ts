import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  ANY,
  BOOLEAN,
  NULL,
  NUMBER,
  STRING,
  describeValueType,
  isAssignable,
  isOptionalKey,
  listOf,
  literal,
  objectOf,
  typeFromInputType,
  typeFromZod,
  typeOfLiteral,
  typeToString,
  unionOf,
  type Type,
} from "../src/compiler/types.js";

const field = (type: Type, optional = false) => ({ type, optional });
const closed = (fields: Record<string, Type>) =>
  objectOf(
    Object.entries(fields).map(([k, t]) => [k, field(t)]),
    false,
  );

describe("typeFromZod", () => {
  const cases: [string, z.core.$ZodType, string][] = [
    ["string", z.string(), "string"],
    ["string format", z.email(), "string"],
    ["template literal", z.templateLiteral(["id-", z.number()]), "string"],
    ["number", z.number(), "number"],
    ["int", z.int(), "number"],
    ["boolean", z.boolean(), "boolean"],
    ["null", z.null(), "null"],
    ["literal", z.literal("a"), '"a"'],
    ["multi literal", z.literal([1, true]), "1 | true"],
    ["enum", z.enum(["asc", "desc"]), '"asc" | "desc"'],
    ["array", z.array(z.string()), "list of string"],
    ["tuple", z.tuple([z.string(), z.number()]), "list of (string | number)"],
    ["object", z.object({ title: z.string(), url: z.string() }), "object {title, url}"],
    ["strict object", z.strictObject({ a: z.string() }), "object {a}"],
    ["loose object", z.looseObject({ a: z.string() }), "object {a, ...}"],
    ["passthrough", z.object({ a: z.string() }).passthrough(), "object {a, ...}"],
    ["catchall", z.object({ a: z.string() }).catchall(z.number()), "object {a, ...}"],
    ["record", z.record(z.string(), z.number()), "object"],
    ["union", z.union([z.string(), z.number()]), "string | number"],
    [
      "discriminated union",
      z.discriminatedUnion("t", [z.object({ t: z.literal("a") }), z.object({ t: z.literal("b") })]),
      "object {t} | object {t}",
    ],
    ["optional", z.string().optional(), "string"],
    ["default", z.number().default(3), "number"],
    ["nullable", z.string().nullable(), "string | null"],
    ["nullish", z.string().nullish(), "string | null"],
    ["readonly", z.array(z.string()).readonly(), "list of string"],
    ["unknown", z.unknown(), "any"],
    ["any", z.any(), "any"],
    ["transform", z.string().transform((s) => s.length), "any"],
    ["pipe", z.string().pipe(z.string()), "any"],
    ["lazy", z.lazy(() => z.string()), "any"],
    ["date", z.date(), "any"],
    ["intersection", z.intersection(z.object({ a: z.string() }), z.object({})), "any"],
    ["coerced string", z.coerce.string(), "any"],
    ["coerced number", z.coerce.number(), "any"],
  ];

  it.each(cases)("%s", (_name, schema, expected) => {
    expect(typeToString(typeFromZod(schema))).toBe(expected);
  });

  it("converts nested schemas structurally", () => {
    const schema = z.object({
      hits: z.array(z.object({ title: z.string(), score: z.number().optional() })),
      next: z.string().nullable(),
    });
    expect(typeFromZod(schema)).toEqual(
      objectOf(
        [
          [
            "hits",
            field(
              listOf(
                objectOf(
                  [
                    ["title", field(STRING)],
                    ["score", field(NUMBER, true)],
                  ],
                  false,
                ),
              ),
            ),
          ],
          ["next", field(unionOf([STRING, NULL]))],
        ],
        false,
      ),
    );
  });

  it("stops at recursive schemas", () => {
    const Node: z.ZodType = z.object({
      name: z.string(),
      get children() {
        return z.array(Node);
      },
    });
    const t = typeFromZod(Node);
    expect(typeToString(t)).toBe("object {name, children}");
    // The schema being converted is where recursion stops: its children are a list of any.
    expect(t.k === "object" && t.fields["children"]?.type).toEqual(listOf(ANY));
  });

  it("survives very deep schemas", () => {
    let schema: z.ZodType = z.string();
    for (let i = 0; i < 5000; i++) schema = z.array(schema);
    expect(typeToString(typeFromZod(schema)).startsWith("list of list of")).toBe(true);
  });

  it("treats what is not a zod 4 schema as any", () => {
    expect(typeFromZod({} as never)).toEqual(ANY);
    expect(typeFromZod(null as never)).toEqual(ANY);
    expect(typeFromZod("string" as never)).toEqual(ANY);
  });

  it("keeps keys such as __proto__ and constructor as plain fields", () => {
    const t = typeFromZod(z.object({ constructor: z.string(), ["__proto__"]: z.number() }));
    expect(typeToString(t)).toBe("object {constructor, __proto__}");
    expect(isAssignable(closed({}), t)).toBe(false);
  });
});

describe("isOptionalKey", () => {
  it.each([
    ["string", z.string(), false],
    ["unknown", z.unknown(), false],
    ["nullable", z.string().nullable(), false],
    ["optional", z.string().optional(), true],
    ["default", z.string().default("x"), true],
    ["nullish", z.string().nullish(), true],
    ["catch", z.string().catch("x"), true],
  ] as const)("%s", (_name, schema, expected) => {
    expect(isOptionalKey(schema)).toBe(expected);
  });
});

describe("typeToString", () => {
  it.each([
    [ANY, "any"],
    [literal(null), "null"],
    [literal('a "b"'), '"a \\"b\\""'],
    [listOf(listOf(NUMBER)), "list of list of number"],
    [listOf(unionOf([STRING, NULL])), "list of (string | null)"],
    [objectOf([], false), "object {}"],
    [objectOf([], true), "object"],
    [unionOf([literal("a"), literal("b")]), '"a" | "b"'],
  ] as [Type, string][])("%j reads %s", (t, expected) => {
    expect(typeToString(t)).toBe(expected);
  });

  it("describes found values by their base types inside lists", () => {
    expect(describeValueType(typeOfLiteral(["a", "b"]))).toBe("list of string");
    expect(describeValueType(typeOfLiteral([1, "b"]))).toBe("list of (number | string)");
    expect(describeValueType(literal(42))).toBe("42");
  });
});

describe("unionOf", () => {
  it("flattens, deduplicates and lets any absorb", () => {
    expect(unionOf([STRING, unionOf([STRING, NUMBER])])).toEqual({
      k: "union",
      options: [STRING, NUMBER],
    });
    expect(unionOf([STRING, ANY])).toEqual(ANY);
    expect(unionOf([NUMBER])).toEqual(NUMBER);
    expect(unionOf([])).toEqual(ANY);
  });

  it("widens long unions of literals", () => {
    const many = Array.from({ length: 40 }, (_, i) => literal(`v${i}`));
    expect(unionOf(many)).toEqual(STRING);
  });

  it("keeps long unions with nothing to widen", () => {
    const lists = Array.from({ length: 20 }, (_, i) => listOf(literal(i)));
    expect(unionOf(lists)).toEqual({ k: "union", options: lists });
    const mixed = unionOf([...lists, ...Array.from({ length: 5 }, (_, i) => literal(`v${i}`))]);
    expect(mixed).toEqual({ k: "union", options: [...lists, STRING] });
  });

  it("deduplicates as JSON does, large unions and small", () => {
    const values = [0, -0, NaN, Infinity, null, "0", "", false, "null", 1];
    for (const n of [1, 8]) {
      const padding = Array.from({ length: n }, (_, i) => listOf(literal(i)));
      const union = unionOf([...padding, ...values.map((v) => literal(v)), NULL, { k: "null" }]);
      const options = union.k === "union" ? union.options.slice(n) : [];
      expect(options).toEqual(
        [0, NaN, "0", "", false, "null", 1].map((v) => literal(v)).concat(NULL),
      );
    }
  });
});

describe("typeOfLiteral and typeFromInputType", () => {
  it("types JSON values", () => {
    expect(typeOfLiteral("x")).toEqual(literal("x"));
    expect(typeOfLiteral(null)).toEqual(NULL);
    expect(typeOfLiteral([])).toEqual(listOf(ANY));
    expect(typeToString(typeOfLiteral({ a: 1, b: [true] }))).toBe("object {a, b}");
    expect(typeOfLiteral(undefined)).toEqual(ANY);
  });

  it("maps input declarations", () => {
    expect(typeFromInputType("list")).toEqual(listOf(ANY));
    expect(typeFromInputType("object")).toEqual(objectOf([], true));
    expect(typeFromInputType("boolean")).toEqual(BOOLEAN);
    expect(typeFromInputType(undefined)).toEqual(ANY);
  });
});

describe("isAssignable", () => {
  const hit = typeFromZod(z.object({ title: z.string(), score: z.number().optional() }));
  const cases: [string, Type, Type, boolean][] = [
    ["any to string", ANY, STRING, true],
    ["string to any", STRING, ANY, true],
    ["string to string", STRING, STRING, true],
    ["number to string", NUMBER, STRING, false],
    ["literal to its base", literal("a"), STRING, true],
    ["literal to another base", literal(1), STRING, false],
    ["null literal to null", literal(null), NULL, true],
    ["null to string", NULL, STRING, false],
    ["base to literal (could be it)", STRING, literal("a"), true],
    ["base to a literal of another base", NUMBER, literal("a"), false],
    ["literal to the same literal", literal("a"), literal("a"), true],
    ["literal to another literal", literal("a"), literal("b"), false],
    ["literal to enum", literal("asc"), unionOf([literal("asc"), literal("desc")]), true],
    ["literal outside enum", literal("up"), unionOf([literal("asc"), literal("desc")]), false],
    ["union with one fitting option", unionOf([STRING, NULL]), STRING, true],
    ["union with no fitting option", unionOf([NUMBER, NULL]), STRING, false],
    ["to a nullable", NULL, unionOf([STRING, NULL]), true],
    ["list to list", listOf(literal("a")), listOf(STRING), true],
    ["list of wrong items", listOf(NUMBER), listOf(STRING), false],
    ["list to string", listOf(STRING), STRING, false],
    ["list of any to list", listOf(ANY), listOf(NUMBER), true],
    ["object with fields", closed({ title: literal("t"), extra: NUMBER }), hit, true],
    ["object missing a required field", closed({ score: NUMBER }), hit, false],
    ["open object may carry the field", objectOf([], true), hit, true],
    ["object missing an optional field", closed({ title: STRING }), hit, true],
    ["object with a wrong field", closed({ title: NUMBER }), hit, false],
    ["object to list", closed({}), listOf(ANY), false],
    ["list to open object", listOf(ANY), objectOf([], true), false],
    ["boolean to number", BOOLEAN, NUMBER, false],
  ];

  it.each(cases)("%s", (_name, from, to, expected) => {
    expect(isAssignable(from, to)).toBe(expected);
  });
});
