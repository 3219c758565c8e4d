// Stream mode against run(): for generated plans, streamed in any chunking
// through the real client, every call runs exactly as many times as run()
// runs it for the whole plan (once per statement that makes it: f and g are
// not pure, so two statements making the same call are two calls, however
// many prefixes of the stream contain them) and the plan's result is
// run()'s.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createAgent } from "../src/agent/agent.js";
import { defineTool, type AnyTool } from "../src/compiler/tool.js";
import { canonicalJson } from "../src/runtime/hash.js";
import { run } from "../src/runtime/run.js";
import { startFakeOpenAI, type FakeOpenAI, type ScriptedReply } from "./support/openai-server.js";

/** A small deterministic hash, for results and for how long a call takes. */
function hash(text: string): number {
  let h = 7;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) % 100_003;
  return h;
}

/**
 * `f(x)` answers a short code of its argument after a few turns of the event
 * loop (how many depends on the argument, so calls finish out of order);
 * `g(x)` fails for about a third of its arguments. `counts` counts real calls
 * by tool and arguments.
 */
function tools(counts: Map<string, number>): AnyTool[] {
  const tick = () => new Promise((r) => setImmediate(r));
  const count = (tool: string, args: unknown) => {
    const key = `${tool} ${canonicalJson(args)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return hash(key);
  };
  return [
    defineTool({
      name: "f",
      input: z.object({ x: z.unknown() }),
      run: async (args) => {
        const h = count("f", args);
        for (let i = h % 4; i > 0; i--) await tick();
        return `v${h % 1000}`;
      },
    }),
    defineTool({
      name: "g",
      input: z.object({ x: z.unknown() }),
      run: async (args) => {
        const h = count("g", args);
        await tick();
        if (h % 3 === 0) throw new Error(`g fails on ${h}`);
        return h % 50;
      },
    }),
  ];
}

/** A plan of calls to f and g over literals and earlier bindings, with repeats. */
const planArb = fc
  .array(
    fc.record({
      tool: fc.constantFrom("f", "f", "g"),
      arg: fc.oneof(
        fc.constantFrom('"a"', '"b"', "1", "[1, 2]"),
        fc.nat(20).map((n) => ({ ref: n })),
        fc.nat(20).map((n) => ({ interp: n })),
      ),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((steps) => {
    const lines = steps.map((s, i) => {
      let arg: string;
      if (typeof s.arg === "string" || i === 0) arg = typeof s.arg === "string" ? s.arg : '"z"';
      else if ("ref" in s.arg) arg = `$v${s.arg.ref % i}`;
      else arg = `"at $v${s.arg.interp % i}"`;
      return `$v${i} = ${s.tool}(${arg})`;
    });
    const all = steps.map((_, i) => `$v${i}`).join(", ");
    return `${lines.join("\n")}\nreturn [${all}]\n`;
  });

/** The chunks as a stream that pauses a few turns of the event loop before each, so calls finish while it streams. */
async function* paced(chunks: string[], pauses: number[]): AsyncIterable<string> {
  for (let i = 0; i < chunks.length; i++) {
    for (let n = pauses[i % Math.max(1, pauses.length)] ?? 0; n > 0; n--)
      await new Promise((r) => setImmediate(r));
    yield chunks[i] as string;
  }
}

/** The reply cut at the given offsets. */
function cut(text: string, offsets: number[]): string[] {
  const at = [...new Set(offsets.map((o) => o % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const o of at) {
    if (o > from) chunks.push(text.slice(from, o));
    from = o;
  }
  chunks.push(text.slice(from));
  return chunks;
}

let server: FakeOpenAI;
let planner: ScriptedReply = {};
beforeAll(async () => {
  server = await startFakeOpenAI((req) => (req.role === "solver" ? "Answer: done" : planner));
});
afterAll(() => server.close());

describe("stream mode against run()", () => {
  it("runs each call as often as run() does and gives run()'s result, however the reply is chunked", async () => {
    await fc.assert(
      fc.asyncProperty(
        planArb,
        fc.array(fc.nat(10_000), { maxLength: 40 }),
        fc.constantFrom("", "Thought: let me plan.\n", "```weft\n"),
        fc.array(fc.nat(6), { maxLength: 10 }),
        fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        async (plan, offsets, preamble, pauses, concurrency) => {
          const reply = `${preamble}${plan}${preamble === "```weft\n" ? "```\n" : ""}`;
          planner = { chunks: paced(cut(reply, offsets), pauses) };

          const expectedCounts = new Map<string, number>();
          const expected = await run(plan, { tools: tools(expectedCounts), keepGoing: true });

          const counts = new Map<string, number>();
          const agent = createAgent({
            baseURL: server.baseURL,
            apiKey: "k",
            model: "m",
            mode: "stream",
            tools: tools(counts),
            maxReplans: 0,
            ...(concurrency === undefined ? {} : { concurrency }),
          });
          const r = await agent.ask("q");
          expect(r.error).toBeUndefined();
          expect(r.plan).toBe(plan);
          // The same calls as run(), each as many times.
          const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));
          expect(sorted(counts)).toEqual(sorted(expectedCounts));
          expect(r.toolCalls).toHaveLength([...counts.values()].reduce((a, b) => a + b, 0));
          expect(r.results["return"]).toEqual(expected.value);
        },
      ),
      { numRuns: 60 },
    );
  });
});
