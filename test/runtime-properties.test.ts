// Properties of the scheduler over random DAGs, with tool completions
// ordered by fast-check's scheduler: every interleaving it picks is one a
// real run could meet. A failure prints the DAG and a replayable order.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { CallNode, EachNode, IrExpr, PlanGraph, PlanNode } from "../src/compiler/ir.js";
import { defineTool, type AnyTool } from "../src/compiler/tool.js";
import { validateGraph } from "../src/compiler/validate.js";
import { run } from "../src/runtime/run.js";
import type { RunEvent, RunOptions, RunResult } from "../src/runtime/types.js";

const RUNS = 1000;

// ## Random DAGs

interface NodeSpec {
  /** Earlier nodes this one uses (indices; taken modulo the node's index). */
  deps: number[];
  tool: "t" | "u";
  fails: boolean;
  /** An `each` over a list of this many elements, instead of a plain call. */
  each: number | null;
}

const arbNode: fc.Arbitrary<NodeSpec> = fc.record({
  deps: fc.uniqueArray(fc.nat(20), { maxLength: 3 }),
  tool: fc.constantFrom("t" as const, "u" as const),
  fails: fc.integer({ min: 0, max: 7 }).map((x) => x === 0),
  each: fc.option(fc.nat(3), { freq: 4 }),
});

const arbDag = fc.array(arbNode, { minLength: 1, maxLength: 10 });

/** The deps of node `i`, as indices of earlier nodes, sorted and unique. */
function depsOf(spec: NodeSpec[], i: number): number[] {
  if (i === 0) return [];
  return [...new Set((spec[i] as NodeSpec).deps.map((d) => d % i))].sort((a, b) => a - b);
}

const ref = (name: string): IrExpr => ({ kind: "ref", source: "node", name, path: [] });
const lit = (value: string | boolean | number): IrExpr => ({ kind: "literal", value });

/** Every call computes `id(json of x)`, so a result spells out exactly which inputs it saw. */
function toGraph(spec: NodeSpec[], withFailures: boolean): PlanGraph {
  const nodes: PlanNode[] = spec.map((s, i) => {
    const id = `n${i}`;
    const deps = depsOf(spec, i).map((d) => `n${d}`);
    const fail = withFailures && s.fails;
    if (s.each === null) {
      const call: CallNode = {
        id,
        kind: "call",
        tool: s.tool,
        args: {
          positional: [],
          named: { id: lit(id), x: { kind: "list", items: deps.map(ref) }, fail: lit(fail) },
        },
        deps,
      };
      return call;
    }
    const bodyId = `${id}.1`;
    const each: EachNode = {
      id,
      kind: "each",
      item: "it",
      over: { kind: "literal", value: Array.from({ length: s.each }, (_, k) => k) },
      body: {
        nodes: [
          {
            id: bodyId,
            kind: "call",
            tool: s.tool,
            args: {
              positional: [],
              named: {
                id: lit(bodyId),
                x: {
                  kind: "list",
                  items: [{ kind: "ref", source: "item", name: "it", path: [] }, ...deps.map(ref)],
                },
                fail: lit(fail),
              },
            },
            deps,
          },
        ],
        output: ref(bodyId),
      },
      deps,
    };
    return each;
  });
  return {
    version: 1,
    inputs: [],
    nodes,
    output: { kind: "object", entries: spec.map((_, i) => [`n${i}`, ref(`n${i}`)]) },
  };
}

const callValue = (id: string, x: unknown[]) => `${id}(${JSON.stringify(x)})`;

/** What each node's result must be, computed without any scheduler. */
function expectedValues(spec: NodeSpec[]): unknown[] {
  const values: unknown[] = [];
  spec.forEach((s, i) => {
    const inputs = depsOf(spec, i).map((d) => values[d]);
    values.push(
      s.each === null
        ? callValue(`n${i}`, inputs)
        : Array.from({ length: s.each }, (_, k) => callValue(`n${i}.1`, [k, ...inputs])),
    );
  });
  return values;
}

type Status = "ok" | "failed" | "skipped";

/** Under keepGoing: a failing node fails (an `each` only if it has children), its descendants are skipped. */
function expectedStatuses(spec: NodeSpec[]): Status[] {
  const out: Status[] = [];
  spec.forEach((s, i) => {
    if (depsOf(spec, i).some((d) => out[d] !== "ok")) out.push("skipped");
    else if (s.fails && (s.each === null || s.each > 0)) out.push("failed");
    else out.push("ok");
  });
  return out;
}

// ## An instrumented run

interface Observed {
  result: RunResult | undefined;
  events: RunEvent[];
  /** Calls whose tool promise has resolved with a value, by node id. */
  finished: Set<string>;
  /** Violations seen while running (a call starting too early). */
  problems: string[];
  maxInFlight: number;
  maxPerTool: Record<string, number>;
}

