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
// - Two statements of ONE plan that make the same call are two calls, as in
//   `run()` (see call-identity.ts): a plan's calls come through
//   `forPlan(graph)`, which keys each call by (tool, arguments, ordinal of its
//   statement among the plan's look-alike statements). Calls of a `pure` tool
//   have no ordinal and merge freely.
// - Arguments without a JSON form (a Map a schema made, a BigInt) cannot be
//   keyed: such calls run every time.
// - Caps (`concurrency`, a tool's own `concurrency`) hold across plans: a call
//   over a cap waits in a queue, joinable like a running one.
import type { PlanGraph } from "../compiler/ir.js";
import type { AnyTool, ToolContext, ToolSet } from "../compiler/tool.js";
import { errorMessage } from "../runtime/call.js";
import { hashArgs, UnhashableError } from "../runtime/hash.js";
import type { NodeRef, RunEvent } from "../runtime/types.js";
import { callOrdinals, planNodeId } from "./call-identity.js";
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
  /**
   * Real calls running at once, over every plan (each plan's run has its own
   * cap, and prefixes of a stream run side by side). A tool's own
   * `concurrency` is kept across plans the same way.
   */
  concurrency?: number;
}

type State = "queued" | "running" | "ok" | "failed";

/** One plan's calls: each statement's ordinal, and which call key each node holds. */
interface PlanView {
  ordinals: ReadonlyMap<string, number>;
  /** Call key -> the runtime node id that holds it in this plan. */
  claims: Map<string, string>;
}

interface Entry {
  /** Undefined for a call that is not cached (its arguments have no key). */
  key: string | undefined;
  tool: AnyTool;
  args: unknown;
  node: ToolContext["node"];
  state: State;
  value: unknown;
  error: unknown;
  /** The attempt number the real call ran as. */
  attempt: number;
  /** Settles (never rejects) when the real call does. */
  settled: Promise<void>;
  done: () => void;
  /** Plans waiting on the call. */
  waiters: number;
  controller: AbortController;
}

/** The memo over a tool set: `forPlan(graph)` gives the tools a plan runs on. */
export class CallMemo {
  readonly #source: ToolSet;
  #planless: ToolSet | undefined;
  readonly records: ToolCallRecord[];
  readonly #env: MemoEnv;
  readonly #entries = new Map<string, Entry>();
  readonly #running = new Set<Entry>();
  /** Calls waiting for a place under the caps, in the order they were asked for. */
  readonly #queue: Entry[] = [];
  readonly #perTool = new Map<string, number>();
  #draining = false;
  #firstStart: number | undefined = undefined;

