// A binary max-heap of ready calls: the scheduler's queue when a concurrency
// cap holds calls back. Longest remaining path first (critical-path-first
// list scheduling); equal priorities leave in the order they were created.

export interface Prioritised {
  readonly priority: number;
  /** Creation order: breaks ties, so equal calls start in plan and list order. */
  readonly seq: number;
}

/** Whether `a` should start before `b`. */
export function before(a: Prioritised, b: Prioritised): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq);
}

export class Heap<T extends Prioritised> {
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  clear(): void {
    this.#items = [];
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const up = (i - 1) >> 1;
      const parent = items[up] as T;
      if (!before(item, parent)) break;
      items[i] = parent;
      i = up;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    // Sift the last item down from the root.
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(items[r] as T, items[l] as T) ? r : l;
      if (!before(items[child] as T, last)) break;
      items[i] = items[child] as T;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
