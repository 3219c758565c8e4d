// Scenarios of the agent bench: questions, the tools they need, and the
// scripted "model" that answers every request of every mode the way a
// competent model would — the same tool calls, in the shape each protocol
// asks for. What differs between modes is only the protocol: how many
// requests, how much prompt is re-sent, and what waits on what.
//
// - ParallelQA-shaped: n independent lookups, each followed by a
//   computation, then one combination (LLMCompiler's ParallelQA).
// - HotpotQA-shaped: for each of two entities, a search, then a lookup of the
//   page it found; the answer compares the two.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { evaluate } from "mathjs";
import { z } from "zod";
import { defineTool, type AnyTool } from "weft";
import { rng } from "./dags.js";

// ## Questions

/** Previous tool results, by step id, as the model read them. */
export type Seen = ReadonlyMap<string, unknown>;

export interface Step {
  id: string;
  /** The tool's registry name (`wiki.fact`). */
  tool: string;
  /** 0 for calls that need nothing; else one more than the deepest step they read. */
  level: number;
  /** The arguments a react / fc model writes, with the values it has seen. */
  args: (seen: Seen) => Record<string, unknown>;
}

export interface Item {
  scenario: "parallelqa" | "hotpotqa";
  id: string;
  question: string;
  /** The answer the model gives at the end (from the corpus when there is one). */
  answer: string;
  /** Independent lookups. */
  branch: number;
  /** The calls in level order: the order react makes them, and fc's turns. */
  steps: Step[];
  /** The plan the planner writes, in Weft. */
  plan: string;
  /**
   * The plan it writes when told it may return the answer as a sentence
   * (solver "auto"), when the answer needs no judgement: an arithmetic
   * combination. Absent when the answer needs one (which one is larger?).
   */
  sentencePlan?: { plan: string; binding: string };
}

const CORPORA = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "shared", "corpora");

function readCorpus<T>(file: string): T[] | undefined {
  try {
    return JSON.parse(readFileSync(join(CORPORA, file), "utf8")) as T[];
  } catch {
    return undefined;
  }
}

/** Up to `perGroup` items of each group, spread over the group (not just its first ones). */
function stratified<T>(items: T[], group: (x: T) => number | string, perGroup: number): T[] {
  const groups = new Map<number | string, T[]>();
  for (const x of items) groups.set(group(x), [...(groups.get(group(x)) ?? []), x]);
  const out: T[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key) ?? [];
    const stride = Math.max(1, Math.floor(g.length / perGroup));
    for (let i = 0; i < perGroup && i * stride < g.length; i++) out.push(g[i * stride] as T);
  }
  return out;
}

// ## ParallelQA-shaped

interface ParallelRecord {
  id: string;
  question: string;
  answer: string;
  branch: number;
}

const SYNTHETIC_PARALLEL: ParallelRecord[] = [
  {
    id: "s2",
    question:
      "If Mount Everest were 10% shorter and Mount Kilimanjaro were twice as tall, which would be taller?",
    answer: "Mount Kilimanjaro",
    branch: 2,
  },
  {
    id: "s3",
    question:
      "If the Amazon River were 20% longer, the Nile 5% shorter and the Yangtze 30% longer, which river would be the longest?",
    answer: "Amazon River",
    branch: 3,
  },
  {
    id: "s4",
    question:
      "If Lake Superior shrank by 40%, Lake Victoria grew by 10%, Lake Huron grew by 25% and Lake Michigan shrank by 5%, which lake would be the smallest?",
    answer: "Lake Superior",
    branch: 4,
  },
  {
    id: "s5",
    question:
      "With Tokyo's population down 10%, Delhi's up 20%, Shanghai's up 5%, Cairo's up 30% and Mumbai's down 15%, which city would be the most populous?",
    answer: "Delhi",
    branch: 5,
  },
];

export function parallelQaItems(perBranch: number): { items: Item[]; note: string } {
  const corpus = readCorpus<ParallelRecord>("llmcompiler_parallelqa.json");
  const records = corpus ?? SYNTHETIC_PARALLEL;
  const note = corpus
    ? `questions: ../shared/corpora/llmcompiler_parallelqa.json (${corpus.length}), ${perBranch} per branch count, spread over the file`
    : "questions: built-in synthetic ones (../shared/corpora/llmcompiler_parallelqa.json is absent)";
  const sample = stratified(records, (r) => r.branch, corpus ? perBranch : 1);
  return { items: sample.map(parallelItem), note };
}

const OPENERS = new Set(
  "If Given With Assuming Taking Considering Factoring Suppose Supposing What Which Determine Compare When In The A An".split(
    " ",
  ),
);

