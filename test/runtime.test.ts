// The runtime by example: one test per feature, on plans as people write them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { compile } from "../src/compiler/compile.js";
import type { PlanGraph, PlanNode } from "../src/compiler/ir.js";
import { PermanentError, defineTool, type AnyTool } from "../src/compiler/tool.js";
import * as weft from "../src/index.js";
import { run, runGraph } from "../src/runtime/run.js";
import type { RunEvent, RunResult } from "../src/runtime/types.js";

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function deferred<T = unknown>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A tool `name(x)` that records its calls and returns what `impl` does (default: x). */
function recorder(
  name: string,
  impl: (x: unknown, ctx: weft.ToolContext) => unknown = (x) => x,
  extra: Partial<AnyTool> = {},
) {
  const calls: unknown[] = [];
  const tool = defineTool({
    name,
    input: z.object({ x: z.unknown() }),
    run: (args, ctx) => {
      calls.push(args.x);
      return impl(args.x, ctx) as never;
    },
    ...extra,
  });
  return { tool, calls };
}

/** A tool that echoes its `x` argument. */
const echo = recorder("echo").tool;

/** The run failed with this one error (its other fields, such as `node`, not checked). */
function expectOnlyError(result: RunResult, kind: string, message: string): void {
  expect(result.errors).toEqual([expect.objectContaining({ kind, message })]);
}

function statuses(result: RunResult): Record<string, string> {
  return Object.fromEntries(result.trace.nodes.map((n) => [n.id, n.status]));
}

describe("scheduling", () => {
  it("starts independent calls together, before either finishes", async () => {
    const started: string[] = [];
    const gates = new Map<string, Deferred<string>>();
    const slow = defineTool({
      name: "slow",
      input: z.object({ x: z.string() }),
      run: ({ x }) => {
        started.push(x);
        const d = deferred<string>();
        gates.set(x, d);
        return d.promise;
      },
    });
    const done = run('$a = slow("a")\n$b = slow("b")\n$c = slow("$a$b")\nreturn $c\n', {
      tools: [slow],
    });
    await tick();
    expect(started).toEqual(["a", "b"]);
    gates.get("b")?.resolve("B");
    await tick();
    expect(started).toEqual(["a", "b"]);
    gates.get("a")?.resolve("A");
    await tick();
    expect(started).toEqual(["a", "b", "AB"]);
    gates.get("AB")?.resolve("done");
    const result = await done;
    expect(result.ok).toBe(true);
    expect(result.value).toBe("done");
    expect(result.results).toEqual({ n1: "A", n2: "B", n3: "done" });
  });

  it("starts a dependent in the completion callback, not on a later poll", async () => {
    const order: string[] = [];
    const t = defineTool({
      name: "t",
      input: z.object({ x: z.string() }),
      run: async ({ x }) => {
        order.push(`start ${x}`);
        await Promise.resolve();
        order.push(`end ${x}`);
        return x;
      },
    });
    const result = await run('$a = t("a")\n$b = t("$a-b")\n$c = t("$b-c")\n', { tools: [t] });
    expect(result.ok).toBe(true);
    expect(order).toEqual(["start a", "end a", "start a-b", "end a-b", "start a-b-c", "end a-b-c"]);
    const [a, b, c] = result.trace.nodes;
    expect(b?.start).toBeGreaterThanOrEqual(a?.end ?? Infinity);
    expect(c?.start).toBeGreaterThanOrEqual(b?.end ?? Infinity);
  });

  it("never runs more calls than the global cap, and orders ready calls by longest remaining path", async () => {
    let inFlight = 0;
    let most = 0;
    const started: string[] = [];
    const t = defineTool({
      name: "t",
      input: z.object({ x: z.unknown() }),
      run: async ({ x }) => {
        started.push(String(x));
        most = Math.max(most, ++inFlight);
        await sleep(1);
        inFlight--;
        return x;
      },
    });
    // `short` ends the plan at once; `long` heads a chain of three more calls.
    const text = [
      '$short = t("short")',
      '$long = t("long")',
      '$l2 = t("$long 2")',
      '$l3 = t("$l2 3")',
      '$l4 = t("$l3 4")',
      "",
    ].join("\n");
    const result = await run(text, { tools: [t], concurrency: 1 });
    expect(result.ok).toBe(true);
    expect(most).toBe(1);
    // Once only `$l4` is left of the chain, its path is as short as `$short`'s: plan order breaks the tie.
    expect(started).toEqual(["long", "long 2", "long 2 3", "short", "long 2 3 4"]);
  });

  it("uses tools' latency hints for the critical path", async () => {
    const started: string[] = [];
    const mk = (name: string, latency: number) =>
      defineTool({
        name,
        latency,
        input: z.object({ x: z.unknown() }),
        run: async ({ x }) => {
          started.push(name);
          await tick();
          return x;
        },
      });
    const tools = [mk("fast", 1), mk("slow", 50), mk("after", 1)];
    // Both chains have two calls; the one through `slow` is longer by its hint.
    const text = "$a = fast(1)\n$b = after($a)\n$c = slow(1)\n$d = after($c)\n";
    const result = await run(text, { tools, concurrency: 1 });
    expect(result.ok).toBe(true);
    expect(started[0]).toBe("slow");
  });

  it("caps calls per tool (tool.concurrency and options.toolConcurrency) without holding back others", async () => {
    const inFlight: Record<string, number> = { a: 0, b: 0, c: 0 };
    const most: Record<string, number> = { a: 0, b: 0, c: 0 };
    const mk = (name: string, extra: Partial<AnyTool> = {}) =>
      defineTool({
        name,
        input: z.object({ x: z.unknown() }),
        run: async ({ x }) => {
          most[name] = Math.max(most[name] ?? 0, ++(inFlight[name] as number));
          await sleep(2);
          (inFlight[name] as number)--;
          return x;
        },
        ...extra,
      });
    const tools = [mk("a", { concurrency: 2 }), mk("b"), mk("c")];
    const lines: string[] = [];
    for (let i = 0; i < 6; i++)
      lines.push(`$a${i} = a(${i})`, `$b${i} = b(${i})`, `$c${i} = c(${i})`);
    const result = await run(lines.join("\n"), { tools, toolConcurrency: { b: 1 } });
    expect(result.ok).toBe(true);
    expect(most).toEqual({ a: 2, b: 1, c: 6 });
  });

  it("treats limits.maxInFlight as a hard cap whatever `concurrency` says", async () => {
    let inFlight = 0;
    let most = 0;
    const t = defineTool({
      name: "t",
      input: z.object({ x: z.unknown() }),
      run: async ({ x }) => {
        most = Math.max(most, ++inFlight);
        await sleep(1);
        inFlight--;
        return x;
      },
    });
    const text = Array.from({ length: 10 }, (_, i) => `$v${i} = t(${i})`).join("\n");
    const result = await run(text, { tools: [t], concurrency: 8, limits: { maxInFlight: 3 } });
    expect(result.ok).toBe(true);
    expect(most).toBe(3);
  });

  it("runs a long chain of synchronous tools without growing the stack", async () => {
    const n = 5000;
    const nodes: PlanNode[] = [];
    for (let i = 0; i < n; i++) {
      nodes.push({
        id: `n${i + 1}`,
        kind: "call",
        tool: "inc",
        args: {
          positional: [],
          named: {
            x:
              i === 0
                ? { kind: "literal", value: 0 }
                : { kind: "ref", source: "node", name: `n${i}`, path: [] },
          },
        },
        deps: i === 0 ? [] : [`n${i}`],
      });
    }
    const graph: PlanGraph = {
      version: 1,
      inputs: [],
      nodes,
      output: { kind: "ref", source: "node", name: `n${n}`, path: [] },
    };
    const inc = defineTool({
      name: "inc",
      input: z.object({ x: z.number() }),
      run: ({ x }) => x + 1,
    });
    const result = await run(graph, { tools: [inc] });
    expect(result.ok).toBe(true);
    expect(result.value).toBe(n);
  });
});

