// The call memo: identical calls across plans run once, failures are retried
// for real, a shared call is cancelled only when every waiter gave up.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CallMemo } from "../src/agent/memo.js";
import type { ToolCallRecord } from "../src/agent/types.js";
import { defineTool, toolSet, type AnyTool, type ToolContext } from "../src/compiler/tool.js";
import { compile } from "../src/compiler/compile.js";
import { run, runGraph } from "../src/runtime/run.js";
import type { RunEvent } from "../src/runtime/types.js";

/** A promise with its resolvers outside. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A tool whose calls finish when the test says so; `calls` counts real runs by argument. */
function gatedTool(name = "lookup") {
  const calls: string[] = [];
  const gates = new Map<string, ReturnType<typeof deferred<string>>>();
  const signals: AbortSignal[] = [];
  const gate = (q: string) => {
    let g = gates.get(q);
    if (g === undefined) gates.set(q, (g = deferred<string>()));
    return g;
  };
  const tool = defineTool({
    name,
    input: z.object({ q: z.string() }),
    run: async ({ q }, ctx: ToolContext) => {
      calls.push(q);
      signals.push(ctx.signal);
      const g = gate(q);
      const value = await g.promise;
      gates.delete(q);
      return value;
    },
  });
  const started = async (n: number) => {
    while (calls.length < n) await new Promise((r) => setImmediate(r));
  };
  return { tool, calls, signals, gate, started };
}

function memoOf(tools: AnyTool[], signal?: AbortSignal, concurrency?: number) {
  let now = 0;
  const records: ToolCallRecord[] = [];
  const events: RunEvent[] = [];
  const memo = new CallMemo(toolSet(tools), {
    clock: () => ++now,
    records,
    onEvent: (e) => events.push(e),
    ...(signal === undefined ? {} : { signal }),
    ...(concurrency === undefined ? {} : { concurrency }),
  });
  return { memo, records, events };
}

