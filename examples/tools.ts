// Offline tools for the example plans: a small knowledge base with search,
// arithmetic, text and JSON helpers. Load with `--tools examples/tools.ts`.
import { z } from "zod";
import { defineTool } from "weft";
import { evaluate } from "./arithmetic.js";
import { articles, searchArticles } from "./knowledge.js";

const hit = z.object({ title: z.string(), url: z.string(), snippet: z.string() });
const page = z.object({
  title: z.string(),
  url: z.string(),
  summary: z.string(),
  facts: z.record(z.string(), z.union([z.number(), z.string()])),
});

export default [
  defineTool({
    name: "search",
    description: "Search the knowledge base; returns the best matches first.",
    input: z.object({ query: z.string(), limit: z.number().int().min(1).max(10).default(3) }),
    output: z.array(hit),
    pure: true,
    latency: 3,
    run: ({ query, limit }) =>
      searchArticles(query, limit).map((a) => ({ title: a.title, url: a.url, snippet: a.summary })),
  }),
  defineTool({
    name: "wiki.page",
    description: "Fetch a knowledge-base article by its exact title.",
    input: z.object({ title: z.string() }),
    output: page,
    pure: true,
    latency: 2,
    run: ({ title }) => {
      const a = articles.find((x) => x.title.toLowerCase() === title.toLowerCase());
      if (a === undefined) throw new Error(`no article titled ${JSON.stringify(title)}`);
      return a;
    },
  }),
  defineTool({
    name: "wiki.fact",
    description:
      "One fact of an article, by title and fact name (population, country, area_km2...).",
    input: z.object({ title: z.string(), fact: z.string() }),
    output: z.union([z.number(), z.string()]),
    pure: true,
    run: ({ title, fact }) => {
      const a = articles.find((x) => x.title.toLowerCase() === title.toLowerCase());
      const v = a?.facts[fact];
      if (v === undefined)
        throw new Error(`no fact ${JSON.stringify(fact)} for ${JSON.stringify(title)}`);
      return v;
    },
  }),
  defineTool({
    name: "math",
    description: "Evaluate arithmetic: + - * / % ^ and parentheses.",
    input: z.object({ expression: z.string() }),
    output: z.number(),
    pure: true,
    run: ({ expression }) => evaluate(expression),
  }),
  defineTool({
    name: "text.join",
    description: "Join a list of values into one string.",
    input: z.object({ items: z.array(z.unknown()), separator: z.string().default(", ") }),
    output: z.string(),
    pure: true,
    run: ({ items, separator }) =>
      items.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(separator),
  }),
  defineTool({
    name: "text.words",
    description: "Count the words in a text.",
    input: z.object({ text: z.string() }),
    output: z.number(),
    pure: true,
    run: ({ text }) => (text.match(/\S+/g) ?? []).length,
  }),
  defineTool({
    name: "json.pick",
    description: "Keep only the given keys of an object.",
    input: z.object({ value: z.record(z.string(), z.unknown()), keys: z.array(z.string()) }),
    output: z.record(z.string(), z.unknown()),
    pure: true,
    run: ({ value, keys }) =>
      Object.fromEntries(keys.filter((k) => k in value).map((k) => [k, value[k]])),
  }),
  defineTool({
    name: "report.write",
    description: "Append a line to the run's report (printed to standard error).",
    input: z.object({ line: z.string() }),
    output: z.null(),
    effect: true,
    run: ({ line }) => {
      process.stderr.write(`report: ${line}\n`);
      return null;
    },
  }),
];
