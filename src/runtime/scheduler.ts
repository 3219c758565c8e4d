// The event-driven dataflow scheduler (p-graph's design): every task counts
// its unfinished dependencies; when a call finishes, its dependents' counts
// drop, and those that reach zero start at once, inside the completion
// callback. No polling, no levels, no scans of the graph per completion.
//
// Under a concurrency cap, ready calls wait in a binary heap per tool,
// longest remaining path first (critical-path-first list scheduling).
//
// State changes only inside `#pump` and the entry points that end by calling
// it (a call settling, a timer, the run's signal): so a run settles exactly
// when its last task becomes final, and nothing re-enters the scheduler while
// it is changing state.
import type { CallNode, EachNode, IrExpr, Json, PlanGraph } from "../compiler/ir.js";
import { forEachRef, setOwn, type RefExpr } from "../compiler/ir-walk.js";
import type { AnyTool, ToolContext, ToolSet } from "../compiler/tool.js";
import { isJson } from "../compiler/validate.js";
import {
  CallContext,
  CallTimeout,
  checkResult,
  errorMessage,
  isPermanent,
  mapArguments,
  retryDelay,
  validateArguments,
  validateOutput,
} from "./call.js";
import { EvalError, describeValue, evaluate, pathText, type EvalEnv } from "./evaluate.js";
import { buildTrace, nodeRef, where } from "./events.js";
import { hashArgs } from "./hash.js";
import { Heap, before } from "./heap.js";
import type { CallJournal } from "./journal-types.js";
import {
  CANCELLED,
  FAILED,
  OK,
  READY,
  RUNNING,
  SKIPPED,
  Slot,
  Task,
  TaskIndex,
  WAITING,
  addDependent,
  isFinal,
  type Element,
} from "./task.js";
import type { RunError, RunErrorKind, RunEvent, RunResult } from "./types.js";

/** Options after `run` has checked and defaulted them. */
export interface SchedulerOptions {
  tools: ToolSet;
  inputs: Record<string, unknown>;
  /** Global cap: `concurrency` and `limits.maxInFlight`, whichever is lower. */
  cap: number;
  toolConcurrency: Record<string, number> | undefined;
  keepGoing: boolean;
  callTimeoutMs: number | undefined;
  retries: number;
  onEvent: ((event: RunEvent) => void) | undefined;
  maxNodes: number;
  maxResultBytes: number;
  journal: CallJournal | undefined;
  signal: AbortSignal | undefined;
  timeoutMs: number | undefined;
}

/** What an `each` body looks like, worked out once per `each` node. */
interface EachPlan {
  /** Body ids to their index in `body.nodes`. */
  local: Map<string, number>;
  /** Per body call: how many body calls it waits for. */
  localPending: number[];
  /** Per body call: the body calls that wait for it, highest priority first. */
  localDependents: number[][];
  /** Per body call: longest path (latency hints) to the end of the body. */
  localPriority: number[];
  /** The body's critical path: the `each` node's own latency. */
  critical: number;
  roots: number[];
}

const DEFAULT_RETRY_DELAY_MS = 100;
/** The longest a timed-out attempt keeps its place under the caps (see `#abandon`). */
export const ABANDON_GRACE_MS = 1000;
const NO_VALUES: unknown[] = [];

export class Scheduler {
  readonly #graph: PlanGraph;
  readonly #o: SchedulerOptions;
  readonly #outer: Task[] = [];
  readonly #byId = new TaskIndex();
  readonly #slots = new Map<string, Slot>();
  readonly #eachPlans = new Map<EachNode, EachPlan>();
  readonly #env: Env;
  readonly #errors: RunError[] = [];
  readonly #occurrences = new Map<string, number>();
  /** Tasks whose timed-out attempt may still be running (see `#abandon`). */
  readonly #ghosts = new Set<Task>();

  /** Tasks whose dependencies just finished: a FIFO read from `#workHead`, never shifted. */
  #work: (Task | undefined)[] = [];
  #workHead = 0;
  /** Results of tools that returned without a promise, handled on one microtask per batch. */
  #sync: unknown[] = [];
  #syncScheduled = false;
  readonly #flushSync = () => this.#drainSync();
  /** Slots whose heap holds ready calls (a few: one per tool). */
  readonly #queued: Slot[] = [];
  /** Calls made ready in this pump, not yet started or queued (see `#startReady`). */
  readonly #ready: Task[] = [];
  /** Calls in the heaps of `#queued`. */
  #waiting = 0;
  #inFlight = 0;
  /** Tasks not yet in a final state; the run settles when it reaches 0. */
  #unsettled = 0;
  #nodeCount = 0;
  #seq = 0;

  #t0 = 0;
  #stopped = false;
  #pumping = false;
  #done = false;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #onAbort: (() => void) | undefined;
  #resolve: (result: RunResult) => void = () => undefined;
  #reject: (error: unknown) => void = () => undefined;

  constructor(graph: PlanGraph, options: SchedulerOptions) {
    this.#graph = graph;
    this.#o = options;
    this.#env = new Env(this.#byId, options.inputs);
    this.#build();
  }

  // ## Building the task graph

