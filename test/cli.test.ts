import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateGraph } from "../src/compiler/validate.js";
import { weft } from "./cli-harness.js";
import { scratchDir } from "./fixtures/scratch.js";

const root = join(import.meta.dirname, "..");
const examples = ["compare-cities.plan", "languages.plan", "city-research.plan"].map((f) =>
  join(root, "examples", f),
);
const exampleTools = join(root, "examples", "tools.ts");
const testTools = join(root, "test", "fixtures", "tools.ts");
const { dir, write } = scratchDir("weft-cli-");

describe("weft check", () => {
  it("accepts the examples with their tools", async () => {
    const r = await weft(["check", ...examples, "--tools", exampleTools]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok: 3 files, 0 errors, 0 warnings\n");
    expect(r.code).toBe(0);
  });

  it("accepts a plan using every construct of the language", async () => {
    const file = write(
      "full.plan",
      [
        "# every construct",
        'input $topic: string = "weft"',
        "input $n: number",
        "input $extra",
        '$hits = search("about $topic", limit: 3)',
        "$1 = search(query=$topic,)",
        "$pages = each $h in $hits: wiki.page($h.title)",
        "$first = $pages[0].links[0]",
        '$n2 = math("${hits[0].score} * 2 + \\$5")',
        "$obj = {a: [1, -2.5e3, true, false, null], 'b c': \"x\", d: $extra}",
        'notify(message: """multi',
        'line $topic""")',
        '$s = summarize(llm("say $first"), words: $n)',
        "return {obj: $obj, n2: $n2, s: $s, one: $1, pages: $pages}",
      ].join("\n"),
    );
    const r = await weft(["check", file, "--tools", testTools]);
    expect(r.stdout).toBe("ok: 1 file, 0 errors, 0 warnings\n");
    expect(r.code).toBe(0);
  });

  // Each kind of mistake the checker knows, with the line:column it must name.
  const mistakes: [string, string, string][] = [
    ["redefinition", '$a = search("x")\n$a = search("y")\nreturn $a', "2:1: error[C001]"],
    ["undefined variable", '$a = search("x")\nreturn $b', "2:8: error[C002]"],
    [
      "used before definition",
      '$a = wiki.page($b[0].title)\n$b = search("x")\nreturn $a',
      "1:16: error[C003]",
    ],
    ["unknown tool", '$a = serch("x")\nreturn $a', "1:6: error[C004]"],
    ["wrong arity", '$a = math("1", "2")\nreturn $a', "1:16: error[C005]"],
    ["unknown named argument", '$a = search(query: "x", limt: 2)\nreturn $a', "1:25: error[C006]"],
    ["missing required argument", "$a = search(limit: 2)\nreturn $a", "1:6: error[C007]"],
    ["literal of the wrong type", "$a = search(42)\nreturn $a", "1:13: error[C009]"],
    [
      "field ruled out by the output schema",
      '$a = search("x")\nreturn $a[0].titel',
      "2:13: error[C010]",
    ],
    [
      "each over a non-list",
      '$p = wiki.page("x")\n$a = each $x in $p: math($x)\nreturn $a',
      "2:17: error[C012]",
    ],
    ["return not last", 'return 1\n$a = search("x")', "1:1: error[C013]"],
    ["syntax: missing )", '$a = search("x"\n$b = math("1")\nreturn $b', "1:16: error[P005]"],
    ["syntax: unterminated string", '$a = search("x)\nreturn $a', "1:13: error[P002]"],
  ];
  for (const [what, text, expected] of mistakes) {
    it(`rejects ${what} with exit 1 at ${expected.split(": ")[0]}`, async () => {
      const file = write(`${what.replace(/\W+/g, "-")}.plan`, `${text}\n`);
      const r = await weft(["check", file, "--tools", testTools]);
      expect(r.stdout).toContain(`${file}:${expected}`);
      expect(r.code).toBe(1);
    });
  }

  it("warns about unused bindings but exits 0", async () => {
    const file = write("unused.plan", '$a = search("x")\n$b = search("y")\nreturn $a\n');
    const r = await weft(["check", file, "--tools", testTools]);
    expect(r.stdout).toContain(`${file}:2:1: warning[C015]`);
    expect(r.code).toBe(0);
  });

  it("without --tools checks everything but tools, and says so", async () => {
    const file = write("notools.plan", '$a = serch("x")\nreturn $a\n');
    const r = await weft(["check", file]);
    expect(r.stdout).toContain("tools not checked");
    expect(r.code).toBe(0);
  });

  it("prints JSON with --json", async () => {
    const file = write("json.plan", '$a = serch("x")\nreturn $a\n');
    const r = await weft(["check", file, "--tools", testTools, "--json"]);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      files: { file: string; diagnostics: { code: string; help?: string }[] }[];
    };
    expect(out.ok).toBe(false);
    expect(out.files[0]?.diagnostics[0]?.code).toBe("C004");
    expect(out.files[0]?.diagnostics[0]?.help).toBe("did you mean `search`?");
    expect(r.code).toBe(1);
  });

  it("reads standard input with -", async () => {
    const r = await weft(["check", "-"], { stdin: "$a = f(\n" });
    expect(r.stdout).toContain("<stdin>:1:8: error[P005]");
    expect(r.code).toBe(1);
  });

  it("a missing file is a one-line usage error (exit 2)", async () => {
    const r = await weft(["check", join(dir, "nope.plan")]);
    expect(r.stderr).toBe(`weft: cannot read ${join(dir, "nope.plan")}: no such file\n`);
    expect(r.code).toBe(2);
  });

  it("a broken tools module is a usage error (exit 2)", async () => {
    const bad = write("bad-tools.mjs", "export default [{ name: 'x' }]\n");
    const r = await weft(["check", examples[0]!, "--tools", bad]);
    expect(r.stderr).toContain("tool `x`: `input` must be a zod object schema");
    expect(r.code).toBe(2);
    const syntax = write("syntax-tools.mjs", "export default [\n");
    const r2 = await weft(["check", examples[0]!, "--tools", syntax]);
    expect(r2.stderr).toMatch(/^weft: cannot load tools from .*syntax-tools\.mjs: /);
    expect(r2.stderr.split("\n").length).toBe(2);
    expect(r2.code).toBe(2);
  });

  it("a tools module of plain objects needs nothing but zod", async () => {
    const plain = join(root, "test", "fixtures", "plain-tools.mjs");
    const file = write("plain.plan", '$a = shout("hi")\n$b = shout(text: 3)\nreturn [$a, $b]\n');
    const r = await weft(["check", file, "--tools", plain]);
    expect(r.stdout).toContain(`${file}:2:18: error[C009]`);
    expect(r.code).toBe(1);
  });
});

