// `npm run corpus`: import the peers' real plans (../shared/corpora) and show
// that every record is accounted for, and how much parallelism their own
// executors leave unused. Skips with a notice when the folder is absent.
// Exit 1 when a record crashed the importer, lost a step or a dependency.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { checkImported, readPlan, type ForeignFormat } from "../src/compat/index.js";
import type { PlanGraph } from "../src/compiler/ir.js";
import { defineTool, type AnyTool } from "../src/compiler/tool.js";
import { hasErrors } from "../src/diagnostics/diagnostic.js";

// ## The corpora's own tools

/** ReWOO's planner prompt: `Wikipedia[input]` and `LLM[input]`. */
export const rewooTools: AnyTool[] = [
  defineTool({
    name: "Wikipedia",
    description: "search for similar page contents from Wikipedia",
    input: z.object({ query: z.string() }),
    output: z.string(),
    latency: 1,
    run: () => "",
  }),
  defineTool({
    name: "LLM",
    description: "a pretrained LLM",
    input: z.object({ prompt: z.string() }),
    output: z.string(),
    latency: 1.5,
    run: () => "",
  }),
];

/** LLMCompiler's prompts: `search("entity")`, `math("problem", ["$1", ...])`, `join()`. */
export const llmCompilerTools: AnyTool[] = [
  defineTool({
    name: "search",
    input: z.object({ entity: z.string() }),
    output: z.string(),
    run: () => "",
  }),
  defineTool({
    name: "math",
    input: z.object({ problem: z.string(), context: z.array(z.string()).optional() }),
    output: z.number(),
    run: () => 0,
  }),
  defineTool({ name: "join", input: z.object({}), output: z.string(), run: () => "" }),
];

/** Simulated seconds per call, for the schedule comparison. */
const LATENCY: Record<string, number> = { Wikipedia: 1.0, LLM: 1.5, search: 1.0, math: 1.5 };

// ## Counting

export type Outcome = "clean" | "warnings" | "diagnosed" | "crashed";

/** Codes that stand for a step that was read but not imported. */
const NOT_IMPORTED = new Set(["I001", "I004", "I013", "I015"]);

export interface PlanShape {
  /** Steps imported (statements of the Weft plan). */
  steps: number;
  /** Steps read, cut-off ones included. */
  stepsRead: number;
  /** Longest chain of the original's step dependencies. */
  stepDepth: number;
  depth: number;
  /** Sum of the calls' latencies: a worker that runs one call at a time. */
  sequential: number;
  /** The longest latency-weighted chain: Weft's schedule with unbounded concurrency. */
  critical: number;
}

export interface CorpusCounts {
  records: number;
  outcomes: Record<Outcome, number>;
  codes: Record<string, number>;
  /** Records with a truncated step (I001). */
  truncated: number;
  /** Records whose steps are not all either imported or diagnosed. */
  dropped: number[];
  /** Records whose compiled graph lost or added a dependency of the original. */
  lostDependencies: number[];
  crashed: number[];
  shapes: PlanShape[];
}

