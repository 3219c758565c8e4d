// Agent bench: the four modes (react, fc, plan, stream) on the same questions,
// the same tools and the same scripted model served at a stated speed by the
// loopback OpenAI-compatible server. The model is scripted, so what differs
// between modes is the protocol alone: how many requests, how much prompt is
// re-sent, and which waits are serial. `npm run bench:agent -- --help`.
import os from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
// The built package (dist/, what users run), not the TypeScript sources.
import { createAgent, toolSet, type AgentMode, type AnyTool, type AskResult } from "weft";
import {
  startFakeOpenAI,
  type ChatRequest,
  type ScriptedReply,
  type ServerSpeed,
} from "../test/support/openai-server.js";
import {
  benchTools,
  hotpotItems,
  parallelQaItems,
  unrelatedTools,
  type Item,
  type Latencies,
} from "./agent-scenarios.js";

/** A way of answering: an agent mode, and (plan / stream) when the solver runs. */
interface Variant {
  name: string;
  mode: AgentMode;
  solver: "always" | "auto";
}

const VARIANTS: Variant[] = [
  { name: "react", mode: "react", solver: "always" },
  { name: "fc", mode: "fc", solver: "always" },
  { name: "plan", mode: "plan", solver: "always" },
  { name: "stream", mode: "stream", solver: "always" },
  { name: "plan+auto", mode: "plan", solver: "auto" },
  { name: "stream+auto", mode: "stream", solver: "auto" },
];
const WEFT = ["plan", "stream", "plan+auto", "stream+auto"];
/** The tools every question needs: search, wiki.fact, math. */
const NEEDED = 3;

const HELP = `npm run bench:agent -- [options]

Model speed (the scripted server):
  --ttft MS              time to first token (default 400)
  --tps N                output tokens per second (default 50)
  --prefill N            prompt tokens processed per second (default 2000)
  --tokens-per-chunk N   tokens per SSE event (default 1)
Tool latencies:
  --lookup-ms MS         search and wiki.fact (default 300)
  --jitter-ms MS         ± uniform jitter of lookups, seeded per call (default 100)
  --math-ms MS           math (default 50)
Registry:
  --registry N           tools offered to every mode in the main tables: the 3 the
                         questions need plus N - 3 unrelated ones (default 3, max ${NEEDED + unrelatedTools().length})
  --summary-registry N   then a ParallelQA summary (4-5-branch questions) with N tools
                         (default 12; 0 skips it)
Sample:
  --per-branch N         ParallelQA questions per branch count 2-5 (default 2)
  --hotpot N             HotpotQA comparison questions (default 4)
  --modes LIST           comma-separated, of ${VARIANTS.map((v) => v.name).join(",")} (default all)
  --lanes N              questions asked at the same time (default 2; each question's
                         variants run one after another, so every mode shares the machine alike)
  --json                 also print every measurement as JSON`;

interface Measure {
  item: Item;
  /** The variant's name: react, fc, plan, stream, plan+auto, stream+auto. */
  mode: string;
  ok: boolean;
  answerOk: boolean;
  error?: string;
  llmCalls: number;
  promptTokens: number;
  completionTokens: number;
  wallMs: number;
  firstToolMs: number | undefined;
  toolCalls: number;
  /** Repair or replan calls: a sign the scripted plan did not pass as is. */
  extraPlans: number;
  /** Prompt tokens by role (planner, solver, react...). */
  promptByRole: Record<string, number>;
  /** Completion tokens by role. */
  completionByRole: Record<string, number>;
}

// ## The scripted model

/** Tool names as the function-calling API shows them (`wiki.fact` -> `wiki_fact`). */
const wire = (tool: string): string => tool.replace(/[^a-zA-Z0-9_-]/g, "_");

/**
 * The model's reply to a request, by role: the planner writes the item's
 * plan, the solver answers, react makes the next call, fc makes every call
 * of the next dependency level. react and fc read the results they were sent
 * back, as a model would, to write the next arguments.
 */