describe("weft compile", () => {
  for (const emit of ["json", "dot", "mermaid"] as const) {
    it(`emits ${emit} for every example`, async () => {
      for (const file of examples) {
        const r = await weft(["compile", file, "--tools", exampleTools, "--emit", emit]);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        if (emit === "json") expect(validateGraph(JSON.parse(r.stdout)).diagnostics).toEqual([]);
        if (emit === "dot") expect(r.stdout).toMatch(/^digraph /);
        if (emit === "mermaid") expect(r.stdout).toMatch(/^flowchart TD/);
      }
    });
  }

  it("writes to -o and compiles a graph back from JSON", async () => {
    const out = join(dir, "graph.json");
    expect((await weft(["compile", examples[0]!, "--tools", exampleTools, "-o", out])).code).toBe(
      0,
    );
    const r = await weft(["compile", out, "--emit", "mermaid"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^flowchart TD/);
  });

  it("rejects a cyclic graph with the cycle named", async () => {
    const graph = JSON.parse(
      readFileSync(join(root, "test", "fixtures", "cyclic.ir.json"), "utf8"),
    ) as unknown;
    const file = write("cyclic.json", JSON.stringify(graph));
    const r = await weft(["compile", file]);
    expect(r.stderr).toContain("error[G004]");
    expect(r.stderr).toContain("n1 -> n2 -> n3 -> n1");
    expect(r.code).toBe(1);
  });

  it("exits 1 on a plan with errors, 2 on a bad --emit", async () => {
    const file = write("bad.plan", "$a = f(\n");
    expect((await weft(["compile", file])).code).toBe(1);
    const r = await weft(["compile", examples[0]!, "--emit", "svg"]);
    expect(r.stderr).toContain("Allowed choices are json, dot, mermaid");
    expect(r.code).toBe(2);
  });
});

describe("weft fmt", () => {
  it("--check passes on every example", async () => {
    const r = await weft(["fmt", "--check", ...examples]);
    expect(r.stdout).toBe("ok: 3 files formatted\n");
    expect(r.code).toBe(0);
  });

  it("--check fails on a messy file; --write fixes it; the default prints", async () => {
    const file = write("messy.plan", "$a=search( 'x' ,limit=2 )   # c\nreturn   $a\n");
    const check = await weft(["fmt", "--check", file]);
    expect(check.stdout).toBe(`would reformat ${file}\n`);
    expect(check.code).toBe(1);
    const printed = await weft(["fmt", file]);
    expect(printed.stdout).toBe('$a = search("x", limit: 2)  # c\nreturn $a\n');
    expect((await weft(["fmt", "--write", file])).code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(printed.stdout);
    expect((await weft(["fmt", "--check", file])).code).toBe(0);
  });

  it("refuses to format a file with syntax errors (exit 1)", async () => {
    const file = write("broken.plan", "$a = f(\n");
    const r = await weft(["fmt", file]);
    expect(r.stderr).toContain("error[P005]");
    expect(r.stdout).toBe("");
    expect(r.code).toBe(1);
  });
});

describe("usage", () => {
  it("--help on every command exits 0", async () => {
    for (const argv of [
      ["--help"],
      ["check", "--help"],
      ["compile", "--help"],
      ["fmt", "--help"],
    ]) {
      const r = await weft(argv);
      expect(r.stdout).toContain("Usage: weft");
      expect(r.code).toBe(0);
    }
  });

  it("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    const r = await weft(["--version"]);
    expect(r.stdout).toBe(`${pkg.version}\n`);
    expect(r.code).toBe(0);
  });

  it("unknown commands and options exit 2", async () => {
    expect((await weft(["frobnicate"])).code).toBe(2);
    expect((await weft(["check", "--nope", examples[0]!])).code).toBe(2);
    expect((await weft(["check"])).code).toBe(2);
    expect((await weft([])).code).toBe(2);
  });
});

describe("the real process (bin/weft.js)", () => {
  const bin = join(root, "bin", "weft.js");

  it("checks an example with exit 0", () => {
    const out = execFileSync(
      process.execPath,
      [bin, "check", examples[0]!, "--tools", exampleTools],
      { encoding: "utf8" },
    );
    expect(out).toBe("ok: 1 file, 0 errors, 0 warnings\n");
  });

  it("a reader that closes the pipe early (`| head`) ends weft quietly, without a stack trace", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `$v${i} = search("query number ${i}")`);
    const file = write("big.plan", `${lines.join("\n")}\n`);
    const child = spawn(process.execPath, [bin, "compile", file, "--tools", exampleTools], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on("close", done));
    expect(stderr).not.toMatch(/EPIPE|\n\s+at .*:\d+:\d+/);
    expect(code).toBe(0);
  });

  it("garbage gives diagnostics and exit 1, never a stack trace", () => {
    const file = write("garbage.plan", '\u0000\u0001$$$ ((( """ ]]] }{ @@@ \uFFFF\n'.repeat(20));
    const r = spawnSync(process.execPath, [bin, "check", file], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("error[");
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });
});