describe("memo", () => {
  it("keeps the tools' names, schemas and flags", () => {
    const { tool } = gatedTool();
    const flagged = { ...tool, pure: true, latency: 3, description: "d" } as AnyTool;
    const { memo } = memoOf([flagged]);
    const wrapped = memo.tools.get("lookup");
    expect(wrapped?.input).toBe(tool.input);
    expect(wrapped?.pure).toBe(true);
    expect(wrapped?.latency).toBe(3);
    expect(wrapped?.description).toBe("d");
    expect(wrapped?.run).not.toBe(tool.run);
  });

  it("runs an identical call of two plans once, running or finished, with the same result", async () => {
    const t = gatedTool();
    const { memo, records, events } = memoOf([t.tool]);
    const plan = '$a = lookup("x")\n$b = lookup("y")\nreturn [$a, $b]';
    const first = run(plan, { tools: memo.tools });
    await t.started(2);
    const second = run('$c = lookup("x")\nreturn $c', { tools: memo.tools });
    t.gate("x").resolve("X");
    t.gate("y").resolve("Y");
    const [r1, r2] = await Promise.all([first, second]);
    expect(r1.value).toEqual(["X", "Y"]);
    expect(r2.value).toBe("X");
    // A third plan after both finished: served from memory.
    const r3 = await run('$d = lookup("y")\n$e = lookup(q: "x")\nreturn [$d, $e]', {
      tools: memo.tools,
    });
    expect(r3.value).toEqual(["Y", "X"]);
    expect(t.calls.sort()).toEqual(["x", "y"]);
    expect(records.map((r) => [r.tool, r.args, r.ok, r.result])).toEqual([
      ["lookup", { q: "x" }, true, "X"],
      ["lookup", { q: "y" }, true, "Y"],
    ]);
    for (const r of records) expect(r.end).toBeGreaterThan(r.start);
    expect(memo.firstStart).toBe(records[0]?.start);
    expect(events.map((e) => e.type)).toEqual(["started", "started", "finished", "finished"]);
  });

  it("keys on the parsed arguments: defaults filled in are the same call", async () => {
    const calls: unknown[] = [];
    const tool = defineTool({
      name: "search",
      input: z.object({ q: z.string(), limit: z.number().default(3) }),
      run: (args) => (calls.push(args), `${args.q}:${args.limit}`),
    });
    const { memo } = memoOf([tool]);
    const r = await run(
      '$a = search("x")\n$b = search("x", 3)\n$c = search("x", 4)\nreturn [$a, $b, $c]',
      {
        tools: memo.tools,
      },
    );
    expect(r.value).toEqual(["x:3", "x:3", "x:4"]);
    expect(calls).toEqual([
      { q: "x", limit: 3 },
      { q: "x", limit: 4 },
    ]);
  });

  it("gives a failure to every waiter, remembers it for the same attempt, and retries it for real", async () => {
    let n = 0;
    const tool = defineTool({
      name: "flaky",
      input: z.object({ q: z.string() }),
      run: ({ q }) => {
        n++;
        if (n === 1) throw new Error(`down: ${q}`);
        return `ok ${q} #${n}`;
      },
    });
    const { memo, records } = memoOf([tool]);
    const first = await run('$a = flaky("x")\nreturn $a', { tools: memo.tools });
    expect(first.ok).toBe(false);
    expect(first.errors[0]?.message).toContain("down: x");
    // Another plan at the same attempt: the remembered failure, no new call.
    const again = await run('$a = flaky("x")\nreturn $a', { tools: memo.tools });
    expect(again.ok).toBe(false);
    expect(n).toBe(1);
    // The scheduler's retry is a higher attempt: it runs for real.
    const retried = await run('$a = flaky("x")\nreturn $a', {
      tools: memo.tools,
      retries: 1,
    });
    expect(retried.value).toBe("ok x #2");
    expect(n).toBe(2);
    expect(records.map((r) => [r.ok, r.error ?? r.result])).toEqual([
      [false, "down: x"],
      [true, "ok x #2"],
    ]);
  });

  it("forgets failures when asked, so a repaired plan runs the call again", async () => {
    let n = 0;
    const tool = defineTool({
      name: "flaky",
      input: z.object({ q: z.string() }),
      run: async ({ q }) => {
        n++;
        if (n === 1) throw new Error("down");
        return q;
      },
    });
    const { memo } = memoOf([tool]);
    expect((await run('flaky("x")', { tools: memo.tools })).ok).toBe(false);
    memo.forgetFailures();
    const r = await run('$a = flaky("x")\nreturn $a', { tools: memo.tools });
    expect(r.value).toBe("x");
    expect(n).toBe(2);
  });

  it("cancels a shared call only when every waiter has let go", async () => {
    const t = gatedTool();
    const { memo, records } = memoOf([t.tool]);
    const stop1 = new AbortController();
    const stop2 = new AbortController();
    const plan = '$a = lookup("x")\nreturn $a';
    const r1 = run(plan, { tools: memo.tools, signal: stop1.signal });
    await t.started(1);
    const r2 = run(plan, { tools: memo.tools, signal: stop2.signal });
    await new Promise((r) => setImmediate(r));
    stop1.abort();
    expect((await r1).ok).toBe(false);
    expect(t.signals[0]?.aborted).toBe(false);
    expect(memo.inFlight).toBe(1);
    stop2.abort();
    expect((await r2).errors[0]?.kind).toBe("cancelled");
    expect(t.signals[0]?.aborted).toBe(true);
    // Nobody had it: the next plan starts it afresh.
    const r3 = run(plan, { tools: memo.tools });
    await t.started(2);
    t.gate("x").resolve("X");
    expect((await r3).value).toBe("X");
    expect(t.calls).toEqual(["x", "x"]);
    expect(records.length).toBe(2);
  });

  it("aborts every real call when the ask's signal aborts", async () => {
    const t = gatedTool();
    const ask = new AbortController();
    const { memo } = memoOf([t.tool], ask.signal);
    const r = run('$a = lookup("x")\n$b = lookup("y")\nreturn [$a, $b]', {
      tools: memo.tools,
      signal: ask.signal,
    });
    await t.started(2);
    ask.abort();
    expect((await r).ok).toBe(false);
    expect(t.signals.every((s) => s.aborted)).toBe(true);
    expect(memo.inFlight).toBe(0);
  });

  it("runs calls whose parsed arguments have no JSON form every time", async () => {
    let n = 0;
    const tool = defineTool({
      name: "tags",
      input: z.object({ items: z.array(z.string()).transform((a) => new Set(a)) }),
      run: ({ items }) => (n++, items.size),
    });
    const { memo, records } = memoOf([tool]);
    const r = await run('$a = tags(["a", "b"])\n$b = tags(["a", "b"])\nreturn [$a, $b]', {
      tools: memo.tools,
    });
    expect(r.value).toEqual([2, 2]);
    expect(n).toBe(2);
    expect(records.length).toBe(2);
  });

  it("does not leave a rejection unhandled when the only waiter let go of a failing call", async () => {
    const gate = deferred<string>();
    const tool = defineTool({
      name: "slow",
      input: z.object({}),
      run: async () => {
        await gate.promise.catch(() => undefined);
        throw new Error("late failure");
      },
    });
    const { memo, records } = memoOf([tool]);
    const stop = new AbortController();
    const r = run("slow()", { tools: memo.tools, signal: stop.signal });
    await new Promise((res) => setImmediate(res));
    stop.abort();
    await r;
    gate.resolve("go");
    await new Promise((res) => setImmediate(res));
    expect(records[0]?.ok).toBe(false);
    expect(records[0]?.error).toBe("late failure");
  });

  it("holds the concurrency cap across plans; a queued call is joined, and dropped when nobody waits", async () => {
    const t = gatedTool();
    const { memo, records } = memoOf([t.tool], undefined, 1);
    const r1 = run('$a = lookup("x")\nreturn $a', { tools: memo.tools });
    await t.started(1);
    const r2 = run('$b = lookup("y")\nreturn $b', { tools: memo.tools });
    const r3 = run('$c = lookup("y")\nreturn $c', { tools: memo.tools });
    const stop = new AbortController();
    const r4 = run('$d = lookup("z")\nreturn $d', { tools: memo.tools, signal: stop.signal });
    await new Promise((r) => setImmediate(r));
    expect(t.calls).toEqual(["x"]);
    expect(memo.inFlight).toBe(3);
    // Nobody else wants z: it leaves the queue without ever running.
    stop.abort();
    expect((await r4).ok).toBe(false);
    expect(memo.inFlight).toBe(2);
    t.gate("x").resolve("X");
    await t.started(2);
    expect(t.calls).toEqual(["x", "y"]);
    t.gate("y").resolve("Y");
    expect([(await r1).value, (await r2).value, (await r3).value]).toEqual(["X", "Y", "Y"]);
    expect(records.map((r) => r.args)).toEqual([{ q: "x" }, { q: "y" }]);
    expect(records[1]?.start).toBeGreaterThanOrEqual(records[0]?.end ?? Infinity);
  });

  it("holds a tool's own concurrency across plans", async () => {
    const t = gatedTool();
    const capped = { ...t.tool, concurrency: 1 } as AnyTool;
    const { memo } = memoOf([capped]);
    const r1 = run('$a = lookup("x")\nreturn $a', { tools: memo.tools });
    const r2 = run('$b = lookup("y")\nreturn $b', { tools: memo.tools });
    await t.started(1);
    await new Promise((r) => setImmediate(r));
    expect(t.calls).toEqual(["x"]);
    t.gate("x").resolve("X");
    await t.started(2);
    t.gate("y").resolve("Y");
    expect([(await r1).value, (await r2).value]).toEqual(["X", "Y"]);
  });
});

