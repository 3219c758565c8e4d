// Runs untrusted computations (a regex from a plan, a math expression) in a
// worker thread that is terminated when a job overruns its time or memory:
// catastrophic backtracking or a huge matrix must not hang or kill the host.
// One worker per kind, one job at a time; a killed worker is replaced for the
// jobs still queued. The worker is unref'd while idle, so it never keeps the
// process alive.
import { Worker } from "node:worker_threads";
import { PermanentError } from "../../compiler/tool.js";

interface Job {
  message: Record<string, unknown>;
  timeoutMs: number;
  what: string;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Reply {
  ready?: boolean;
  value?: unknown;
  error?: string;
}

export interface SandboxOptions {
  /** CommonJS source of the worker: posts `{ready: true}`, then answers each job with `{value}` or `{error}`. */
  source: string;
  workerData?: unknown;
  /** Heap of the worker, in MB. */
  maxMemoryMb: number;
}

export class Sandbox {
  readonly #options: SandboxOptions;
  #worker: Worker | undefined;
  #ready = false;
  #queue: Job[] = [];
  #current: { job: Job; timer: NodeJS.Timeout } | undefined;

  constructor(options: SandboxOptions) {
    this.#options = options;
  }

  /** Runs one job; `what` names it in errors ("the regex", "the expression"). */
  run(
    message: Record<string, unknown>,
    what: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(abortError(signal));
        return;
      }
      const job: Job = {
        message,
        what,
        timeoutMs,
        signal,
        onAbort: undefined,
        resolve,
        reject,
      };
      if (signal !== undefined) {
        job.onAbort = () => {
          if (this.#current?.job === job) this.#kill(abortError(signal));
          else {
            this.#queue = this.#queue.filter((j) => j !== job);
            this.#settle(job, abortError(signal));
            this.#refresh();
          }
        };
        signal.addEventListener("abort", job.onAbort, { once: true });
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#current === undefined && this.#queue.length > 0) {
      const worker = this.#worker ?? this.#spawn();
      if (this.#ready) {
        const job = this.#queue.shift() as Job;
        const timer = setTimeout(
          () =>
            this.#kill(
              new PermanentError(
                `${job.what} took longer than ${job.timeoutMs} ms and was stopped`,
              ),
            ),
          job.timeoutMs,
        );
        this.#current = { job, timer };
        worker.postMessage(job.message);
      }
    }
    this.#refresh();
  }

  /** Keeps the process alive only while there is work. */
  #refresh(): void {
    const busy = this.#current !== undefined || this.#queue.length > 0;
    if (busy) this.#worker?.ref();
    else this.#worker?.unref();
  }

  #spawn(): Worker {
    const worker = new Worker(this.#options.source, {
      eval: true,
      workerData: this.#options.workerData,
      resourceLimits: { maxOldGenerationSizeMb: this.#options.maxMemoryMb },
      stdout: true,
      stderr: true,
    });
    this.#worker = worker;
    this.#ready = false;
    worker.on("message", (reply: Reply) => {
      if (worker !== this.#worker) return;
      if (reply.ready === true) {
        this.#ready = true;
        this.#pump();
        return;
      }
      this.#finish(
        reply.error === undefined ? undefined : new PermanentError(reply.error),
        reply.value,
      );
    });
    worker.on("error", (e: Error & { code?: string }) => {
      if (worker !== this.#worker) return;
      const job = this.#current?.job;
      const error =
        e.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? new PermanentError(`${job?.what ?? "the job"} ran out of memory and was stopped`)
          : new PermanentError(`sandbox worker failed: ${e.message}`);
      this.#kill(error);
    });
    worker.on("exit", () => {
      if (worker !== this.#worker) return;
      this.#kill(new PermanentError("sandbox worker exited unexpectedly"));
    });
    return worker;
  }

  /** Ends the current job with `error` and replaces the worker. */
  #kill(error: Error): void {
    const worker = this.#worker;
    const wasReady = this.#ready;
    this.#worker = undefined;
    this.#ready = false;
    if (worker !== undefined) void worker.terminate();
    if (this.#current !== undefined) this.#finish(error, undefined);
    else if (!wasReady) {
      // The worker died before it could take a job: it would die again.
      for (const job of this.#queue.splice(0)) this.#settle(job, error);
    }
    this.#pump();
  }

  #finish(error: Error | undefined, value: unknown): void {
    const current = this.#current;
    if (current === undefined) return;
    this.#current = undefined;
    clearTimeout(current.timer);
    this.#settle(current.job, error, value);
    this.#pump();
  }

  #settle(job: Job, error: Error | undefined, value?: unknown): void {
    if (job.onAbort !== undefined) job.signal?.removeEventListener("abort", job.onAbort);
    if (error === undefined) job.resolve(value);
    else job.reject(error);
  }
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error("aborted");
}