/** Step headers as the format writes them, counted on the raw text. */
const HEADERS: Record<ForeignFormat, RegExp> = {
  rewoo: /^[ \t]*#E\d+[ \t]*[=:]|#E\d+[ \t]*[=:][ \t]*[A-Za-z_][\w.]*[ \t]*\[/gm,
  llmcompiler: /^[ \t]*\d+[ \t]*\./gm,
  coa: /\[FUNC\b/g,
};

function headerCount(format: ForeignFormat, text: string): number {
  if (format !== "rewoo") return text.match(HEADERS[format])?.length ?? 0;
  // A `Plan:` line with a step after it on the same line counts once.
  return text
    .split(/\r\n|\r|\n/)
    .filter(
      (l) =>
        /^[ \t]*#E\d+[ \t]*[=:]/.test(l) || /#E\d+[ \t]*[=:][ \t]*[A-Za-z_][\w.]*[ \t]*\[/.test(l),
    ).length;
}

/** Depth (calls on the longest chain) and latencies of a compiled graph. */
export function shapeOf(
  graph: PlanGraph,
  steps: number,
  stepsRead = steps,
  edges: ReadonlyMap<string, readonly string[]> = new Map(),
): PlanShape {
  const depth = new Map<string, number>();
  const finish = new Map<string, number>();
  let sequential = 0;
  let maxDepth = 0;
  let critical = 0;
  // Nodes are in dependency order: every dep is written above its user.
  for (const node of graph.nodes) {
    const latency = node.kind === "call" ? (LATENCY[node.tool] ?? 1) : 0;
    const d = Math.max(0, ...node.deps.map((x) => depth.get(x) ?? 0)) + 1;
    const f = Math.max(0, ...node.deps.map((x) => finish.get(x) ?? 0)) + latency;
    depth.set(node.id, d);
    finish.set(node.id, f);
    sequential += latency;
    maxDepth = Math.max(maxDepth, d);
    critical = Math.max(critical, f);
  }
  // Edges are in step order: every dependency is a step above.
  const stepDepth = new Map<string, number>();
  for (const [step, deps] of edges)
    stepDepth.set(step, Math.max(0, ...deps.map((d) => stepDepth.get(d) ?? 0)) + 1);
  return {
    steps,
    stepsRead,
    stepDepth: Math.max(0, ...stepDepth.values()),
    depth: maxDepth,
    sequential,
    critical,
  };
}

export function countPlans(
  format: ForeignFormat,
  texts: readonly string[],
  tools: AnyTool[],
): CorpusCounts {
  const counts: CorpusCounts = {
    records: texts.length,
    outcomes: { clean: 0, warnings: 0, diagnosed: 0, crashed: 0 },
    codes: {},
    truncated: 0,
    dropped: [],
    lostDependencies: [],
    crashed: [],
    shapes: [],
  };
  texts.forEach((text, index) => {
    try {
      const built = readPlan(format, text);
      const checked = checkImported(built, { tools });
      const diagnostics = checked.diagnostics;
      if (diagnostics.some((d) => d.code === "I000")) throw new Error("internal error");
      for (const d of diagnostics) counts.codes[d.code] = (counts.codes[d.code] ?? 0) + 1;
      if (diagnostics.some((d) => d.code === "I001")) counts.truncated++;
      const outcome: Outcome = hasErrors(diagnostics)
        ? "diagnosed"
        : diagnostics.length > 0
          ? "warnings"
          : "clean";
      counts.outcomes[outcome]++;
      // Every step: a statement of the Weft text, a diagnostic, or LLMCompiler's join().
      const joins =
        format === "llmcompiler"
          ? (text.match(/^[ \t]*\d+[ \t]*\.[ \t]*join[ \t]*\(/gm)?.length ?? 0)
          : 0;
      const notImported = diagnostics.filter((d) => NOT_IMPORTED.has(d.code)).length;
      if (
        built.steps !== headerCount(format, text) ||
        built.origins.length + notImported + joins !== built.steps
      ) {
        counts.dropped.push(index);
      }
      // Every dependency of the original is an edge of the compiled graph, and no other.
      for (const [step, deps] of built.edges) {
        const got = checked.graphEdges.get(step) ?? [];
        if (got.join() !== [...deps].sort().join()) {
          counts.lostDependencies.push(index);
          break;
        }
      }
      if (checked.graph !== undefined)
        counts.shapes.push(shapeOf(checked.graph, built.origins.length, built.steps, built.edges));
    } catch {
      counts.outcomes.crashed++;
      counts.crashed.push(index);
    }
  });
  return counts;
}

// ## Reading the corpora

export function corpusDir(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  return join(root, "..", "shared", "corpora");
}

export function readRewooCorpus(dir = corpusDir()): string[] | undefined {
  const file = join(dir, "rewoo_planner_2k.json");
  if (!existsSync(file)) return undefined;
  const records = JSON.parse(readFileSync(file, "utf8")) as { output: string }[];
  return records.map((r) => r.output);
}

export function readLlmCompilerCorpus(dir = corpusDir()): string[] | undefined {
  const file = join(dir, "llmcompiler_fewshot_plans.json");
  if (!existsSync(file)) return undefined;
  const plans = JSON.parse(readFileSync(file, "utf8")) as { text: string }[];
  return plans.map((p) => p.text);
}

// ## Printing

function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r) => r.map((cell, c) => String(cell).padStart(widths[c]!)).join("  "))
    .join("\n");
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const fixed = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : "-");