function policy(item: Item, req: ChatRequest): ScriptedReply | string {
  switch (req.role) {
    case "planner":
    case "repair":
    case "replan": {
      // Told it may return the answer itself (solver "auto"), the model does so
      // when the answer is a computed number; "which one" questions need a solver.
      const system = String(req.messages[0]?.content ?? "");
      return system.includes("as a sentence") && item.sentencePlan
        ? item.sentencePlan.plan
        : item.plan;
    }
    case "solver":
      return `Answer: ${item.answer}`;
    case "react":
    case "fc": {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const results = req.messages.filter((m: any) => m.role === "tool");
      const seen = new Map<string, unknown>();
      item.steps.forEach((step, k) => {
        const content: unknown = results[k]?.content;
        if (typeof content === "string") seen.set(step.id, parseJson(content));
      });
      const turn = req.messages.filter((m: { role: string }) => m.role === "assistant").length;
      const next =
        req.role === "react"
          ? item.steps.slice(results.length, results.length + 1)
          : item.steps.filter((s) => s.level === turn);
      if (next.length === 0) return `${item.answer}.`;
      return { toolCalls: next.map((s) => ({ name: wire(s.tool), arguments: s.args(seen) })) };
    }
    default:
      return { status: 400, error: "bench: a request without a known role line" };
  }
}

function byRole(
  result: AskResult,
  kind: "promptTokens" | "completionTokens",
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of result.usage.calls) out[c.role] = (out[c.role] ?? 0) + c.usage[kind];
  return out;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// ## Running

/** The question a request is about: the one its user message holds. */
function itemOf(items: Item[], req: ChatRequest): Item | undefined {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const user = req.messages.find((m: any) => m.role === "user");
  const text = typeof user?.content === "string" ? user.content : "";
  return items.find(
    (i) =>
      text === i.question ||
      text.startsWith(`Question: ${i.question}\n`) ||
      text === `Question: ${i.question}`,
  );
}

async function measure(
  items: Item[],
  variants: Variant[],
  speed: ServerSpeed,
  tools: AnyTool[],
  lanes: number,
  label: string,
): Promise<Measure[]> {
  const server = await startFakeOpenAI((req) => {
    const item = itemOf(items, req);
    return item ? policy(item, req) : { status: 500, error: "bench: no such question" };
  }, speed);
  const registry = toolSet(tools);
  const out: Measure[] = [];
  const queue = [...items];
  const lane = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift())
      for (const variant of variants) out.push(await askOne(item, variant));
  };
  const askOne = async (item: Item, variant: Variant): Promise<Measure> => {
    const agent = createAgent({
      baseURL: server.baseURL,
      apiKey: "bench",
      model: "scripted",
      tools: registry,
      mode: variant.mode,
      solver: variant.solver,
      maxTurns: 20,
    });
    const started = performance.now();
    const result: AskResult = await agent.ask(item.question);
    const wallMs = performance.now() - started;
    const roles = result.usage.calls.map((c) => c.role);
    // A sentence the plan returned is the computed value, not the corpus's answer.
    const direct =
      variant.solver === "auto" && item.sentencePlan && !roles.includes("solver") && result.ok;
    const computed = item.sentencePlan ? result.results[item.sentencePlan.binding] : undefined;
    const answerOk = direct
      ? computed !== undefined && result.answer.includes(String(computed))
      : result.ok && result.answer.includes(item.answer);
    process.stderr.write(
      `  ${label} ${item.scenario} ${item.id} (branch ${item.branch}) ${variant.name}: ${Math.round(wallMs)} ms${result.ok ? "" : ` FAILED ${result.error?.message ?? ""}`}\n`,
    );
    return {
      item,
      mode: variant.name,
      ok: result.ok,
      answerOk,
      ...(result.error ? { error: `${result.error.kind}: ${result.error.message}` } : {}),
      llmCalls: result.usage.llmCalls,
      promptTokens: result.usage.promptTokens,
      completionTokens: result.usage.completionTokens,
      wallMs,
      firstToolMs: result.timings.firstToolStartMs,
      toolCalls: result.toolCalls.length,
      extraPlans: roles.filter((r) => r === "repair" || r === "replan").length,
      promptByRole: byRole(result, "promptTokens"),
      completionByRole: byRole(result, "completionTokens"),
    };
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));
  } finally {
    await server.close();
  }
  // In the order asked, whatever lane ran them.
  return items.flatMap((item) =>
    variants.map((v) => out.find((m) => m.item === item && m.mode === v.name)!),
  );
}

// ## Tables

const mean = (xs: number[]): number =>
  xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
const int = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "—";
const ratio = (a: number, b: number): string =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "—";

interface Row {
  n: number;
  ok: number;
  calls: number;
  prompt: number;
  completion: number;
  wall: number;
  firstTool: number;
  toolCalls: number;
  extraPlans: number;
}