// ## A plan's own statements: two statements are two calls
describe("memo.forPlan", () => {
  /** A counter tool: each real call answers the next number, counted by argument. */
  function counter(name: string, flags: Partial<AnyTool> = {}) {
    const calls: string[] = [];
    const tool = {
      ...defineTool({
        name,
        input: z.object({ q: z.string() }),
        run: async ({ q }) => {
          const n = calls.push(q);
          await new Promise((r) => setImmediate(r));
          return n;
        },
      }),
      ...flags,
    } as AnyTool;
    return { tool, calls };
  }

  /** Compiles the plan with the real tools and runs it over the memo's view of it. */
  async function runPlan(memo: CallMemo, tools: AnyTool[], text: string) {
    const compiled = compile(text, { tools: toolSet(tools) });
    expect(compiled.diagnostics).toEqual([]);
    const graph = compiled.graph!;
    return runGraph(graph, { tools: memo.forPlan(graph), keepGoing: true });
  }

  it("runs two identical statements of one plan twice, as run() does (effects, clocks)", async () => {
    const write = counter("write", { effect: true });
    const now = counter("now");
    const tools = [write.tool, now.tool];
    const { memo, records } = memoOf(tools);
    const plan = 'write("x")\nwrite("x")\n$a = now("t")\n$b = now("t")\nreturn [$a, $b]';
    const r = await runPlan(memo, tools, plan);
    expect(write.calls).toEqual(["x", "x"]);
    expect(now.calls).toEqual(["t", "t"]);
    expect(new Set(r.value as number[]).size).toBe(2);
    expect(records).toHaveLength(4);
  });

  it("reuses each statement's call in the next plan (a stream prefix, a repair), one for one", async () => {
    const write = counter("write", { effect: true });
    const tools = [write.tool];
    const { memo } = memoOf(tools);
    await runPlan(memo, tools, 'write("x")\n');
    await runPlan(memo, tools, 'write("x")\nwrite("x")\n');
    expect(write.calls).toEqual(["x", "x"]);
    // The same two statements again, bound and renamed by a repair: no new call.
    const r = await runPlan(
      memo,
      tools,
      '$first = write("x")\n$second = write("x")\nreturn [$first, $second]',
    );
    expect(write.calls).toEqual(["x", "x"]);
    expect(r.value).toEqual([1, 2]);
  });

  it("merges identical calls of a pure tool freely", async () => {
    const lookup = counter("lookup", { pure: true });
    const tools = [lookup.tool];
    const { memo } = memoOf(tools);
    // Not merged by the compiler here: `$a` and `$b` are used by a statement each.
    await runPlan(memo, tools, '$a = lookup("x")\nreturn $a');
    const r = await runPlan(memo, tools, '$a = lookup("x")\n$b = lookup("x")\nreturn [$a, $b]');
    expect(lookup.calls).toEqual(["x"]);
    expect(r.value).toEqual([1, 1]);
  });

  it("keeps apart statements that look different but make the same call, and each elements", async () => {
    const write = counter("write", { effect: true });
    const name = defineTool({
      name: "name",
      input: z.object({}),
      run: () => "x",
    });
    const tools = [write.tool, name];
    const { memo } = memoOf(tools);
    const plan =
      '$n = name()\nwrite($n)\nwrite("x")\n$all = each $q in ["y", "y"]: write($q)\nreturn $all';
    await runPlan(memo, tools, plan);
    expect(write.calls.sort()).toEqual(["x", "x", "y", "y"]);
    // The same plan again reuses all four.
    await runPlan(memo, tools, plan);
    expect(write.calls).toHaveLength(4);
  });
});
