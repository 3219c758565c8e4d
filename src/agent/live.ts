// ## Stream dispatch: run a plan while the model is still writing it
// Statements arrive one by one (from the plan extractor, or re-imported from
// a peer format). After each one, the plan so far is compiled and its graph
// is run over the memo tools: the memo makes that run join every call an
// earlier prefix started and start only what is new, so each call starts as
// soon as its statement is complete and its inputs exist, and runs once.
//
// A statement with errors is blanked (its lines kept, so line numbers stay)
// and the prefix compiled again, since the statements that used its binding
// now fail in turn; a statement dropped once stays dropped, as a later line
// cannot make an earlier one right (a variable must be defined before use).
// The prefix runs' results are ignored: the final plan is run once more for
// the real result. Tool results are data to the runs, never plan text.
import { compile } from "../compiler/compile.js";
import type { PlanGraph } from "../compiler/ir.js";
import type { ToolSet } from "../compiler/tool.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { runGraph } from "../runtime/run.js";
import type { RunResult } from "../runtime/types.js";

/** How plans run over the memo: the same for prefixes and final plans. */
export interface ExecuteOptions {
  /** The tools a plan runs on: the memo's view for that plan (`CallMemo.forPlan`). */
  tools: (graph: PlanGraph) => ToolSet;
  signal?: AbortSignal;
  concurrency?: number;
  callTimeoutMs?: number;
}

/** Runs a compiled plan with keep-going (a failure skips only its dependents). */
export function execute(graph: PlanGraph, o: ExecuteOptions): Promise<RunResult> {
  return runGraph(graph, {
    tools: o.tools(graph),
    keepGoing: true,
    ...(o.signal === undefined ? {} : { signal: o.signal }),
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    ...(o.callTimeoutMs === undefined ? {} : { callTimeoutMs: o.callTimeoutMs }),
  });
}

export interface LiveOptions extends ExecuteOptions {
  /** The real tools, to compile against (the memo's have the same schemas). */
  compileTools: ToolSet;
  /** A statement was kept and its prefix dispatched, or dropped for its errors. */
  onStatement?: (s: { text: string; line: number; dropped?: Diagnostic[] }) => void;
}

interface Statement {
  text: string;
  /** Line of the statement in the model's reply (for events). */
  line: number;
  /** Line breaks inside the statement. */
  breaks: number;
  dropped: boolean;
  /** The error diagnostics that dropped it. */
  errors?: Diagnostic[];
}

/** Counts over the dispatcher's life (a statement list replaced by `update` included). */
export interface LiveStats {
  /** Statements dropped for their errors. */
  dropped: number;
  /** Prefix runs started. */
  runs: number;
}

export class LiveDispatcher {
  readonly #o: LiveOptions;
  #statements: Statement[] = [];
  readonly #runs: Promise<unknown>[] = [];
  #lastNodes = 0;
  readonly stats: LiveStats = { dropped: 0, runs: 0 };

  constructor(o: LiveOptions) {
    this.#o = o;
  }

  /** The plan text so far, dropped statements blanked. */
  get text(): string {
    return planText(this.#statements);
  }

  /** Adds complete statements and dispatches the new prefix. */
  push(statements: readonly { text: string; line: number }[]): void {
    if (statements.length === 0) return;
    for (const s of statements)
      this.#statements.push({ text: s.text, line: s.line, breaks: breaks(s.text), dropped: false });
    this.#dispatch(this.#statements.length - statements.length);
  }

  /**
   * The whole statement list as now known (a peer format re-imported from
   * the start): statements equal to the ones already there are kept as they
   * are; from the first difference on, the list is replaced.
   */
  update(statements: readonly { text: string; line: number }[]): void {
    let same = 0;
    const old = this.#statements;
    while (
      same < old.length &&
      same < statements.length &&
      old[same]?.text === statements[same]?.text
    )
      same++;
    if (same === old.length && same === statements.length) return;
    if (same < old.length) {
      this.#statements = old.slice(0, same);
      // Dropped statements after the change may be right now.
      this.#lastNodes = -1;
    }
    this.push(statements.slice(same));
  }

  /** Waits for every prefix run started so far (they never reject). */
  async settle(): Promise<void> {
    for (let seen = 0; seen < this.#runs.length;) {
      const upTo = this.#runs.length;
      await Promise.all(this.#runs.slice(seen, upTo));
      seen = upTo;
    }
  }

  /** Compiles the prefix, dropping statements with errors, and runs it when it has new calls. */
  #dispatch(firstNew: number): void {
    const statements = this.#statements;
    let graph: PlanGraph | undefined;
    for (;;) {
      const compiled = compile(planText(statements), { tools: this.#o.compileTools });
      if (compiled.graph !== undefined) {
        graph = compiled.graph;
        break;
      }
      const errors = compiled.diagnostics.filter((d) => d.severity === "error");
      const culprits = statementsAt(statements, errors);
      if (culprits.size === 0) {
        // An error no live statement holds (it should not happen): the newest statement goes.
        const newest = lastLive(statements, firstNew);
        if (newest === undefined) break;
        culprits.set(newest, errors);
      }
      for (const [index, diagnostics] of culprits) {
        const s = statements[index] as Statement;
        s.dropped = true;
        s.errors = diagnostics;
        this.stats.dropped++;
      }
    }
    for (let i = firstNew; i < statements.length; i++) {
      const s = statements[i] as Statement;
      this.#o.onStatement?.(
        s.dropped
          ? { text: s.text, line: s.line, dropped: s.errors ?? [] }
          : { text: s.text, line: s.line },
      );
    }
    if (graph === undefined || graph.nodes.length === this.#lastNodes) return;
    this.#lastNodes = graph.nodes.length;
    this.stats.runs++;
    // A prefix run only starts calls; its result is ignored, and it never rejects.
    let running: Promise<unknown>;
    try {
      running = execute(graph, this.#o).catch(() => undefined);
    } catch {
      return;
    }
    this.#runs.push(running);
  }
}

/** The statements as plan text: one after another, dropped ones as blank lines. */
function planText(statements: readonly Statement[]): string {
  let text = "";
  for (const s of statements) text += (s.dropped ? "\n".repeat(s.breaks) : s.text) + "\n";
  return text;
}

function lastLive(statements: readonly Statement[], from: number): number | undefined {
  for (let i = statements.length - 1; i >= from; i--)
    if (statements[i]?.dropped === false) return i;
  return undefined;
}

function breaks(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** The live statements holding the diagnostics, by index. */
function statementsAt(
  statements: readonly Statement[],
  diagnostics: readonly Diagnostic[],
): Map<number, Diagnostic[]> {
  const out = new Map<number, Diagnostic[]>();
  for (const d of diagnostics) {
    const line = d.range.start.line;
    let first = 1;
    for (let i = 0; i < statements.length; i++) {
      const s = statements[i] as Statement;
      const last = first + s.breaks;
      if (line >= first && line <= last) {
        if (!s.dropped) {
          const list = out.get(i);
          if (list === undefined) out.set(i, [d]);
          else list.push(d);
        }
        break;
      }
      first = last + 1;
    }
  }
  return out;
}
