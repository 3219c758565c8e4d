// Bugs found in review, one describe each: what the reviewer saw, pinned down.
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  defineTool,
  PermanentError,
  type AnyTool,
  type ToolContext,
} from "../src/compiler/tool.js";
import { run } from "../src/runtime/run.js";
import type { RunOptions, RunResult } from "../src/runtime/types.js";

const dir = mkdtempSync(join(tmpdir(), "weft-regressions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let journals = 0;
const journalPath = () => join(dir, `j${++journals}.jsonl`);

function tool(
  name: string,
  impl: (args: { x?: unknown }, ctx: ToolContext) => unknown,
  extra: Partial<AnyTool> = {},
): AnyTool {
  return defineTool({ name, input: z.object({ x: z.unknown().optional() }), run: impl, ...extra });
}

// Journal writes that take `ms` (Infinity: until the test ends), as on a
// slow or hung network disk: FileHandle#datasync is made to wait.
const pendingSyncs: (() => void)[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const resolve of pendingSyncs.splice(0)) resolve();
});

async function slowDatasync(ms: number): Promise<void> {
  const probe = await open(join(dir, "probe"), "w");
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
  await probe.close();
  vi.spyOn(proto, "datasync").mockImplementation(
    () =>
      new Promise<void>((resolve) => {
        pendingSyncs.push(resolve);
        if (ms !== Infinity) setTimeout(resolve, ms);
      }),
  );
}

const statuses = (r: RunResult) => Object.fromEntries(r.trace.nodes.map((n) => [n.id, n.status]));
const messages = (r: RunResult) => r.errors.map((e) => `${e.kind}: ${e.message}`);

