// The standard library's pure tools and time, one by one: what they return and
// how they fail. Capabilities (http, file, llm) are in std-capabilities.test.ts.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toolSignature } from "../src/compiler/signature.js";
import { stdTools } from "../src/tools/std/index.js";
import { call, callFailure, tool } from "./fixtures/std-call.js";

/** The error a call fails with, which must be permanent (retrying cannot help). */
async function failure(name: string, args: Record<string, unknown>): Promise<string> {
  const { message, permanent } = await callFailure(name, args);
  expect(permanent).toBe(true);
  return message;
}

function rejectsArgs(name: string, args: Record<string, unknown>): boolean {
  return !tool(name).input.safeParse(args).success;
}

describe("the tool list", () => {
  const PURE = [
    "math.eval",
    "text.template",
    "text.split",
    "text.join",
    "text.extract",
    "json.parse",
    "json.get",
  ];

  it("has every tool once, each with a description", () => {
    const names = stdTools().map((t) => t.name);
    expect(names).toEqual([
      ...PURE,
      "http.get",
      "http.post",
      "file.read",
      "file.write",
      "llm.complete",
      "time.now",
      "sleep",
    ]);
    for (const t of stdTools()) expect(t.description?.length ?? 0).toBeGreaterThan(10);
  });

  it("marks pure and effectful tools", () => {
    const pure = stdTools()
      .filter((t) => t.pure === true)
      .map((t) => t.name);
    const effect = stdTools()
      .filter((t) => t.effect === true)
      .map((t) => t.name);
    expect(pure).toEqual(PURE);
    expect(effect).toEqual(["http.post", "file.write", "sleep"]);
  });

  it("is documented in docs/stdlib.md with its exact signatures", () => {
    const doc = readFileSync(new URL("../docs/stdlib.md", import.meta.url), "utf8");
    for (const t of stdTools()) expect(doc).toContain(toolSignature(t));
  });
});

describe("math.eval", () => {
  it("evaluates arithmetic, functions, variables and units", async () => {
    expect(await call("math.eval", { expression: "2 * (3 + 4)" })).toBe(14);
    expect(await call("math.eval", { expression: "sqrt(16) + 2^3" })).toBe(12);
    expect(await call("math.eval", { expression: "a * b", scope: { a: 6, b: 7 } })).toBe(42);
    expect(await call("math.eval", { expression: "x = 3; x * 2" })).toBe(6);
    expect(await call("math.eval", { expression: 'number(254 cm, "m")' })).toBeCloseTo(2.54);
    expect(await call("math.eval", { expression: "3 > 2" })).toBe(1);
  });

  it("refuses what could change the evaluator or define code", async () => {
    expect(await failure("math.eval", { expression: "import({pi: 3})" })).toMatch(
      /import is disabled/,
    );
    expect(await failure("math.eval", { expression: 'createUnit("foo")' })).toMatch(/disabled/);
    expect(await failure("math.eval", { expression: 'evaluate("1 + 1")' })).toMatch(/disabled/);
    expect(await failure("math.eval", { expression: 'parse("1 + 1")' })).toMatch(/disabled/);
    // A change of configuration would leak into later calls.
    expect(await failure("math.eval", { expression: 'config({number: "BigNumber"})' })).toMatch(
      /config is disabled/,
    );
    expect(await call("math.eval", { expression: "0.1 + 0.2" })).toBe(0.1 + 0.2);
    expect(await failure("math.eval", { expression: "f(x) = x^2" })).toMatch(
      /defining functions is not allowed/,
    );
    expect(await failure("math.eval", { expression: "a.constructor", scope: { a: 1 } })).toMatch(
      /constructor/,
    );
  });

  it("says why a result is not a number", async () => {
    expect(await failure("math.eval", { expression: "5 cm to inch" })).toMatch(/unit/);
    expect(await failure("math.eval", { expression: "sqrt(-1)" })).toMatch(/complex/);
    expect(await failure("math.eval", { expression: "[1, 2]" })).toMatch(/matrix/);
    expect(await failure("math.eval", { expression: "1 / 0" })).toMatch(/finite/);
    expect(await failure("math.eval", { expression: '"text"' })).toMatch(/not a number/);
    expect(await failure("math.eval", { expression: "1 +" })).toMatch(/^math\.eval: /);
  });

  it("bounds the expression and the scope names", () => {
    expect(rejectsArgs("math.eval", { expression: "1+".repeat(600) + "1" })).toBe(true);
    expect(rejectsArgs("math.eval", { expression: "a", scope: { "a b": 1 } })).toBe(true);
  });
});

describe("text.template", () => {
  it("fills placeholders; strings as they are, other values as JSON", async () => {
    expect(
      await call("text.template", {
        template: "{name} is {age}, tags {tags}",
        values: { name: "Ada", age: 36, tags: ["a", "b"] },
      }),
    ).toBe('Ada is 36, tags ["a","b"]');
  });

  it("writes {{ and }} as braces and keeps other braces", async () => {
    expect(await call("text.template", { template: '{{name}} {"k": {v}}', values: { v: 1 } })).toBe(
      '{name} {"k": 1}',
    );
  });

  it("fails on a missing name, prototype names included", async () => {
    expect(await failure("text.template", { template: "hi {who}", values: {} })).toBe(
      "text.template: no value for {who}",
    );
    expect(await failure("text.template", { template: "{constructor}", values: {} })).toMatch(
      /no value for \{constructor\}/,
    );
  });
});