async function observe(
  spec: NodeSpec[],
  s: fc.Scheduler,
  options: Partial<RunOptions> & { withFailures: boolean },
): Promise<Observed> {
  const graph = toGraph(spec, options.withFailures);
  const obs: Observed = {
    result: undefined,
    events: [],
    finished: new Set(),
    problems: [],
    maxInFlight: 0,
    maxPerTool: { t: 0, u: 0 },
  };
  let inFlight = 0;
  const perTool: Record<string, number> = { t: 0, u: 0 };
  const finishedChildren = new Map<string, number>();

  /** Whether everything node `id` (an outer id) stands for has finished. */
  const done = (index: number): boolean => {
    const s = spec[index] as NodeSpec;
    if (s.each === null) return obs.finished.has(`n${index}`);
    return (finishedChildren.get(`n${index}`) ?? 0) === s.each;
  };

  const mk = (name: "t" | "u"): AnyTool =>
    defineTool({
      name,
      input: z.object({ id: z.string(), x: z.array(z.unknown()), fail: z.boolean() }),
      run: ({ id, x, fail }, ctx) => {
        const nodeId = ctx.node.id;
        const outer = Number(/^n(\d+)/.exec(nodeId)?.[1]);
        for (const d of depsOf(spec, outer)) {
          if (!done(d)) obs.problems.push(`${nodeId} started before n${d} finished`);
        }
        inFlight++;
        perTool[name] = (perTool[name] ?? 0) + 1;
        obs.maxInFlight = Math.max(obs.maxInFlight, inFlight);
        obs.maxPerTool[name] = Math.max(obs.maxPerTool[name] ?? 0, perTool[name] ?? 0);
        return s.schedule(Promise.resolve(), nodeId).then(() => {
          inFlight--;
          perTool[name] = (perTool[name] ?? 0) - 1;
          if (fail) throw new Error(`fail ${nodeId}`);
          obs.finished.add(nodeId);
          if (nodeId.includes("[")) {
            const parent = `n${outer}`;
            finishedChildren.set(parent, (finishedChildren.get(parent) ?? 0) + 1);
          }
          return callValue(id, x);
        });
      },
    });

  const { withFailures: _, ...runOptions } = options;
  const running = run(graph, {
    tools: [mk("t"), mk("u")],
    onEvent: (e) => obs.events.push(e),
    ...runOptions,
  }).then((r) => {
    obs.result = r;
  });
  await s.waitIdle();
  // The last completions reach the runtime on microtasks after the scheduler is idle.
  for (let i = 0; i < 5 && obs.result === undefined; i++)
    await new Promise((r) => setTimeout(r, 0));
  if (obs.result === undefined) obs.problems.push("the run did not settle");
  await Promise.race([running, Promise.resolve()]);
  return obs;
}

/** Final events per node id: each node must have exactly one. */
function finalEvents(events: RunEvent[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of events) {
    if (e.type === "queued" || e.type === "started" || e.type === "retrying") continue;
    const list = out.get(e.node.id) ?? [];
    list.push(e.type);
    out.set(e.node.id, list);
  }
  return out;
}

const arbCaps = fc.record({
  concurrency: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  t: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
});

function capOptions(caps: { concurrency: number | undefined; t: number | undefined }) {
  return {
    ...(caps.concurrency === undefined ? {} : { concurrency: caps.concurrency }),
    ...(caps.t === undefined ? {} : { toolConcurrency: { t: caps.t } }),
  };
}