  constructor(tools: ToolSet, env: MemoEnv) {
    this.#env = env;
    this.#source = tools;
    this.records = env.records ?? [];
    env.signal?.addEventListener("abort", () => this.#abortAll(env.signal?.reason), {
      once: true,
    });
  }

  /**
   * The tools one plan runs on: a call joins an identical call of the same
   * statement made by any plan of the ask, while two statements of this plan
   * that make the same call run twice (call-identity.ts).
   */
  forPlan(graph: PlanGraph): ToolSet {
    const ordinals = callOrdinals(graph, (name) => this.#source.get(name)?.pure === true);
    return this.#wrap({ ordinals, claims: new Map() });
  }

  /**
   * The tools with `run` memoized, for calls that come with no plan: every
   * call of a non-pure tool counts as its plan's first statement of that
   * shape (so two identical statements of one plan run through it merge; run
   * plans through `forPlan`). Made on first use: the agent never asks for it.
   */
  get tools(): ToolSet {
    return (this.#planless ??= this.#wrap(undefined));
  }

  #wrap(view: PlanView | undefined): ToolSet {
    const wrapped = new Map<string, AnyTool>();
    for (const [name, tool] of this.#source) {
      wrapped.set(name, {
        ...tool,
        run: (args: unknown, ctx: ToolContext) => this.#call(tool, args, ctx, view),
      } as AnyTool);
    }
    return wrapped;
  }

  /** When the first real call started (ms since the ask started). */
  get firstStart(): number | undefined {
    return this.#firstStart;
  }

  /** Real calls running, and calls waiting under the caps. */
  get inFlight(): number {
    return this.#running.size + this.#queue.length;
  }

  /** Failed calls are forgotten: the next identical call runs for real. */
  forgetFailures(): void {
    for (const [key, entry] of this.#entries)
      if (entry.state === "failed") this.#entries.delete(key);
  }

  #call(tool: AnyTool, args: unknown, ctx: ToolContext, view: PlanView | undefined): unknown {
    let key: string | undefined;
    try {
      key = hashArgs(tool.name, args);
    } catch (e) {
      if (!(e instanceof UnhashableError)) throw e;
      // No key: run every time, recorded all the same.
      key = undefined;
    }
    if (key !== undefined && tool.pure !== true) key = claim(key, ctx.node.id, view);
    let entry = key === undefined ? undefined : this.#entries.get(key);
    if (entry?.state === "ok") return entry.value;
    if (entry?.state === "failed" && ctx.attempt <= entry.attempt) throw entry.error;
    if (entry === undefined || entry.state === "failed") {
      entry = this.#create(key, tool, args, ctx);
      // A tool that answered synchronously: nothing to wait for.
      if (entry.state === "ok") return entry.value;
      if (entry.state === "failed") throw entry.error;
    }
    return this.#join(entry, ctx.signal);
  }

  /** A new call: started now, or queued until the caps allow it. */
  #create(key: string | undefined, tool: AnyTool, args: unknown, ctx: ToolContext): Entry {
    let done!: () => void;
    const settled = new Promise<void>((resolve) => (done = resolve));
    const entry: Entry = {
      key,
      tool,
      args,
      node: ctx.node,
      state: "queued",
      value: undefined,
      error: undefined,
      attempt: ctx.attempt,
      settled,
      done,
      waiters: 0,
      controller: new AbortController(),
    };
    if (key !== undefined) this.#entries.set(key, entry);
    if (this.#fits(tool)) this.#launch(entry);
    else this.#queue.push(entry);
    return entry;
  }

  #fits(tool: AnyTool): boolean {
    const cap = this.#env.concurrency;
    if (cap !== undefined && this.#running.size >= cap) return false;
    const own = tool.concurrency;
    return own === undefined || (this.#perTool.get(tool.name) ?? 0) < own;
  }

  /** Starts the real call. */
  #launch(entry: Entry): void {
    const { tool, args, controller } = entry;
    const env = this.#env;
    if (env.signal?.aborted === true) controller.abort(env.signal.reason);
    const start = env.clock();
    this.#firstStart ??= start;
    const record: ToolCallRecord = { tool: tool.name, args, ok: false, start };
    this.records.push(record);
    const node = nodeRef(tool.name, entry.node);
    entry.state = "running";
    this.#running.add(entry);
    this.#perTool.set(tool.name, (this.#perTool.get(tool.name) ?? 0) + 1);
    env.onEvent?.({ type: "started", node, attempt: entry.attempt, t: start });
    const settle = (ok: boolean, value: unknown) => {
      this.#release(entry);
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
      entry.done();
      this.#drain();
    };
    const ctx: ToolContext = {
      signal: controller.signal,
      attempt: entry.attempt,
      node: entry.node,
    };
    let out: unknown;
    try {
      out = (tool.run as (a: unknown, c: ToolContext) => unknown)(args, ctx);
    } catch (e) {
      return settle(false, e);
    }
    if (!isThenable(out)) return settle(true, out);
    Promise.resolve(out).then(
      (v) => settle(true, v),
      (e: unknown) => settle(false, e),
    );
  }

  /** Starts the queued calls the caps now allow, in order. */
  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let i = 0; i < this.#queue.length;) {
        const entry = this.#queue[i] as Entry;
        if (!this.#fits(entry.tool)) {
          i++;
          continue;
        }
        this.#queue.splice(i, 1);
        this.#launch(entry);
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Waits for a call on behalf of one plan; that plan's signal lets go of it. */
  #join(entry: Entry, signal: AbortSignal): Promise<unknown> {
    entry.waiters++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason);
        entry.waiters--;
        if (entry.waiters === 0) this.#letGo(entry, signal.reason);
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

  /** Nobody wants the call any more: stop it, and let the next plan that asks start it afresh. */
  #letGo(entry: Entry, reason: unknown): void {
    if (entry.state !== "running" && entry.state !== "queued") return;
    if (entry.key !== undefined && this.#entries.get(entry.key) === entry)
      this.#entries.delete(entry.key);
    if (entry.state === "queued") {
      const at = this.#queue.indexOf(entry);
      if (at !== -1) this.#queue.splice(at, 1);
      entry.state = "failed";
      entry.error = reason;
      entry.done();
    } else {
      entry.controller.abort(reason);
      // Its place goes to the next call, whether or not the tool heeds the abort.
      this.#release(entry);
      this.#drain();
    }
  }

  #release(entry: Entry): void {
    if (!this.#running.delete(entry)) return;
    const name = entry.tool.name;
    this.#perTool.set(name, (this.#perTool.get(name) ?? 1) - 1);
  }

  #abortAll(reason: unknown): void {
    for (const entry of [...this.#queue, ...this.#running]) this.#letGo(entry, reason);
  }
}

/**
 * The key of a non-pure call: its (tool, args) hash and the ordinal of its
 * statement. Two nodes of one plan can still reach the same key when
 * different-looking statements compute the same arguments (`f($a)` where
 * `$a` is "x", and `f("x")`), or when two elements of an `each` do: the node
 * that asks second takes the next free ordinal, so each node of the plan
 * holds a call of its own.
 */
function claim(hash: string, nodeId: string, view: PlanView | undefined): string {
  if (view === undefined) return `${hash}#0`;
  for (let n = view.ordinals.get(planNodeId(nodeId)) ?? 0; ; n++) {
    const key = `${hash}#${n}`;
    const holder = view.claims.get(key);
    if (holder === undefined) view.claims.set(key, nodeId);
    if (holder === undefined || holder === nodeId) return key;
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === "object" || typeof v === "function") &&
    v !== null &&
    typeof (v as { then?: unknown }).then === "function"
  );
}

function nodeRef(tool: string, node: ToolContext["node"]): NodeRef {
  const ref: NodeRef = { id: node.id, kind: "call", tool };
  if (node.binding !== undefined) ref.binding = node.binding;
  if (node.line !== undefined) ref.line = node.line;
  return ref;
}