/**
 * The subjects of a ParallelQA question, one per clause: its capitalised
 * name ("Mariana Trench"), else the noun after the article ("cheetah").
 */
function subjects(question: string, n: number): string[] {
  const body = question.replace(/,?\s*(which|what|who|how)\b[^,]*\?\s*$/i, "");
  const clauses = body.split(/,\s*(?:and\s+)?|\s+and\s+/).filter((c) => /\S/.test(c));
  const names: string[] = [];
  for (const clause of clauses) {
    const capital = clause
      .match(/\b[A-Z][\w-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w-]*)*/g)
      ?.map((m) =>
        m
          .split(/\s+/)
          .filter((w, i) => i > 0 || !OPENERS.has(w))
          .join(" "),
      )
      .find((m) => m.length > 0);
    const noun = clause.match(/\b(?:a|an|the)\s+([a-z]+(?:\s+[a-z]+)?)/)?.[1];
    const name = (capital ?? noun ?? "").replace(/'s$/, "").trim();
    if (name && !names.includes(name)) names.push(name);
  }
  while (names.length < n) names.push(`item ${names.length + 1}`);
  return names.slice(0, n);
}

function factOf(question: string): string {
  if (/deep|depth|shallow|trench/i.test(question)) return "depth in metres";
  if (/speed|fast|slow|sprint|velocity|pace|run/i.test(question)) return "top speed in km/h";
  if (/area|ground|size|desert|lake/i.test(question)) return "area in km2";
  if (/height|tall|mountain|mount/i.test(question)) return "height in metres";
  if (/population|populous|city/i.test(question)) return "population";
  if (/long|river|length/i.test(question)) return "length in km";
  return "value";
}

/** The change a clause states, as a Weft-free arithmetic suffix: `* 0.85`, `/ 4.5`. */
function changeOf(clause: string): string {
  const down = /shallow|slow|reduc|decreas|shr[ai]nk|drop|less|short|down|fifth|half/i.test(clause);
  const pct = clause.match(/(\d+(?:\.\d+)?)\s*%/);
  if (pct) {
    const f = 1 + (down ? -1 : 1) * (Number(pct[1]) / 100);
    return `* ${Number(f.toFixed(4))}`;
  }
  const times = clause.match(/(\d+(?:\.\d+)?)\s*times/);
  if (times) return `${down ? "/" : "*"} ${times[1]}`;
  if (/twice|double/i.test(clause)) return "* 2";
  if (/half/i.test(clause)) return "/ 2";
  if (/fifth/i.test(clause)) return "/ 5";
  return "* 1";
}

function slug(name: string, taken: Set<string>): string {
  const base =
    name
      .toLowerCase()
      .replace(/^(the|a|an)\s+/, "")
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .split("_")
      .slice(0, 2)
      .join("_") || "x";
  let s = /^[a-z_]/.test(base) ? base : `x${base}`;
  for (let i = 2; taken.has(s); i++) s = `${base}${i}`;
  taken.add(s);
  return s;
}

function parallelItem(r: ParallelRecord): Item {
  const names = subjects(r.question, r.branch);
  const clauses = r.question.split(/,\s*(?:and\s+)?|\s+and\s+/);
  const fact = factOf(r.question);
  const combine = combinationOf(r.question);
  const taken = new Set<string>();
  const vars = names.map((n) => slug(n, taken));
  const steps: Step[] = [];
  const lines: string[] = [];
  const changes = names.map((name) => {
    const clause = clauses.find((c) => c.includes(name)) ?? "";
    return changeOf(clause);
  });
  names.forEach((name, i) => {
    steps.push({
      id: `fact${i}`,
      tool: "wiki.fact",
      level: 0,
      args: () => ({ title: name, fact }),
    });
  });
  names.forEach((_, i) => {
    steps.push({
      id: `calc${i}`,
      tool: "math",
      level: 1,
      args: (seen) => ({ expression: `${num(seen.get(`fact${i}`))} ${changes[i]}` }),
    });
  });
  steps.push({
    id: "combine",
    tool: "math",
    level: 2,
    args: (seen) => ({
      expression: combine.expression(names.map((_, i) => num(seen.get(`calc${i}`)))),
    }),
  });
  names.forEach((name, i) => {
    lines.push(`$${vars[i]} = wiki.fact("${name}", "${fact}")`);
    lines.push(`$${vars[i]}_new = math("$${vars[i]} ${changes[i]}")`);
  });
  lines.push(`$${combine.name} = math("${combine.expression(vars.map((v) => `$${v}_new`))}")`);
  const body = lines.join("\n");
  return {
    scenario: "parallelqa",
    id: r.id,
    question: r.question,
    answer: r.answer,
    branch: r.branch,
    steps,
    plan: `${body}\nreturn $${combine.name}\n`,
    ...(combine.arithmetic
      ? {
          sentencePlan: {
            plan: `${body}\nreturn "The ${combine.name} would be $${combine.name}."\n`,
            binding: combine.name,
          },
        }
      : {}),
  };
}

