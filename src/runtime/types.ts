// The runtime's public contract: options, events, results.
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Json, Span } from "../compiler/ir.js";
import type { AnyTool, ToolSet } from "../compiler/tool.js";

/** Which call an event or error is about. Children of an `each` have `parent` and `index`. */
export interface NodeRef {
  id: string;
  kind: "call" | "each";
  binding?: string;
  tool?: string;
  /** 1-based plan line, when the graph has spans. */
  line?: number;
  span?: Span;
  parent?: string;
  index?: number;
}

/** Timestamps are milliseconds since the run started, from a monotonic clock. */
export type RunEvent =
  | { type: "queued"; node: NodeRef; t: number }
  | { type: "started"; node: NodeRef; attempt: number; t: number }
  | { type: "retrying"; node: NodeRef; attempt: number; delayMs: number; error: string; t: number }
  | { type: "finished"; node: NodeRef; t: number; durationMs: number; fromJournal?: boolean }
  | { type: "failed"; node: NodeRef; error: string; t: number }
  | { type: "skipped"; node: NodeRef; reason: string; t: number }
  | { type: "cancelled"; node: NodeRef; t: number };

export type RunErrorKind =
  | "tool" // the tool threw or rejected
  | "timeout" // a call exceeded its timeout
  | "validation" // arguments or output broke the tool's schema
  | "type" // a runtime type error in the plan: missing field, `each` over a non-list...
  | "cancelled" // the run was aborted (signal or deadline)
  | "limit" // a run limit was exceeded
  | "input" // a missing or ill-typed plan input
  | "plan" // the plan text did not compile
  | "journal"; // the journal could not be opened, read or written

export interface RunError {
  kind: RunErrorKind;
  message: string;
  node?: NodeRef;
  /** The plan input it is about, when `kind` is "input". */
  input?: string;
  /** Compile diagnostics, when `kind` is "plan". */
  diagnostics?: Diagnostic[];
}

export type NodeStatus = "ok" | "failed" | "skipped" | "cancelled";

/** One entry of the trace: one per node, plus one per `each` child (with `parent`). */
export interface TraceEntry {
  id: string;
  kind: "call" | "each";
  binding?: string;
  tool?: string;
  deps: string[];
  status: NodeStatus;
  /** Absent for a node that never ran. */
  start?: number;
  end?: number;
  attempts: number;
  parent?: string;
  line?: number;
  fromJournal?: boolean;
}

export interface Trace {
  makespanMs: number;
  nodes: TraceEntry[];
}

export interface RunLimits {
  /** Nodes in the graph plus every `each` child (default 100,000). */
  maxNodes?: number;
  /** Calls in flight at once, whatever `concurrency` says (default 10,000). */
  maxInFlight?: number;
  /** Size of one call's result as JSON, in bytes (default 10 MiB). */
  maxResultBytes?: number;
}

export interface RunOptions {
  tools: Iterable<AnyTool> | ToolSet;
  inputs?: Record<string, unknown>;
  /** Global cap on calls in flight (default unbounded). */
  concurrency?: number;
  /** Caps per tool name; a tool's own `concurrency` field also counts. */
  toolConcurrency?: Record<string, number>;
  /** Skip only the dependents of a failed node instead of aborting the run. */
  keepGoing?: boolean;
  /** Path of a JSONL journal: finished calls are recorded and reused on restart. */
  journal?: string;
  signal?: AbortSignal;
  /** Deadline for the whole run, in ms. */
  timeoutMs?: number;
  /** Default timeout of one call, in ms, when the tool sets none. */
  callTimeoutMs?: number;
  /** Default retries of one call when the tool sets none (default 0). */
  retries?: number;
  onEvent?: (event: RunEvent) => void;
  limits?: RunLimits;
  /** File name for diagnostics when `plan` is text. */
  source?: string;
}

export interface RunResult {
  ok: boolean;
  /** The plan's output, when it could be evaluated. */
  value?: Json;
  /** Results of the calls that finished, by node id (each children as `id[index]`). */
  results: Record<string, unknown>;
  errors: RunError[];
  trace: Trace;
}