describe("scheduler properties (random DAGs, fc.scheduler completion orders)", () => {
  it("the generated graphs are valid plan graphs", () => {
    fc.assert(
      fc.property(arbDag, fc.boolean(), (spec, failures) => {
        expect(validateGraph(toGraph(spec, failures)).diagnostics).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("no call starts before all its dependencies finished; results match the order-free evaluation", async () => {
    await fc.assert(
      fc.asyncProperty(arbDag, arbCaps, fc.scheduler(), async (spec, caps, s) => {
        const obs = await observe(spec, s, { withFailures: false, ...capOptions(caps) });
        expect(obs.problems).toEqual([]);
        const result = obs.result as RunResult;
        expect(result.errors).toEqual([]);
        const expected = expectedValues(spec);
        spec.forEach((_, i) => expect(result.results[`n${i}`]).toEqual(expected[i]));
        expect(result.value).toEqual(Object.fromEntries(expected.map((v, i) => [`n${i}`, v])));
      }),
      { numRuns: RUNS },
    );
  });

  it("calls in flight never exceed the global cap or a tool's cap", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbDag,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.scheduler(),
        async (spec, cap, tCap, s) => {
          const obs = await observe(spec, s, {
            withFailures: false,
            concurrency: cap,
            toolConcurrency: { t: tCap },
          });
          expect(obs.problems).toEqual([]);
          expect(obs.maxInFlight).toBeLessThanOrEqual(cap);
          expect(obs.maxPerTool["t"]).toBeLessThanOrEqual(tCap);
          expect(obs.result?.ok).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("every node ends in exactly one final state, matching the trace, and the run settles", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbDag,
        arbCaps,
        fc.boolean(),
        fc.scheduler(),
        async (spec, caps, keepGoing, s) => {
          const obs = await observe(spec, s, {
            withFailures: true,
            keepGoing,
            ...capOptions(caps),
          });
          expect(obs.problems).toEqual([]);
          const result = obs.result as RunResult;
          const finals = finalEvents(obs.events);
          const traced = new Map(result.trace.nodes.map((n) => [n.id, n.status]));
          // Every outer node, and every child the trace lists, has exactly one final event.
          for (let i = 0; i < spec.length; i++) expect(traced.has(`n${i}`)).toBe(true);
          for (const [id, status] of traced) {
            const events = finals.get(id) ?? [];
            expect(events).toHaveLength(1);
            const type = events[0];
            expect(type === "finished" ? "ok" : type).toBe(status);
          }
          expect([...finals.keys()].every((id) => traced.has(id))).toBe(true);
          // Timestamps never go backwards.
          for (let i = 1; i < obs.events.length; i++)
            expect((obs.events[i] as RunEvent).t).toBeGreaterThanOrEqual(
              (obs.events[i - 1] as RunEvent).t,
            );
          expect(result.ok).toBe(result.errors.length === 0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("with keepGoing, exactly the descendants of failures are skipped and everything else finishes", async () => {
    await fc.assert(
      fc.asyncProperty(arbDag, arbCaps, fc.scheduler(), async (spec, caps, s) => {
        const obs = await observe(spec, s, {
          withFailures: true,
          keepGoing: true,
          ...capOptions(caps),
        });
        expect(obs.problems).toEqual([]);
        const result = obs.result as RunResult;
        const status = new Map(result.trace.nodes.map((n) => [n.id, n.status]));
        const want = expectedStatuses(spec);
        const values = expectedValues(spec);
        spec.forEach((node, i) => {
          const id = `n${i}`;
          expect([id, status.get(id)]).toEqual([id, want[i]]);
          if (want[i] === "ok") expect(result.results[id]).toEqual(values[i]);
          else expect(Object.hasOwn(result.results, id)).toBe(false);
          // Children exist only for an each that ran; they all share its fate here.
          const children = result.trace.nodes.filter((n) => n.parent === id);
          if (node.each !== null && want[i] !== "skipped") {
            expect(children.map((c) => c.status)).toEqual(
              Array.from({ length: node.each }, () => want[i]),
            );
          } else {
            expect(children).toEqual([]);
          }
        });
        const failingCalls = spec.reduce(
          (n, node, i) => n + (want[i] === "failed" ? (node.each ?? 1) : 0),
          0,
        );
        expect(result.errors).toHaveLength(failingCalls);
        expect(result.errors.every((e) => e.kind === "tool")).toBe(true);
        expect(result.ok).toBe(failingCalls === 0);
      }),
      { numRuns: RUNS },
    );
  });

  it("fail-fast: one error; nothing starts after it; what finished had finished inputs", async () => {
    await fc.assert(
      fc.asyncProperty(arbDag, arbCaps, fc.scheduler(), async (spec, caps, s) => {
        const obs = await observe(spec, s, { withFailures: true, ...capOptions(caps) });
        expect(obs.problems).toEqual([]);
        const result = obs.result as RunResult;
        const anyFails = expectedStatuses(spec).includes("failed");
        expect(result.errors).toHaveLength(anyFails ? 1 : 0);
        if (!anyFails) return;
        const failedAt = obs.events.findIndex((e) => e.type === "failed");
        expect(
          obs.events.slice(failedAt).some((e) => e.type === "started" || e.type === "queued"),
        ).toBe(false);
        const status = new Map(result.trace.nodes.map((n) => [n.id, n.status]));
        spec.forEach((_, i) => {
          if (status.get(`n${i}`) !== "ok") return;
          for (const d of depsOf(spec, i)) expect(status.get(`n${d}`)).toBe("ok");
        });
        for (const [id, st] of status) {
          if (st === "ok") expect(Object.hasOwn(result.results, id)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("results do not depend on completion order: two orders, same results", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbDag,
        arbCaps,
        fc.scheduler(),
        fc.scheduler(),
        async (spec, caps, s1, s2) => {
          const a = await observe(spec, s1, {
            withFailures: true,
            keepGoing: true,
            ...capOptions(caps),
          });
          const b = await observe(spec, s2, {
            withFailures: true,
            keepGoing: true,
            ...capOptions(caps),
          });
          expect(a.result?.results).toEqual(b.result?.results);
          expect(a.result?.value).toEqual(b.result?.value);
          const statuses = (r: RunResult | undefined) =>
            Object.fromEntries((r?.trace.nodes ?? []).map((n) => [n.id, n.status]));
          expect(statuses(a.result)).toEqual(statuses(b.result));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