/** The final computation a question asks for, over the adjusted values. */
function combinationOf(question: string): {
  name: string;
  expression: (xs: string[]) => string;
  /** The answer is the computed number (not which item it belongs to). */
  arithmetic: boolean;
} {
  const list = (xs: string[]): string => xs.join(", ");
  if (/\b(average|mean)\b/i.test(question))
    return { name: "average", expression: (xs) => `mean(${list(xs)})`, arithmetic: true };
  if (/difference|how much (deeper|taller|longer|faster|larger|bigger)/i.test(question))
    return {
      name: "difference",
      expression: (xs) => `max(${list(xs)}) - min(${list(xs)})`,
      arithmetic: true,
    };
  if (/\bratio\b/i.test(question))
    return {
      name: "ratio",
      expression: (xs) => `max(${list(xs)}) / min(${list(xs)})`,
      arithmetic: true,
    };
  if (/\b(sum|total|combined)\b/i.test(question))
    return { name: "total", expression: (xs) => xs.join(" + "), arithmetic: true };
  if (/\b(shallow|slow|small|least|less|lowest|short|fewest)/i.test(question))
    return { name: "smallest", expression: (xs) => `min(${list(xs)})`, arithmetic: false };
  return { name: "largest", expression: (xs) => `max(${list(xs)})`, arithmetic: false };
}

function num(x: unknown): string {
  return typeof x === "number" ? String(Number(x.toFixed(2))) : String(x);
}

// ## HotpotQA-shaped (multi-hop)

interface HotpotRecord {
  id: string;
  question: string;
  answer: string;
}

const SYNTHETIC_HOTPOT: HotpotRecord[] = [
  {
    id: "h1",
    question: "Were Scott Derrickson and Ed Wood of the same nationality?",
    answer: "yes",
  },
  {
    id: "h2",
    question: "Which magazine was started first, Arthur's Magazine or First for Women?",
    answer: "Arthur's Magazine",
  },
];

export function hotpotItems(count: number): { items: Item[]; note: string } {
  const corpus = readCorpus<HotpotRecord>("llmcompiler_hotpotqa_comparison.json");
  const usable = (corpus ?? SYNTHETIC_HOTPOT).filter((r) => pair(r.question) !== undefined);
  const note = corpus
    ? `questions: ../shared/corpora/llmcompiler_hotpotqa_comparison.json (${corpus.length}), ${count} spread over the file`
    : "questions: built-in synthetic ones (../shared/corpora/llmcompiler_hotpotqa_comparison.json is absent)";
  const sample = stratified(usable, () => 0, count);
  return { items: sample.map(hotpotItem), note };
}

/** The two entities a comparison question names: its two longest capitalised names. */
function pair(question: string): [string, string] | undefined {
  const names = (
    question.match(/\b[A-Z][\w'.-]*(?:\s+(?:of\s+|the\s+|for\s+)?[A-Z][\w'.-]*)*/g) ?? []
  )
    .map((m) =>
      m
        .split(/\s+/)
        .filter(
          (w, i) =>
            i > 0 || (!OPENERS.has(w) && !/^(Were|Was|Are|Is|Did|Do|Does|Who|Which)$/.test(w)),
        )
        .join(" "),
    )
    .filter((m) => m.length > 1);
  const unique = [...new Set(names)];
  if (unique.length < 2) return undefined;
  const [a, b] = unique.sort((x, y) => y.length - x.length).slice(0, 2) as [string, string];
  return question.indexOf(a) < question.indexOf(b) ? [a, b] : [b, a];
}

function attributeOf(question: string): string {
  const same = question.match(/same\s+([a-z ]+?)\??$/i)?.[1];
  if (same) return same.trim();
  if (/first|older|earlier|founded|started/i.test(question)) return "founding year";
  if (/taller|height/i.test(question)) return "height";
  return "description";
}