function rowOf(ms: Measure[]): Row {
  const firsts = ms.flatMap((m) => (m.firstToolMs === undefined ? [] : [m.firstToolMs]));
  return {
    n: ms.length,
    ok: ms.filter((m) => m.answerOk).length,
    calls: mean(ms.map((m) => m.llmCalls)),
    prompt: mean(ms.map((m) => m.promptTokens)),
    completion: mean(ms.map((m) => m.completionTokens)),
    wall: mean(ms.map((m) => m.wallMs)),
    firstTool: mean(firsts),
    toolCalls: mean(ms.map((m) => m.toolCalls)),
    extraPlans: ms.reduce((n, m) => n + m.extraPlans, 0),
  };
}

function modeTable(title: string, ms: Measure[], modes: string[]): Map<string, Row> {
  const rows = new Map(modes.map((mode) => [mode, rowOf(ms.filter((m) => m.mode === mode))]));
  const react = rows.get("react");
  const fc = rows.get("fc");
  console.log(`### ${title}`);
  console.log("");
  console.log(
    "| mode | answered | LLM calls | tool calls | prompt tokens | completion tokens | wall ms | first tool ms | prompt: react ÷ mode | wall: react ÷ mode | prompt: fc ÷ mode | wall: fc ÷ mode |",
  );
  console.log(
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const [mode, r] of rows)
    console.log(
      `| ${mode} | ${r.ok}/${r.n} | ${r.calls.toFixed(1)} | ${r.toolCalls.toFixed(1)} | ${int(r.prompt)} | ${int(r.completion)} | ${int(r.wall)} | ${int(r.firstTool)} | ${react ? ratio(react.prompt, r.prompt) : "—"} | ${react ? ratio(react.wall, r.wall) : "—"} | ${fc ? ratio(fc.prompt, r.prompt) : "—"} | ${fc ? ratio(fc.wall, r.wall) : "—"} |`,
    );
  console.log("");
  const split = (mode: string): string => {
    const of = ms.filter((m) => m.mode === mode);
    const roles = [...new Set(of.flatMap((m) => Object.keys(m.promptByRole)))];
    return roles
      .map(
        (role) =>
          `${role} ${int(mean(of.map((m) => m.promptByRole[role] ?? 0)))} in / ${int(mean(of.map((m) => m.completionByRole[role] ?? 0)))} out`,
      )
      .join(" + ");
  };
  const planModes = modes.filter((m) => WEFT.includes(m));
  if (planModes.length > 0)
    console.log(
      `Tokens per question by request (prompt in / completion out):\n${planModes.map((m) => `- ${m}: ${split(m)}`).join("\n")}\n`,
    );
  const extra = [...rows].filter(([, r]) => r.extraPlans > 0);
  if (extra.length > 0)
    console.log(
      `Note: repair or replan calls happened (${extra.map(([m, r]) => `${m}: ${r.extraPlans}`).join(", ")}): the scripted plan did not pass as written.\n`,
    );
  return rows;
}

function branchTable(ms: Measure[], modes: string[]): void {
  const branches = [...new Set(ms.map((m) => m.item.branch))].sort((a, b) => a - b);
  const weft = modes.filter((m) => WEFT.includes(m));
  console.log("### ParallelQA-shaped, by branch count (means per question)");
  console.log("");
  console.log(
    `| branches | questions | ${modes.map((m) => `${m} ms`).join(" | ")} | ${weft.map((m) => `react ÷ ${m}`).join(" | ")} | ${weft.map((m) => `fc ÷ ${m}`).join(" | ")} | ${weft.map((m) => `prompt: react ÷ ${m}`).join(" | ")} |`,
  );
  console.log(`| ---: | ---: |${" ---: |".repeat(modes.length + 3 * weft.length)}`);
  for (const b of branches) {
    const of = (mode: string): Row =>
      rowOf(ms.filter((m) => m.item.branch === b && m.mode === mode));
    const react = of("react");
    const fc = of("fc");
    console.log(
      `| ${b} | ${of(modes[0]!).n} | ${modes.map((m) => int(of(m).wall)).join(" | ")} | ${weft.map((m) => ratio(react.wall, of(m).wall)).join(" | ")} | ${weft.map((m) => ratio(fc.wall, of(m).wall)).join(" | ")} | ${weft.map((m) => ratio(react.prompt, of(m).prompt)).join(" | ")} |`,
    );
  }
  console.log("");
}

