// JSON Schema -> zod for MCP and JSON-Schema tools: the checker's types, runtime
// validation, nothing crashes on schemas zod cannot express, and tools
// modules written with JSON Schema or OpenAI function definitions.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { compile } from "../src/compiler/compile.js";
import { toolSignature, typeText } from "../src/compiler/signature.js";
import { typeFromZod } from "../src/compiler/types.js";
import { run } from "../src/runtime/run.js";
import {
  inputFromJsonSchema,
  jsonSchemaTool,
  normalizeJsonSchema,
  zodFromJsonSchema,
} from "../src/tools/json-schema.js";
import { isToolName } from "../src/parser/names.js";
import { weftName } from "../src/tools/names.js";
import { loadTools } from "../src/cli/load-tools.js";
import { weft } from "./cli-harness.js";

const typeOf = (schema: unknown) => typeText(typeFromZod(zodFromJsonSchema(schema)));

describe("JSON Schema as checker types", () => {
  it.each([
    [{ type: "string" }, "string"],
    [{ type: "integer", minimum: 0 }, "number"],
    [{ type: ["string", "null"] }, "string | null"],
    [{ enum: ["a", "b"] }, '"a" | "b"'],
    [{ const: 3 }, "3"],
    [{ type: "array", items: { type: "number" } }, "list of number"],
    [{ anyOf: [{ type: "string" }, { type: "number" }] }, "string | number"],
    [
      {
        type: "object",
        properties: { title: { type: "string" }, n: { type: "number" } },
        required: ["title"],
      },
      "{title: string, n?: number, ...}",
    ],
    [{}, "any"],
    [true, "any"],
  ])("%j reads as %s", (schema, expected) => {
    expect(typeOf(schema)).toBe(expected);
  });

  it("reads draft-07 `definitions`, draft-04 boolean bounds and OpenAPI `nullable`", () => {
    const draft7 = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: { hit: { $ref: "#/definitions/Hit" } },
      definitions: { Hit: { type: "object", properties: { url: { type: "string" } } } },
    };
    expect(typeOf(draft7)).toBe("{hit?: {url?: string, ...}, ...}");
    const draft4 = zodFromJsonSchema({ type: "number", minimum: 3, exclusiveMinimum: true });
    expect(draft4.safeParse(3).success).toBe(false);
    expect(draft4.safeParse(3.5).success).toBe(true);
    expect(typeOf({ type: "string", nullable: true })).toBe("string | null");
  });

  it.each([{ $ref: "#" }, { anyOf: [{ type: "string" }, { $ref: "#" }] }, loopingDefs()])(
    "accepts anything rather than loop on a reference to itself: %j",
    (schema) => {
      expect(zodFromJsonSchema(schema).safeParse("x").success).toBe(true);
    },
  );

  it("reads recursive `$ref`s without looping", () => {
    const tree = {
      type: "object",
      properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#" } } },
    };
    const schema = zodFromJsonSchema(tree);
    expect(schema.safeParse({ name: "a", children: [{ name: "b", children: [] }] }).success).toBe(
      true,
    );
    expect(schema.safeParse({ name: "a", children: [{ name: 1 }] }).success).toBe(false);
  });

  it("accepts more, never crashes, where zod cannot follow the schema", () => {
    const awkward = {
      type: "object",
      properties: {
        not: { not: { type: "string" } },
        cond: { if: { type: "string" }, then: { minLength: 2 } },
        external: { $ref: "https://example.com/schema.json" },
        missing: { $ref: "#/$defs/Nowhere" },
        python: { type: "string", pattern: "(?P<year>\\d{4})" },
        odd: { type: "decimal" },
        when: { type: "string", format: "date-time" },
      },
      required: ["python"],
    };
    const schema = zodFromJsonSchema(awkward);
    expect(
      schema.safeParse({
        not: "a string after all",
        cond: "x",
        external: 1,
        missing: [],
        python: "any text",
        odd: 1.5,
        when: "yesterday",
      }).success,
    ).toBe(true);
    expect(schema.safeParse({}).success).toBe(false); // `required` still holds
    expect(typeOf(awkward)).toContain("python: string");
  });

  it("never throws, whatever the JSON (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const schema = zodFromJsonSchema(value);
        const input = inputFromJsonSchema(value);
        expect(input).toBeInstanceOf(z.ZodObject);
        schema.safeParse(value);
        input.safeParse(value);
        typeFromZod(schema);
        typeFromZod(input);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on schema-shaped values (property)", () => {
    const leaf = fc.oneof(
      fc.constantFrom("string", "number", "integer", "boolean", "null", "object", "array", "x"),
      fc.constant(undefined),
    );
    const keyword = {
      type: leaf,
      enum: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
      pattern: fc.string({ maxLength: 5 }),
      $ref: fc.constantFrom("#", "#/$defs/a", "#/definitions/a", "x.json"),
      nullable: fc.boolean(),
      required: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
    };
    const schema = fc.letrec((tie) => ({
      node: fc.oneof(
        { maxDepth: 4, depthSize: "small" },
        fc.record(keyword, { requiredKeys: [] }),
        fc.record(
          {
            ...keyword,
            properties: fc.dictionary(fc.string({ maxLength: 4 }), tie("node"), { maxKeys: 3 }),
            items: tie("node"),
            anyOf: fc.array(tie("node"), { maxLength: 2 }),
            $defs: fc.record({ a: tie("node") }),
          },
          { requiredKeys: [] },
        ),
      ),
    })).node;
    fc.assert(
      fc.property(schema, fc.jsonValue({ maxDepth: 3 }), (s, value) => {
        zodFromJsonSchema(s).safeParse(value);
        typeFromZod(inputFromJsonSchema(s));
        expect(() => JSON.stringify(normalizeJsonSchema(s))).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});

// Input schemas as published servers send them: zod-to-json-schema (the
// filesystem server's edit_file) and pydantic (mcp-server-fetch; a FastMCP
// tool with a nested model in `$defs` and Optional fields).
const realSchemas = [
  {
    name: "fs.edit_file",
    schema: {
      type: "object",
      properties: {
        path: { type: "string" },
        edits: {
          type: "array",
          items: {
            type: "object",
            properties: {
              oldText: { type: "string", description: "Text to search for - must match exactly" },
              newText: { type: "string" },
            },
            required: ["oldText", "newText"],
            additionalProperties: false,
          },
        },
        dryRun: { type: "boolean", default: false },
      },
      required: ["path", "edits"],
      additionalProperties: false,
      $schema: "http://json-schema.org/draft-07/schema#",
    },
    signature:
      "fs.edit_file(path: string, edits: list of {oldText: string, newText: string}, dryRun?: boolean) -> any",
    valid: { path: "a.txt", edits: [{ oldText: "x", newText: "y" }] },
    invalid: { path: "a.txt", edits: [{ oldText: "x" }] },
  },
  {
    name: "fetch.fetch",
    schema: {
      properties: {
        url: {
          description: "URL to fetch",
          format: "uri",
          minLength: 1,
          title: "Url",
          type: "string",
        },
        max_length: {
          default: 5000,
          exclusiveMaximum: 1000000,
          exclusiveMinimum: 0,
          title: "Max Length",
          type: "integer",
        },
        start_index: { default: 0, minimum: 0, title: "Start Index", type: "integer" },
        raw: { default: false, title: "Raw", type: "boolean" },
      },
      required: ["url"],
      title: "Fetch",
      type: "object",
    },
    signature:
      "fetch.fetch(url: string, max_length?: number, start_index?: number, raw?: boolean) -> any",
    valid: { url: "https://example.com", max_length: 100 },
    invalid: { url: "https://example.com", max_length: 0 },
  },
  {
    name: "db.search",
    schema: {
      $defs: {
        Filter: {
          properties: {
            field: { title: "Field", type: "string" },
            value: {
              anyOf: [{ type: "string" }, { type: "integer" }, { type: "null" }],
              default: null,
              title: "Value",
            },
          },
          required: ["field"],
          title: "Filter",
          type: "object",
        },
      },
      properties: {
        query: { title: "Query", type: "string" },
        filters: {
          anyOf: [{ items: { $ref: "#/$defs/Filter" }, type: "array" }, { type: "null" }],
          default: null,
          title: "Filters",
        },
      },
      required: ["query"],
      title: "searchArguments",
      type: "object",
    },
    signature: "db.search(query: string, filters?: list of {...} | null) -> any",
    valid: { query: "q", filters: [{ field: "year", value: 2024 }] },
    invalid: { query: "q", filters: [{ value: 1 }] },
  },
];

describe("schemas of published MCP servers", () => {
  it.each(realSchemas)("$name", ({ name, schema, signature, valid, invalid }) => {
    const t = jsonSchemaTool({ name, inputSchema: schema });
    expect(toolSignature(t)).toBe(signature);
    expect(t.input.safeParse(valid).success).toBe(true);
    expect(t.input.safeParse(invalid).success).toBe(false);
  });
});

describe("a tool's input from JSON Schema", () => {
  const input = inputFromJsonSchema({
    type: "object",
    properties: { query: { type: "string" }, limit: { type: "integer" } },
    required: ["query"],
  });

  it("is a zod object whose keys are the parameters, in order", () => {
    expect(Object.keys(input.shape)).toEqual(["query", "limit"]);
    expect(input.safeParse({ query: "x", limit: 2 }).success).toBe(true);
    expect(input.safeParse({ limit: 2 }).success).toBe(false);
  });

  it("rejects keys beyond `properties` unless additionalProperties allows them", () => {
    expect(input.safeParse({ query: "x", lmit: 2 }).success).toBe(false);
    const open = inputFromJsonSchema({
      type: "object",
      properties: { query: { type: "string" } },
      additionalProperties: true,
    });
    expect(open.safeParse({ query: "x", extra: 1 }).success).toBe(true);
  });

  it("reads `properties` without `type: object` (or with a nullable object) as the parameters", () => {
    for (const schema of [
      { properties: { city: { type: "string" } }, required: ["city"] },
      { type: ["object", "null"], properties: { city: { type: "string" } }, required: ["city"] },
    ]) {
      const loose = inputFromJsonSchema(schema);
      expect(Object.keys(loose.shape)).toEqual(["city"]);
      expect(loose.safeParse({ city: 3 }).success).toBe(false);
      expect(loose.safeParse({ cty: "Oslo" }).success).toBe(false);
    }
  });

  it("takes no parameters without a schema, and keeps validating a top-level anyOf", () => {
    expect(Object.keys(inputFromJsonSchema(undefined).shape)).toEqual([]);
    const either = inputFromJsonSchema({
      anyOf: [
        { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
        { type: "object", properties: { b: { type: "number" } }, required: ["b"] },
      ],
    });
    expect(either.safeParse({ b: 1 }).success).toBe(true);
    expect(either.safeParse({ c: 1 }).success).toBe(false);
  });
});

describe("jsonSchemaTool", () => {
  const weather = jsonSchemaTool({
    name: "weather",
    description: "Current weather",
    inputSchema: {
      type: "object",
      properties: { city: { type: "string" }, units: { enum: ["c", "f"] } },
      required: ["city"],
    },
    outputSchema: {
      type: "object",
      properties: { temp: { type: "number" } },
      required: ["temp"],
    },
    pure: true,
    run: (args) => ({ temp: args["units"] === "f" ? 70 : 21 }),
  });
  const fn = jsonSchemaTool({
    type: "function",
    function: {
      name: "get-time",
      description: "The time in a zone",
      parameters: { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] },
    },
    run: (args) => `noon in ${String(args["zone"])}`,
  });

  it("gives the checker a signature", () => {
    expect(toolSignature(weather)).toBe(
      'weather(city: string, units?: "c" | "f") -> {temp: number, ...}  # Current weather',
    );
    expect(toolSignature(fn)).toBe("get_time(zone: string) -> any  # The time in a zone");
    expect(weather.pure).toBe(true);
  });

  it("lets the checker catch wrong argument types and names", () => {
    const r = compile('$w = weather(city: 3)\n$t = get_time(zon: "UTC")\nreturn [$w, $t]', {
      tools: [weather, fn],
    });
    expect(r.graph).toBeUndefined();
    expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      "C009 argument `city` of `weather` expects string, but this is 3",
      "C007 `get_time` is missing required argument `zone`",
      "C006 `get_time` has no parameter `zon`",
    ]);
  });

  it("runs, with arguments and results validated", async () => {
    const ok = await run(
      '$w = weather("Oslo", units: "f")\n$t = get_time("UTC")\nreturn [$w.temp, $t]',
      {
        tools: [weather, fn],
      },
    );
    expect(ok.value).toEqual([70, "noon in UTC"]);
    const broken = jsonSchemaTool({ ...weatherDefinition(), run: () => ({ temp: "warm" }) });
    const bad = await run('return weather("Oslo")', { tools: [broken] });
    expect(bad.ok).toBe(false);
    expect(bad.errors[0]?.kind).toBe("validation");
  });

  it("renames parameters a plan cannot write, and hands the tool its own names", async () => {
    const seen: Record<string, unknown>[] = [];
    const odd = jsonSchemaTool({
      name: "odd",
      inputSchema: {
        type: "object",
        properties: {
          "max-length": { type: "number" },
          max_length: { type: "string" },
          $filter: { type: "string" },
        },
        required: ["max-length"],
      },
      run: (args) => {
        seen.push(args);
        return 1;
      },
    });
    expect(toolSignature(odd)).toBe(
      "odd(max_length_2: number, max_length?: string, _filter?: string) -> any",
    );
    const r = await run('return odd(3, _filter: "x", max_length: "y")', { tools: [odd] });
    expect(r.errors).toEqual([]);
    expect(seen).toEqual([{ "max-length": 3, $filter: "x", max_length: "y" }]);
  });

  it("takes a `name` for an OpenAI function", () => {
    const named = jsonSchemaTool({
      type: "function",
      name: "clock.now",
      function: { name: "get-time", parameters: { type: "object", properties: {} } },
    });
    expect(named.name).toBe("clock.now");
  });

  it.each([
    [{ inputSchema: {} }, "needs a `name`"],
    [
      { name: "bad name", inputSchema: {} },
      'needs a `name` like `search` or `web.search` (not "bad name")',
    ],
    [{ name: "t", inputSchema: "object" }, "`inputSchema` must be a JSON Schema object"],
    [{ name: "t", parameters: {}, run: 3 }, "`run` must be a function"],
    [{ type: "function", function: {} }, "`function.name` must be a string"],
  ])("says what is wrong with %j", (definition, message) => {
    expect(() => jsonSchemaTool(definition as never)).toThrow(message);
  });
});

function loopingDefs() {
  return {
    $ref: "#/$defs/a",
    $defs: { a: { $ref: "#/$defs/b" }, b: { allOf: [{ $ref: "#/$defs/a" }] } },
  };
}

function weatherDefinition() {
  return {
    name: "weather",
    inputSchema: { type: "object", properties: { city: { type: "string" } } },
    outputSchema: { type: "object", properties: { temp: { type: "number" } } },
  };
}

describe("names from elsewhere", () => {
  it.each([
    ["read-file", "read_file"],
    ["2fa", "_2fa"],
    ["in", "in_"],
    ["fs.read file", "fs.read_file"],
    ["..", "_"],
  ])("%s -> %s", (raw, name) => {
    expect(weftName(raw)).toBe(name);
    expect(isToolName(weftName(raw))).toBe(true);
  });
});

describe("tools modules with JSON Schema and OpenAI function definitions", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-jsonschema-"));
  writeFileSync(
    join(dir, "tools.mjs"),
    `export default [
  {
    name: "lookup",
    description: "Looks a word up",
    inputSchema: { type: "object", properties: { word: { type: "string" } }, required: ["word"] },
    outputSchema: { type: "object", properties: { meaning: { type: "string" } } },
    run: ({ word }) => ({ meaning: "the meaning of " + word }),
  },
  {
    type: "function",
    function: {
      name: "shout-it",
      description: "Upper-cases a text",
      parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    },
    run: ({ text }) => text.toUpperCase(),
  },
];
`,
  );
  writeFileSync(
    join(dir, "broken.mjs"),
    `export default [{ type: "function", function: { name: "x", parameters: "nope" } }];\n`,
  );
  writeFileSync(join(dir, "plan.plan"), '$m = lookup("weft")\nreturn shout_it($m.meaning)\n');

  it("runs a plan over them", async () => {
    const r = await weft(["run", "plan.plan", "--tools", "tools.mjs"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("THE MEANING OF WEFT\n");
  });

  it("checks a plan against them", async () => {
    writeFileSync(join(dir, "bad.plan"), "return lookup(word: 1)\n");
    const r = await weft(["check", "bad.plan", "--tools", "tools.mjs"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("argument `word` of `lookup` expects string");
  });

  it("says which definition is broken", async () => {
    const r = await weft(["check", "plan.plan", "--tools", "broken.mjs"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "weft: tool #1 of broken.mjs: `function.parameters` must be a JSON Schema object\n",
    );
  });
});

describe("docs/tools.md", () => {
  it("shows the signature its JSON Schema example really gets", async () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "docs", "tools.md"), "utf8");
    const section = doc.slice(doc.indexOf("### With JSON Schema"));
    const example = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    const claimed = /The checker then knows `([^`]*)`/.exec(section)?.[1];
    expect(example).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), "weft-tools-doc-"));
    writeFileSync(join(dir, "weather.mjs"), example!);
    const tools = await loadTools("weather.mjs", dir);
    expect(toolSignature(tools[0]!).split("  #")[0]).toBe(claimed);
  });
});