describe("values", () => {
  const search = defineTool({
    name: "search",
    input: z.object({ query: z.string(), limit: z.number().default(2) }),
    run: ({ query, limit }) => ({
      query,
      items: Array.from({ length: limit }, (_, i) => ({ title: `${query} #${i}`, rank: i })),
    }),
  });

  it("evaluates references with paths, templates, lists and objects", async () => {
    const text = [
      'input $topic: string = "weft"',
      "$r = search($topic, limit: 3)",
      "$e = echo({title: $r.items[1].title, ranks: [$r.items[0].rank, $r.items[2].rank], n: 2})",
      'return "top: $r.items[0].title; all: ${r.items[2]}; e: $e; n: $e.n"',
      "",
    ].join("\n");
    const result = await run(text, { tools: [search, echo] });
    expect(result.errors).toEqual([]);
    expect(result.results["n2"]).toEqual({ title: "weft #1", ranks: [0, 2], n: 2 });
    expect(result.value).toBe(
      'top: weft #0; all: {"title":"weft #2","rank":2}; e: {"title":"weft #1","ranks":[0,2],"n":2}; n: 2',
    );
  });

  it("applies schema defaults before the tool runs", async () => {
    const result = await run('return search("x")', { tools: [search] });
    expect(result.value).toEqual({
      query: "x",
      items: [
        { title: "x #0", rank: 0 },
        { title: "x #1", rank: 1 },
      ],
    });
  });

  it("maps positional arguments onto the input schema's keys at run time", async () => {
    const seen: unknown[] = [];
    const pair = defineTool({
      name: "pair",
      input: z.object({ first: z.string(), second: z.number() }),
      run: (args) => {
        seen.push(args);
        return "ok";
      },
    });
    // Compiled without tools, so the positional arguments stay positional in the graph.
    const { graph } = compile('$p = pair("a", 2)\n$q = pair("b", second: 3)\n');
    expect(graph?.nodes[0]?.kind === "call" && graph.nodes[0].args.positional.length).toBe(2);
    const result = await run(graph as PlanGraph, { tools: [pair] });
    expect(result.errors).toEqual([]);
    expect(seen).toEqual([
      { first: "a", second: 2 },
      { first: "b", second: 3 },
    ]);

    const tooMany = compile('$p = pair("a", 2, 3)\n').graph as PlanGraph;
    const bad = await run(tooMany, { tools: [pair] });
    expectOnlyError(
      bad,
      "validation",
      "line 1 ($p = pair): `pair` takes at most 2 arguments, but 3 were given",
    );
  });

  it("turns a missing field into a type error naming the plan line", async () => {
    const text = '$r = search("x")\n$t = echo($r.items[0].name)\n';
    const result = await run(text, { tools: [search, echo] });
    expect(result.ok).toBe(false);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({
      kind: "type",
      message:
        "line 2 ($t = echo): no field `name` in `$r.items[0]` (an object with fields `title`, `rank`)",
      node: { id: "n2", binding: "t", tool: "echo", line: 2 },
    });
    expect(statuses(result)).toEqual({ n1: "ok", n2: "failed" });
    expect(result.results).toEqual({ n1: expect.any(Object) });
  });

  it("reports an index out of range and field access on a non-object", async () => {
    const r1 = await run('$r = search("x", limit: 1)\nreturn echo($r.items[5])\n', {
      tools: [search, echo],
    });
    expect(r1.errors[0]?.message).toBe(
      "line 2 (echo): index [5] is out of range: `$r.items` is a list of 1",
    );
    const r2 = await run('$r = search("x")\nreturn echo($r.query.first)\n', {
      tools: [search, echo],
    });
    expect(r2.errors[0]?.message).toBe(
      'line 2 (echo): cannot read field `first` of `$r.query`: it is the string "x", not an object',
    );
  });

  it("turns undefined results into null", async () => {
    const nothing = defineTool({ name: "nothing", input: z.object({}), run: () => undefined });
    const result = await run("$n = nothing()\nreturn [$n]\n", { tools: [nothing] });
    expect(result.results).toEqual({ n1: null });
    expect(result.value).toEqual([null]);
  });

  it("gives the object of every binding when the plan has no return", async () => {
    const result = await run('$a = echo(1)\n$b = echo("two")\n$c = $b\n', { tools: [echo] });
    expect(result.value).toEqual({ a: 1, b: "two", c: "two" });
  });

  it("reports a failing output expression as a type error of the plan's result", async () => {
    const result = await run("$a = echo(1)\nreturn $a.x\n", { tools: [echo] });
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual([
      {
        kind: "type",
        message:
          "the plan's result: cannot read field `x` of `$a`: it is the number 1, not an object",
      },
    ]);
    expect(result.value).toBeUndefined();
    expect(result.results).toEqual({ n1: 1 });
  });
});