describe("the journal keys a call by its evaluated arguments, not what zod made of them", () => {
  it("two calls whose arguments a transform turns into Sets are not the same call", async () => {
    const calls: number[][] = [];
    const set = defineTool({
      name: "set",
      input: z.object({ xs: z.array(z.number()).transform((a) => new Set(a)) }),
      run: ({ xs }) => {
        calls.push([...xs]);
        return [...xs];
      },
    });
    const journal = journalPath();
    const first = await run("$a = set(xs: [1, 2])\nreturn $a\n", { tools: [set], journal });
    const second = await run("$a = set(xs: [7, 8, 9])\nreturn $a\n", { tools: [set], journal });
    expect(first.value).toEqual([1, 2]);
    expect(second.value).toEqual([7, 8, 9]);
    expect(second.trace.nodes[0]?.fromJournal).toBeUndefined();
    expect(calls).toEqual([
      [1, 2],
      [7, 8, 9],
    ]);
    // The same arguments again: reused.
    const third = await run("$a = set(xs: [7, 8, 9])\nreturn $a\n", { tools: [set], journal });
    expect(third.value).toEqual([7, 8, 9]);
    expect(third.trace.nodes[0]?.fromJournal).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it("a transform to BigInt runs and is journaled (run() does not reject)", async () => {
    const big = defineTool({
      name: "big",
      input: z.object({ n: z.number().transform((n) => BigInt(n)) }),
      run: ({ n }) => Number(n * 2n),
    });
    const journal = journalPath();
    const first = await run("$a = big(n: 21)\nreturn $a\n", { tools: [big], journal });
    expect(first).toMatchObject({ ok: true, value: 42, errors: [] });
    const again = await run("$a = big(n: 21)\nreturn $a\n", { tools: [big], journal });
    expect(again).toMatchObject({ ok: true, value: 42 });
    expect(again.trace.nodes[0]?.fromJournal).toBe(true);
  });

  it("arguments with no JSON form fail that call as a journal error", async () => {
    const echo = tool("echo", ({ x }) => String(x));
    const text = "input $v: any\n$a = echo($v)\n$b = echo(1)\nreturn $a\n";
    for (const [v, what] of [
      [10n, "a BigInt (at `x`)"],
      [{ s: new Set([1]) }, "a Set (at `s`)"],
      [new Map(), "a Map (at `x`)"],
      [NaN, "the number NaN (at `x`)"],
      [() => 1, "a function (at `x`)"],
    ] as const) {
      const r = await run(text, {
        tools: [echo],
        journal: journalPath(),
        inputs: { v },
        keepGoing: true,
      });
      expect(messages(r)).toEqual([
        `journal: line 2 ($a = echo): cannot journal the call: ${what} has no JSON form to key the journal with`,
      ]);
      expect(statuses(r)).toEqual({ n1: "failed", n2: "ok" });
    }
    // Without a journal nothing needs a key: the same input runs.
    const r = await run(text, { tools: [echo], inputs: { v: 10n } });
    expect(r).toMatchObject({ ok: true, value: "10" });
  });
});

describe("a result is its JSON form, live exactly as replayed from the journal", () => {
  const now = tool("now", () => ({
    d: new Date(0),
    u: undefined,
    n: NaN,
    inf: -Infinity,
    z: -0,
    f: () => 1,
    list: [undefined, new Date(1000)],
  }));
  const echo = tool("echo", ({ x }) => x);

  it("Dates become strings, undefined members go, NaN becomes null", async () => {
    const r = await run("$a = now()\nreturn $a\n", { tools: [now] });
    const expected = {
      d: "1970-01-01T00:00:00.000Z",
      n: null,
      inf: null,
      z: 0,
      list: [null, "1970-01-01T00:00:01.000Z"],
    };
    expect(r.results["n1"]).toStrictEqual(expected);
    expect(r.value).toStrictEqual(expected);
    expect(Object.is((r.results["n1"] as { z: number }).z, 0)).toBe(true);
  });

  it("top-level numbers that JSON cannot hold", async () => {
    const nan = tool("nan", () => NaN);
    const negZero = tool("negZero", () => -0);
    const r = await run("$a = nan()\n$b = negZero()\nreturn [$a, $b]\n", { tools: [nan, negZero] });
    expect(r.results["n1"]).toBeNull();
    expect(Object.is(r.results["n2"], 0)).toBe(true);
  });

  it("a plan that works live works on replay, with the same value and the same errors", async () => {
    for (const text of [
      '$a = now()\n$b = echo("d=$a.d n=$a.n")\nreturn $b\n',
      '$a = now()\n$b = echo("u=$a.u")\nreturn $b\n',
    ]) {
      const journal = journalPath();
      const plain = await run(text, { tools: [now, echo] });
      const live = await run(text, { tools: [now, echo], journal });
      const replayed = await run(text, { tools: [now, echo], journal });
      expect(replayed.trace.nodes[0]?.fromJournal).toBe(true);
      for (const r of [live, replayed]) {
        expect(r.value).toEqual(plain.value);
        expect(messages(r)).toEqual(messages(plain));
      }
    }
    const ok = await run('$a = now()\nreturn "d=$a.d n=$a.n"\n', { tools: [now] });
    expect(ok.value).toBe("d=1970-01-01T00:00:00.000Z n=null");
    const missing = await run('$a = now()\nreturn "u=$a.u"\n', { tools: [now] });
    expect(messages(missing)).toEqual([
      "type: the plan's result: no field `u` in `$a` (an object with fields `d`, `n`, `inf`, `z`, `list`)",
    ]);
  });

  it("a tool that changes its result after returning it does not change the run's", async () => {
    const kept = { n: 1 };
    const sneaky = tool("sneaky", () => {
      setTimeout(() => (kept.n = 2), 0);
      return Promise.resolve(kept);
    });
    const slow = tool("slow", ({ x }) => new Promise((r) => setTimeout(() => r(x), 20)));
    const r = await run("$a = sneaky()\n$b = slow($a)\nreturn $b\n", { tools: [sneaky, slow] });
    expect(kept.n).toBe(2);
    expect(r.value).toEqual({ n: 1 });
  });
});

describe("timeouts longer than a timer can wait are refused", () => {
  const slow = tool("slow", () => new Promise((r) => setTimeout(() => r("done"), 20)));
  const limit =
    "a positive number of milliseconds, at most 2147483647 (about 24.8 days), or Infinity for none";

  it("timeoutMs, callTimeoutMs and a tool's timeoutMs over 2^31 - 1 are input errors", async () => {
    const r = await run("$a = slow()\nreturn $a\n", {
      tools: [{ ...slow, timeoutMs: 2 ** 40 }],
      timeoutMs: 2 ** 31,
      callTimeoutMs: 1e10,
    });
    expect(messages(r)).toEqual([
      `input: option \`timeoutMs\` must be ${limit}, but it is 2147483648`,
      `input: option \`callTimeoutMs\` must be ${limit}, but it is 10000000000`,
      `input: tool \`slow\`: \`timeoutMs\` must be ${limit}, but it is 1099511627776`,
    ]);
    expect(statuses(r)).toEqual({ n1: "skipped" });
  });

  it("2^31 - 1 itself is a deadline that does not fire at once", async () => {
    const r = await run("$a = slow()\nreturn $a\n", {
      tools: [slow],
      timeoutMs: 2 ** 31 - 1,
      callTimeoutMs: 2 ** 31 - 1,
    });
    expect(r).toMatchObject({ ok: true, value: "done", errors: [] });
  });
});

describe("a tool named like an Object.prototype member keeps its caps", () => {
  for (const name of ["toString", "constructor", "hasOwnProperty", "__proto__"]) {
    it(`\`${name}\``, async () => {
      let inFlight = 0;
      let max = 0;
      const t = tool(name, ({ x }) => {
        max = Math.max(max, ++inFlight);
        return new Promise((r) =>
          setTimeout(() => {
            inFlight--;
            r(x);
          }, 5),
        );
      });
      const text = `$a = ${name}(1)\n$b = ${name}(2)\n$c = ${name}(3)\nreturn [$a, $b, $c]\n`;
      // The tool's own cap, with an unrelated per-tool cap given.
      const own = await run(text, {
        tools: [{ ...t, concurrency: 1 }],
        toolConcurrency: { other: 5 },
      });
      expect(own.value).toEqual([1, 2, 3]);
      expect(max).toBe(1);
      max = 0;
      // A cap given for this very name.
      const caps = Object.defineProperty({}, name, { value: 2, enumerable: true });
      const given = await run(text, {
        tools: [t],
        toolConcurrency: caps as Record<string, number>,
      });
      expect(given.errors).toEqual([]);
      expect(max).toBe(2);
    });
  }
});

describe("a timed-out attempt that runs on keeps its place under the caps", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A tool whose attempts ignore their signal and take `ms(attempt, x)`; records what overlapped. */
  function deaf(ms: (attempt: number, x: unknown) => number, extra: Partial<AnyTool>) {
    const log = { inFlight: 0, max: 0, starts: [] as [unknown, number][] };
    const t = tool(
      "api",
      ({ x }, ctx) => {
        log.starts.push([x, Date.now()]);
        log.max = Math.max(log.max, ++log.inFlight);
        return new Promise((r) =>
          setTimeout(
            () => {
              log.inFlight--;
              r(`${String(x)}#${ctx.attempt}`);
            },
            ms(ctx.attempt, x),
          ),
        );
      },
      { concurrency: 1, ...extra },
    );
    return { t, log };
  }

  async function settle(text: string, options: RunOptions): Promise<RunResult> {
    vi.useFakeTimers({ now: 0 });
    let result: RunResult | undefined;
    const done = run(text, options).then((r) => (result = r));
    for (let t = 0; t <= 20_000 && result === undefined; t += 5)
      await vi.advanceTimersByTimeAsync(5);
    await done;
    return result as RunResult;
  }

  /** `api(1)` retried once after a timeout, its first attempt deaf and taking `firstMs`. */
  async function retryAfterDeaf(firstMs: number, timeoutMs: number) {
    const { t, log } = deaf((a) => (a === 1 ? firstMs : 10), {
      timeoutMs,
      retries: 1,
      retryDelayMs: 10,
    });
    const r = await settle("$a = api(1)\nreturn $a\n", { tools: [t] });
    return { r, log };
  }

  it("a retry waits until the abandoned attempt settles", async () => {
    // Timed out at 200; the first attempt runs on to 300 (within the grace of 200).
    const { r, log } = await retryAfterDeaf(300, 200);
    expect(r.value).toBe("1#2");
    expect(log.max).toBe(1);
    expect(log.starts).toEqual([
      [1, 0],
      [1, 300],
    ]);
  });

  it("a retry waits at most min(timeout, 1 s) for an attempt that never settles", async () => {
    const { r, log } = await retryAfterDeaf(1e9, 200);
    expect(r.value).toBe("1#2");
    expect(log.starts).toEqual([
      [1, 0],
      [1, 400],
    ]);
  });

  it("the grace period is at most 1 s, whatever the timeout", async () => {
    const { r, log } = await retryAfterDeaf(1e9, 5000);
    expect(r.value).toBe("1#2");
    expect(log.starts).toEqual([
      [1, 0],
      [1, 6000],
    ]);
  });

  it("a tool that honours its signal is retried after the backoff alone", async () => {
    const starts: number[] = [];
    const polite = tool(
      "api",
      (_, ctx) => {
        starts.push(Date.now());
        if (ctx.attempt > 1) return "ok";
        return new Promise((_r, reject) =>
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error)),
        );
      },
      { concurrency: 1, timeoutMs: 200, retries: 1, retryDelayMs: 20 },
    );
    const r = await settle("$a = api(1)\nreturn $a\n", { tools: [polite] });
    expect(r.value).toBe("ok");
    expect(starts[1]).toBeGreaterThanOrEqual(210);
    expect(starts[1]).toBeLessThanOrEqual(220);
  });

  it("after a final timeout, the next queued call waits for the abandoned attempt (keepGoing)", async () => {
    const { t, log } = deaf((_, x) => (x === 1 ? 300 : 10), { timeoutMs: 200 });
    const text = "$a = api(1)\n$b = api(2)\nreturn $b\n";
    const r = await settle(text, { tools: [t], keepGoing: true });
    expect(statuses(r)).toEqual({ n1: "failed", n2: "ok" });
    expect(log.max).toBe(1);
    // `$b` would have run at 200, beside the first call.
    expect(log.starts).toEqual([
      [1, 0],
      [2, 300],
    ]);
  });

  it("the global cap counts abandoned attempts too", async () => {
    const { t, log } = deaf(() => 300, { timeoutMs: 200, concurrency: Infinity });
    const other = tool("other", () => {
      log.starts.push(["other", Date.now()]);
      return "o";
    });
    const r = await settle("$a = api(1)\n$b = other()\nreturn $b\n", {
      tools: [t, other],
      keepGoing: true,
      concurrency: 1,
    });
    expect(statuses(r)).toEqual({ n1: "failed", n2: "ok" });
    expect(log.starts).toEqual([
      [1, 0],
      ["other", 300],
    ]);
  });
});

