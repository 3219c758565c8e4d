// Faults real tools have: they throw, reject, hang, are slow and then fine,
// ignore their abort signal, settle after they were given up on, or throw
// values that are not errors. Every run must settle with the fault reported.
// Timers are faked, so hangs and timeouts are deterministic and instant.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { defineTool, type AnyTool, type ToolContext } from "../src/compiler/tool.js";
import { run } from "../src/runtime/run.js";
import type { RunEvent, RunOptions, RunResult } from "../src/runtime/types.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function tool(
  name: string,
  impl: (args: { x?: unknown }, ctx: ToolContext) => unknown,
  extra: Partial<AnyTool> = {},
): AnyTool {
  return defineTool({ name, input: z.object({ x: z.unknown().optional() }), run: impl, ...extra });
}

/** Runs to the end, moving fake time on until the run settles. */
async function settle(
  text: string,
  options: RunOptions,
  stepMs = 10,
  maxMs = 60_000,
): Promise<RunResult> {
  let result: RunResult | undefined;
  const done = run(text, options).then((r) => (result = r));
  for (let t = 0; t <= maxMs && result === undefined; t += stepMs)
    await vi.advanceTimersByTimeAsync(stepMs);
  await done;
  return result as RunResult;
}

const statuses = (r: RunResult) => Object.fromEntries(r.trace.nodes.map((n) => [n.id, n.status]));

describe("tools that throw or reject", () => {
  it("a synchronous throw fails the node with its message", async () => {
    const r = await settle("$a = t()\n", {
      tools: [
        tool("t", () => {
          throw new TypeError("cannot read x of undefined");
        }),
      ],
    });
    expect(r.errors).toEqual([
      expect.objectContaining({
        kind: "tool",
        message: "line 1 ($a = t): cannot read x of undefined",
      }),
    ]);
  });

  it("a rejection fails the node with its message", async () => {
    const r = await settle("\n\n$b = t()\n", {
      tools: [tool("t", () => Promise.reject(new Error("503 service unavailable")))],
    });
    expect(r.errors[0]?.message).toBe("line 3 ($b = t): 503 service unavailable");
  });

  it("values that are not errors still give a readable message", async () => {
    const cases: [unknown, string][] = [
      ["just a string", "just a string"],
      [{ code: 42 }, '{"code":42}'],
      [undefined, "undefined"],
      [null, "null"],
      [new Error(""), "Error"],
    ];
    for (const [thrown, message] of cases) {
      const r = await settle("$a = t()\n", {
        tools: [tool("t", () => Promise.reject(thrown))],
      });
      expect(r.errors[0]?.message).toBe(`line 1 ($a = t): ${message}`);
    }
  });

  it("an error whose getters throw does not break the run", async () => {
    const hostile = new Proxy(new Error("x"), {
      get() {
        throw new Error("trap");
      },
    });
    const r = await settle("$a = t()\n", {
      tools: [tool("t", () => Promise.reject(hostile)), tool("u", () => 1)],
      retries: 1,
    });
    expect(r.ok).toBe(false);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.kind).toBe("tool");
  });

  it("a thenable whose `then` throws is a rejection", async () => {
    const r = await settle("$a = t()\n", {
      tools: [
        tool("t", () => ({
          then() {
            throw new Error("bad thenable");
          },
        })),
      ],
    });
    expect(r.errors[0]?.message).toBe("line 1 ($a = t): bad thenable");
  });

  it("a tool object without a run function is reported before anything starts", async () => {
    const broken = { name: "t", input: z.object({}) } as unknown as AnyTool;
    const r = await settle("$a = t()\n", { tools: [broken] });
    expect(r.errors).toEqual([{ kind: "input", message: "tool `t` has no `run` function" }]);
  });
});