describe("each", () => {
  it("expands one child per element and returns results in list order", async () => {
    const slowEcho = defineTool({
      name: "slowEcho",
      input: z.object({ x: z.number() }),
      // Later elements finish first.
      run: async ({ x }) => {
        await sleep(20 - x * 5);
        return x * 10;
      },
    });
    const text = [
      "input $xs: list = [1, 2, 3]",
      "$m = each $x in $xs: slowEcho($x)",
      "return $m",
      "",
    ].join("\n");
    const result = await run(text, { tools: [slowEcho] });
    expect(result.errors).toEqual([]);
    expect(result.value).toEqual([10, 20, 30]);
    expect(result.results).toEqual({
      n1: [10, 20, 30],
      "n1.1[0]": 10,
      "n1.1[1]": 20,
      "n1.1[2]": 30,
    });
    const ends = ["n1.1[0]", "n1.1[1]", "n1.1[2]"].map(
      (id) => result.trace.nodes.find((n) => n.id === id)?.end ?? 0,
    );
    expect(ends[2]).toBeLessThan(ends[0] as number);
  });

  it("gives [] for an empty list without calling anything", async () => {
    const { tool, calls } = recorder("t");
    const result = await run("input $xs: list = []\n$m = each $x in $xs: t($x)\nreturn $m\n", {
      tools: [tool],
    });
    expect(result.value).toEqual([]);
    expect(calls).toEqual([]);
    expect(result.trace.nodes.map((n) => [n.id, n.kind, n.status])).toEqual([["n1", "each", "ok"]]);
  });

  it("runs a body of several calls per element, with body and outer references", async () => {
    const text = [
      'input $xs: list = ["a", "b"]',
      '$p = echo("pre")',
      '$m = each $x in $xs: echo([$x, echo("$x!"), $p])',
      "return $m",
      "",
    ].join("\n");
    const result = await run(text, { tools: [echo] });
    expect(result.errors).toEqual([]);
    expect(result.value).toEqual([
      ["a", "a!", "pre"],
      ["b", "b!", "pre"],
    ]);
    const children = result.trace.nodes.filter((n) => n.parent === "n2");
    expect(children.map((n) => [n.id, n.deps])).toEqual([
      ["n2.1[0]", ["n1"]],
      ["n2.2[0]", ["n1", "n2.1[0]"]],
      ["n2.1[1]", ["n1"]],
      ["n2.2[1]", ["n1", "n2.1[1]"]],
    ]);
  });

  it("maps values without calls: a body that is only an expression", async () => {
    const text = 'input $xs: list = [{"n": 1}, {"n": 2}]\n$ns = each $x in $xs: $x.n\nreturn $ns\n';
    const result = await run(text, { tools: [] });
    expect(result.value).toEqual([1, 2]);
  });

  it("fails with a type error naming the line when `over` is not a list", async () => {
    const text = 'input $xs: any = "abc"\n$m = each $x in $xs: echo($x)\n';
    const result = await run(text, { tools: [echo] });
    expectOnlyError(
      result,
      "type",
      'line 2 ($m = each $x): `each` needs a list, but `$xs` is the string "abc"',
    );
  });

  it("counts each children toward maxNodes", async () => {
    const text = "input $xs: list\n$m = each $x in $xs: echo($x)\n";
    const ok = await run(text, {
      tools: [echo],
      inputs: { xs: [1, 2, 3] },
      limits: { maxNodes: 4 },
    });
    expect(ok.ok).toBe(true);
    const over = await run(text, {
      tools: [echo],
      inputs: { xs: [1, 2, 3, 4] },
      limits: { maxNodes: 4 },
    });
    expectOnlyError(
      over,
      "limit",
      "line 2 ($m = each $x): `each` over 4 elements would add 4 calls to the run's 1 nodes, over the limit of 4 (limits.maxNodes)",
    );
  });
});