  #build(): void {
    const nodes = this.#graph.nodes;
    const outer = this.#outer;
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i] as CallNode | EachNode;
      let tool: AnyTool | undefined;
      let slot: Slot | undefined;
      if (node.kind === "call") {
        tool = this.#o.tools.get(node.tool);
        slot = this.#slot(node.tool, tool);
      }
      const task = new Task(this.#seq++, node.id, node, tool, slot, undefined, undefined);
      outer.push(task);
      this.#byId.add(task);
    }
    // Whether every node follows its deps, as in every compiled graph.
    let inOrder = true;
    // Arrays of their exact size, the dependents' counted first: most tasks
    // have one to three of each, and an array grown by `push` holds 17
    // slots. Every task lives until the run ends; its bytes are GC time.
    const counts = new Int32Array(outer.length);
    for (let i = 0; i < outer.length; i++) {
      const task = outer[i] as Task;
      const ids = task.node.deps;
      if (ids.length === 0) continue;
      const deps = new Array<Task>(ids.length);
      let m = 0;
      // A graph read from JSON may repeat a dep: count each once. A set past a
      // few deps, so that a join of k inputs costs O(k), not O(k²).
      const seen = ids.length > 8 ? new Set<Task>() : undefined;
      for (let k = 0; k < ids.length; k++) {
        const dep = this.#byId.get(ids[k] as string);
        if (dep === undefined) continue;
        if (seen !== undefined) {
          if (seen.has(dep)) continue;
          seen.add(dep);
        } else if (includes(deps, m, dep)) continue;
        if (dep.seq >= task.seq) inOrder = false;
        deps[m++] = dep;
        counts[dep.seq] = (counts[dep.seq] as number) + 1;
      }
      if (m < deps.length) deps.length = m;
      task.deps = deps;
      task.pending = m;
    }
    for (let i = 0; i < outer.length; i++) {
      const count = counts[i] as number;
      if (count > 0) (outer[i] as Task).dependents = new Array<Task>(count);
    }
    // `counts` counts down to each task's next free place in its dependents, in plan order.
    for (let i = 0; i < outer.length; i++) {
      const task = outer[i] as Task;
      const deps = task.deps;
      for (let k = 0; k < deps.length; k++) {
        const dep = deps[k] as Task;
        const left = (counts[dep.seq] as number) - 1;
        counts[dep.seq] = left;
        dep.dependents[dep.dependents.length - 1 - left] = task;
      }
    }
    // Priorities from the sinks back: own latency plus the longest path after
    // it, over a topological order (the graph's own, else Kahn's).
    const order = inOrder ? outer : kahnOrder(outer);
    for (let i = order.length - 1; i >= 0; i--) {
      const task = order[i] as Task;
      let after = 0;
      const dependents = task.dependents;
      for (let k = 0; k < dependents.length; k++) {
        const p = (dependents[k] as Task).priority;
        if (p > after) after = p;
      }
      task.priority = this.#latency(task) + after;
    }
    for (const task of outer) if (task.dependents.length > 1) task.dependents.sort(byPriority);
    this.#unsettled = outer.length;
    this.#nodeCount = outer.length;
  }

  #slot(name: string, tool: AnyTool | undefined): Slot {
    let slot = this.#slots.get(name);
    if (slot === undefined) {
      const own = tool?.concurrency ?? Infinity;
      // hasOwn: a tool named `toString` must not find Object.prototype's.
      const caps = this.#o.toolConcurrency;
      const given = caps !== undefined && Object.hasOwn(caps, name) ? caps[name] : undefined;
      slot = new Slot(Math.min(own, given ?? Infinity), new Heap<Task>());
      this.#slots.set(name, slot);
    }
    return slot;
  }

  #latency(task: Task): number {
    const node = task.node;
    if (node.kind === "each") return this.#eachPlan(node).critical;
    return latencyOf(task.tool);
  }

  #eachPlan(node: EachNode): EachPlan {
    let plan = this.#eachPlans.get(node);
    if (plan !== undefined) return plan;
    const body = node.body.nodes;
    const m = body.length;
    const local = new Map<string, number>();
    for (let i = 0; i < m; i++) local.set((body[i] as CallNode).id, i);
    const localPending: number[] = new Array<number>(m).fill(0);
    const localDependents: number[][] = body.map(() => []);
    for (let i = 0; i < m; i++) {
      for (const d of new Set((body[i] as CallNode).deps)) {
        const j = local.get(d);
        if (j === undefined) continue;
        localPending[i] = (localPending[i] as number) + 1;
        (localDependents[j] as number[]).push(i);
      }
    }
    const roots: number[] = [];
    const left = localPending.slice();
    for (let i = 0; i < m; i++) if (left[i] === 0) roots.push(i);
    const order = roots.slice();
    for (let k = 0; k < order.length; k++) {
      for (const j of localDependents[order[k] as number] as number[]) {
        left[j] = (left[j] as number) - 1;
        if (left[j] === 0) order.push(j);
      }
    }
    const localPriority: number[] = new Array<number>(m).fill(0);
    for (let k = order.length - 1; k >= 0; k--) {
      const i = order[k] as number;
      let after = 0;
      for (const j of localDependents[i] as number[])
        after = Math.max(after, localPriority[j] as number);
      localPriority[i] = latencyOf(this.#o.tools.get((body[i] as CallNode).tool)) + after;
    }
    for (const list of localDependents)
      list.sort((a, b) => (localPriority[b] as number) - (localPriority[a] as number) || a - b);
    const critical = localPriority.reduce((max, p) => Math.max(max, p), 0);
    plan = { local, localPending, localDependents, localPriority, critical, roots };
    this.#eachPlans.set(node, plan);
    return plan;
  }

  // ## Running

  run(): Promise<RunResult> {
    const promise = new Promise<RunResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#t0 = performance.now();
    const { signal, timeoutMs, maxNodes } = this.#o;
    if (signal?.aborted === true) {
      this.#cancelRun(abortMessage(signal));
    } else if (signal !== undefined) {
      // Deferred by a microtask: whatever aborts the signal (a tool, an
      // event listener) may be running inside the scheduler right now.
      const onAbort = () => {
        queueMicrotask(() => this.#guard(() => this.#cancelRun(abortMessage(signal))));
      };
      this.#onAbort = onAbort;
      signal.addEventListener("abort", onAbort, { once: true });
    }
    if (timeoutMs !== undefined && timeoutMs !== Infinity && !this.#stopped) {
      this.#deadline = setTimeout(() => {
        this.#deadline = undefined;
        this.#guard(() =>
          this.#cancelRun(`the run exceeded its deadline of ${timeoutMs} ms (timeoutMs)`),
        );
      }, timeoutMs);
    }
    if (!this.#stopped && this.#nodeCount > maxNodes) {
      this.#errors.push({
        kind: "limit",
        message: `the plan has ${this.#nodeCount} nodes, over the limit of ${maxNodes} (limits.maxNodes)`,
      });
      this.#stop("not run: the plan is over the node limit", true);
    }
    if (!this.#stopped)
      for (const task of this.#outer) if (task.pending === 0) this.#work.push(task);
    this.#guard(() => undefined);
    return promise;
  }

  /** Runs a state change from outside (a timer, the signal), then pumps. */
  #guard(change: () => void): void {
    if (this.#done) return;
    try {
      change();
      this.#pump();
    } catch (e) {
      this.#crash(e);
    }
  }

  /** A broken invariant: settle the run (rejected) rather than leave it hanging. */
  #crash(e: unknown): void {
    this.#done = true;
    this.#cleanup();
    this.#reject(e);
  }

  /** Starts or queues everything that became ready, then settles the run if nothing is left. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const work = this.#work;
      while (this.#workHead < work.length) {
        const task = work[this.#workHead] as Task;
        work[this.#workHead++] = undefined;
        if (this.#stopped || task.state !== WAITING) continue;
        if (task.node.kind === "each") this.#expand(task, task.node);
        else this.#prepare(task, task.node);
      }
      work.length = 0;
      this.#workHead = 0;
      if (this.#ready.length > 0 && !this.#stopped) this.#startReady();
      if (this.#waiting > 0 && !this.#stopped) this.#drain();
    } finally {
      this.#pumping = false;
    }
    if (this.#unsettled === 0 && !this.#done) this.#finish();
  }

  // ## Calls

  /** Evaluates and validates the arguments, then starts the call, queues it, or takes it from the journal. */
  #prepare(task: Task, node: CallNode): void {
    const tool = task.tool as AnyTool;
    const env = this.#env.enter(
      task,
      task.element === undefined ? undefined : this.#eachPlanOf(task),
    );
    const named: Record<string, unknown> = {};
    let positional = NO_VALUES;
    try {
      const exprs = node.args.named;
      for (const key in exprs) {
        if (Object.hasOwn(exprs, key)) setOwn(named, key, evaluate(exprs[key] as IrExpr, env));
      }
      if (node.args.positional.length > 0)
        positional = node.args.positional.map((e) => evaluate(e, env));
    } catch (e) {
      if (e instanceof EvalError) return this.#fail(task, "type", e.message);
      throw e;
    }
    const mapped = mapArguments(tool, positional, named);
    if (!mapped.ok) return this.#fail(task, "validation", mapped.message);
    const args = validateArguments(tool, mapped.value);
    if (!args.ok) return this.#fail(task, "validation", args.message);
    task.args = args.value;

    const journal = this.#o.journal;
    if (journal !== undefined) {
      // The evaluated arguments, not what the schema made of them: a
      // transform may turn them into values with no faithful JSON form.
      let hash: string;
      try {
        hash = hashArgs(node.tool, mapped.value);
      } catch (e) {
        return this.#fail(task, "journal", `cannot journal the call: ${errorMessage(e)}`);
      }
      const key = `${node.tool}\u0000${hash}`;
      const occurrence = this.#occurrences.get(key) ?? 0;
      this.#occurrences.set(key, occurrence + 1);
      task.argsHash = hash;
      task.occurrence = occurrence;
      const found = journal.lookup(node.tool, hash, occurrence);
      if (found !== undefined) {
        task.fromJournal = true;
        task.start = this.#now();
        this.#complete(task, found.result ?? null);
        return;
      }
    }

    task.state = READY;
    if (this.#o.onEvent !== undefined)
      this.#emit({ type: "queued", node: nodeRef(task), t: this.#now() });
    // Not started yet even when a slot is free: whatever else becomes ready
    // in this pump competes for it by priority (see `#startReady`). With
    // calls queued from before, the competition is in the queues.
    if (this.#waiting > 0) this.#enqueue(task);
    else this.#ready.push(task);
  }

  /**
   * Starts the calls that became ready in this pump. When no cap can bind —
   * nothing queued from before, no tool cap, room under the global cap for
   * all of them — they all start now, best first: the order the queues would
   * give, without a heap. Otherwise they join the queues and `#drain` decides.
   */
  #startReady(): void {
    const ready = this.#ready;
    const n = ready.length;
    if (this.#inFlight + n <= this.#o.cap && !anyCapped(ready)) {
      if (n > 1) ready.sort(byPriority);
      for (let i = 0; i < n; i++) this.#start(ready[i] as Task);
    } else {
      for (let i = 0; i < n; i++) this.#enqueue(ready[i] as Task);
    }
    ready.length = 0;
  }

  #enqueue(task: Task): void {
    const slot = task.slot as Slot;
    slot.heap.push(task);
    if (slot.queuedAt < 0) {
      slot.queuedAt = this.#queued.length;
      this.#queued.push(slot);
    }
    this.#waiting++;
  }

  /** Starts queued calls, best first, while the caps allow. */
  #drain(): void {
    const queued = this.#queued;
    while (this.#waiting > 0 && this.#inFlight < this.#o.cap) {
      let best: Slot | undefined;
      let top: Task | undefined;
      for (let i = 0; i < queued.length; i++) {
        const slot = queued[i] as Slot;
        if (slot.inFlight >= slot.cap) continue;
        const t = slot.heap.peek() as Task;
        if (top === undefined || before(t, top)) {
          best = slot;
          top = t;
        }
      }
      if (best === undefined || top === undefined) return;
      best.heap.pop();
      if (best.heap.size === 0) this.#unqueue(best);
      this.#waiting--;
      this.#start(top);
    }
  }

  #unqueue(slot: Slot): void {
    const queued = this.#queued;
    const last = queued.pop() as Slot;
    if (last !== slot) {
      queued[slot.queuedAt] = last;
      last.queuedAt = slot.queuedAt;
    }
    slot.queuedAt = -1;
  }

  #start(task: Task): void {
    task.state = RUNNING;
    this.#inFlight++;
    (task.slot as Slot).inFlight++;
    task.start = this.#now();
    this.#attempt(task);
  }

  #attempt(task: Task): void {
    const tool = task.tool as AnyTool;
    const attempt = ++task.attempts;
    const node = task.node;
    const ctx = new CallContext(
      attempt,
      task.id,
      node.binding,
      (node.span ?? task.parent?.node.span)?.start.line,
    );
    task.ctx = ctx;
    if (this.#o.onEvent !== undefined)
      this.#emit({ type: "started", node: nodeRef(task), attempt, t: this.#now() });
    const timeout = tool.timeoutMs ?? this.#o.callTimeoutMs;
    if (timeout !== undefined && timeout !== Infinity) {
      task.timer = setTimeout(() => {
        task.timer = undefined;
        const error = new CallTimeout(timeout);
        ctx.abort(error);
        this.#guard(() => {
          if (task.ctx !== ctx || task.state !== RUNNING) return;
          this.#abandon(task, ctx, timeout);
          this.#attemptFailed(task, "timeout", error.message, true);
        });
      }, timeout);
    }
    let out: unknown;
    try {
      out = (tool.run as (args: unknown, ctx: ToolContext) => unknown)(task.args, ctx);
    } catch (e) {
      return this.#settleLater(task, ctx, false, e);
    }
    if (out === null || (typeof out !== "object" && typeof out !== "function")) {
      return this.#settleLater(task, ctx, true, out);
    }
    // Inline closures: a named one would cost a `__name` call per call under tsx.
    // A native promise gets `then` directly; a thenable of another library
    // or a proxy is adopted by Promise.resolve, which turns whatever its
    // `then` does into a settlement; anything else is a result in hand.
    let settling: Promise<unknown>;
    try {
      if (out instanceof Promise) settling = out;
      else if (typeof (out as { then?: unknown }).then !== "function")
        return this.#settleLater(task, ctx, true, out);
      else settling = Promise.resolve(out);
    } catch (e) {
      // A proxy whose getPrototypeOf trap or a `then` getter throws.
      return this.#settleLater(task, ctx, false, e);
    }
    settling.then(
      (v: unknown) => this.#settled(task, ctx, true, v),
      (e: unknown) => this.#settled(task, ctx, false, e),
    );
  }

  /**
   * A synchronous result (or throw): handled after the current call stack,
   * batched on one microtask, so that a long chain of synchronous tools
   * neither grows the stack nor pays a promise per call.
   */
  #settleLater(task: Task, ctx: CallContext, ok: boolean, value: unknown): void {
    // The call has finished: a fail-fast stop before the batch runs keeps it.
    if (ok) task.finishing = true;
    this.#sync.push(task, ctx, ok, value);
    if (!this.#syncScheduled) {
      this.#syncScheduled = true;
      queueMicrotask(this.#flushSync);
    }
  }

  #drainSync(): void {
    const sync = this.#sync;
    try {
      // Settling may start synchronous tools, which append here: the loop takes them too.
      for (let i = 0; i < sync.length; i += 4) {
        const task = sync[i] as Task;
        const ctx = sync[i + 1] as CallContext;
        const ok = sync[i + 2] as boolean;
        const value = sync[i + 3];
        sync[i + 1] = sync[i + 3] = undefined;
        if (this.#done) break;
        this.#settle(task, ctx, ok, value);
        this.#pump();
      }
    } catch (e) {
      this.#crash(e);
    } finally {
      sync.length = 0;
      this.#syncScheduled = false;
    }
  }

  /** Entry point: an attempt settled. */
  #settled(task: Task, ctx: CallContext, ok: boolean, value: unknown): void {
    if (this.#done) return;
    try {
      this.#settle(task, ctx, ok, value);
      this.#pump();
    } catch (e) {
      this.#crash(e);
    }
  }

  /** An attempt ended; stale attempts (timed out, cancelled, superseded) are ignored. */
  #settle(task: Task, ctx: CallContext, ok: boolean, value: unknown): void {
    if (task.ctx !== ctx || task.state !== RUNNING) {
      if (task.ghost === ctx) this.#releaseGhost(task, ctx);
      return;
    }
    task.finishing = false;
    if (task.timer !== undefined) {
      clearTimeout(task.timer);
      task.timer = undefined;
    }
    const tool = task.tool as AnyTool;
    if (!ok) return this.#attemptFailed(task, "tool", errorMessage(value), !isPermanent(value));
    let result = value;
    if (tool.output !== undefined) {
      const output = validateOutput(tool, value);
      if (!output.ok) return this.#attemptFailed(task, "validation", output.message, true);
      result = output.value;
    }
    // From here on the result is its JSON form: what a journal would replay.
    const sized = checkResult(tool, result, this.#o.maxResultBytes);
    if (!sized.ok)
      return this.#attemptFailed(task, sized.kind, sized.message, sized.kind !== "limit");

    const journal = this.#o.journal;
    if (journal === undefined) return this.#callDone(task, sized.value);
    this.#record(task, journal, sized.value);
  }

  /** The result is used downstream only once the journal has it on disk. */
  #record(task: Task, journal: CallJournal, result: unknown): void {
    task.ctx = undefined;
    task.finishing = true;
    let recording: Promise<void>;
    try {
      recording = journal.record({
        nodeId: task.id,
        tool: (task.tool as AnyTool).name,
        argsHash: task.argsHash as string,
        occurrence: task.occurrence,
        result,
      });
    } catch (e) {
      recording = Promise.reject(e);
    }
    recording.then(
      () =>
        this.#guard(() => {
          if (task.state === RUNNING) this.#callDone(task, result);
        }),
      (e: unknown) =>
        this.#guard(() => {
          if (task.state === RUNNING) this.#fail(task, "journal", errorMessage(e));
        }),
    );
  }

  #attemptFailed(task: Task, kind: RunErrorKind, message: string, retryable: boolean): void {
    const tool = task.tool as AnyTool;
    const retries = tool.retries ?? this.#o.retries;
    if (!retryable || task.attempts > retries || this.#stopped)
      return this.#fail(task, kind, message);
    const delay = retryDelay(tool.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS, task.attempts);
    task.ctx = undefined;
    if (this.#o.onEvent !== undefined) {
      this.#emit({
        type: "retrying",
        node: nodeRef(task),
        attempt: task.attempts + 1,
        delayMs: delay,
        error: message,
        t: this.#now(),
      });
    }
    task.timer = setTimeout(() => {
      task.timer = undefined;
      this.#guard(() => {
        if (task.state !== RUNNING || this.#stopped) return;
        // The timed-out attempt still holds the place this one would take.
        if (task.ghost !== undefined) task.retryDue = true;
        else this.#attempt(task);
      });
    }, delay);
  }

  /**
   * A timed-out attempt may run on: its tool can ignore the abort signal.
   * Caps count it as in flight until it settles, or for a grace period of
   * min(timeout, ABANDON_GRACE_MS) at most — so a retry, or the next queued
   * call once the task has failed, does not run beside it — and then let go
   * of it, so that a tool that never settles cannot block its cap forever.
   */
  #abandon(task: Task, ctx: CallContext, timeout: number): void {
    task.ghost = ctx;
    task.ghostTimer = setTimeout(
      () => this.#guard(() => this.#releaseGhost(task, ctx)),
      Math.min(timeout, ABANDON_GRACE_MS),
    );
    this.#ghosts.add(task);
  }

  /** The abandoned attempt settled, or its grace period ended. */
  #releaseGhost(task: Task, ctx: CallContext): void {
    if (task.ghost !== ctx) return;
    this.#dropGhost(task);
    // The task failed while the ghost ran (see `#fail`): the ghost gives back the task's place.
    if (task.state === FAILED) this.#release(task);
    if (task.retryDue) {
      task.retryDue = false;
      if (task.state === RUNNING && !this.#stopped) this.#attempt(task);
    }
  }

  #dropGhost(task: Task): void {
    if (task.ghostTimer !== undefined) clearTimeout(task.ghostTimer);
    task.ghostTimer = undefined;
    task.ghost = undefined;
    this.#ghosts.delete(task);
  }

  /** A call gives back its place under the caps. */
  #release(task: Task): void {
    this.#inFlight--;
    (task.slot as Slot).inFlight--;
  }

  #callDone(task: Task, result: unknown): void {
    this.#release(task);
    this.#complete(task, result);
  }

  /** A task finished: record it and release whatever waited for it. */
  #complete(task: Task, result: unknown): void {
    task.state = OK;
    task.result = result;
    // Dropped so that they die young: kept, they would be copied and promoted with the task.
    task.args = undefined;
    task.ctx = undefined;
    task.finishing = false;
    task.end = this.#now();
    this.#unsettled--;
    if (this.#o.onEvent !== undefined) {
      const event: RunEvent = {
        type: "finished",
        node: nodeRef(task),
        t: task.end,
        durationMs: task.end - task.start,
      };
      if (task.fromJournal) event.fromJournal = true;
      this.#emit(event);
    }
    const dependents = task.dependents;
    for (let i = 0; i < dependents.length; i++) {
      const d = dependents[i] as Task;
      if (--d.pending === 0 && d.state === WAITING) this.#work.push(d);
    }
    if (task.parent !== undefined) this.#childDone(task);
  }

  // ## each

  #expand(task: Task, node: EachNode): void {
    let over: unknown;
    const env = this.#env.enter(task, undefined);
    try {
      over = evaluate(node.over, env);
    } catch (e) {
      if (e instanceof EvalError) return this.#fail(task, "type", e.message);
      throw e;
    }
    if (!Array.isArray(over)) {
      const what =
        node.over.kind === "ref"
          ? `\`${env.refName(node.over)}${pathText(node.over.path)}\``
          : "its list";
      return this.#fail(
        task,
        "type",
        `\`each\` needs a list, but ${what} is ${describeValue(over)}`,
      );
    }
    const plan = this.#eachPlan(node);
    const n = over.length;
    const m = node.body.nodes.length;
    const { maxNodes } = this.#o;
    if (this.#nodeCount + n * m > maxNodes) {
      return this.#fail(
        task,
        "limit",
        `\`each\` over ${n} elements would add ${n * m} calls to the run's ${this.#nodeCount} nodes, over the limit of ${maxNodes} (limits.maxNodes)`,
      );
    }
    this.#nodeCount += n * m;
    task.state = RUNNING;
    task.start = this.#now();
    task.attempts = 1;
    if (this.#o.onEvent !== undefined)
      this.#emit({ type: "started", node: nodeRef(task), attempt: 1, t: task.start });
    const state = { elements: new Array<Element>(n), outputs: new Array<unknown>(n), remaining: n };
    task.each = state;

    const downstream = task.priority - plan.critical;
    const body = node.body.nodes;
    for (let i = 0; i < n; i++) {
      const element: Element = { index: i, item: over[i], tasks: new Array<Task>(m), remaining: m };
      state.elements[i] = element;
      if (m === 0) {
        // A body without calls: its output is known now.
        if (!this.#elementOutput(task, element)) return;
        state.remaining--;
        continue;
      }
      for (let b = 0; b < m; b++) {
        const bodyNode = body[b] as CallNode;
        const tool = this.#o.tools.get(bodyNode.tool);
        const child = new Task(
          this.#seq++,
          `${bodyNode.id}[${i}]`,
          bodyNode,
          tool,
          this.#slot(bodyNode.tool, tool),
          task,
          element,
        );
        child.pending = plan.localPending[b] as number;
        child.priority = (plan.localPriority[b] as number) + downstream;
        element.tasks[b] = child;
      }
      for (let b = 0; b < m; b++) {
        const child = element.tasks[b] as Task;
        for (const j of plan.localDependents[b] as number[])
          addDependent(child, element.tasks[j] as Task);
      }
      this.#unsettled += m;
      for (const r of plan.roots) this.#work.push(element.tasks[r] as Task);
    }
    if (state.remaining === 0) this.#complete(task, state.outputs);
  }

  #eachPlanOf(child: Task): EachPlan {
    return this.#eachPlan((child.parent as Task).node as EachNode);
  }

  #childDone(child: Task): void {
    const element = child.element as Element;
    if (--element.remaining > 0) return;
    const parent = child.parent as Task;
    if (parent.state !== RUNNING) return;
    if (!this.#elementOutput(parent, element)) return;
    const state = parent.each;
    if (state !== undefined && --state.remaining === 0) this.#complete(parent, state.outputs);
  }

  /** Evaluates the body's output for one element; false when that failed the `each`. */
  #elementOutput(task: Task, element: Element): boolean {
    const node = task.node as EachNode;
    const state = task.each;
    if (state === undefined) return false;
    try {
      const env = this.#env.enterElement(task, this.#eachPlan(node), element);
      state.outputs[element.index] = evaluate(node.body.output, env);
      return true;
    } catch (e) {
      if (e instanceof EvalError) {
        this.#fail(task, "type", `element ${element.index}: ${e.message}`);
        return false;
      }
      throw e;
    }
  }

  // ## Failure

  #fail(task: Task, kind: RunErrorKind, detail: string): void {
    if (isFinal(task.state)) return;
    if (task.state === RUNNING && task.node.kind === "call") {
      // A timed-out attempt still running keeps the place (see `#abandon`).
      if (task.ghost === undefined) this.#release(task);
    }
    if (task.timer !== undefined) {
      clearTimeout(task.timer);
      task.timer = undefined;
    }
    task.ctx = undefined;
    task.args = undefined;
    task.finishing = false;
    task.retryDue = false;
    task.state = FAILED;
    if (task.start >= 0) task.end = this.#now();
    this.#unsettled--;
    const message = `${where(task)}: ${detail}`;
    this.#errors.push({ kind, message, node: nodeRef(task) });
    if (this.#o.onEvent !== undefined)
      this.#emit({ type: "failed", node: nodeRef(task), error: message, t: this.#now() });

    const parent = task.parent;
    if (parent !== undefined && parent.state === RUNNING) {
      // The `each` cannot produce its list any more; under keepGoing its other elements run on.
      parent.state = FAILED;
      parent.end = this.#now();
      this.#unsettled--;
      if (this.#o.onEvent !== undefined) {
        this.#emit({
          type: "failed",
          node: nodeRef(parent),
          error: `${where(parent)}: ${task.id} failed`,
          t: parent.end,
        });
      }
    }
    if (!this.#o.keepGoing) {
      this.#stop(`not run: ${where(task)} failed`, false);
      return;
    }
    this.#skipDescendants(task, task);
    if (parent !== undefined) this.#skipDescendants(parent, task);
  }

  /** keepGoing: everything downstream of a failure can never run. */
  #skipDescendants(from: Task, failed: Task): void {
    const reason = `depends on ${failed.id}, which failed`;
    const stack = from.dependents.slice();
    while (stack.length > 0) {
      const t = stack.pop() as Task;
      if (t.state !== WAITING) continue;
      this.#skip(t, reason);
      for (const d of t.dependents) stack.push(d);
    }
  }

  #skip(task: Task, reason: string): void {
    task.state = SKIPPED;
    this.#unsettled--;
    if (this.#o.onEvent !== undefined)
      this.#emit({ type: "skipped", node: nodeRef(task), reason, t: this.#now() });
  }

  #cancelRun(message: string): void {
    const error: RunError = { kind: "cancelled", message };
    if (!this.#stopped) {
      this.#errors.push(error);
      this.#stop(`not run: ${message}`, true);
    } else if (this.#stop(`not run: ${message}`, true) > 0) {
      // A fail-fast stop kept calls that had finished; the deadline or signal cut them short.
      this.#errors.push(error);
    }
  }

  /**
   * Fail-fast and cancellation: abort what runs, skip what never started.
   * Fail-fast (`hard` false) keeps the calls that already finished — a
   * synchronous result waiting for its batch, a result waiting for the
   * journal — so every finished result is reported. Cancellation (`hard`)
   * stops those too, even after a fail-fast stop: a journal write may hang.
   * Returns how many tasks it cancelled.
   */
  #stop(reason: string, hard: boolean): number {
    const first = !this.#stopped;
    if (!first && !hard) return 0;
    this.#stopped = true;
    let cancelled = 0;
    const abortReason = new DOMException(reason, "AbortError");
    this.#forEachTask((task) => {
      if (task.state === RUNNING) {
        if (task.finishing && !hard) return;
        if (task.timer !== undefined) {
          clearTimeout(task.timer);
          task.timer = undefined;
        }
        task.ctx?.abort(abortReason);
        task.ctx = undefined;
        task.finishing = false;
        if (task.node.kind === "call") this.#release(task);
        task.state = CANCELLED;
        task.end = this.#now();
        this.#unsettled--;
        cancelled++;
        if (this.#o.onEvent !== undefined)
          this.#emit({ type: "cancelled", node: nodeRef(task), t: task.end });
      } else if (first && (task.state === WAITING || task.state === READY)) {
        this.#skip(task, reason);
      }
    });
    // Nothing starts any more: the places abandoned attempts hold do not matter.
    this.#dropGhosts();
    if (first) {
      for (const slot of this.#queued) {
        slot.heap.clear();
        slot.queuedAt = -1;
      }
      this.#queued.length = 0;
      this.#ready.length = 0;
      this.#waiting = 0;
    }
    return cancelled;
  }

  #dropGhosts(): void {
    // `#dropGhost` deletes from the set: a Set's iterator allows that.
    for (const task of this.#ghosts) {
      this.#dropGhost(task);
      task.retryDue = false;
    }
  }

  /** Every task: the graph's nodes in order, each `each` followed by its children. */
  #forEachTask(visit: (task: Task) => void): void {
    for (const task of this.#outer) {
      visit(task);
      const elements = task.each?.elements;
      if (elements === undefined) continue;
      for (const element of elements) {
        // An `each` that failed part-way through its expansion has elements it never made.
        if (element === undefined) continue;
        for (const child of element.tasks) if (child !== undefined) visit(child);
      }
    }
  }

  // ## Settling

  #finish(): void {
    this.#done = true;
    this.#cleanup();
    const results: Record<string, unknown> = {};
    const all: Task[] = [];
    this.#forEachTask((task) => {
      all.push(task);
      if (task.state === OK) setOwn(results, task.id, task.result);
    });
    const trace = buildTrace(all);
    const value = this.#output();
    const result: RunResult = {
      ok: this.#errors.length === 0,
      results,
      errors: this.#errors,
      trace,
    };
    if (value !== undefined) result.value = value;
    this.#resolve(result);
  }

  #cleanup(): void {
    this.#dropGhosts();
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = undefined;
    if (this.#onAbort !== undefined) this.#o.signal?.removeEventListener("abort", this.#onAbort);
    this.#onAbort = undefined;
  }

  /** The plan's result, when every node it uses finished. */
  #output(): Json | undefined {
    let available = true;
    forEachRef(this.#graph.output, (ref) => {
      if (ref.source === "node" && this.#byId.get(ref.name)?.state !== OK) available = false;
    });
    if (!available) return undefined;
    try {
      return toJson(evaluate(this.#graph.output, this.#env.enter(undefined, undefined)));
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
      this.#errors.push({ kind: "type", message: `the plan's result: ${e.message}` });
      return undefined;
    }
  }

  #emit(event: RunEvent): void {
    try {
      (this.#o.onEvent as (event: RunEvent) => void)(event);
    } catch {
      // A listener's bug must not break the run it is watching.
    }
  }

  #now(): number {
    return performance.now() - this.#t0;
  }
}

