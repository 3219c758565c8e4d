// `weft run FILE`: compile the plan, run it, print its value.
// Exit: 0 ok; 1 the plan did not compile or a call failed; 2 usage (bad
// flags, unreadable files, tools module, unknown/missing/ill-typed inputs,
// journal); 130 interrupted.
import { resolve } from "node:path";
import { compile } from "../../compiler/compile.js";
import type { AnyTool } from "../../compiler/tool.js";
import { renderDiagnostics, summarize } from "../../diagnostics/render.js";
import { runGraph } from "../../runtime/run.js";
import type { RunError, RunErrorKind, RunResult } from "../../runtime/types.js";
import { displayName, readSource, type Io } from "../io.js";
import { hasToolSource, openTools, type ToolFlags } from "../tool-flags.js";
import { eventLog, progressView, type Reporter } from "../progress.js";
import { argValues, parseArgs, parseMs, parsePositiveInt } from "../run-flags.js";
import { formatRunError, formatValue, jsonReport, Labels } from "../run-output.js";
import { outputPath, writeJsonFile } from "../output-file.js";

export interface RunFlags extends ToolFlags {
  arg?: string[];
  concurrency?: string;
  keepGoing?: boolean;
  journal?: string;
  trace?: string;
  timeout?: string;
  json?: boolean;
  verbose?: boolean;
}

export const EXIT_INTERRUPTED = 130;

/** Errors about how weft was called rather than about the plan or its tools. */
const USAGE_KINDS: ReadonlySet<RunErrorKind> = new Set(["input", "journal"]);

export async function runRun(file: string, flags: RunFlags, io: Io): Promise<number> {
  const concurrency = parsePositiveInt("--concurrency", flags.concurrency);
  const timeoutMs = parseMs("--timeout", flags.timeout);
  const rawArgs = parseArgs(flags.arg ?? []);
  const tracePath =
    flags.trace === undefined ? undefined : await outputPath("--trace", flags.trace, io.cwd);
  // Read first: a missing file should not wait for MCP servers to start.
  const text = await readSource(io, file);
  const opened = await openTools(flags, io);
  try {
    return await runPlan(text, file, flags, opened.tools, io, {
      concurrency,
      timeoutMs,
      rawArgs,
      tracePath,
    });
  } finally {
    // MCP servers stop only once the run is over and its output written.
    await opened.close();
  }
}

/** The flags, parsed and checked before any tool source is opened. */
interface Parsed {
  concurrency: number | undefined;
  timeoutMs: number | undefined;
  rawArgs: ReturnType<typeof parseArgs>;
  tracePath: string | undefined;
}

async function runPlan(
  text: string,
  file: string,
  flags: RunFlags,
  tools: AnyTool[],
  io: Io,
  { concurrency, timeoutMs, rawArgs, tracePath }: Parsed,
): Promise<number> {
  const name = displayName(file);
  const json = flags.json === true;

  // Compiled here rather than inside `run` so that diagnostics print against the text.
  const compiled = compile(text, { tools, source: name });
  const graph = compiled.graph;
  if (graph === undefined) {
    if (json) {
      const error: RunError = {
        kind: "plan",
        message: `${name} does not compile: ${summarize(compiled.diagnostics)}`,
        diagnostics: compiled.diagnostics,
      };
      io.stdout(jsonReport({ ok: false, errors: [error] }));
    } else {
      const hint = hasToolSource(flags) ? "" : "weft: no tools loaded: pass --tools MODULE\n";
      io.stderr(
        `${renderDiagnostics(compiled.diagnostics, text, { file: name, color: io.color.stderr })}\n${hint}`,
      );
    }
    return 1;
  }
  // Warnings only where someone is watching: off a terminal, stderr stays quiet.
  if ((flags.verbose === true || io.isTTY.stderr) && !json && compiled.diagnostics.length > 0) {
    io.stderr(
      `${renderDiagnostics(compiled.diagnostics, text, { file: name, color: io.color.stderr })}\n\n`,
    );
  }

  const labels = new Labels(graph);
  const controller = new AbortController();
  let interrupted = false;
  const stopListening = io.onInterrupt?.(() => {
    interrupted = true;
    controller.abort(new Error("interrupted"));
  });
  const reporter: Reporter | undefined =
    flags.verbose === true
      ? eventLog(io, name, labels)
      : io.isTTY.stderr
        ? progressView(io, labels)
        : undefined;
  let result: RunResult;
  try {
    // Compiled just above: validating the graph again would only cost time.
    result = await runGraph(graph, {
      tools,
      inputs: argValues(rawArgs, graph.inputs),
      signal: controller.signal,
      source: name,
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(flags.keepGoing === true ? { keepGoing: true } : {}),
      ...(flags.journal === undefined ? {} : { journal: resolve(io.cwd, flags.journal) }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(reporter === undefined ? {} : { onEvent: reporter.onEvent }),
    });
  } finally {
    reporter?.stop();
    stopListening?.();
  }

  // The result first: a trace that cannot be written must not cost the run's output.
  if (json) io.stdout(jsonReport(result));
  else {
    io.stdout(formatValue(result.value));
    for (const error of result.errors)
      io.stderr(`${formatRunError(asFlag(error), name, labels)}\n`);
    const skipped = result.trace.nodes.filter((n) => n.status === "skipped").length;
    if (flags.keepGoing === true && skipped > 0 && !interrupted)
      io.stderr(
        `weft: skipped ${skipped} node${skipped === 1 ? "" : "s"} downstream of a failure\n`,
      );
  }
  if (tracePath !== undefined) {
    const problem = await writeJsonFile(tracePath, result.trace);
    if (problem !== undefined)
      io.stderr(`weft: warning: cannot write trace ${flags.trace ?? ""}: ${problem}\n`);
  }
  if (interrupted) {
    reportInterrupted(io, result, labels, flags.journal);
    return EXIT_INTERRUPTED;
  }
  if (result.ok) return 0;
  return result.errors.every((e) => USAGE_KINDS.has(e.kind)) ? 2 : 1;
}

/** A missing input is given on the command line with --arg, not in `inputs`. */
function asFlag(error: RunError): RunError {
  if (error.kind !== "input" || error.input === undefined) return error;
  const message = error.message.replace(
    "pass it in `inputs`",
    `pass it with \`--arg ${error.input}=...\``,
  );
  return { ...error, message };
}

/** After Ctrl-C: which calls finished (and where to find them again). */
function reportInterrupted(
  io: Io,
  result: RunResult,
  labels: Labels,
  journal: string | undefined,
): void {
  const calls = result.trace.nodes.filter((n) => n.kind === "call");
  const finished = calls.filter((n) => n.status === "ok");
  const names = finished.map((n) => labels.name(n) ?? `${n.tool ?? n.id}(...)`);
  const shown =
    names.length > 20 ? [...names.slice(0, 20), `and ${names.length - 20} more`] : names;
  io.stderr(
    `weft: interrupted: ${finished.length} of ${calls.length} calls finished${shown.length > 0 ? `: ${shown.join(", ")}` : ""}\n`,
  );
  io.stderr(
    journal === undefined
      ? "weft: pass --journal FILE to keep finished calls for the next run\n"
      : `weft: their results are in ${journal}: run again with --journal ${journal} to reuse them\n`,
  );
}
