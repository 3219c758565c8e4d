// Live feedback for `weft run` on stderr, built on the runtime's events:
// a one-line progress view on a terminal, or one line per event (--verbose).
import { performance } from "node:perf_hooks";
import pc from "picocolors";
import type { RunEvent } from "../runtime/types.js";
import type { Io } from "./io.js";
import { detail, location, type Labels } from "./run-output.js";

export interface Reporter {
  onEvent: (event: RunEvent) => void;
  /** Stops redrawing and leaves stderr as it was before the run. */
  stop: () => void;
}

const REDRAW_MS = 100;
/** Short of an 80-column terminal: a line that wraps could not be redrawn in place. */
const WIDTH = 79;
const CLEAR_LINE = "\r\x1b[2K";
const SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

/**
 * `⠹ 2 running · 5 done · 1 failed · 0.8s  $pop_a, $pop_b`, redrawn in place at
 * most ten times a second and erased by `stop()`.
 */
export function progressView(io: Io, labels: Labels): Reporter {
  const c = pc.createColors(io.color.stderr);
  const started = performance.now();
  const running = new Map<string, string>();
  const failedParents = new Set<string>();
  let done = 0;
  let failed = 0;
  let skipped = 0;
  let frame = 0;
  let drawn = false;

  const draw = (): void => {
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    const parts: [string, (s: string) => string][] = [
      [`${running.size} running`, c.cyan],
      [`${done} done`, c.green],
      ...(failed > 0 ? [[`${failed} failed`, c.red] as [string, (s: string) => string]] : []),
      ...(skipped > 0 ? [[`${skipped} skipped`, c.yellow] as [string, (s: string) => string]] : []),
      [`${secs}s`, c.dim],
    ];
    const spin = SPINNER[frame++ % SPINNER.length] ?? "";
    const head = `${spin} ${parts.map(([t]) => t).join(" · ")}`;
    let names = [...running.values()].join(", ");
    const room = WIDTH - head.length - 2;
    if (names.length > room) names = room > 1 ? `${names.slice(0, room - 1)}…` : "";
    const line = `${spin} ${parts.map(([t, paint]) => paint(t)).join(c.dim(" · "))}${names === "" ? "" : `  ${c.dim(names)}`}`;
    io.stderr(`${CLEAR_LINE}${line}`);
    drawn = true;
  };

  const timer = setInterval(draw, REDRAW_MS);
  // The view never keeps the process alive on its own.
  timer.unref();

  return {
    onEvent: (e) => {
      if (e.type === "started" && e.node.kind === "call")
        running.set(e.node.id, labels.name(e.node) ?? e.node.tool ?? e.node.id);
      else if (e.type === "finished") {
        if (e.node.kind === "call") done++;
        running.delete(e.node.id);
      } else if (e.type === "failed") {
        // An `each` fails after its failed child: one failure, counted once.
        if (e.node.parent !== undefined) failedParents.add(e.node.parent);
        if (e.node.kind === "call" || !failedParents.has(e.node.id)) failed++;
        running.delete(e.node.id);
      } else if (e.type === "cancelled") running.delete(e.node.id);
      else if (e.type === "skipped") skipped++;
      if (!drawn) draw();
    },
    stop: () => {
      clearInterval(timer);
      if (drawn) io.stderr(CLEAR_LINE);
      drawn = false;
    },
  };
}

/** One line per event: `weft: [  12.3ms] finished compare.plan:6 $pop_a = wiki.fact(...) in 1.2ms`. */
export function eventLog(io: Io, file: string, labels: Labels): Reporter {
  return {
    onEvent: (e) => {
      const at = `[${e.t.toFixed(1).padStart(8)}ms]`;
      const what = `${location(file, e.node)} ${labels.call(e.node)}`;
      let line: string;
      switch (e.type) {
        case "queued":
          line = `queued    ${what}`;
          break;
        case "started":
          line = `started   ${what}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`;
          break;
        case "retrying":
          line = `retrying  ${what} in ${Math.round(e.delayMs)}ms (attempt ${e.attempt}): ${detail(e.error, e.node)}`;
          break;
        case "finished":
          line = `finished  ${what} in ${e.durationMs.toFixed(1)}ms${e.fromJournal === true ? " (from the journal)" : ""}`;
          break;
        case "failed":
          line = `failed    ${what}: ${detail(e.error, e.node)}`;
          break;
        case "skipped":
          line = `skipped   ${what}: ${e.reason}`;
          break;
        case "cancelled":
          line = `cancelled ${what}`;
          break;
      }
      io.stderr(`weft: ${at} ${line}\n`);
    },
    stop: () => undefined,
  };
}
