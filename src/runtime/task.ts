// One schedulable unit of a run: a call node, an `each` node, or one call of
// an `each` body for one list element (a child). Plain fields on one class,
// so that the scheduler's hot path stays monomorphic.
import type { CallNode, EachNode } from "../compiler/ir.js";
import type { AnyTool } from "../compiler/tool.js";
import type { CallContext } from "./call.js";
import type { Heap } from "./heap.js";
import type { NodeRef } from "./types.js";

// States. A task moves forward only: WAITING -> READY -> RUNNING -> one of the final ones.
export const WAITING = 0; // dependencies unfinished
export const READY = 1; // dependencies finished; queued behind a concurrency cap
export const RUNNING = 2; // a call in flight (or backing off before a retry); an `each` with children left
export const OK = 3;
export const FAILED = 4;
export const SKIPPED = 5; // never started
export const CANCELLED = 6; // stopped while running
export type TaskState = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export function isFinal(state: TaskState): boolean {
  return state >= OK;
}

/** Concurrency accounting for one tool. */
export class Slot {
  inFlight = 0;
  /** Position in the scheduler's list of slots with queued calls, or -1. */
  queuedAt = -1;
  constructor(
    readonly cap: number,
    readonly heap: Heap<Task>,
  ) {}
}

/** One element of an expanded `each`: its item and the body's calls for it. */
export interface Element {
  index: number;
  item: unknown;
  tasks: Task[];
  /** Body calls of this element not yet finished. */
  remaining: number;
}

/** The run state of an `each` node once its list is known. */
export interface EachState {
  elements: Element[];
  outputs: unknown[];
  /** Elements whose body output is not yet known. */
  remaining: number;
}

/** Shared by every task without dependents or dependencies: never pushed to (see `addDependent`). */
const NO_TASKS: readonly Task[] = Object.freeze([]);

/** Records that `dependent` waits for `task`; most tasks have at most one, so the array is made on demand. */
export function addDependent(task: Task, dependent: Task): void {
  if (task.dependents === NO_TASKS) task.dependents = [dependent];
  else task.dependents.push(dependent);
}

/**
 * The fields most tasks never set (journal, timeouts, retries, `each`,
 * events), out of `Task`: a run holds every task until it ends, and the
 * young generation copies each one before it is promoted, so every field
 * on `Task` costs GC time per node. Made when one of them is first set.
 */
class TaskRare {
  argsHash: string | undefined = undefined;
  occurrence = 0;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  ghost: CallContext | undefined = undefined;
  ghostTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  retryDue = false;
  fromJournal = false;
  each: EachState | undefined = undefined;
  ref: NodeRef | undefined = undefined;
}

export class Task {
  state: TaskState = WAITING;
  /** Dependencies not yet finished. */
  pending = 0;
  /** Tasks that wait for this one, highest priority first. */
  dependents: Task[] = NO_TASKS as Task[];
  /** The tasks this one's references name (for a child: its `each`'s), without duplicates. */
  deps: readonly Task[] = NO_TASKS;
  /** Longest remaining path (latency hints) from this task to the end of the plan. */
  priority = 0;
  result: unknown = undefined;
  /** Arguments after validation, kept between attempts. */
  args: unknown = undefined;
  /** The current attempt; a settlement from any other attempt is stale. */
  ctx: CallContext | undefined = undefined;
  /** The call has its result (in the synchronous batch, or being journaled): fail-fast keeps it. */
  finishing = false;
  start = -1;
  end = -1;
  attempts = 0;
  rare: TaskRare | undefined = undefined;