describe("tools that hang", () => {
  it("a timeout ends a hanging call", async () => {
    const r = await settle("$a = t()\n$b = u($a)\n", {
      tools: [tool("t", () => new Promise(() => {}), { timeoutMs: 1000 }), tool("u", () => 1)],
      keepGoing: true,
    });
    expect(r.errors).toEqual([
      expect.objectContaining({
        kind: "timeout",
        message: "line 1 ($a = t): timed out after 1000 ms",
      }),
    ]);
    expect(statuses(r)).toEqual({ n1: "failed", n2: "skipped" });
    expect(r.trace.nodes[0]?.end).toBeCloseTo(1000, 0);
  });

  it("each attempt of a hanging call times out, then the call fails after its retries", async () => {
    let attempts = 0;
    const r = await settle("$a = t()\n", {
      tools: [
        tool(
          "t",
          () => {
            attempts++;
            return new Promise(() => {});
          },
          { timeoutMs: 100, retries: 2, retryDelayMs: 50 },
        ),
      ],
    });
    expect(attempts).toBe(3);
    expect(r.errors[0]?.kind).toBe("timeout");
    expect(r.trace.nodes[0]?.attempts).toBe(3);
  });

  it("a result that arrives after the timeout is ignored", async () => {
    const late = tool("t", () => new Promise((resolve) => setTimeout(() => resolve("late"), 500)), {
      timeoutMs: 100,
    });
    const events: RunEvent[] = [];
    const r = await settle("$a = t()\n", { tools: [late], onEvent: (e) => events.push(e) });
    // Let the late result arrive: nothing may change.
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.errors[0]?.kind).toBe("timeout");
    expect(r.results).toEqual({});
    expect(events.map((e) => e.type)).toEqual(["queued", "started", "failed"]);
  });

  it("without a timeout, the run's deadline ends a hang", async () => {
    const r = await settle("$a = t()\n$b = u()\n", {
      tools: [tool("t", () => new Promise(() => {})), tool("u", () => "fine")],
      timeoutMs: 5000,
    });
    expect(r.errors).toEqual([
      { kind: "cancelled", message: "the run exceeded its deadline of 5000 ms (timeoutMs)" },
    ]);
    expect(statuses(r)).toEqual({ n1: "cancelled", n2: "ok" });
    expect(r.results).toEqual({ n2: "fine" });
  });
});

describe("slow tools that then succeed", () => {
  it("a retry after a timeout succeeds", async () => {
    let attempt = 0;
    const events: RunEvent[] = [];
    const r = await settle(
      "$a = t()\nreturn $a\n",
      {
        tools: [
          tool(
            "t",
            () => {
              attempt++;
              // The first attempt is too slow; the second is quick.
              const ms = attempt === 1 ? 10_000 : 10;
              return new Promise((resolve) => setTimeout(() => resolve(`attempt ${attempt}`), ms));
            },
            { timeoutMs: 200, retries: 1, retryDelayMs: 100 },
          ),
        ],
        onEvent: (e) => events.push(e),
      },
      5,
    );
    expect(r.ok).toBe(true);
    expect(r.value).toBe("attempt 2");
    expect(events.map((e) => e.type)).toEqual([
      "queued",
      "started",
      "retrying",
      "started",
      "finished",
    ]);
    const retrying = events[2];
    expect(retrying?.type === "retrying" && retrying.error).toBe("timed out after 200 ms");
    // Started at 0, timed out at 200. The first attempt ignores its signal,
    // so the retry waits out its grace period, min(200 ms, 1 s), beyond the
    // 50-100 ms backoff: it starts at 400 and works 10 ms.
    const end = r.trace.nodes[0]?.end ?? 0;
    expect(end).toBeGreaterThanOrEqual(410);
    expect(end).toBeLessThanOrEqual(416);
  });

  it("backoff doubles between attempts", async () => {
    const starts: number[] = [];
    const r = await settle(
      "$a = t()\n",
      {
        tools: [
          tool(
            "t",
            () => {
              starts.push(Date.now());
              if (starts.length < 4) throw new Error("busy");
              return "ok";
            },
            { retries: 3, retryDelayMs: 1000 },
          ),
        ],
      },
      50,
    );
    expect(r.ok).toBe(true);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    // Equal jitter: retry k waits between half and all of 1000 * 2^(k-1).
    gaps.forEach((gap, k) => {
      expect(gap).toBeGreaterThanOrEqual(500 * 2 ** k - 50);
      expect(gap).toBeLessThanOrEqual(1000 * 2 ** k + 50);
    });
  });
});