describe("tool calls", () => {
  it("validates arguments with the input schema: the message has zod's text and path", async () => {
    const count = defineTool({ name: "count", input: z.object({}), run: () => 3 });
    const search = defineTool({
      name: "search",
      input: z.object({ query: z.string(), limit: z.number().max(10).optional() }),
      run: () => [],
    });
    const result = await run("$n = count()\n$s = search(query: $n, limit: 20)\n", {
      tools: [count, search],
    });
    expect(result.errors).toEqual([
      {
        kind: "validation",
        message:
          "line 2 ($s = search): invalid arguments for `search`: `query`: Invalid input: expected string, received number; `limit`: Too big: expected number to be <=10",
        node: expect.objectContaining({ id: "n2", line: 2, tool: "search" }),
      },
    ]);
  });

  it("validates the output when the tool has an output schema, and uses the parsed value", async () => {
    const bad = defineTool({
      name: "bad",
      input: z.object({}),
      output: z.string(),
      run: () => 5 as unknown as string,
    });
    const trimmed = defineTool({
      name: "trimmed",
      input: z.object({}),
      output: z.string().trim(),
      run: () => "  x  ",
    });
    const r1 = await run("$b = bad()\n", { tools: [bad] });
    expect(r1.errors[0]).toMatchObject({
      kind: "validation",
      message:
        "line 1 ($b = bad): the result of `bad` does not match its output schema: Invalid input: expected string, received number",
    });
    const r2 = await run("return trimmed()\n", { tools: [trimmed] });
    expect(r2.value).toBe("x");
  });

  it("passes ctx with attempt and node to the tool", async () => {
    const seen: unknown[] = [];
    const t = defineTool({
      name: "t",
      input: z.object({}),
      run: (_args, ctx) => {
        seen.push({ attempt: ctx.attempt, node: ctx.node, aborted: ctx.signal.aborted });
        return 1;
      },
    });
    await run("\n$v = t()\n", { tools: [t] });
    expect(seen).toEqual([
      { attempt: 1, node: { id: "n1", binding: "v", line: 2 }, aborted: false },
    ]);
  });

  it("times a hanging call out, aborting its signal", async () => {
    let reason: unknown;
    const hang = defineTool({
      name: "hang",
      input: z.object({}),
      timeoutMs: 20,
      run: (_a, { signal }) =>
        new Promise(() => {
          signal.addEventListener("abort", () => (reason = signal.reason));
        }),
    });
    const result = await run("$h = hang()\n", { tools: [hang] });
    expectOnlyError(result, "timeout", "line 1 ($h = hang): timed out after 20 ms");
    expect(reason).toBeInstanceOf(Error);
    expect((reason as Error).name).toBe("TimeoutError");
  });

  it("uses options.callTimeoutMs when the tool sets no timeout", async () => {
    const hang = defineTool({
      name: "hang",
      input: z.object({}),
      run: () => new Promise(() => {}),
    });
    const result = await run("$h = hang()\n", { tools: [hang], callTimeoutMs: 15 });
    expect(result.errors[0]?.kind).toBe("timeout");
  });

  it("retries a failing call with backoff until it succeeds", async () => {
    let attempts = 0;
    const flaky = defineTool({
      name: "flaky",
      input: z.object({}),
      retries: 3,
      retryDelayMs: 2,
      run: (_a, ctx) => {
        attempts++;
        if (ctx.attempt < 3) throw new Error(`failure ${ctx.attempt}`);
        return "ok";
      },
    });
    const events: RunEvent[] = [];
    const result = await run("$f = flaky()\n", { tools: [flaky], onEvent: (e) => events.push(e) });
    expect(result.ok).toBe(true);
    expect(result.value).toEqual({ f: "ok" });
    expect(attempts).toBe(3);
    expect(result.trace.nodes[0]?.attempts).toBe(3);
    const retrying = events.filter((e) => e.type === "retrying");
    expect(retrying.map((e) => e.type === "retrying" && [e.attempt, e.error])).toEqual([
      [2, "failure 1"],
      [3, "failure 2"],
    ]);
    for (const e of retrying) {
      if (e.type !== "retrying") continue;
      // Equal jitter: between half and all of 2 ms * 2^(attempt-2).
      const full = 2 * 2 ** (e.attempt - 2);
      expect(e.delayMs).toBeGreaterThanOrEqual(Math.round(full / 2));
      expect(e.delayMs).toBeLessThanOrEqual(full);
    }
    expect(
      events.filter((e) => e.type === "started").map((e) => e.type === "started" && e.attempt),
    ).toEqual([1, 2, 3]);
  });

  it("retries per options.retries, and fails with the last error when attempts run out", async () => {
    let attempts = 0;
    const always = defineTool({
      name: "always",
      input: z.object({}),
      retryDelayMs: 1,
      run: () => {
        attempts++;
        return Promise.reject(new Error(`no ${attempts}`));
      },
    });
    const result = await run("$a = always()\n", { tools: [always], retries: 2 });
    expect(attempts).toBe(3);
    expectOnlyError(result, "tool", "line 1 ($a = always): no 3");
  });

  it("never retries a permanent error", async () => {
    let attempts = 0;
    const denied = defineTool({
      name: "denied",
      input: z.object({}),
      retries: 5,
      retryDelayMs: 1,
      run: () => {
        attempts++;
        throw new PermanentError("bad credentials");
      },
    });
    const marked = defineTool({
      name: "marked",
      input: z.object({}),
      retries: 5,
      retryDelayMs: 1,
      run: () => {
        attempts++;
        throw Object.assign(new Error("gone"), { permanent: true });
      },
    });
    const r1 = await run("$d = denied()\n", { tools: [denied] });
    expect(attempts).toBe(1);
    expect(r1.errors[0]?.message).toBe("line 1 ($d = denied): bad credentials");
    const r2 = await run("$m = marked()\n", { tools: [marked] });
    expect(attempts).toBe(2);
    expect(r2.trace.nodes[0]?.attempts).toBe(1);
  });

  it("limits the size of a result", async () => {
    const big = defineTool({ name: "big", input: z.object({}), run: () => "x".repeat(2000) });
    const result = await run("$b = big()\n", { tools: [big], limits: { maxResultBytes: 1024 } });
    expectOnlyError(
      result,
      "limit",
      "line 1 ($b = big): the result of `big` is 2.0 KiB or more as JSON, over the limit of 1.0 KiB (limits.maxResultBytes)",
    );
    const multi = defineTool({ name: "multi", input: z.object({}), run: () => ["é".repeat(400)] });
    const r2 = await run("$m = multi()\n", { tools: [multi], limits: { maxResultBytes: 800 } });
    expect(r2.errors[0]?.message).toContain("is 804 bytes as JSON");
  });

  it("rejects a result that is not JSON", async () => {
    const cyclic = defineTool({
      name: "cyclic",
      input: z.object({}),
      run: () => {
        const o: Record<string, unknown> = {};
        o["self"] = o;
        return o;
      },
    });
    const result = await run("$c = cyclic()\n", { tools: [cyclic] });
    expect(result.errors[0]?.kind).toBe("validation");
    expect(result.errors[0]?.message).toMatch(
      /^line 1 \(\$c = cyclic\): the result of `cyclic` is not JSON: /,
    );
  });
});