function targets(parallel: Measure[], all: Map<string, Row>): void {
  const react = all.get("react");
  if (!react) return;
  const weft = WEFT.filter((m) => all.has(m));
  const big = (mode: string): Row =>
    rowOf(parallel.filter((m) => m.mode === mode && m.item.branch >= 4));
  const verdict = (ok: boolean): string => (ok ? "met" : "**missed**");
  const list = (f: (m: string) => number, goal: number): string =>
    weft
      .map((m) => `${m} ${f(m).toFixed(2)}× ${f(m) >= goal ? "(met)" : "(**missed**)"}`)
      .join(", ");
  console.log("### Targets of issue 4 (over every question of both scenarios unless stated)");
  console.log("");
  console.log(
    `- prompt tokens ≥ 5× below react: ${list((m) => react.prompt / all.get(m)!.prompt, 5)}`,
  );
  console.log(
    `- wall time ≥ 3.7× below react on 4–5-branch ParallelQA questions: ${list((m) => big("react").wall / big(m).wall, 3.7)}`,
  );
  for (const [plan, stream] of [
    ["plan", "stream"],
    ["plan+auto", "stream+auto"],
  ] as const) {
    const p = all.get(plan);
    const st = all.get(stream);
    if (!p || !st) continue;
    console.log(
      `- ${stream} faster than ${plan}: ${plan} ÷ ${stream} = ${(p.wall / st.wall).toFixed(2)}× wall (${int(p.wall - st.wall)} ms per question); first tool at ${int(st.firstTool)} ms vs ${int(p.firstTool)} ms — ${verdict(p.wall / st.wall > 1.02)}`,
    );
  }
  console.log("");
}

// ## Main