describe("text.split and text.join", () => {
  it("splits at a plain-text separator", async () => {
    expect(await call("text.split", { text: "a.b.c", separator: "." })).toEqual(["a", "b", "c"]);
    expect(await call("text.split", { text: "a, b", separator: "x" })).toEqual(["a, b"]);
  });

  it("keeps the rest in the last piece with a limit", async () => {
    expect(await call("text.split", { text: "k=v=w", separator: "=", limit: 2 })).toEqual([
      "k",
      "v=w",
    ]);
    expect(await call("text.split", { text: "a", separator: "=", limit: 3 })).toEqual(["a"]);
    expect(rejectsArgs("text.split", { text: "a", separator: ",", limit: 0 })).toBe(true);
  });

  it("splits into characters, not UTF-16 halves, with an empty separator", async () => {
    expect(await call("text.split", { text: "a😀b", separator: "" })).toEqual(["a", "😀", "b"]);
  });

  it("joins with a separator (default comma and space)", async () => {
    expect(await call("text.join", { items: ["a", 1, true, null] })).toBe("a, 1, true, ");
    expect(await call("text.join", { items: ["a", "b"], separator: "\n" })).toBe("a\nb");
    expect(await call("text.join", { items: [] })).toBe("");
  });
});

describe("text.extract", () => {
  it("returns whole matches, or the first group when there is one", async () => {
    expect(await call("text.extract", { text: "a1 b22 c333", pattern: "[0-9]+" })).toEqual([
      "1",
      "22",
      "333",
    ]);
    expect(await call("text.extract", { text: "x=1; y=2", pattern: "([a-z])=[0-9]" })).toEqual([
      "x",
      "y",
    ]);
    expect(await call("text.extract", { text: "none", pattern: "[0-9]" })).toEqual([]);
  });

  it("takes flags", async () => {
    expect(await call("text.extract", { text: "Cat cat CAT", pattern: "cat", flags: "i" })).toEqual(
      ["Cat", "cat", "CAT"],
    );
    expect(rejectsArgs("text.extract", { text: "", pattern: "a", flags: "y" })).toBe(true);
  });

  it("reports a bad pattern", async () => {
    expect(await failure("text.extract", { text: "a", pattern: "(" })).toMatch(
      /^text\.extract: Invalid regular expression/,
    );
  });

  it("bounds the pattern and the text", () => {
    expect(rejectsArgs("text.extract", { text: "a", pattern: "a".repeat(1001) })).toBe(true);
    expect(rejectsArgs("text.extract", { text: "a".repeat(1_000_001), pattern: "a" })).toBe(true);
  });
});

describe("json.parse and json.get", () => {
  const doc = { a: { b: [{ c: 1 }, { c: 2 }] }, "odd key": "yes", list: [1, 2, 3] };

  it("parses JSON, and says where it is broken", async () => {
    expect(await call("json.parse", { text: '{"a": [1, null]}' })).toEqual({ a: [1, null] });
    expect(await failure("json.parse", { text: "{a: 1}" })).toMatch(/^json\.parse: /);
  });

  it("reads a path", async () => {
    expect(await call("json.get", { value: doc, path: "a.b[1].c" })).toBe(2);
    expect(await call("json.get", { value: doc, path: "$.a.b[0]" })).toEqual({ c: 1 });
    expect(await call("json.get", { value: doc, path: "list[-1]" })).toBe(3);
    expect(await call("json.get", { value: doc, path: '["odd key"]' })).toBe("yes");
    expect(await call("json.get", { value: doc, path: "" })).toEqual(doc);
    expect(await call("json.get", { value: [[5]], path: "[0][0]" })).toBe(5);
  });

  it("names the missing step", async () => {
    expect(await failure("json.get", { value: doc, path: "a.x.y" })).toBe(
      "json.get: no field `x` in $.a",
    );
    expect(await failure("json.get", { value: doc, path: "list[3]" })).toMatch(
      /no item \[3\] in \$\.list: it has 3 item/,
    );
    expect(await failure("json.get", { value: doc, path: "a[0]" })).toMatch(
      /\$\.a is an object, not a list/,
    );
    expect(await failure("json.get", { value: doc, path: "list.x" })).toMatch(
      /\$\.list is a list, not an object/,
    );
    // A key that needs quoting is quoted in the message, as it must be in a path.
    expect(
      await failure("json.get", { value: { "b.c": { "x]": 1 } }, path: '["b.c"]["x]"].y' }),
    ).toBe('json.get: $["b.c"]["x]"] is a number, not an object');
  });

  it("never reaches through the prototype", async () => {
    for (const path of [
      "constructor",
      "__proto__",
      "a.toString",
      "list.length",
      "a.hasOwnProperty",
    ])
      expect(await failure("json.get", { value: doc, path })).toMatch(/^json\.get: /);
  });

  it("rejects a malformed path with its position", async () => {
    expect(await failure("json.get", { value: doc, path: "a..b" })).toMatch(/bad path/);
    expect(await failure("json.get", { value: doc, path: "a[x]" })).toMatch(/bad path/);
    expect(await failure("json.get", { value: doc, path: "list[0]x" })).toMatch(/bad path/);
  });
});

describe("time.now and sleep", () => {
  it("tells the time in two forms that agree", async () => {
    const now = (await call("time.now", {})) as { iso: string; epochMs: number };
    expect(Date.parse(now.iso)).toBe(now.epochMs);
  });

  it("sleeps and returns the time slept", async () => {
    expect(await call("sleep", { ms: 1 })).toBe(1);
    expect(rejectsArgs("sleep", { ms: 60_001 })).toBe(true);
    expect(rejectsArgs("sleep", { ms: -1 })).toBe(true);
  });

  it("stops sleeping when aborted", async () => {
    const controller = new AbortController();
    const slept = call("sleep", { ms: 60_000 }, {}, controller.signal);
    controller.abort(new Error("stop"));
    await expect(slept).rejects.toThrow("stop");
    await expect(call("sleep", { ms: 1 }, {}, controller.signal)).rejects.toThrow("stop");
  });
});