describe("failure policy", () => {
  it("fails fast: aborts in-flight siblings through their signals, skips the rest, keeps finished results", async () => {
    let siblingReason: unknown;
    const gate = deferred();
    const tools = [
      defineTool({ name: "ok", input: z.object({ x: z.unknown() }), run: ({ x }) => x }),
      defineTool({
        name: "boom",
        input: z.object({ x: z.unknown() }),
        run: async () => {
          await gate.promise;
          throw new Error("exploded");
        },
      }),
      defineTool({
        name: "wait",
        input: z.object({ x: z.unknown() }),
        run: (_a, { signal }) =>
          new Promise((_, reject) => {
            signal.addEventListener("abort", () => {
              siblingReason = signal.reason;
              reject(signal.reason);
            });
          }),
      }),
    ];
    const text = ["$a = ok(1)", "$b = boom($a)", "$c = wait($a)", "$d = ok($b)", ""].join("\n");
    const events: RunEvent[] = [];
    const done = run(text, { tools, onEvent: (e) => events.push(e) });
    await tick();
    gate.resolve(undefined);
    const result = await done;
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual([
      {
        kind: "tool",
        message: "line 2 ($b = boom): exploded",
        node: expect.objectContaining({ id: "n2", binding: "b", tool: "boom", line: 2 }),
      },
    ]);
    expect(statuses(result)).toEqual({ n1: "ok", n2: "failed", n3: "cancelled", n4: "skipped" });
    expect(result.results).toEqual({ n1: 1 });
    expect((siblingReason as Error).name).toBe("AbortError");
    expect(events.filter((e) => e.type === "cancelled").map((e) => e.node.id)).toEqual(["n3"]);
    expect(events.filter((e) => e.type === "skipped").map((e) => e.node.id)).toEqual(["n4"]);
  });

  it("fail-fast settles at once even when a sibling ignores its signal", async () => {
    const tools = [
      defineTool({ name: "boom", input: z.object({}), run: () => Promise.reject(new Error("x")) }),
      defineTool({ name: "deaf", input: z.object({}), run: () => new Promise(() => {}) }),
    ];
    const result = await run("$a = deaf()\n$b = boom()\n", { tools });
    expect(statuses(result)).toEqual({ n1: "cancelled", n2: "failed" });
  });

  it("keepGoing skips exactly the descendants of a failure and finishes everything else", async () => {
    const tools = [
      defineTool({ name: "ok", input: z.object({ x: z.unknown() }), run: ({ x }) => x }),
      defineTool({
        name: "boom",
        input: z.object({ x: z.unknown() }),
        run: () => Promise.reject(new Error("no")),
      }),
    ];
    const text = [
      "$a = ok(1)", // n1
      "$b = boom($a)", // n2 fails
      "$c = ok($b)", // n3 skipped
      "$d = ok([$c, $a])", // n4 skipped (through $c)
      "$e = ok($a)", // n5 runs
      "$f = ok($e)", // n6 runs
      "",
    ].join("\n");
    const events: RunEvent[] = [];
    const result = await run(text, { tools, keepGoing: true, onEvent: (e) => events.push(e) });
    expect(result.ok).toBe(false);
    expect(statuses(result)).toEqual({
      n1: "ok",
      n2: "failed",
      n3: "skipped",
      n4: "skipped",
      n5: "ok",
      n6: "ok",
    });
    expect(result.results).toEqual({ n1: 1, n5: 1, n6: 1 });
    expect(result.errors.map((e) => e.message)).toEqual(["line 2 ($b = boom): no"]);
    const skipped = events.filter((e) => e.type === "skipped");
    expect(skipped.map((e) => e.type === "skipped" && [e.node.id, e.reason])).toEqual([
      ["n3", "depends on n2, which failed"],
      ["n4", "depends on n2, which failed"],
    ]);
    expect(result.value).toBeUndefined();
  });

  it("keepGoing: a failing each child fails the each, its siblings still finish", async () => {
    const picky = defineTool({
      name: "picky",
      input: z.object({ x: z.number() }),
      run: ({ x }) => {
        if (x === 2) throw new Error("two");
        return x;
      },
    });
    const text =
      "input $xs: list = [1, 2, 3]\n$m = each $x in $xs: picky($x)\n$n = echo($m)\n$o = echo(1)\n";
    const result = await run(text, { tools: [picky, echo], keepGoing: true });
    expect(statuses(result)).toEqual({
      n1: "failed",
      "n1.1[0]": "ok",
      "n1.1[1]": "failed",
      "n1.1[2]": "ok",
      n2: "skipped",
      n3: "ok",
    });
    expect(result.errors).toEqual([
      {
        kind: "tool",
        message: "line 2 (picky in $m, element 1): two",
        node: expect.objectContaining({ id: "n1.1[1]", parent: "n1", index: 1, line: 2 }),
      },
    ]);
  });

  it("keepGoing: an each that failed early still spans the children that ran on", async () => {
    const t = defineTool({
      name: "t",
      input: z.object({ x: z.number() }),
      run: async ({ x }) => {
        if (x === 0) throw new Error("zero");
        await sleep(10);
        return x;
      },
    });
    const r = await run("input $xs: list = [0, 1]\n$m = each $x in $xs: t($x)\n", {
      tools: [t],
      keepGoing: true,
    });
    const [each, first, second] = r.trace.nodes;
    expect([each?.status, first?.status, second?.status]).toEqual(["failed", "failed", "ok"]);
    expect(each?.end).toBe(second?.end);
    expect(r.results).toEqual({ "n1.1[1]": 1 });
  });

  it("aborts the run through options.signal: running calls cancelled, the rest skipped", async () => {
    const controller = new AbortController();
    let toolSaw: unknown;
    const wait = defineTool({
      name: "wait",
      input: z.object({ x: z.unknown() }),
      run: (_a, { signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener("abort", () => {
            toolSaw = signal.reason;
            reject(new Error("aborted"));
          });
        }),
    });
    const done = run("$a = wait(1)\n$b = wait($a)\n", { tools: [wait], signal: controller.signal });
    await tick();
    controller.abort(new Error("user pressed ctrl-c"));
    const result = await done;
    expect(result.errors).toEqual([
      { kind: "cancelled", message: "the run was cancelled: user pressed ctrl-c" },
    ]);
    expect(statuses(result)).toEqual({ n1: "cancelled", n2: "skipped" });
    expect((toolSaw as Error).name).toBe("AbortError");
  });

  it("does not start anything when the signal is already aborted", async () => {
    const { tool, calls } = recorder("t");
    const result = await run("$a = t(1)\n", { tools: [tool], signal: AbortSignal.abort() });
    expect(calls).toEqual([]);
    expect(result.errors).toEqual([{ kind: "cancelled", message: "the run was cancelled" }]);
    expect(statuses(result)).toEqual({ n1: "skipped" });
  });

  it("enforces the run's deadline", async () => {
    const hang = defineTool({
      name: "hang",
      input: z.object({}),
      run: () => new Promise(() => {}),
    });
    const result = await run("$h = hang()\n", { tools: [hang], timeoutMs: 25 });
    expect(result.errors).toEqual([
      { kind: "cancelled", message: "the run exceeded its deadline of 25 ms (timeoutMs)" },
    ]);
    expect(statuses(result)).toEqual({ n1: "cancelled" });
  });
});