function outcomes(name: string, c: CorpusCounts): string {
  const accounted =
    c.outcomes.clean + c.outcomes.warnings + c.outcomes.diagnosed + c.outcomes.crashed;
  const codes = Object.entries(c.codes).sort(([a], [b]) => a.localeCompare(b));
  return [
    `${name}: ${accounted}/${c.records} records accounted for`,
    table([
      ["outcome", "records"],
      ["imported clean", c.outcomes.clean],
      ["imported with warnings", c.outcomes.warnings],
      ["diagnosed (errors)", c.outcomes.diagnosed],
      ["crashed", c.outcomes.crashed],
    ]),
    "",
    codes.length === 0
      ? "diagnostics by code: none"
      : `diagnostics by code:\n${table([["code", "count"], ...codes])}`,
    "",
    `cut off mid-step (I001 truncated step): ${c.truncated} records`,
    `steps neither imported nor diagnosed: ${c.dropped.length} records${c.dropped.length > 0 ? ` (${c.dropped.join(", ")})` : ""}`,
    `dependencies not kept by the compiled graph: ${c.lostDependencies.length} records${c.lostDependencies.length > 0 ? ` (${c.lostDependencies.join(", ")})` : ""}`,
  ].join("\n");
}

function parallelism(shapes: readonly PlanShape[], latencies: string): string {
  const maxSteps = Math.max(0, ...shapes.map((s) => s.steps));
  const maxDepth = Math.max(0, ...shapes.map((s) => s.depth));
  const header = ["steps \\ depth", ...Array.from({ length: maxDepth }, (_, i) => i + 1), "plans"];
  const rows: (string | number)[][] = [header];
  for (let steps = 1; steps <= maxSteps; steps++) {
    const row = shapes.filter((s) => s.steps === steps);
    if (row.length === 0) continue;
    rows.push([
      steps,
      ...Array.from(
        { length: maxDepth },
        (_, d) => row.filter((s) => s.depth === d + 1).length || ".",
      ),
      row.length,
    ]);
  }
  const parallel = shapes.filter((s) => s.depth < s.steps);
  const speedups = (xs: readonly PlanShape[]): string => {
    const seq = xs.reduce((a, s) => a + s.sequential, 0);
    const crit = xs.reduce((a, s) => a + s.critical, 0);
    const per = xs.map((s) => s.sequential / s.critical);
    return `sequential ${fixed(seq, 1)} s, Weft ${fixed(crit, 1)} s: ${fixed(seq / crit)}x overall; per plan mean ${fixed(mean(per))}x, median ${fixed(median(per))}x`;
  };
  return [
    `parallelism (steps imported x DAG depth, ${shapes.length} plans that compiled):`,
    table(rows),
    "",
    `plans with parallel steps (depth < steps): ${parallel.length} of ${shapes.length}`,
    `  counted as the corpus README does (every step line a step, a cut-off one included): ${shapes.filter((s) => s.stepDepth < s.stepsRead).length}`,
    `simulated schedule at ${latencies} per call (sum of latencies vs critical path):`,
    `  all plans:                 ${speedups(shapes)}`,
    `  plans with parallel steps: ${speedups(parallel)}`,
  ].join("\n");
}

function main(): number {
  const dir = corpusDir();
  const rewoo = readRewooCorpus(dir);
  const llmc = readLlmCompilerCorpus(dir);
  if (rewoo === undefined && llmc === undefined) {
    console.log(`corpus: ${dir} not found; skipped (see the corpora README for what it holds)`);
    return 0;
  }
  let failed = false;
  if (rewoo !== undefined) {
    const c = countPlans("rewoo", rewoo, rewooTools);
    console.log(`## ReWOO planner outputs (${join(dir, "rewoo_planner_2k.json")})\n`);
    console.log(outcomes("ReWOO", c));
    console.log();
    console.log(parallelism(c.shapes, "Wikipedia 1.0 s, LLM 1.5 s"));
    console.log();
    failed ||= c.crashed.length > 0 || c.dropped.length > 0 || c.lostDependencies.length > 0;
  }
  if (llmc !== undefined) {
    const c = countPlans("llmcompiler", llmc, llmCompilerTools);
    console.log(`## LLMCompiler few-shot plans (${join(dir, "llmcompiler_fewshot_plans.json")})\n`);
    console.log(outcomes("LLMCompiler", c));
    console.log();
    console.log(parallelism(c.shapes, "search 1.0 s, math 1.5 s"));
    console.log();
    failed ||= c.crashed.length > 0 || c.dropped.length > 0 || c.lostDependencies.length > 0;
  }
  console.log(failed ? "corpus: FAILED" : "corpus: ok");
  return failed ? 1 : 0;
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(resolve(process.argv[1])).href
) {
  process.exitCode = main();
}