function hotpotItem(r: HotpotRecord): Item {
  const [a, b] = pair(r.question) as [string, string];
  const attribute = attributeOf(r.question);
  const taken = new Set<string>();
  const va = slug(a, taken);
  const vb = slug(b, taken);
  const title = (seen: Seen, id: string): string =>
    (seen.get(id) as { title: string }[] | undefined)?.[0]?.title ?? "";
  return {
    scenario: "hotpotqa",
    id: r.id,
    question: r.question,
    answer: r.answer,
    branch: 2,
    steps: [
      { id: "search0", tool: "search", level: 0, args: () => ({ query: a }) },
      { id: "search1", tool: "search", level: 0, args: () => ({ query: b }) },
      {
        id: "fact0",
        tool: "wiki.fact",
        level: 1,
        args: (seen) => ({ title: title(seen, "search0"), fact: attribute }),
      },
      {
        id: "fact1",
        tool: "wiki.fact",
        level: 1,
        args: (seen) => ({ title: title(seen, "search1"), fact: attribute }),
      },
    ],
    plan: [
      `$${va} = search("${a}")`,
      `$${va}_${slug(attribute, new Set())} = wiki.fact($${va}[0].title, "${attribute}")`,
      `$${vb} = search("${b}")`,
      `$${vb}_${slug(attribute, new Set())} = wiki.fact($${vb}[0].title, "${attribute}")`,
      `return [$${va}_${slug(attribute, new Set())}, $${vb}_${slug(attribute, new Set())}]`,
      "",
    ].join("\n"),
  };
}

// ## Tools, with stated latencies

export interface Latencies {
  /** search and wiki.fact: base ± jitter (ms), drawn per call from a PRNG seeded by the call. */
  lookupMs: number;
  jitterMs: number;
  mathMs: number;
}

/** A stable 32-bit hash of a string (FNV-1a). */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The latency of one call: the same call waits the same time in every mode,
 * so no mode is lucky with the dice.
 */
export function latencyOf(tool: string, args: unknown, l: Latencies): number {
  if (tool === "math") return l.mathMs;
  const r = rng(hash(`${tool} ${JSON.stringify(args)}`))();
  return Math.max(0, l.lookupMs + (r * 2 - 1) * l.jitterMs);
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new Error("cancelled"));
      },
      { once: true },
    );
  });
}

const NATIONS = ["American", "British", "French", "German", "Canadian", "Italian", "Japanese"];

export function benchTools(l: Latencies): AnyTool[] {
  return [
    defineTool({
      name: "search",
      description: "Search an encyclopedia; returns the best matching pages first.",
      input: z.object({ query: z.string(), limit: z.number().int().min(1).max(10).default(3) }),
      output: z.array(z.object({ title: z.string(), snippet: z.string() })),
      pure: true,
      run: async (args, { signal }) => {
        await wait(latencyOf("search", args, l), signal);
        return ["", " (disambiguation)", " in popular culture"].slice(0, args.limit).map((s) => ({
          title: `${args.query}${s}`,
          snippet: `${args.query}${s} is the subject of this encyclopedia article, which describes its history, its main characteristics and the facts usually cited about it.`,
        }));
      },
    }),
    defineTool({
      name: "wiki.fact",
      description: "One fact of an encyclopedia page, by page title and fact name.",
      input: z.object({ title: z.string(), fact: z.string() }),
      output: z.union([z.number(), z.string()]),
      pure: true,
      run: async (args, { signal }) => {
        await wait(latencyOf("wiki.fact", args, l), signal);
        const r = rng(hash(`${args.title}|${args.fact}`))();
        if (/nationality|country/i.test(args.fact)) return NATIONS[Math.floor(r * NATIONS.length)]!;
        if (/description|type|kind|genre/i.test(args.fact))
          return `a ${args.fact} of ${args.title}`;
        return Math.round(100 + r * 19_900);
      },
    }),
    defineTool({
      name: "math",
      description: "Evaluate an arithmetic expression (+ - * / ^, min, max, abs, round).",
      input: z.object({ expression: z.string() }),
      output: z.number(),
      pure: true,
      run: async ({ expression }, { signal }) => {
        await wait(l.mathMs, signal);
        const value: unknown = evaluate(expression);
        if (typeof value !== "number") throw new Error(`not a number: ${expression}`);
        return value;
      },
    }),
  ];
}

// ## Tools a question does not need
// A real agent offers more tools than one question needs. These are the
// usual neighbours of an assistant's registry, with the JSON-Schema
// descriptions MCP servers and function-calling examples carry: react / fc
// re-send all of them every turn; the planner reads their signature lines once.