/** Tasks in an order where each follows the tasks it depends on. */
function kahnOrder(tasks: readonly Task[]): Task[] {
  const left = new Int32Array(tasks.length);
  const order: Task[] = [];
  for (const task of tasks) {
    left[task.seq] = task.pending;
    if (task.pending === 0) order.push(task);
  }
  for (let i = 0; i < order.length; i++) {
    for (const d of (order[i] as Task).dependents) {
      const n = (left[d.seq] as number) - 1;
      left[d.seq] = n;
      if (n === 0) order.push(d);
    }
  }
  return order;
}

/** Whether `task` is among the first `n` of `tasks`. */
function includes(tasks: readonly Task[], n: number, task: Task): boolean {
  for (let i = 0; i < n; i++) if (tasks[i] === task) return true;
  return false;
}

/** Whether a tool cap applies to one of `tasks`. */
function anyCapped(tasks: readonly Task[]): boolean {
  for (let i = 0; i < tasks.length; i++) if ((tasks[i] as Task).slot?.cap !== Infinity) return true;
  return false;
}

function byPriority(a: Task, b: Task): number {
  return b.priority - a.priority || a.seq - b.seq;
}

function latencyOf(tool: AnyTool | undefined): number {
  const l = tool?.latency;
  return typeof l === "number" && Number.isFinite(l) && l >= 0 ? l : 1;
}

function abortMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  const why =
    reason instanceof Error && reason.name !== "AbortError" && reason.message !== ""
      ? `: ${reason.message}`
      : typeof reason === "string" && reason !== ""
        ? `: ${reason}`
        : "";
  return `the run was cancelled${why}`;
}

/** A value as JSON data: as it is when it already is, else through JSON (Dates, undefined...). */
function toJson(value: unknown): Json {
  if (isJson(value)) return value as Json;
  try {
    return (JSON.parse(JSON.stringify(value) ?? "null") as Json) ?? null;
  } catch {
    return null;
  }
}

// ## The evaluation environment

/**
 * One environment per run, pointed at the task being evaluated (evaluation
 * is synchronous, so nothing else can use it meanwhile). A reference is
 * looked up among the task's own dependencies first — a handful of pointers
 * — and only then in the map of every node.
 */
class Env implements EvalEnv {
  #deps: readonly Task[] = [];
  #plan: EachPlan | undefined = undefined;
  #element: Element | undefined = undefined;
  #each: EachNode | undefined = undefined;

  constructor(
    private readonly byId: TaskIndex,
    private readonly inputs: Record<string, unknown>,
  ) {}

  /** Outer scope for an outer task; a child's element scope when `plan` is given. */
  enter(task: Task | undefined, plan: EachPlan | undefined): this {
    const each = task?.parent;
    this.#deps = (each ?? task)?.deps ?? [];
    this.#plan = plan;
    this.#element = plan === undefined ? undefined : task?.element;
    this.#each = plan === undefined ? undefined : (each?.node as EachNode | undefined);
    return this;
  }