  /** The rare fields, made on demand; setting a default value makes nothing. */
  #rare(): TaskRare {
    return (this.rare ??= new TaskRare());
  }

  get argsHash(): string | undefined {
    return this.rare?.argsHash;
  }
  set argsHash(v: string | undefined) {
    if (v !== undefined || this.rare !== undefined) this.#rare().argsHash = v;
  }
  get occurrence(): number {
    return this.rare?.occurrence ?? 0;
  }
  set occurrence(v: number) {
    if (v !== 0 || this.rare !== undefined) this.#rare().occurrence = v;
  }
  get timer(): ReturnType<typeof setTimeout> | undefined {
    return this.rare?.timer;
  }
  set timer(v: ReturnType<typeof setTimeout> | undefined) {
    if (v !== undefined || this.rare !== undefined) this.#rare().timer = v;
  }
  /** A timed-out attempt that may still be running; it holds a place under the caps. */
  get ghost(): CallContext | undefined {
    return this.rare?.ghost;
  }
  set ghost(v: CallContext | undefined) {
    if (v !== undefined || this.rare !== undefined) this.#rare().ghost = v;
  }
  get ghostTimer(): ReturnType<typeof setTimeout> | undefined {
    return this.rare?.ghostTimer;
  }
  set ghostTimer(v: ReturnType<typeof setTimeout> | undefined) {
    if (v !== undefined || this.rare !== undefined) this.#rare().ghostTimer = v;
  }
  /** A retry whose backoff ended while `ghost` still ran: it starts when the ghost goes. */
  get retryDue(): boolean {
    return this.rare?.retryDue ?? false;
  }
  set retryDue(v: boolean) {
    if (v || this.rare !== undefined) this.#rare().retryDue = v;
  }
  get fromJournal(): boolean {
    return this.rare?.fromJournal ?? false;
  }
  set fromJournal(v: boolean) {
    if (v || this.rare !== undefined) this.#rare().fromJournal = v;
  }
  get each(): EachState | undefined {
    return this.rare?.each;
  }
  set each(v: EachState | undefined) {
    if (v !== undefined || this.rare !== undefined) this.#rare().each = v;
  }
  get ref(): NodeRef | undefined {
    return this.rare?.ref;
  }
  set ref(v: NodeRef | undefined) {
    if (v !== undefined || this.rare !== undefined) this.#rare().ref = v;
  }

  constructor(
    /** Creation order: ties in priority start in this order. */
    readonly seq: number,
    readonly id: string,
    readonly node: CallNode | EachNode,
    readonly tool: AnyTool | undefined,
    readonly slot: Slot | undefined,
    /** For an `each` child: the `each` task and the element. */
    readonly parent: Task | undefined,
    readonly element: Element | undefined,
  ) {}
}

/**
 * The outer tasks by id. The compiler's ids (`n1`, `n2`, ...) are found by
 * their number in an array: hashing 100k strings into a map costs more than
 * the rest of building a run. Other ids (from a hand-made graph) use a map.
 */
export class TaskIndex {
  #dense: (Task | undefined)[] | undefined = [];
  #map: Map<string, Task> | undefined = undefined;
  #count = 0;

  add(task: Task): void {
    this.#count++;
    const dense = this.#dense;
    if (dense !== undefined) {
      const k = idNumber(task.id);
      // A bound on holes, so that `n9999999` alone cannot allocate a huge array.
      if (k >= 0 && k <= 4 * this.#count + 1024 && dense[k] === undefined) {
        dense[k] = task;
        return;
      }
      this.#map = new Map();
      for (const t of dense) if (t !== undefined) this.#map.set(t.id, t);
      this.#dense = undefined;
    }
    (this.#map as Map<string, Task>).set(task.id, task);
  }

  get(id: string): Task | undefined {
    const dense = this.#dense;
    if (dense === undefined) return (this.#map as Map<string, Task>).get(id);
    const k = idNumber(id);
    const task = k >= 0 ? dense[k] : undefined;
    // `n01` and `n1` have the same number: only the exact id matches.
    return task !== undefined && task.id === id ? task : undefined;
  }
}

/** The number of an id `n<digits>`, or -1. */
function idNumber(id: string): number {
  const n = id.length;
  if (n < 2 || n > 10 || id.charCodeAt(0) !== 110) return -1;
  let v = 0;
  for (let i = 1; i < n; i++) {
    const c = id.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