/** Tools unrelated to the bench's questions; `--registry N` adds the first N - 3. */
export function unrelatedTools(): AnyTool[] {
  const never = (): never => {
    throw new Error("bench: an unrelated tool was called");
  };
  const iso = z.string().describe("ISO 8601 date, e.g. 2024-05-01");
  return [
    defineTool({
      name: "weather.current",
      description: "Current weather conditions for a city.",
      input: z.object({
        city: z.string().describe("City name, optionally with country, e.g. 'Paris, FR'"),
        units: z.enum(["metric", "imperial"]).default("metric").describe("Unit system"),
      }),
      output: z.object({ temperature: z.number(), condition: z.string(), humidity: z.number() }),
      run: never,
    }),
    defineTool({
      name: "calendar.events",
      description: "Events in the user's calendar between two dates.",
      input: z.object({
        from: iso,
        to: iso,
        calendar: z.string().optional().describe("Calendar name; all calendars when omitted"),
      }),
      output: z.array(z.object({ title: z.string(), start: z.string(), end: z.string() })),
      run: never,
    }),
    defineTool({
      name: "email.send",
      description: "Send an email from the user's account.",
      input: z.object({
        to: z.string().describe("Recipient email address"),
        subject: z.string().describe("Subject line"),
        body: z.string().describe("Plain-text body"),
        cc: z.array(z.string()).optional().describe("Addresses to copy"),
      }),
      output: z.object({ id: z.string() }),
      effect: true,
      run: never,
    }),
    defineTool({
      name: "translate",
      description: "Translate text into another language.",
      input: z.object({
        text: z.string().describe("Text to translate"),
        target: z.string().describe("Target language, ISO 639-1 code, e.g. 'de'"),
        source: z.string().optional().describe("Source language; detected when omitted"),
      }),
      output: z.string(),
      run: never,
    }),
    defineTool({
      name: "stock.price",
      description: "Latest price of a listed stock.",
      input: z.object({
        symbol: z.string().describe("Ticker symbol, e.g. 'AAPL'"),
        exchange: z.string().optional().describe("Exchange code, e.g. 'NASDAQ'"),
      }),
      output: z.object({ price: z.number(), currency: z.string(), changePercent: z.number() }),
      run: never,
    }),
    defineTool({
      name: "units.convert",
      description: "Convert a quantity between units of measurement.",
      input: z.object({
        value: z.number().describe("The quantity"),
        from: z.string().describe("Unit of the value, e.g. 'mi'"),
        to: z.string().describe("Unit wanted, e.g. 'km'"),
      }),
      output: z.number(),
      run: never,
    }),
    defineTool({
      name: "news.search",
      description: "Search recent news articles.",
      input: z.object({
        query: z.string().describe("Search terms"),
        since: iso.optional(),
        limit: z.number().int().min(1).max(20).default(5).describe("Articles to return"),
      }),
      output: z.array(z.object({ title: z.string(), url: z.string(), published: z.string() })),
      run: never,
    }),
    defineTool({
      name: "currency.convert",
      description: "Convert an amount of money at today's exchange rate.",
      input: z.object({
        amount: z.number().describe("Amount in the source currency"),
        from: z.string().describe("ISO 4217 code, e.g. 'EUR'"),
        to: z.string().describe("ISO 4217 code, e.g. 'USD'"),
      }),
      output: z.number(),
      run: never,
    }),
    defineTool({
      name: "maps.directions",
      description: "Route between two places.",
      input: z.object({
        origin: z.string().describe("Start address or place name"),
        destination: z.string().describe("End address or place name"),
        mode: z.enum(["driving", "walking", "transit", "cycling"]).default("driving"),
      }),
      output: z.object({
        distanceKm: z.number(),
        durationMin: z.number(),
        steps: z.array(z.string()),
      }),
      run: never,
    }),
    defineTool({
      name: "reminders.create",
      description: "Create a reminder for the user.",
      input: z.object({
        text: z.string().describe("What to remind the user of"),
        at: z.string().describe("When, ISO 8601 date-time"),
      }),
      output: z.object({ id: z.string() }),
      effect: true,
      run: never,
    }),
    defineTool({
      name: "flights.search",
      description: "Search one-way flights.",
      input: z.object({
        from: z.string().describe("Departure airport, IATA code"),
        to: z.string().describe("Arrival airport, IATA code"),
        date: iso,
        passengers: z.number().int().min(1).max(9).default(1),
      }),
      output: z.array(z.object({ airline: z.string(), departs: z.string(), price: z.number() })),
      run: never,
    }),
    defineTool({
      name: "recipes.search",
      description: "Find recipes that use the given ingredients.",
      input: z.object({
        ingredients: z.array(z.string()).describe("Ingredients to use"),
        diet: z.enum(["any", "vegetarian", "vegan", "gluten-free"]).default("any"),
      }),
      output: z.array(z.object({ name: z.string(), minutes: z.number() })),
      run: never,
    }),
  ];
}
