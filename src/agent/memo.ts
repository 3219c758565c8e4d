// ## Calls shared across the plans of one ask()
// The agent runs many plan graphs over one set of tool calls: every prefix of
// a streamed plan, the full plan, a repaired plan, a new plan after replanning.
// Each of them asks for the calls it contains; this memo makes an identical
// call (same tool, same parsed arguments) join the one already running or
// finished instead of starting another, so a call runs once however many
// plans contain it.
//
// - A finished call is served from memory.
// - A running call is joined; the real call is aborted only when every plan
//   waiting on it gave up (each waiter's signal aborted), or when the ask's
//   own signal aborts.
// - A failed call is remembered for its attempt number: a plan that asks
//   again at the same attempt gets the same failure (the prefixes of a stream
//   must not re-run a failing call each), while the scheduler's retry (a
//   higher attempt) runs it again for real. `forgetFailures()` clears them, so
//   a repaired or new plan tries them afresh.
// - Arguments without a JSON form (a Map a schema made, a BigInt) cannot be
//   keyed: such calls run every time.
import type { AnyTool, ToolContext, ToolSet } from "../compiler/tool.js";
import { errorMessage } from "../runtime/call.js";
import { hashArgs, UnhashableError } from "../runtime/hash.js";
import type { NodeRef, RunEvent } from "../runtime/types.js";
import type { ToolCallRecord } from "./types.js";

export interface MemoEnv {
  /** Milliseconds since the ask started. */
  clock: () => number;
  /** The ask's signal: aborting it aborts every real call. */
  signal?: AbortSignal;
  /** Receives one record per real call (pushed when it starts, completed when it ends). */
  records?: ToolCallRecord[];
  /** `started`, `finished` and `failed` of the real calls only (joins are silent). */
  onEvent?: (event: RunEvent) => void;
}

type State = "running" | "ok" | "failed";

interface Entry {
  key: string;
  state: State;
  value: unknown;
  error: unknown;
  /** The attempt number the real call ran as. */
  attempt: number;
  /** Settles (never rejects) when the real call does. */
  settled: Promise<void>;
  /** Plans waiting on the running call. */
  waiters: number;
  controller: AbortController;
}

/** The memo over a tool set: `tools` has the same tools with `run` replaced. */
export class CallMemo {
  readonly tools: ToolSet;
  readonly records: ToolCallRecord[];
  readonly #env: MemoEnv;
  readonly #entries = new Map<string, Entry>();
  readonly #running = new Set<AbortController>();
  #firstStart: number | undefined = undefined;