describe("inputs and options", () => {
  const text = 'input $name: string\ninput $n: number = 2\nreturn echo("$name x $n")\n';

  it("applies defaults and uses given inputs", async () => {
    const r = await run(text, { tools: [echo], inputs: { name: "a" } });
    expect(r.value).toBe("a x 2");
    const r2 = await run(text, { tools: [echo], inputs: { name: "a", n: 5 } });
    expect(r2.value).toBe("a x 5");
  });

  it("reports missing, ill-typed and unknown inputs before any call", async () => {
    const { tool, calls } = recorder("echo");
    const r = await run(text, { tools: [tool], inputs: { n: "three", nmae: 1 } });
    expect(calls).toEqual([]);
    expect(r.errors).toEqual([
      {
        kind: "input",
        input: "name",
        message: "missing required input `$name` (line 1): pass it in `inputs`",
      },
      {
        kind: "input",
        input: "n",
        message: 'input `$n` (line 2) must be a number, but it is the string "three"',
      },
      {
        kind: "input",
        message: "unknown input `$nmae`; did you mean `$name`? (declared: `$name`, `$n`)",
      },
    ]);
    expect(statuses(r)).toEqual({ n1: "skipped" });
  });

  it("rejects nonsensical options and tool settings", async () => {
    const zero = defineTool({ name: "zero", concurrency: 0, input: z.object({}), run: () => 1 });
    const r = await run("$z = zero()\n", { tools: [zero], concurrency: -1, retries: 1.5 });
    expect(r.errors.map((e) => e.message)).toEqual([
      "option `concurrency` must be a positive integer, but it is -1",
      "option `retries` must be a non-negative integer, but it is 1.5",
      "tool `zero`: `concurrency` must be a positive integer, but it is 0",
    ]);
  });

  it("refuses a plan over limits.maxNodes before starting anything", async () => {
    const { tool, calls } = recorder("t");
    const r = await run("$a = t(1)\n$b = t(2)\n$c = t(3)\n", {
      tools: [tool],
      limits: { maxNodes: 2 },
    });
    expect(calls).toEqual([]);
    expect(r.errors).toEqual([
      { kind: "limit", message: "the plan has 3 nodes, over the limit of 2 (limits.maxNodes)" },
    ]);
    expect(statuses(r)).toEqual({ n1: "skipped", n2: "skipped", n3: "skipped" });
  });

  it("reports tools that are not a list of tools", async () => {
    const r = await run("$a = t(1)\n", { tools: 42 as unknown as AnyTool[] });
    expect(r.errors).toEqual([
      { kind: "input", message: "option `tools` must be a list (or Map) of tool definitions" },
    ]);
  });

  it("reports plan text that does not compile, with diagnostics", async () => {
    const r = await run('$a = serch("x")\n', { tools: [echo], source: "p.plan" });
    expect(r.ok).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.kind).toBe("plan");
    expect(r.errors[0]?.message).toBe("p.plan:1:6: unknown tool `serch`");
    expect(r.errors[0]?.diagnostics?.map((d) => d.code)).toEqual(["C004"]);
    expect(r.trace).toEqual({ makespanMs: 0, nodes: [] });
  });

  it("validates a graph object first, and checks its tools exist", async () => {
    const cyclic = {
      version: 1,
      inputs: [],
      nodes: [
        { id: "a", kind: "call", tool: "echo", args: { positional: [], named: {} }, deps: ["b"] },
        { id: "b", kind: "call", tool: "echo", args: { positional: [], named: {} }, deps: ["a"] },
      ],
      output: { kind: "literal", value: null },
    };
    const r = await run(cyclic as unknown as PlanGraph, { tools: [echo] });
    expect(r.errors[0]?.kind).toBe("plan");
    expect(r.errors[0]?.diagnostics?.map((d) => d.code)).toEqual(["G004"]);

    const graph = compile('$a = serch("x")\n').graph as PlanGraph;
    const r2 = await run(graph, { tools: [echo] });
    expectOnlyError(r2, "plan", "plan:1:6: unknown tool `serch`");
    expect(statuses(r2)).toEqual({ n1: "skipped" });
  });
});