describe("fail-fast keeps every finished result", () => {
  it("a synchronous result waiting in its batch is kept, not cancelled", async () => {
    const bad = tool("bad", () => {
      throw new PermanentError("no");
    });
    const good = tool("good", ({ x }) => ({ got: x }));
    const events: string[] = [];
    const r = await run("$a = bad(1)\n$b = good(2)\n$c = good(3)\nreturn $b\n", {
      tools: [bad, good],
      onEvent: (e) => events.push(`${e.type} ${e.node.id}`),
    });
    expect(messages(r)).toEqual(["tool: line 1 ($a = bad): no"]);
    expect(statuses(r)).toEqual({ n1: "failed", n2: "ok", n3: "ok" });
    expect(r.results).toEqual({ n2: { got: 2 }, n3: { got: 3 } });
    expect(r.value).toEqual({ got: 2 });
    expect(events.filter((e) => e.startsWith("cancelled"))).toEqual([]);
  });

  it("a failed synchronous call in the same batch is still cancelled, as an async one would be", async () => {
    const bad = tool("bad", () => {
      throw new PermanentError("no");
    });
    const r = await run("$a = bad(1)\n$b = bad(2)\n", { tools: [bad] });
    expect(messages(r)).toEqual(["tool: line 1 ($a = bad): no"]);
    expect(statuses(r)).toEqual({ n1: "failed", n2: "cancelled" });
  });

  it("a result being written to the journal is kept", async () => {
    // The write takes 50 ms; the other call fails at 5 ms, in the middle of it.
    await slowDatasync(50);
    const bad = tool(
      "bad",
      () => new Promise((_r, reject) => setTimeout(() => reject(new PermanentError("no")), 5)),
    );
    const good = tool("good", ({ x }) => x);
    const r = await run("$a = good(1)\n$b = bad(2)\n", {
      tools: [bad, good],
      journal: journalPath(),
    });
    expect(messages(r)).toEqual(["tool: line 2 ($b = bad): no"]);
    expect(statuses(r)).toEqual({ n1: "ok", n2: "failed" });
    expect(r.results).toEqual({ n1: 1 });
  });
});