function numberFlag(values: Record<string, unknown>, name: string, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} wants a number, got ${String(raw)}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ttft: { type: "string" },
      tps: { type: "string" },
      prefill: { type: "string" },
      "tokens-per-chunk": { type: "string" },
      "lookup-ms": { type: "string" },
      "jitter-ms": { type: "string" },
      "math-ms": { type: "string" },
      registry: { type: "string" },
      "summary-registry": { type: "string" },
      "per-branch": { type: "string" },
      hotpot: { type: "string" },
      modes: { type: "string" },
      lanes: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const speed: Required<ServerSpeed> = {
    ttftMs: numberFlag(values, "ttft", 400),
    tokensPerSecond: numberFlag(values, "tps", 50),
    prefillTokensPerSecond: numberFlag(values, "prefill", 2000),
    tokensPerChunk: numberFlag(values, "tokens-per-chunk", 1),
  };
  const latencies: Latencies = {
    lookupMs: numberFlag(values, "lookup-ms", 300),
    jitterMs: numberFlag(values, "jitter-ms", 100),
    mathMs: numberFlag(values, "math-ms", 50),
  };
  const names = (values.modes ?? VARIANTS.map((v) => v.name).join(",")).split(",");
  const variants = names.map((n) => VARIANTS.find((v) => v.name === n.trim()));
  if (variants.some((v) => v === undefined)) {
    console.error(`--modes: use some of ${VARIANTS.map((v) => v.name).join(", ")}`);
    process.exit(2);
  }
  const chosen = variants as Variant[];
  const modes = chosen.map((v) => v.name);
  const extra = unrelatedTools();
  const registryOf = (n: number, flag: string): AnyTool[] => {
    if (!Number.isInteger(n) || n < NEEDED || n > NEEDED + extra.length) {
      console.error(`--${flag} wants a whole number from ${NEEDED} to ${NEEDED + extra.length}`);
      process.exit(2);
    }
    return [...benchTools(latencies), ...extra.slice(0, n - NEEDED)];
  };
  const registry = numberFlag(values, "registry", NEEDED);
  const summaryRegistry = numberFlag(values, "summary-registry", 12);
  const mainTools = registryOf(registry, "registry");
  const summaryTools =
    summaryRegistry === 0 ? undefined : registryOf(summaryRegistry, "summary-registry");
  const lanes = Math.max(1, Math.floor(numberFlag(values, "lanes", 2)));
  const parallel = parallelQaItems(numberFlag(values, "per-branch", 2));
  const hotpot = hotpotItems(numberFlag(values, "hotpot", 4));

  const cpus = os.cpus();
  console.log(
    `Weft agent bench — node ${process.version}, ${process.platform}/${process.arch}, ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"})`,
  );
  console.log("");
  console.log(
    `Model: SCRIPTED (a loopback OpenAI-compatible server, through the real \`openai\` client, streaming with usage). Speed: ${speed.ttftMs} ms to first token + prompt processing at ${speed.prefillTokensPerSecond} tokens/s, then ${speed.tokensPerSecond} tokens/s output, ${speed.tokensPerChunk} token(s) per SSE event; tokens counted with gpt-tokenizer (o200k), tool definitions included in react/fc prompts as servers render them.`,
  );
  console.log(
    `Tools: search and wiki.fact ${latencies.lookupMs} ± ${latencies.jitterMs} ms (uniform, seeded per call: the same call waits the same in every mode), math ${latencies.mathMs} ms. Registry offered to every mode: ${registry} tools (${mainTools.map((t) => t.name).join(", ")}); react / fc get their zod schemas as JSON Schema (with the parameter descriptions), the planner one signature line each.`,
  );
  console.log(
    'Every mode gets the same answers from the model — the same tool calls with the same arguments; react (native tool calling, one call per turn, no thoughts) one call per turn, fc one dependency level per turn, plan/stream one Weft plan then one solver call. +auto: solver "auto" — the planner is told it may return the answer as a sentence; the scripted planner does so when the answer is a computed number (ParallelQA average / difference / ratio / total: `return "The ratio would be $ratio."`), and returns the values otherwise (which-one questions, HotpotQA), which then go to the solver. What is measured is the protocol\'s cost: requests made, prompts re-sent, and the serial waits (LLM round-trips between tool calls; for plan, writing the whole plan before the first call). Means per question; ratios are ratios of the means.',
  );
  console.log(`ParallelQA-shaped: ${parallel.note}. HotpotQA-shaped: ${hotpot.note}.`);
  console.log(
    `Questions run ${lanes} at a time (each question's modes one after another); the event loop's delay is reported below.`,
  );
  console.log("");

  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  process.stderr.write(
    `running ${parallel.items.length + hotpot.items.length} questions × ${modes.length} modes, ${lanes} at a time...\n`,
  );
  const measures = await measure(
    [...parallel.items, ...hotpot.items],
    chosen,
    speed,
    mainTools,
    lanes,
    `registry ${registry}`,
  );
  const pq = measures.filter((m) => m.item.scenario === "parallelqa");
  const hq = measures.filter((m) => m.item.scenario === "hotpotqa");

  modeTable(
    `ParallelQA-shaped: ${parallel.items.length} questions, 2–5 independent lookups each followed by a computation, then a combination (registry ${registry})`,
    pq,
    modes,
  );
  if (modes.includes("react") && modes.includes("fc")) branchTable(pq, modes);
  modeTable(
    `HotpotQA-shaped: ${hotpot.items.length} comparison questions, per entity a search then a lookup of the page found (registry ${registry})`,
    hq,
    modes,
  );
  const all = modeTable(`Both scenarios together (registry ${registry})`, measures, modes);
  targets(pq, all);

  let summary: Measure[] = [];
  if (summaryTools !== undefined) {
    const big = parallel.items.filter((i) => i.branch >= 4);
    process.stderr.write(
      `running the ${big.length} 4-5-branch ParallelQA questions with ${summaryRegistry} tools...\n`,
    );
    summary = await measure(big, chosen, speed, summaryTools, lanes, `registry ${summaryRegistry}`);
    modeTable(
      `ParallelQA-shaped, 4–5 branches, registry of ${summaryRegistry} tools (${summaryTools.map((t) => t.name).join(", ")})`,
      summary,
      modes,
    );
  }
  lag.disable();
  // The histogram holds whole sampling intervals (10 ms when the loop is idle): the delay is the excess.
  const over = (ns: number): string => Math.max(0, ns / 1e6 - 10).toFixed(1);
  console.log(
    `Event-loop delay over the run (beyond the 10 ms sampling interval): mean ${over(lag.mean)} ms, p99 ${over(lag.percentile(99))} ms, max ${over(lag.max)} ms.\n`,
  );

  const failed = [...measures, ...summary].filter((m) => !m.answerOk);
  if (failed.length > 0) {
    console.log(`${failed.length} runs did not answer as scripted:`);
    for (const m of failed)
      console.log(`- ${m.item.scenario} ${m.item.id} ${m.mode}: ${m.error ?? "wrong answer"}`);
    console.log("");
  }
  if (values.json)
    console.log(
      JSON.stringify(
        [...measures, ...summary].map(({ item, ...m }) => ({
          scenario: item.scenario,
          id: item.id,
          branch: item.branch,
          ...m,
        })),
        null,
        2,
      ),
    );
}

await main();