describe("events and trace", () => {
  it("emits queued, started and finished with monotonic timestamps", async () => {
    const events: RunEvent[] = [];
    const t = defineTool({
      name: "t",
      input: z.object({ x: z.unknown() }),
      run: async ({ x }) => {
        await sleep(2);
        return x;
      },
    });
    await run("$a = t(1)\n$b = t($a)\n", { tools: [t], onEvent: (e) => events.push(e) });
    expect(events.map((e) => `${e.type} ${e.node.id}`)).toEqual([
      "queued n1",
      "started n1",
      "finished n1",
      "queued n2",
      "started n2",
      "finished n2",
    ]);
    for (let i = 1; i < events.length; i++)
      expect(events[i]?.t).toBeGreaterThanOrEqual(events[i - 1]?.t ?? Infinity);
    const finished = events.find((e) => e.type === "finished");
    expect(finished?.type === "finished" && finished.durationMs).toBeGreaterThan(1);
  });

  it("survives a listener that throws", async () => {
    const r = await run("$a = echo(1)\n", {
      tools: [echo],
      onEvent: () => {
        throw new Error("listener bug");
      },
    });
    expect(r.ok).toBe(true);
  });

  it("builds the trace: one entry per node and per each child, with parent and the each's deps", async () => {
    const text = [
      '$a = echo(["x", "y"])',
      "$m = each $v in $a: echo($v)",
      "$n = echo($m)",
      "",
    ].join("\n");
    const r = await run(text, { tools: [echo] });
    const shape = r.trace.nodes.map(({ start, end, ...rest }) => {
      expect(start).toBeGreaterThanOrEqual(0);
      expect(end).toBeGreaterThanOrEqual(start as number);
      return rest;
    });
    expect(shape).toEqual([
      {
        id: "n1",
        kind: "call",
        binding: "a",
        tool: "echo",
        deps: [],
        status: "ok",
        attempts: 1,
        line: 1,
      },
      { id: "n2", kind: "each", binding: "m", deps: ["n1"], status: "ok", attempts: 1, line: 2 },
      {
        id: "n2.1[0]",
        kind: "call",
        tool: "echo",
        deps: ["n1"],
        status: "ok",
        attempts: 1,
        parent: "n2",
        line: 2,
      },
      {
        id: "n2.1[1]",
        kind: "call",
        tool: "echo",
        deps: ["n1"],
        status: "ok",
        attempts: 1,
        parent: "n2",
        line: 2,
      },
      {
        id: "n3",
        kind: "call",
        binding: "n",
        tool: "echo",
        deps: ["n2"],
        status: "ok",
        attempts: 1,
        line: 3,
      },
    ]);
    const byId = Object.fromEntries(r.trace.nodes.map((n) => [n.id, n]));
    // The each spans its children; its dependent starts after it ends.
    expect(byId["n2"]?.start).toBeLessThanOrEqual(byId["n2.1[0]"]?.start ?? -1);
    expect(byId["n2"]?.end).toBeGreaterThanOrEqual(byId["n2.1[1]"]?.end ?? Infinity);
    expect(byId["n3"]?.start).toBeGreaterThanOrEqual(byId["n2"]?.end ?? Infinity);
    expect(r.trace.makespanMs).toBe(byId["n3"]?.end);
  });

  it("leaves start and end out for nodes that never ran", async () => {
    const boom = defineTool({
      name: "boom",
      input: z.object({}),
      run: () => Promise.reject(new Error("x")),
    });
    const r = await run("$a = boom()\n$b = echo($a)\n", { tools: [boom, echo] });
    expect(r.trace.nodes[1]).toEqual({
      id: "n2",
      kind: "call",
      binding: "b",
      tool: "echo",
      deps: ["n1"],
      status: "skipped",
      attempts: 0,
      line: 2,
    });
  });
});