  /** The scope of one element of `each` (for its body's output). */
  enterElement(each: Task, plan: EachPlan, element: Element): this {
    this.#deps = each.deps;
    this.#plan = plan;
    this.#element = element;
    this.#each = each.node as EachNode;
    return this;
  }

  node(id: string): unknown {
    if (this.#plan !== undefined && this.#element !== undefined) {
      const i = this.#plan.local.get(id);
      if (i !== undefined) {
        const task = this.#element.tasks[i];
        if (task === undefined || task.state !== OK)
          throw new Error(`invariant: ${id}[${this.#element.index}] is used before it finished`);
        return task.result;
      }
    }
    const deps = this.#deps;
    // A short scan beats the index for the usual one or two deps; past that
    // the index is O(1) per reference (a gather of k results stays O(k)).
    if (deps.length <= 4) {
      for (let k = 0; k < deps.length; k++) {
        const t = deps[k] as Task;
        if (t.id === id) return resultOf(t);
      }
    }
    return resultOf(this.byId.get(id), id);
  }

  input(name: string): unknown {
    if (!Object.hasOwn(this.inputs, name)) throw new Error(`invariant: input ${name} is unset`);
    return this.inputs[name];
  }

  item(name: string): unknown {
    if (this.#element === undefined || this.#each?.item !== name)
      throw new Error(`invariant: $${name} used outside its each`);
    return this.#element.item;
  }

  refName(ref: RefExpr): string {
    if (ref.source !== "node") return `$${ref.name}`;
    const i = this.#plan?.local.get(ref.name);
    const node = i === undefined ? this.byId.get(ref.name)?.node : this.#each?.body.nodes[i];
    if (node?.binding !== undefined) return `$${node.binding}`;
    if (node?.kind === "call") return `${node.tool}(...)`;
    return ref.name;
  }
}

function resultOf(task: Task | undefined, id = task?.id): unknown {
  if (task === undefined || task.state !== OK)
    throw new Error(`invariant: node ${id ?? "?"} is used before it finished`);
  return task.result;
}
