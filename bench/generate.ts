// Generates large, valid, realistic plans for the front-end benchmark.
import { z } from "zod";
import { defineTool } from "weft";

export const benchTools = [
  defineTool({
    name: "search",
    input: z.object({ query: z.string(), limit: z.number().int().optional() }),
    output: z.array(z.object({ title: z.string(), url: z.string(), score: z.number() })),
    run: () => [],
  }),
  defineTool({
    name: "wiki.page",
    input: z.object({ title: z.string() }),
    output: z.object({ title: z.string(), text: z.string(), links: z.array(z.string()) }),
    run: ({ title }) => ({ title, text: "", links: [] }),
  }),
  defineTool({
    name: "math",
    input: z.object({ expression: z.string() }),
    output: z.number(),
    run: () => 0,
  }),
  defineTool({
    name: "llm",
    input: z.object({ prompt: z.string(), temperature: z.number().default(0) }),
    output: z.string(),
    run: () => "",
  }),
];

/** A plan of `n` statements; each refers to earlier ones so the graph is connected. */
export function generatePlan(n: number, seed = 1): string {
  let s = seed;
  const rand = (k: number): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % k;
  };
  const out: string[] = [
    "# generated benchmark plan",
    'input $topic: string = "distributed systems"',
  ];
  const hits: number[] = [];
  const pages: number[] = [];
  const nums: number[] = [];
  for (let i = 1; out.length < n; i++) {
    const pick = (xs: number[]): number | undefined =>
      xs.length === 0 ? undefined : xs[xs.length - 1 - rand(Math.min(xs.length, 50))];
    const r = rand(10);
    const h = pick(hits);
    const p = pick(pages);
    const m = pick(nums);
    if (r < 3 || h === undefined) {
      out.push(`$s${i} = search(query: "$topic part ${i}", limit: ${1 + rand(5)})  # look it up`);
      hits.push(i);
    } else if (r < 5 || p === undefined) {
      out.push(`$p${i} = wiki.page($s${h}[0].title)`);
      pages.push(i);
    } else if (r < 7 || m === undefined) {
      out.push(`$m${i} = math("\${s${h}[0].score} * ${rand(100)} + 1.5e2")`);
      nums.push(i);
    } else if (r < 8) {
      out.push(`$e${i} = each $h in $s${h}: wiki.page($h.title)`);
    } else if (r < 9) {
      out.push(
        `$l${i} = llm(prompt: """Summarise $topic using \${p${p}.text} and $m${m}.\nBe brief.""", temperature: 0.2)`,
      );
    } else {
      out.push(
        `$o${i} = {title: $p${p}.title, links: $p${p}.links, score: $m${m}, tags: ["a", "b", 3, true, null]}`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}