describe("journal", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-runtime-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("records finished calls and reuses them on the next run with the same journal", async () => {
    const path = join(dir, "a.jsonl");
    const { tool, calls } = recorder("t", (x) => ({ got: x }));
    const text = '$a = t(1)\n$b = t(1)\n$c = t("$a.got")\nreturn [$a, $b, $c]\n';
    const first = await run(text, { tools: [tool], journal: path });
    expect(first.ok).toBe(true);
    expect(calls).toEqual([1, 1, "1"]);

    const events: RunEvent[] = [];
    const second = await run(text, {
      tools: [tool],
      journal: path,
      onEvent: (e) => events.push(e),
    });
    expect(calls).toEqual([1, 1, "1"]);
    expect(second.value).toEqual(first.value);
    expect(second.trace.nodes.map((n) => n.fromJournal)).toEqual([true, true, true]);
    expect(events.map((e) => e.type === "finished" && e.fromJournal)).toEqual([true, true, true]);

    // A changed plan reuses only identical calls.
    const changed = '$a = t(1)\n$c = t("$a.got")\n$d = t(2)\n';
    const third = await run(changed, { tools: [tool], journal: path });
    expect(third.ok).toBe(true);
    expect(calls).toEqual([1, 1, "1", 2]);
  });

  it("reports a journal that cannot be opened", async () => {
    const r = await run("$a = echo(1)\n", {
      tools: [echo],
      journal: join(dir, "missing", "j.jsonl"),
    });
    expect(r.ok).toBe(false);
    expect(r.errors[0]?.kind).toBe("journal");
    expect(r.errors[0]?.message).toContain("missing");
  });
});

describe("API", () => {
  it("exports run, runGraph and the runtime types from the package entry", async () => {
    expect(weft.run).toBe(run);
    expect(weft.runGraph).toBe(runGraph);
    const r: weft.RunResult = await weft.run("return echo(1)\n", { tools: [echo] });
    expect(r.value).toBe(1);
  });
});
