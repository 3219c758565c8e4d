// Agent bench: the four modes (react, fc, plan, stream) on the same questions,
// the same tools and the same scripted model served at a stated speed by the
// loopback OpenAI-compatible server. The model is scripted, so what differs
// between modes is the protocol alone: how many requests, how much prompt is
// re-sent, and which waits are serial. `npm run bench:agent -- --help`.
import os from "node:os";
import { parseArgs } from "node:util";
// The built package (dist/, what users run), not the TypeScript sources.
import { createAgent, toolSet, type AgentMode, type AskResult } from "weft";
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
  type Item,
  type Latencies,
} from "./agent-scenarios.js";

const MODES: AgentMode[] = ["react", "fc", "plan", "stream"];

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
Sample:
  --per-branch N         ParallelQA questions per branch count 2-5 (default 2)
  --hotpot N             HotpotQA comparison questions (default 4)
  --modes LIST           comma-separated, of react,fc,plan,stream (default all)
  --json                 also print every measurement as JSON`;

interface Measure {
  item: Item;
  mode: AgentMode;
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
    case "replan":
      return item.plan;
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

async function measure(
  items: Item[],
  modes: AgentMode[],
  speed: ServerSpeed,
  latencies: Latencies,
): Promise<Measure[]> {
  let current: Item | undefined;
  const server = await startFakeOpenAI(
    (req) => (current ? policy(current, req) : { status: 500, error: "bench: no question" }),
    speed,
  );
  const tools = toolSet(benchTools(latencies));
  const out: Measure[] = [];
  try {
    for (const item of items) {
      current = item;
      for (const mode of modes) {
        const agent = createAgent({
          baseURL: server.baseURL,
          apiKey: "bench",
          model: "scripted",
          tools,
          mode,
          maxTurns: 20,
        });
        const started = performance.now();
        const result: AskResult = await agent.ask(item.question);
        const wallMs = performance.now() - started;
        const roles = result.usage.calls.map((c) => c.role);
        out.push({
          item,
          mode,
          ok: result.ok,
          answerOk: result.ok && result.answer.includes(item.answer),
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
        });
        process.stderr.write(
          `  ${item.scenario} ${item.id} (branch ${item.branch}) ${mode}: ${Math.round(wallMs)} ms${result.ok ? "" : ` FAILED ${result.error?.message ?? ""}`}\n`,
        );
      }
    }
  } finally {
    await server.close();
  }
  return out;
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

function modeTable(title: string, ms: Measure[], modes: AgentMode[]): Map<AgentMode, Row> {
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
  const split = (mode: AgentMode): string => {
    const of = ms.filter((m) => m.mode === mode);
    const roles = [...new Set(of.flatMap((m) => Object.keys(m.promptByRole)))];
    return roles
      .map(
        (role) =>
          `${role} ${int(mean(of.map((m) => m.promptByRole[role] ?? 0)))} in / ${int(mean(of.map((m) => m.completionByRole[role] ?? 0)))} out`,
      )
      .join(" + ");
  };
  const planModes = modes.filter((m) => m === "plan" || m === "stream");
  if (planModes.length > 0)
    console.log(
      `Tokens per question by request (prompt in / completion out): ${planModes.map((m) => `${m}: ${split(m)}`).join("; ")}.\n`,
    );
  const extra = [...rows].filter(([, r]) => r.extraPlans > 0);
  if (extra.length > 0)
    console.log(
      `Note: repair or replan calls happened (${extra.map(([m, r]) => `${m}: ${r.extraPlans}`).join(", ")}): the scripted plan did not pass as written.\n`,
    );
  return rows;
}

function branchTable(ms: Measure[]): void {
  const branches = [...new Set(ms.map((m) => m.item.branch))].sort((a, b) => a - b);
  console.log("### ParallelQA-shaped, by branch count (means per question)");
  console.log("");
  console.log(
    "| branches | questions | react ms | fc ms | plan ms | stream ms | react ÷ plan | react ÷ stream | fc ÷ stream | plan ÷ stream | prompt: react ÷ plan | prompt: react ÷ stream | first tool: plan ms | first tool: stream ms |",
  );
  console.log(
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const b of branches) {
    const of = (mode: AgentMode): Row =>
      rowOf(ms.filter((m) => m.item.branch === b && m.mode === mode));
    const [react, fc, plan, stream] = [of("react"), of("fc"), of("plan"), of("stream")];
    console.log(
      `| ${b} | ${react.n || plan.n} | ${int(react.wall)} | ${int(fc.wall)} | ${int(plan.wall)} | ${int(stream.wall)} | ${ratio(react.wall, plan.wall)} | ${ratio(react.wall, stream.wall)} | ${ratio(fc.wall, stream.wall)} | ${ratio(plan.wall, stream.wall)} | ${ratio(react.prompt, plan.prompt)} | ${ratio(react.prompt, stream.prompt)} | ${int(plan.firstTool)} | ${int(stream.firstTool)} |`,
    );
  }
  console.log("");
}

function targets(parallel: Measure[], all: Map<AgentMode, Row>): void {
  const react = all.get("react");
  const plan = all.get("plan");
  const stream = all.get("stream");
  if (!react || !plan || !stream) return;
  const big = (mode: AgentMode): Row =>
    rowOf(parallel.filter((m) => m.mode === mode && m.item.branch >= 4));
  const verdict = (ok: boolean): string => (ok ? "met" : "**missed**");
  const promptPlan = react.prompt / plan.prompt;
  const promptStream = react.prompt / stream.prompt;
  const wallBig = big("react").wall / big("stream").wall;
  const wallBigPlan = big("react").wall / big("plan").wall;
  const streamGain = plan.wall / stream.wall;
  console.log("### Targets of issue 4 (over every question of both scenarios unless stated)");
  console.log("");
  console.log(
    `- prompt tokens ≥ 5× below react: plan ${promptPlan.toFixed(2)}×, stream ${promptStream.toFixed(2)}× — ${verdict(Math.min(promptPlan, promptStream) >= 5)}`,
  );
  console.log(
    `- wall time ≥ 3.7× below react on 4–5-branch ParallelQA questions: stream ${wallBig.toFixed(2)}×, plan ${wallBigPlan.toFixed(2)}× — ${verdict(wallBig >= 3.7)}`,
  );
  console.log(
    `- stream faster than plan: plan ÷ stream = ${streamGain.toFixed(2)}× wall (${int(plan.wall - stream.wall)} ms per question); first tool at ${int(stream.firstTool)} ms vs ${int(plan.firstTool)} ms — ${verdict(streamGain > 1.02)}`,
  );
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
      "per-branch": { type: "string" },
      hotpot: { type: "string" },
      modes: { type: "string" },
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
  const modes = (values.modes ?? MODES.join(",")).split(",").map((m) => m.trim()) as AgentMode[];
  const unknown = modes.filter((m) => !MODES.includes(m));
  if (unknown.length > 0) {
    console.error(`--modes: unknown mode ${unknown.join(", ")} (use ${MODES.join(", ")})`);
    process.exit(2);
  }
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
    `Tools: search and wiki.fact ${latencies.lookupMs} ± ${latencies.jitterMs} ms (uniform, seeded per call: the same call waits the same in every mode), math ${latencies.mathMs} ms.`,
  );
  console.log(
    "Every mode gets the same answers from the model — the same tool calls with the same arguments; react one call per turn, fc one dependency level per turn, plan/stream one Weft plan then one solver call. What is measured is the protocol's cost: requests made, prompts re-sent, and the serial waits (LLM round-trips between tool calls; for plan, writing the whole plan before the first call). Means per question; ratios are ratios of the means.",
  );
  console.log(`ParallelQA-shaped: ${parallel.note}. HotpotQA-shaped: ${hotpot.note}.`);
  console.log("");

  process.stderr.write(
    `running ${parallel.items.length + hotpot.items.length} questions × ${modes.length} modes...\n`,
  );
  const measures = await measure([...parallel.items, ...hotpot.items], modes, speed, latencies);
  const pq = measures.filter((m) => m.item.scenario === "parallelqa");
  const hq = measures.filter((m) => m.item.scenario === "hotpotqa");

  modeTable(
    `ParallelQA-shaped: ${parallel.items.length} questions, 2–5 independent lookups each followed by a computation, then a combination`,
    pq,
    modes,
  );
  if (modes.length === MODES.length) branchTable(pq);
  modeTable(
    `HotpotQA-shaped: ${hotpot.items.length} comparison questions, per entity a search then a lookup of the page found`,
    hq,
    modes,
  );
  const all = modeTable("Both scenarios together", measures, modes);
  targets(pq, all);

  const failed = measures.filter((m) => !m.answerOk);
  if (failed.length > 0) {
    console.log(`${failed.length} runs did not answer as scripted:`);
    for (const m of failed)
      console.log(`- ${m.item.scenario} ${m.item.id} ${m.mode}: ${m.error ?? "wrong answer"}`);
    console.log("");
  }
  if (values.json)
    console.log(
      JSON.stringify(
        measures.map(({ item, ...m }) => ({
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