  constructor(tools: ToolSet, env: MemoEnv) {
    this.#env = env;
    this.records = env.records ?? [];
    const wrapped = new Map<string, AnyTool>();
    for (const [name, tool] of tools) {
      wrapped.set(name, {
        ...tool,
        run: (args: unknown, ctx: ToolContext) => this.#call(tool, args, ctx),
      } as AnyTool);
    }
    this.tools = wrapped;
    env.signal?.addEventListener("abort", () => this.#abortAll(env.signal?.reason), {
      once: true,
    });
  }

  /** When the first real call started (ms since the ask started). */
  get firstStart(): number | undefined {
    return this.#firstStart;
  }

  /** Real calls still running. */
  get inFlight(): number {
    return this.#running.size;
  }

  /** Failed calls are forgotten: the next identical call runs for real. */
  forgetFailures(): void {
    for (const [key, entry] of this.#entries)
      if (entry.state === "failed") this.#entries.delete(key);
  }

  #call(tool: AnyTool, args: unknown, ctx: ToolContext): unknown {
    let key: string;
    try {
      key = hashArgs(tool.name, args);
    } catch (e) {
      if (!(e instanceof UnhashableError)) throw e;
      return this.#uncached(tool, args, ctx);
    }
    let entry = this.#entries.get(key);
    if (entry?.state === "ok") return entry.value;
    if (entry?.state === "failed" && ctx.attempt <= entry.attempt) throw entry.error;
    if (entry?.state !== "running") {
      entry = this.#start(key, tool, args, ctx);
      // A tool that answered synchronously: nothing to wait for.
      if (entry.state === "ok") return entry.value;
      if (entry.state === "failed") throw entry.error;
    }
    return this.#join(entry, ctx.signal);
  }

  /** Starts the real call. */
  #start(key: string, tool: AnyTool, args: unknown, ctx: ToolContext): Entry {
    const controller = new AbortController();
    const env = this.#env;
    if (env.signal?.aborted === true) controller.abort(env.signal.reason);
    const start = env.clock();
    this.#firstStart ??= start;
    const record: ToolCallRecord = { tool: tool.name, args, ok: false, start };
    this.records.push(record);
    const node = nodeRef(tool.name, ctx);
    env.onEvent?.({ type: "started", node, attempt: ctx.attempt, t: start });
    const entry: Entry = {
      key,
      state: "running",
      value: undefined,
      error: undefined,
      attempt: ctx.attempt,
      settled: Promise.resolve(),
      waiters: 0,
      controller,
    };
    const settle = (ok: boolean, value: unknown) => {
      this.#running.delete(controller);
      const end = env.clock();
      record.end = end;
      record.ok = ok;
      if (ok) {
        record.result = value;
        entry.value = value;
      } else {
        record.error = errorMessage(value);
        entry.error = value;
      }
      entry.state = ok ? "ok" : "failed";
      env.onEvent?.(
        ok
          ? { type: "finished", node, t: end, durationMs: end - start }
          : { type: "failed", node, error: record.error ?? "", t: end },
      );
    };
    this.#entries.set(key, entry);
    const realCtx: ToolContext = {
      signal: controller.signal,
      attempt: ctx.attempt,
      node: ctx.node,
    };
    let out: unknown;
    try {
      out = (tool.run as (a: unknown, c: ToolContext) => unknown)(args, realCtx);
    } catch (e) {
      settle(false, e);
      return entry;
    }
    if (!isThenable(out)) {
      settle(true, out);
      return entry;
    }
    this.#running.add(controller);
    entry.settled = Promise.resolve(out).then(
      (v) => settle(true, v),
      (e: unknown) => settle(false, e),
    );
    return entry;
  }

  /** Waits for a running call on behalf of one plan; that plan's signal lets go of it. */
  #join(entry: Entry, signal: AbortSignal): Promise<unknown> {
    entry.waiters++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason);
        entry.waiters--;
        if (entry.waiters === 0 && entry.state === "running") {
          // Nobody wants it any more: stop it, and let the next plan that asks start it afresh.
          if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
          this.#running.delete(entry.controller);
          entry.controller.abort(signal.reason);
        }
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      void entry.settled.then(() => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) return;
        entry.waiters--;
        if (entry.state === "ok") resolve(entry.value);
        else reject(entry.error as Error);
      });
    });
  }

  /** A call whose arguments have no key: run as it is, recorded all the same. */
  #uncached(tool: AnyTool, args: unknown, ctx: ToolContext): unknown {
    const entry = this.#start("", tool, args, ctx);
    this.#entries.delete("");
    if (entry.state === "ok") return entry.value;
    if (entry.state === "failed") throw entry.error;
    return this.#join(entry, ctx.signal);
  }

  #abortAll(reason: unknown): void {
    for (const controller of this.#running) controller.abort(reason);
    this.#running.clear();
    for (const [key, entry] of this.#entries)
      if (entry.state === "running") this.#entries.delete(key);
  }
}

/** The tools with `run` memoized (see CallMemo). */
export function memoTools(tools: ToolSet, env: MemoEnv): ToolSet {
  return new CallMemo(tools, env).tools;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === "object" || typeof v === "function") &&
    v !== null &&
    typeof (v as { then?: unknown }).then === "function"
  );
}

function nodeRef(tool: string, ctx: ToolContext): NodeRef {
  const node = ctx.node;
  const ref: NodeRef = { id: node.id, kind: "call", tool };
  if (node.binding !== undefined) ref.binding = node.binding;
  if (node.line !== undefined) ref.line = node.line;
  return ref;
}
