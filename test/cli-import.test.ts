// `weft import`: in-process through the harness, plus one run of the real binary.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { PlanGraph } from "../src/compiler/ir.js";
import { validateGraph } from "../src/compiler/validate.js";
import { weft } from "./cli-harness.js";
import { scratchDir } from "./fixtures/scratch.js";

const root = join(import.meta.dirname, "..");
const { dir, write } = scratchDir("weft-import-");
let toolsModule: string;

const rewooPlan = [
  "Plan: Look up both rivers.",
  "#E1 = Wikipedia[River Sava]",
  "#E2 = Wikipedia[Drava]",
  "Plan: Compare them.",
  '#E3 = LLM[Which is longer, [A] or [B]? "A" = #E1, "B" = #E2]',
  "#E4 = LLM[Answer in one word: #E3]",
  "",
].join("\n");

const rewooWeft = [
  "# Plan: Look up both rivers.",
  '$E1 = Wikipedia("River Sava")',
  '$E2 = Wikipedia("Drava")',
  "# Plan: Compare them.",
  '$E3 = LLM("Which is longer, [A] or [B]? \\"A\\" = $E1, \\"B\\" = $E2")',
  '$E4 = LLM("Answer in one word: $E3")',
  "",
].join("\n");

beforeAll(() => {
  // The corpus's tools, in a module outside the repo that imports this repo's zod.
  const zod = pathToFileURL(join(root, "node_modules", "zod", "index.js")).href;
  toolsModule = write(
    "rewoo-tools.mjs",
    [
      `import { z } from ${JSON.stringify(zod)};`,
      "export default [",
      "  { name: 'Wikipedia', input: z.object({ query: z.string() }), output: z.string(), run: ({ query }) => query },",
      "  { name: 'LLM', input: z.object({ prompt: z.string() }), output: z.string(), run: ({ prompt }) => prompt },",
      "];",
    ].join("\n"),
  );
});