describe("abort in the middle of a run", () => {
  it("keeps finished results, cancels running calls, skips the rest, and settles even if tools ignore the signal", async () => {
    const controller = new AbortController();
    const slow = (ms: number) => () => new Promise((resolve) => setTimeout(() => resolve(ms), ms));
    const text = [
      "$a = fast()", // 100 ms
      "$b = deaf($a)", // ignores its signal, would take forever
      "$c = polite($a)", // honours its signal
      "$d = fast([$b, $c])",
      "",
    ].join("\n");
    let politeSaw: unknown;
    const tools = [
      tool("fast", slow(100)),
      tool("deaf", () => new Promise(() => {})),
      tool(
        "polite",
        (_a, { signal }) =>
          new Promise((_, reject) => {
            signal.addEventListener("abort", () => {
              politeSaw = signal.reason;
              reject(signal.reason);
            });
          }),
      ),
    ];
    let result: RunResult | undefined;
    const done = run(text, { tools, signal: controller.signal }).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(150);
    expect(result).toBeUndefined();
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    await done;
    const r = result as RunResult;
    expect(r.errors).toEqual([{ kind: "cancelled", message: "the run was cancelled" }]);
    expect(statuses(r)).toEqual({ n1: "ok", n2: "cancelled", n3: "cancelled", n4: "skipped" });
    expect(r.results).toEqual({ n1: 100 });
    expect((politeSaw as Error).name).toBe("AbortError");
  });

  it("aborts a call that is waiting to retry", async () => {
    const controller = new AbortController();
    let attempts = 0;
    const flaky = tool(
      "t",
      () => {
        attempts++;
        throw new Error("busy");
      },
      { retries: 5, retryDelayMs: 1000 },
    );
    let result: RunResult | undefined;
    const done = run("$a = t()\n", { tools: [flaky], signal: controller.signal }).then(
      (r) => (result = r),
    );
    await vi.advanceTimersByTimeAsync(10);
    expect(attempts).toBe(1);
    controller.abort("stop");
    await vi.advanceTimersByTimeAsync(0);
    await done;
    expect(result?.errors).toEqual([{ kind: "cancelled", message: "the run was cancelled: stop" }]);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(attempts).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a tool that aborts the run itself, synchronously, stops it cleanly", async () => {
    const controller = new AbortController();
    const tools = [
      tool("stop", () => {
        controller.abort();
        return "stopped";
      }),
      tool("other", () => new Promise(() => {})),
    ];
    const r = await settle("$o = other()\n$s = stop()\n$t = other($s)\n", {
      tools,
      signal: controller.signal,
    });
    expect(r.errors.map((e) => e.kind)).toEqual(["cancelled"]);
    expect(statuses(r).n1).toBe("cancelled");
    expect(statuses(r).n3).toBe("skipped");
  });

  it("leaves no timers behind once a run has settled", async () => {
    const r = await settle("$a = t()\n$b = t()\n", {
      tools: [
        tool("t", () => new Promise((resolve) => setTimeout(resolve, 50)), { timeoutMs: 1000 }),
      ],
      timeoutMs: 10_000,
    });
    expect(r.ok).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("removes its listener from the run's signal", async () => {
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, "addEventListener");
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    await settle("$a = t()\n", { tools: [tool("t", () => 1)], signal: controller.signal });
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledWith("abort", add.mock.calls[0]?.[1]);
  });
});