describe("a journal that hangs does not hold the run past its deadline", () => {
  const hangDatasync = () => slowDatasync(Infinity);

  /** The run's result, or "hung" when it is not back `ms` after the start. */
  function within(ms: number, running: Promise<RunResult>): Promise<RunResult | "hung"> {
    return Promise.race([running, new Promise<"hung">((r) => setTimeout(() => r("hung"), ms))]);
  }

  it("the deadline cancels a call waiting for its journal write; closing gives up soon after", async () => {
    await hangDatasync();
    const journal = journalPath();
    const echo = tool("echo", ({ x }) => x);
    const t0 = performance.now();
    const r = await within(
      2000,
      run("$a = echo(1)\nreturn $a\n", { tools: [echo], journal, timeoutMs: 100 }),
    );
    const took = performance.now() - t0;
    expect(r).not.toBe("hung");
    const result = r as RunResult;
    expect(messages(result)).toEqual([
      "cancelled: the run exceeded its deadline of 100 ms (timeoutMs)",
      `journal: journal ${journal} did not close in time: a write is stuck, so its last records may not be on disk`,
    ]);
    expect(statuses(result)).toEqual({ n1: "cancelled" });
    expect(took).toBeGreaterThanOrEqual(100);
    expect(took).toBeLessThan(600);
  });

  it("a cancelled signal does too", async () => {
    await hangDatasync();
    const echo = tool("echo", ({ x }) => x);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const r = await within(
      2000,
      run("$a = echo(1)\n", { tools: [echo], journal: journalPath(), signal: controller.signal }),
    );
    expect(r).not.toBe("hung");
    expect((r as RunResult).errors.map((e) => e.kind)).toEqual(["cancelled", "journal"]);
  });

  it("after fail-fast kept a call waiting for the journal, the deadline still ends the run", async () => {
    await hangDatasync();
    const good = tool("good", ({ x }) => x);
    const bad = tool(
      "bad",
      () => new Promise((_r, reject) => setTimeout(() => reject(new PermanentError("no")), 5)),
    );
    const r = await within(
      2000,
      run("$a = good(1)\n$b = bad(2)\n", {
        tools: [good, bad],
        journal: journalPath(),
        timeoutMs: 100,
      }),
    );
    expect(r).not.toBe("hung");
    const result = r as RunResult;
    expect(result.errors.map((e) => e.kind)).toEqual(["tool", "cancelled", "journal"]);
    expect(statuses(result)).toEqual({ n1: "cancelled", n2: "failed" });
  });
});