describe("weft import", () => {
  it("prints the canonical Weft text and exits 0 for a clean plan", async () => {
    const r = await weft(["import", "--from", "rewoo", write("clean.txt", rewooPlan)]);
    expect(r.stdout).toBe(rewooWeft);
    expect(r.stderr).toMatch(
      /^imported: .*clean\.txt, 4 steps, 0 errors, 0 warnings \(tools not checked: pass --tools MODULE\)\n$/,
    );
    expect(r.code).toBe(0);
  });

  it("reads standard input with -", async () => {
    const r = await weft(["import", "--from", "rewoo", "-"], { stdin: rewooPlan });
    expect(r.stdout).toBe(rewooWeft);
    expect(r.code).toBe(0);
  });

  it("prints diagnostics at the ORIGINAL file's line and column, still prints the plan, exits 1", async () => {
    const file = write(
      "cut.txt",
      "Plan: x\n#E1 = Wikipedia[Sava]\n#E2 = LLM[Use #E5 and #E1]\n#E3 = LLM[",
    );
    const r = await weft(["import", "--from", "rewoo", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        "# Plan: x",
        '$E1 = Wikipedia("Sava")',
        '$E2 = LLM("Use #E5 and $E1")',
        "# not imported (cut off): #E3 = LLM[",
        "",
      ].join("\n"),
    );
    expect(r.stderr).toContain(`${file}:3:15: error[I002]: #E5 refers to no step`);
    expect(r.stderr).toContain("3 | #E2 = LLM[Use #E5 and #E1]\n  |               ^^^");
    expect(r.stderr).toContain(`${file}:4:1: error[I001]: step #E3 is cut off`);
    expect(r.stderr).toMatch(/imported with diagnostics: .*3 steps, 2 errors, 0 warnings/);
  });

  it("checks against real tools and points a checker error at the original tool name", async () => {
    const file = write("google.txt", "#E1 = Wikipedia[Sava]\n#E2 = Google[#E1]\n");
    const r = await weft(["import", "--from", "rewoo", file, "--tools", toolsModule]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2:7: error[C004]: unknown tool \`Google\``);
    expect(r.stderr).not.toContain("tools not checked");
  });

  it("renames tools with --map (repeatable) and rejects a malformed --map with exit 2", async () => {
    const file = write("map.txt", rewooPlan);
    const r = await weft([
      "import",
      "--from",
      "rewoo",
      file,
      "--map",
      "Wikipedia=wiki.search",
      "-m",
      "LLM=llm.complete",
    ]);
    expect(r.stdout).toContain('$E1 = wiki.search("River Sava")');
    expect(r.stdout).toContain('$E4 = llm.complete("Answer in one word: $E3")');
    const bad = await weft(["import", "--from", "rewoo", file, "--map", "Wikipedia"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--map expects OLD=new");
    const keyword = await weft(["import", "--from", "rewoo", file, "--map", "Wikipedia=in"]);
    expect(keyword.code).toBe(2);
    expect(keyword.stdout).toBe("");
    expect(keyword.stderr).toBe(
      "weft: --map Wikipedia=in: `in` is not a tool name a plan can call (letters, digits, _ and dots; not a keyword)\n",
    );
  });

  it("exits 2 on a usage error: no --from, an unknown format, a missing file", async () => {
    const file = write("any.txt", rewooPlan);
    expect((await weft(["import", file])).code).toBe(2);
    expect((await weft(["import", "--from", "crewai", file])).code).toBe(2);
    const missing = await weft(["import", "--from", "rewoo", join(dir, "nope.txt")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file");
  });

  it("documents the formats and exit codes in --help", async () => {
    const r = await weft(["import", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, " ")).toContain('choices: "rewoo", "llmcompiler", "coa"');
    expect(r.stdout).toContain("Exit status: 0 imported cleanly, 1 diagnostics were reported");
  });

  it("prints the compiled graph with --json; it keeps every dependency of the original", async () => {
    const file = write("json.txt", rewooPlan);
    const r = await weft(["import", "--from", "rewoo", "--json", file, "--tools", toolsModule]);
    expect(r.code).toBe(0);
    const graph = JSON.parse(r.stdout) as PlanGraph;
    expect(validateGraph(graph).diagnostics).toEqual([]);
    // Spans point at the steps of the original file, like the diagnostics.
    expect(graph.nodes.map((n) => n.span?.start.line)).toEqual([2, 3, 5, 6]);
    const byBinding = new Map(graph.nodes.map((n) => [n.id, n.binding ?? n.id]));
    const deps = Object.fromEntries(
      graph.nodes.map((n) => [n.binding, n.deps.map((d) => byBinding.get(d)).sort()]),
    );
    // The original's edges, read off its text.
    const original = Object.fromEntries(
      rewooPlan
        .split("\n")
        .filter((l) => l.startsWith("#E"))
        .map((l) => [
          l.slice(1, l.indexOf(" ")),
          [...new Set([...l.slice(3).matchAll(/#(E\d+)/g)].map((m) => m[1]))].sort(),
        ]),
    );
    expect(deps).toEqual(original);
  });

  it("writes plans that `weft check` accepts with the tools", async () => {
    const imported = await weft(["import", "--from", "rewoo", write("c.txt", rewooPlan)]);
    const plan = write("c.plan", imported.stdout);
    const r = await weft(["check", plan, "--tools", toolsModule]);
    expect(r.stdout).toBe("ok: 1 file, 0 errors, 0 warnings\n");
    expect(r.code).toBe(0);
  });

  it("imports LLMCompiler and Chain-of-Abstraction plans", async () => {
    const llmc = write(
      "l.txt",
      '1. search("Oslo")\n2. math("double it", ["$1"]\nThought: ok\n3. join()<END_OF_PLAN>\n',
    );
    const r = await weft(["import", "--from", "llmcompiler", llmc]);
    expect(r.stdout).toBe(
      [
        '$1 = search("Oslo")',
        '$2 = math("double it", [$1])',
        "# Thought: ok",
        "# 3. join(): end of the plan; the joiner reads every result",
        "",
      ].join("\n"),
    );
    expect(r.stderr).toContain(`${llmc}:2:28: warning[I005]: missing \`)\``);
    expect(r.code).toBe(1);
    const coa = write("c.txt", "It is [FUNC search('Oslo') = y1].");
    const c = await weft(["import", "--from", "coa", coa]);
    expect(c.stdout).toBe('# It is y1.\n$y1 = search("Oslo")\n');
    expect(c.code).toBe(0);
  });

  it.skipIf(!existsSync(join(root, "dist", "compat", "index.js")))(
    "runs as a real process (bin/weft.js)",
    () => {
      const file = write("real.txt", rewooPlan);
      const r = spawnSync(
        process.execPath,
        [join(root, "bin", "weft.js"), "import", "--from", "rewoo", file],
        {
          encoding: "utf8",
        },
      );
      expect(r.stdout).toBe(rewooWeft);
      expect(r.status).toBe(0);
      const cut = spawnSync(
        process.execPath,
        [join(root, "bin", "weft.js"), "import", "--from", "rewoo", "-"],
        { encoding: "utf8", input: "#E1 = LLM[" },
      );
      expect(cut.stderr).toContain("<stdin>:1:1: error[I001]");
      expect(cut.status).toBe(1);
    },
  );
});
